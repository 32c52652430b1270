package nats

import (
	"encoding/json"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/parley-chat/parley/presence"
)

// PresenceConfig configures SharePresence.
type PresenceConfig struct {
	// Snapshot returns this node's presence: room -> people.
	Snapshot func() map[string][]presence.Person
	// Remote receives the other nodes' announcements.
	Remote *presence.Remote
	// Interval between announcements; Tick is called after each.
	Interval time.Duration
	Tick     func()
}

// PresenceShare announces a node's presence to the cluster and receives
// the others'.
type PresenceShare struct {
	b       *Broker
	cfg     PresenceConfig
	subject string
	sub     *natsgo.Subscription
	kick    chan struct{}
	done    chan struct{}
	stopped chan struct{}
}

// SharePresence starts announcing this node's presence every
// cfg.Interval, and at once after Announce.
func (b *Broker) SharePresence(cfg PresenceConfig) (*PresenceShare, error) {
	p := &PresenceShare{
		b:       b,
		cfg:     cfg,
		subject: b.cfg.Subject + ".presence",
		kick:    make(chan struct{}, 1),
		done:    make(chan struct{}),
		stopped: make(chan struct{}),
	}
	sub, err := b.conn.Subscribe(p.subject, func(m *natsgo.Msg) {
		var s presence.Snapshot
		if err := json.Unmarshal(m.Data, &s); err != nil {
			b.cfg.Logger.Warn("ignoring a malformed presence announcement from NATS", "err", err)
			return
		}
		cfg.Remote.Update(s, time.Now())
	})
	if err != nil {
		return nil, err
	}
	p.sub = sub
	go p.run()
	p.Announce()
	return p, nil
}

// Announce sends this node's presence soon (after a local change).
func (p *PresenceShare) Announce() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

func (p *PresenceShare) run() {
	defer close(p.stopped)
	ticker := time.NewTicker(p.cfg.Interval)
	defer ticker.Stop()
	for {
		select {
		case <-p.kick:
			p.publishOwn()
		case <-ticker.C:
			p.publishOwn()
			if p.cfg.Tick != nil {
				p.cfg.Tick()
			}
		case <-p.done:
			return
		}
	}
}

// publishOwn announces this node's presence as it is now.
func (p *PresenceShare) publishOwn() {
	p.publish(presence.Snapshot{Node: p.b.cfg.Node, Rooms: p.cfg.Snapshot()})
}

func (p *PresenceShare) publish(s presence.Snapshot) {
	data, err := json.Marshal(s)
	if err == nil {
		err = p.b.conn.Publish(p.subject, data)
	}
	if err != nil && p.b.conn.IsConnected() {
		p.b.cfg.Logger.Warn("announcing presence", "err", err)
	}
}

// Close stops announcing and tells the other nodes that this node's
// people are gone.
func (p *PresenceShare) Close() {
	close(p.done)
	<-p.stopped
	_ = p.sub.Unsubscribe()
	p.publish(presence.Snapshot{Node: p.b.cfg.Node, Gone: true})
	_ = p.b.conn.FlushTimeout(time.Second)
}
