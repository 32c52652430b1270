package server

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/mem"
	natsbroker "github.com/parley-chat/parley/broker/nats"
	"github.com/parley-chat/parley/broker/ordering"
	"github.com/parley-chat/parley/presence"
	"github.com/parley-chat/parley/transport/poll"
)

// clusterLink joins a node to the others: its commits go out over NATS,
// and every node's events come back through the sequencer, which hands
// them to the local hub (through the poll watermark) in ID order.
type clusterLink struct {
	broker   *natsbroker.Broker
	seq      *ordering.Sequencer
	presence *natsbroker.PresenceShare // nil until shared
}

// DefaultPresenceLease is how soon a dead node's people lapse on the
// other nodes of a cluster.
const DefaultPresenceLease = 15 * time.Second

// shareClusterPresence makes presence cluster-wide: this node announces
// its people every fifth of the lease (and at once on a change), and a
// node silent for three announcements has died; its people lapse, so a
// death is noticed within the lease.
func (s *Server) shareClusterPresence(cfg Config) error {
	if s.cluster == nil {
		return nil
	}
	lease := cfg.PresenceLease
	if lease <= 0 {
		lease = DefaultPresenceLease
	}
	interval := lease / 5
	s.presence.remote = presence.NewRemote(cfg.Node, 3*interval)
	share, err := s.cluster.broker.SharePresence(natsbroker.PresenceConfig{
		Snapshot: s.presence.tracker.Snapshot,
		Remote:   s.presence.remote,
		Interval: interval,
		Tick: func() {
			// Cut off from NATS, this node hears no one: that says
			// nothing about the others, whose people must not lapse.
			if s.cluster.broker.Connected() {
				s.presence.expire()
			} else {
				s.presence.remote.Touch(time.Now())
			}
		},
	})
	if err != nil {
		return fmt.Errorf("sharing presence over NATS: %w", err)
	}
	s.cluster.presence = share
	s.presence.announce = share.Announce
	return nil
}

// joinCluster returns the broker the chat service publishes to: the
// watermark over the local hub for a single node, or the NATS broker when
// cfg.Broker is set.
func (s *Server) joinCluster(ctx context.Context, cfg Config, local *poll.Watermark, lastID int64, relay *interestRelay) (parley.Broker, error) {
	if cfg.Broker == "" {
		return local, nil
	}
	byInterest, err := parseRouting(cfg.Routing)
	if err != nil {
		return nil, err
	}
	announceEvery := cfg.AnnounceEvery
	if announceEvery <= 0 {
		announceEvery = natsbroker.DefaultAnnounceEvery
	}
	// A gap waits for the broker before the store is read: long enough,
	// routed by interest, for another node's coalesced announcement.
	grace := ordering.DefaultGrace
	if byInterest {
		grace = max(grace, 2*announceEvery)
	}
	seq := ordering.New(ordering.Config{
		Grace: grace,
		Log:   s.store,
		Deliver: func(events []*parley.Event) {
			// The watermark hands events to the hub, which never fails.
			_ = local.Publish(context.Background(), events)
		},
		// Routed by interest, IDs of rooms nobody here follows are
		// accounted for without reaching the hub: the mark moves past
		// them too, so that caught-up polls still skip the store.
		Advanced: local.Raise,
		Start:    lastID,
		Interest: byInterest,
		// Following no room, the node detaches: it receives nothing of
		// the other nodes' rooms until a subscriber arrives.
		Head:   s.store.LastID,
		Logger: cfg.Logger,
	})
	b, err := natsbroker.Connect(ctx, natsbroker.Config{
		URL:           cfg.Broker,
		Subject:       cfg.Cluster,
		Node:          cfg.Node,
		Sequencer:     seq,
		ByInterest:    byInterest,
		AnnounceEvery: announceEvery,
		Signals:       s.hub.Publish,
		Logger:        cfg.Logger.With("node", cfg.Node),
	})
	if err != nil {
		seq.Close()
		return nil, err
	}
	relay.broker.Store(b)
	s.cluster = &clusterLink{broker: b, seq: seq}
	return b, nil
}

// Routings of a cluster's events (Config.Routing).
const (
	RoutingInterest = "interest"
	RoutingAll      = "all"
)

func parseRouting(r string) (byInterest bool, err error) {
	switch r {
	case "", RoutingInterest:
		return true, nil
	case RoutingAll:
		return false, nil
	}
	return false, fmt.Errorf("unknown routing %q: use %s or %s, the same on every node", r, RoutingInterest, RoutingAll)
}

// interestRelay tells the cluster broker, once connected, which topics
// the hub's subscribers hold (hub.Interest).
type interestRelay struct {
	broker atomic.Pointer[natsbroker.Broker]
}

func (r *interestRelay) Follow(topics []string) {
	if b := r.broker.Load(); b != nil {
		b.Follow(topics)
	}
}

func (r *interestRelay) Unfollow(topics []string) {
	if b := r.broker.Load(); b != nil {
		b.Unfollow(topics)
	}
}

// signaller returns what carries signals: the cluster broker, or this
// node's hub.
func (s *Server) signaller() parley.Signaller {
	if s.cluster != nil {
		return s.cluster.broker
	}
	return mem.New(s.hub)
}

func (c *clusterLink) close() {
	if c == nil {
		return
	}
	if c.presence != nil {
		c.presence.Close()
	}
	c.broker.Close()
	c.seq.Close()
}

// brokerHealth describes the broker for /healthz; ok is false while a
// cluster node is cut off from NATS.
func (c *clusterLink) brokerHealth() (status string, ok bool) {
	if c == nil {
		return "in-process", true
	}
	return c.broker.Status(), c.broker.Connected()
}

func defaultNodeName() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "parley"
	}
	return fmt.Sprintf("%s-%d", host, os.Getpid())
}

// RemoteMembers lists the people present in room on the other nodes of the
// cluster, as this node last heard; nil on a single node.
func (s *Server) RemoteMembers(room string) []presence.Person {
	if s.presence.remote == nil {
		return nil
	}
	return s.presence.remote.Members(room)
}
