// Package nats is the cluster Broker: each node publishes its committed
// events to a NATS subject and hands every node's events, its own
// included, to an ordering.Sequencer, which delivers them to the local hub
// in ID order and reads from the store whatever NATS did not bring.
//
// Core NATS (at-most-once) is enough because the store is the log: a lost
// message, a slow-consumer drop or an outage costs latency, never a
// message. JetStream would add a second durable log to keep in step with
// the first.
//
// Two routings, which every node of a cluster must share:
//
//   - All (Config.ByInterest false): every batch goes to one subject,
//     SUBJECT.events, and every node receives and sequences all of them.
//   - By interest: a batch's events go to the subjects of their shards,
//     SUBJECT.shard.N.events (see package shard). A node subscribes only
//     to the shards of the topics its hub has subscribers for (Follow,
//     Unfollow). Each part carries its batch's ID range and shards, and
//     the batches committed just before it as the store's ring recorded
//     them (PublishRing, parley.BatchRing), which tell the receiver which
//     IDs went to rooms it does not serve: a room nobody on the node
//     follows costs it no message at all. A batch that the ring could not
//     record (more than parley.BatchKeysMax shards), or one published
//     without a ring (Publish), is also announced as its ID range and
//     shards on SUBJECT.batches, which every attached node receives.
//     Signals go to SUBJECT.shard.N.signals alike. A node that follows no
//     shard at all, with a sequencer that can detach
//     (ordering.Config.Head), does not receive the announcements either:
//     it receives nothing of the other nodes' rooms until its first
//     subscriber.
package nats

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync/atomic"
	"time"

	natsgo "github.com/nats-io/nats.go"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/broker/ordering"
	"github.com/parley-chat/parley/broker/shard"
)

// DefaultSubject prefixes every subject the broker uses.
const DefaultSubject = "parley"

// OutagePoll is how often a node reads the store for other nodes' events
// while it is cut off from NATS.
const OutagePoll = 250 * time.Millisecond

// Config configures a Broker.
type Config struct {
	URL     string // nats://host:port
	Subject string // subject prefix; default DefaultSubject
	Node    string // this node's name, shown in NATS monitoring
	// Sequencer receives every node's events, this node's included.
	Sequencer *ordering.Sequencer
	// Signals receives every node's signals (parley.NewSignal), this
	// node's included, unordered; nil drops them. The hub's Publish is the
	// intended target.
	Signals func(*parley.Event)
	// ByInterest routes events by shard (see package doc); the sequencer
	// must have Interest set too.
	ByInterest bool
	// AnnounceEvery is the least time between two of this node's batch
	// announcements (ByInterest): what one would carry waits for the
	// next; default DefaultAnnounceEvery.
	AnnounceEvery time.Duration
	// Linger is how long a shard stays subscribed after its last local
	// subscriber left, so that a client reconnecting or polling again
	// does not make the node resubscribe; default DefaultLinger.
	Linger time.Duration
	// ReconnectWait is the pause between reconnection attempts; default 250ms.
	ReconnectWait time.Duration
	Logger        *slog.Logger
}

// Broker publishes committed events to the cluster and feeds the local
// sequencer. It implements parley.Broker.
type Broker struct {
	cfg     Config
	conn    *natsgo.Conn
	subject string
	sub     *natsgo.Subscription

	signalSubject string
	signalSub     *natsgo.Subscription

	interest  *interest  // ByInterest only
	announcer *announcer // ByInterest only
	received  atomic.Uint64
}

var (
	_ parley.Broker    = (*Broker)(nil)
	_ parley.Signaller = (*Broker)(nil)
)

// Connect connects to NATS and subscribes to the cluster's events. It
// fails when NATS cannot be reached at start, so that a wrong URL is found
// at once; later outages are survived (see package doc).
func Connect(ctx context.Context, cfg Config) (*Broker, error) {
	if cfg.Sequencer == nil {
		return nil, errors.New("nats broker: no sequencer")
	}
	if cfg.Subject == "" {
		cfg.Subject = DefaultSubject
	}
	if cfg.ReconnectWait <= 0 {
		cfg.ReconnectWait = 250 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Signals == nil {
		cfg.Signals = func(*parley.Event) {}
	}
	if cfg.Linger <= 0 {
		cfg.Linger = DefaultLinger
	}
	if cfg.AnnounceEvery <= 0 {
		cfg.AnnounceEvery = DefaultAnnounceEvery
	}
	b := &Broker{cfg: cfg, subject: cfg.Subject + ".events", signalSubject: cfg.Subject + ".signals"}
	if cfg.ByInterest {
		b.subject = cfg.Subject + ".batches"
		b.announcer = &announcer{b: b, every: cfg.AnnounceEvery}
	}
	log, seq := cfg.Logger, cfg.Sequencer
	opts := []natsgo.Option{
		natsgo.Name("parley " + cfg.Node),
		natsgo.MaxReconnects(-1),
		natsgo.ReconnectWait(cfg.ReconnectWait),
		natsgo.NoEcho(), // this node's events reach its sequencer directly
		natsgo.DisconnectErrHandler(func(_ *natsgo.Conn, err error) {
			log.Warn("lost the NATS connection: reading other nodes' messages from the store until it returns", "err", err)
			seq.SetPoll(OutagePoll)
		}),
		natsgo.ReconnectHandler(func(c *natsgo.Conn) {
			log.Info("NATS connection restored", "server", c.ConnectedUrlRedacted())
			// The subscriptions were sent again on reconnecting; a round
			// trip confirms the server has them, so that the catch-up
			// below reads from the store whatever was committed before
			// they took effect, and NATS brings the rest.
			if err := c.FlushTimeout(reconnectFlushTimeout); err != nil {
				log.Warn("NATS connection restored but not confirmed: the store is read again within the poll interval", "err", err)
			}
			seq.SetPoll(0)
			seq.CatchUp()
		}),
		natsgo.ErrorHandler(func(_ *natsgo.Conn, _ *natsgo.Subscription, err error) {
			// A slow consumer drops messages; the sequencer refills them.
			log.Warn("NATS asynchronous error", "err", err)
		}),
	}
	if deadline, ok := ctx.Deadline(); ok {
		opts = append(opts, natsgo.Timeout(time.Until(deadline)))
	}
	conn, err := natsgo.Connect(cfg.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w (is nats-server running? check --broker)", redact(cfg.URL), err)
	}
	b.conn = conn
	switch {
	case cfg.ByInterest && seq.Detachable():
		// The announcements are received only while the node follows
		// a shard (see interest.follow).
	case cfg.ByInterest:
		b.sub, err = conn.Subscribe(b.subject, b.receiveAnnouncement)
	default:
		b.sub, err = conn.Subscribe(b.subject, b.receive)
		if err == nil {
			b.signalSub, err = conn.Subscribe(b.signalSubject, b.receiveSignal)
		}
	}
	if err == nil {
		err = conn.FlushTimeout(10 * time.Second) // the subscription is active
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("subscribing to NATS subject %s: %w", b.subject, err)
	}
	if cfg.ByInterest {
		b.interest = newInterest(b)
	}
	// Events committed between the sequencer's start and the subscription
	// came before it: read them from the store.
	seq.CatchUp()
	return b, nil
}

// wireEvent is an event on the NATS subject: the message as every client
// sees it, plus the hub topics and revocation it was given at commit time.
type wireEvent struct {
	Message json.RawMessage `json:"m"`
	Also    []string        `json:"a,omitempty"`
	Revoke  string          `json:"r,omitempty"`
}

type wireEventIn struct {
	Message parley.Message `json:"m"`
	Also    []string       `json:"a,omitempty"`
	Revoke  string         `json:"r,omitempty"`
}

// Publish hands events to this node's sequencer and sends them to the
// other nodes. A NATS error is returned but loses nothing: the other nodes
// read the events from the store.
func (b *Broker) Publish(_ context.Context, events []*parley.Event) error {
	b.cfg.Sequencer.Offer(events)
	if b.cfg.ByInterest {
		return b.publishByShard(events)
	}
	wire := make([]wireEvent, len(events))
	for i, ev := range events {
		wire[i] = wireEvent{Message: ev.JSON(), Also: ev.Also, Revoke: ev.Revoke}
	}
	data, err := json.Marshal(wire)
	if err != nil {
		return fmt.Errorf("encoding events for NATS: %w", err)
	}
	if err := b.conn.Publish(b.subject, data); err != nil {
		return fmt.Errorf("publishing to NATS: %w", err)
	}
	return nil
}

func (b *Broker) receive(m *natsgo.Msg) {
	var wire []wireEventIn
	if err := json.Unmarshal(m.Data, &wire); err != nil {
		b.cfg.Logger.Warn("ignoring a malformed event batch from NATS", "subject", m.Subject, "err", err)
		return
	}
	events := eventsOf(wire)
	b.received.Add(uint64(len(events)))
	b.cfg.Sequencer.Offer(events)
}

// eventsOf makes events of what another node sent, leaving out entries
// with no ID.
func eventsOf(wire []wireEventIn) []*parley.Event {
	events := make([]*parley.Event, 0, len(wire))
	for _, w := range wire {
		if w.Message.ID <= 0 {
			continue
		}
		ev := parley.NewEvent(w.Message)
		ev.Also = w.Also
		ev.Revoke = w.Revoke
		events = append(events, ev)
	}
	return events
}

// Received returns how many events this node received from other nodes.
func (b *Broker) Received() uint64 { return b.received.Load() }

// wireSignal is a signal on the NATS subject.
type wireSignal struct {
	Topic   string         `json:"t"`
	Message parley.Message `json:"m"`
}

// Signal hands ev to this node's hub and sends it to the other nodes, at
// most once: a signal lost in an outage is not recovered.
func (b *Broker) Signal(_ context.Context, ev *parley.Event) error {
	b.cfg.Signals(ev)
	data, err := json.Marshal(wireSignal{Topic: ev.Topic, Message: ev.Message})
	if err != nil {
		return fmt.Errorf("encoding a signal for NATS: %w", err)
	}
	subject := b.signalSubject
	if b.cfg.ByInterest {
		subject = b.shardSubject(shard.Of(ev.Topic)) + ".signals"
	}
	if err := b.conn.Publish(subject, data); err != nil {
		return fmt.Errorf("publishing a signal to NATS: %w", err)
	}
	return nil
}

func (b *Broker) receiveSignal(m *natsgo.Msg) {
	var w wireSignal
	if err := json.Unmarshal(m.Data, &w); err != nil || w.Topic == "" {
		b.cfg.Logger.Warn("ignoring a malformed signal from NATS", "subject", m.Subject, "err", err)
		return
	}
	b.cfg.Signals(parley.NewSignal(w.Topic, w.Message))
}

// reconnectFlushTimeout bounds the wait for the server to confirm the
// subscriptions after a reconnection.
const reconnectFlushTimeout = 5 * time.Second

// Connected reports whether the NATS connection is up.
func (b *Broker) Connected() bool { return b.conn.IsConnected() }

// Status describes the connection for health checks: "connected",
// "reconnecting", "closed", ...
func (b *Broker) Status() string { return b.conn.Status().String() }

// Conn returns the NATS connection, for other cluster services (presence).
func (b *Broker) Conn() *natsgo.Conn { return b.conn }

// Close drains the subscription and closes the connection.
func (b *Broker) Close() error {
	if b.interest != nil {
		b.interest.close()
	}
	if b.announcer != nil {
		b.announcer.close()
	}
	if b.sub != nil {
		_ = b.sub.Unsubscribe()
	}
	if b.signalSub != nil {
		_ = b.signalSub.Unsubscribe()
	}
	b.conn.Close()
	return nil
}

// redact drops a password from a NATS URL before it is shown.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
