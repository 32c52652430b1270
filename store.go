package parley

import "context"

// Store is the durable message log and room registry. Implementations:
// store/sqlite (the embedded default) and, for clusters, store/postgres.
// storetest.Run checks every implementation against this contract.
type Store interface {
	// Append stores msgs in one transaction, in slice order. It assigns
	// each message its ID, greater than the ID of every message committed
	// before it (IDs increase in commit order), and its Time when zero,
	// writing both back into msgs. It returns only after the commit is
	// durable; on error nothing of the batch is stored. Appending to a room
	// that does not exist fails with ENotFound.
	Append(ctx context.Context, msgs []*Message) error

	// After returns up to limit messages with ID > after whose room is one
	// of rooms, in ascending ID order.
	After(ctx context.Context, rooms []string, after int64, limit int) ([]Message, error)

	// Before returns up to limit messages of room with ID < before, the
	// newest ones, in ascending ID order. before <= 0 means "the newest".
	Before(ctx context.Context, room string, before int64, limit int) ([]Message, error)

	// LastID returns the highest committed message ID, 0 when the log is
	// empty.
	LastID(ctx context.Context) (int64, error)

	// CreateRoom stores a new room, setting its Created time when zero. It
	// fails with EConflict when the name is taken.
	CreateRoom(ctx context.Context, room *Room) error

	// Room returns the named room, or ENotFound.
	Room(ctx context.Context, name string) (Room, error)

	// Rooms returns every room, ordered by name.
	Rooms(ctx context.Context) ([]Room, error)

	// Close releases the store. Calls after Close fail.
	Close() error
}

// Broker carries committed events to the hub of every node. The in-process
// broker (broker/mem) serves one node; broker/nats serves a cluster.
type Broker interface {
	// Publish hands committed events, in ID order, to every node's hub.
	// Events published by one caller arrive in the order published.
	Publish(ctx context.Context, events []*Event) error
}

// Signaller carries signals (see NewSignal) to the hub of every node, at
// most once: not stored, not ordered with the log, lost when a node is
// cut off. broker/mem and broker/nats implement it.
type Signaller interface {
	Signal(ctx context.Context, ev *Event) error
}

// IdempotencyStore finds what a request sent with an idempotency key
// stored, so that a retry gets the same answer instead of a duplicate.
// Append stores Message.Idem with the messages, in their transaction, and
// refuses a key already stored with EConflict.
type IdempotencyStore interface {
	// ByIdempotencyKey returns the Idem stored under key and the messages
	// of its request, in ID order (fewer if some were deleted since), or
	// ENotFound.
	ByIdempotencyKey(ctx context.Context, key string) (Idem, []Message, error)
}

// LogReader reads the whole log in ID order, across all rooms. A cluster
// node uses it to fill gaps in what its broker delivered and to catch up
// after losing the broker. Both stores implement it.
type LogReader interface {
	// Since returns up to limit messages with ID > after, of any room, in
	// ascending ID order.
	Since(ctx context.Context, after int64, limit int) ([]Message, error)
}

// BatchKeysMax is how many routing keys a BatchRing records per batch;
// a batch with more is recorded with its keys unknown.
const BatchKeysMax = 5

// Batch is one committed batch as a BatchRing recorded it: IDs First to
// Last and the routing keys of its events (the cluster's shards). Keys
// is nil when they were not recorded (more than BatchKeysMax, or the
// batch was appended with plain Append).
type Batch struct {
	First, Last int64
	Keys        []uint16
}

// BatchRing is implemented by a store that a cluster shares
// (PostgreSQL). Under the lock that orders commits it keeps the ID range
// and routing keys of the last batches committed, so that a node that
// receives one batch learns exactly which IDs before it went where, with
// no message about the rooms it does not serve.
type BatchRing interface {
	// AppendRing is Append that records keys with the batch. It returns
	// the recent batches, oldest first, ending with this one; they tile
	// the IDs from the first one's First to this batch's Last.
	AppendRing(ctx context.Context, msgs []*Message, keys []uint16) ([]Batch, error)
}

// RingPublisher is a Broker that publishes each batch with the recent
// batches its store recorded (BatchRing), in place of announcing every
// batch to every node.
type RingPublisher interface {
	// BatchKeys returns the routing keys of events (which need no IDs
	// yet), and false when the broker does not route by them.
	BatchKeys(events []*Event) ([]uint16, bool)
	// PublishRing is Publish for a batch stored with AppendRing; recent
	// is what AppendRing returned.
	PublishRing(ctx context.Context, events []*Event, recent []Batch) error
}
