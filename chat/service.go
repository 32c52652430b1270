// Package chat is Parley's one writer path: every message, whatever
// transport it came from, is validated, filtered, rate-limited, committed to
// the Store and only then published to the Broker.
//
// Concurrent posts are group-committed: a single committer goroutine takes
// every post waiting at the moment it is free, stores them in one
// transaction, publishes them in ID order and only then acknowledges each
// poster. Under load the batches grow by themselves; an idle server commits
// a lone post at once, with no waiting window.
package chat

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/access"
)

// Config holds the content rules. Zero fields take the defaults.
type Config struct {
	MaxTextLen int         // characters per message; default 2000
	Filter     *WordFilter // nil: no filtering
	RateLimit  float64     // messages per second per client; 0 = unlimited
	RateBurst  int         // bucket size; default 2 × RateLimit
	MaxBatch   int         // messages per commit; default 256
	Logger     *slog.Logger

	// People features (accounts, private rooms, direct messages). When
	// Access is nil every room is public and only guests post.
	Access     *access.Checker
	Users      parley.UserStore
	RoomAccess parley.RoomAccessStore
	// OnCommit, if set, is called for every committed message, in ID
	// order, from the committer goroutine; it must not block (webhooks
	// queue the message).
	OnCommit func(parley.Message)

	// RoomCreation says who may create rooms: CreateRoomsGuests (the
	// default), CreateRoomsUsers or CreateRoomsAdmins. Admins and
	// applications always may, without limits.
	RoomCreation string
	// RoomCreationBurst is how many rooms one address or creator may
	// create at once, then one a minute; default DefaultRoomCreationBurst.
	RoomCreationBurst int
	// MaxRoomsPerCreator bounds the rooms one account owns; default
	// DefaultMaxRoomsPerCreator, negative: no bound.
	MaxRoomsPerCreator int

	// Signals carries signals (typing, room list changes) to every
	// node; nil: none are sent.
	Signals parley.Signaller

	// Observer is told of posts accepted and refused and of each commit,
	// for metrics; nil: no one.
	Observer Observer

	// EditWindow is how long after posting its author may edit or delete
	// a chat line; default DefaultEditWindow.
	EditWindow time.Duration
	// Now is the clock the edit window is measured with; nil: time.Now.
	Now func() time.Time
}

// DefaultMaxTextLen is the default message length limit, in characters.
const DefaultMaxTextLen = 2000

// Service validates, stores and publishes messages, and manages rooms.
type Service struct {
	store  parley.Store
	broker parley.Broker
	cfg    Config
	log    *slog.Logger
	obs    Observer
	limit  *rateLimiter
	// roomLimit paces room creation per client address and per creator.
	roomLimit *rateLimiter
	// typing paces typing signals per person and room.
	typing *rateLimiter

	roomsMu sync.RWMutex
	rooms   map[string]struct{} // rooms known to exist; rooms are never deleted yet

	posts     chan []*post  // units: the posts of one unit commit together or not at all
	done      chan struct{} // closed by Close
	stopped   chan struct{} // closed when the committer has exited
	closeOnce sync.Once
	committer sync.WaitGroup
}

type post struct {
	msg    parley.Message
	also   []string   // extra hub topics (parley.Event.Also)
	revoke string     // a user losing the room (parley.Event.Revoke)
	done   chan error // capacity 1
}

// New starts a service. Close stops it.
func New(store parley.Store, broker parley.Broker, cfg Config) *Service {
	if cfg.MaxTextLen <= 0 {
		cfg.MaxTextLen = DefaultMaxTextLen
	}
	if cfg.RoomCreationBurst <= 0 {
		cfg.RoomCreationBurst = DefaultRoomCreationBurst
	}
	if cfg.MaxRoomsPerCreator == 0 {
		cfg.MaxRoomsPerCreator = DefaultMaxRoomsPerCreator
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Observer == nil {
		cfg.Observer = nopObserver{}
	}
	s := &Service{
		obs:       cfg.Observer,
		store:     store,
		broker:    broker,
		cfg:       cfg,
		log:       cfg.Logger,
		limit:     newRateLimiter(cfg.RateLimit, cfg.RateBurst, time.Now),
		roomLimit: newRateLimiter(1/roomCreationEvery.Seconds(), cfg.RoomCreationBurst, time.Now),
		typing:    newRateLimiter(1/typingEvery.Seconds(), typingBurst, time.Now),
		rooms:     make(map[string]struct{}),
		posts:     make(chan []*post, cfg.MaxBatch),
		done:      make(chan struct{}),
		stopped:   make(chan struct{}),
	}
	s.committer.Add(1)
	go s.commitLoop()
	return s
}

// MaxTextLen returns the longest message text accepted, in characters.
func (s *Service) MaxTextLen() int { return s.cfg.MaxTextLen }

// Store returns the service's store, for read paths (history, replay).
func (s *Service) Store() parley.Store { return s.store }

// commit queues m for the committer and waits for its answer. also lists
// hub topics, besides the room, that get the event.
func (s *Service) commit(ctx context.Context, m parley.Message, also ...string) (parley.Message, error) {
	return s.commitPost(ctx, &post{msg: m, also: also})
}

// commitPost is commit for a post with more than extra topics.
func (s *Service) commitPost(ctx context.Context, p *post) (parley.Message, error) {
	if err := s.commitUnit(ctx, []*post{p}); err != nil {
		return parley.Message{}, err
	}
	return p.msg, nil
}

// commitUnit commits posts in one transaction, all or none, and publishes
// them in order. Every post of a unit gets the same answer: the committer
// answers a unit through its first post.
func (s *Service) commitUnit(ctx context.Context, unit []*post) error {
	done := make(chan error, 1)
	unit[0].done = done
	select {
	case <-s.done: // checked first: select picks at random among ready cases
		return errShuttingDown
	default:
	}
	select {
	case s.posts <- unit:
	case <-s.done:
		return errShuttingDown
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-done:
		return err
	case <-s.stopped:
		// The committer has exited; it answered everything queued before
		// it drained, so an unanswered unit was never taken.
		select {
		case err := <-done:
			return err
		default:
			return errShuttingDown
		}
	case <-ctx.Done():
		// The messages may still be committed and delivered; the client
		// sees them on its stream.
		return ctx.Err()
	}
}

var errShuttingDown = parley.Errorf(parley.EUnavailable, "server is shutting down: retry shortly")

func (s *Service) commitLoop() {
	defer s.committer.Done()
	defer close(s.stopped)
	batch := make([][]*post, 0, s.cfg.MaxBatch)
	for {
		select {
		case u := <-s.posts:
			batch = append(batch[:0], u)
		case <-s.done:
			s.drain()
			return
		}
	collect:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case u := <-s.posts:
				batch = append(batch, u)
			default:
				break collect
			}
		}
		s.commitBatch(batch)
		clear(batch)
	}
}

// drain answers posts still queued at shutdown.
func (s *Service) drain() {
	for {
		select {
		case u := <-s.posts:
			u[0].done <- errShuttingDown
		default:
			return
		}
	}
}

// commitBatch stores, publishes and acknowledges a batch of units. If the
// batch fails as a whole, each unit is retried alone so that one bad
// message (say, to a room deleted a moment ago) fails only its own unit.
func (s *Service) commitBatch(batch [][]*post) {
	// Commits are not tied to any one poster's context: a poster that gives
	// up must not abort the others' transaction.
	ctx := context.Background()
	var posts []*post
	for _, u := range batch {
		posts = append(posts, u...)
	}
	// The store writes the IDs and times into the events' messages.
	events := make([]*parley.Event, len(posts))
	msgs := make([]*parley.Message, len(posts))
	for i, p := range posts {
		events[i] = parley.NewEvent(p.msg)
		events[i].Also = p.also
		events[i].Revoke = p.revoke
		msgs[i] = &events[i].Message
	}
	began := time.Now()
	recent, err := s.appendBatch(ctx, events, msgs)
	if err == nil {
		s.obs.Committed(len(msgs), time.Since(began))
	} else if parley.ErrorCode(err) == parley.EInternal {
		s.obs.StoreFailed()
	}
	if err != nil && len(batch) > 1 {
		for _, u := range batch {
			s.commitBatch([][]*post{u})
		}
		return
	}
	if err != nil {
		if parley.ErrorCode(err) == parley.EInternal {
			s.log.Error("storing message failed", "room", posts[0].msg.Room, "err", err)
		}
		batch[0][0].done <- err
		return
	}
	for i, p := range posts {
		p.msg = events[i].Message // with its ID and time, for the poster's answer
		if s.cfg.OnCommit != nil {
			s.cfg.OnCommit(p.msg)
		}
	}
	if err := s.publishBatch(ctx, events, recent); err != nil {
		// Committed but not published: subscribers will get the messages
		// when they next resume from the store. The post itself succeeded.
		s.log.Error("publishing committed messages failed", "first_id", events[0].ID(), "count", len(events), "err", err)
	}
	for _, u := range batch {
		u[0].done <- nil
	}
}

// appendBatch stores msgs, the messages of events, recording the events'
// routing keys when both the store and the broker keep a ring of recent
// batches (a cluster routed by interest); it then returns the ring.
func (s *Service) appendBatch(ctx context.Context, events []*parley.Event, msgs []*parley.Message) ([]parley.Batch, error) {
	ring, ok := s.store.(parley.BatchRing)
	pub, ok2 := s.broker.(parley.RingPublisher)
	if !ok || !ok2 {
		return nil, s.store.Append(ctx, msgs)
	}
	keys, routed := pub.BatchKeys(events)
	if !routed {
		return nil, s.store.Append(ctx, msgs)
	}
	return ring.AppendRing(ctx, msgs, keys)
}

// publishBatch hands committed events to the broker, with the ring append
// returned if any.
func (s *Service) publishBatch(ctx context.Context, events []*parley.Event, recent []parley.Batch) error {
	if recent != nil {
		return s.broker.(parley.RingPublisher).PublishRing(ctx, events, recent)
	}
	return s.broker.Publish(ctx, events)
}

// CheckRoom returns nil if room exists, ENotFound if not, EInvalid for a
// name that cannot be a room.
func (s *Service) CheckRoom(ctx context.Context, room string) error {
	s.roomsMu.RLock()
	_, ok := s.rooms[room]
	s.roomsMu.RUnlock()
	if ok {
		return nil
	}
	if err := ValidateRoomName(room); err != nil && !isDirectRoom(room) {
		return err
	}
	if _, err := s.store.Room(ctx, room); err != nil {
		return err
	}
	s.roomsMu.Lock()
	s.rooms[room] = struct{}{}
	s.roomsMu.Unlock()
	return nil
}

// CreateRoom validates and creates a room.
func (s *Service) CreateRoom(ctx context.Context, name string) (parley.Room, error) {
	if err := ValidateRoomName(name); err != nil {
		return parley.Room{}, err
	}
	r := parley.Room{Name: name}
	if err := s.store.CreateRoom(ctx, &r); err != nil {
		return parley.Room{}, err
	}
	return r, nil
}

// Rooms lists every room.
func (s *Service) Rooms(ctx context.Context) ([]parley.Room, error) { return s.store.Rooms(ctx) }

// MaxHistory bounds one page of history.
const MaxHistory = 500

// Page selects a page of a room's history.
type Page struct {
	After    int64 // with HasAfter: messages after this ID, oldest first
	HasAfter bool
	Before   int64 // otherwise: the newest messages before this ID (0: the newest)
	Limit    int   // 1 to MaxHistory
}

// History returns a page of a room's log, in ascending ID order: every
// entry, change entries included, with chat lines in their current state
// (edited text, reactions).
func (s *Service) History(ctx context.Context, room string, p Page) ([]parley.Message, error) {
	if err := s.CheckRoom(ctx, room); err != nil {
		return nil, err
	}
	if p.Limit <= 0 || p.Limit > MaxHistory {
		return nil, parley.Errorf(parley.EInvalid, "limit %d is out of range: use 1 to %d", p.Limit, MaxHistory)
	}
	if p.HasAfter && p.Before > 0 {
		return nil, parley.Errorf(parley.EInvalid, "after and before cannot be combined: ask for one page direction")
	}
	if p.HasAfter {
		msgs, err := s.store.After(ctx, []string{room}, p.After, p.Limit)
		if err != nil {
			return nil, err
		}
		return msgs, s.WithReactions(ctx, msgs)
	}
	// Before returns the messages with their reactions.
	return s.store.Before(ctx, room, p.Before, p.Limit)
}

// Close stops the committer. Posts waiting for it fail with EUnavailable;
// a batch being committed finishes first.
func (s *Service) Close() {
	s.closeOnce.Do(func() { close(s.done) })
	s.committer.Wait()
}

// IsShutdown reports whether err is the service's shutdown error.
func IsShutdown(err error) bool { return errors.Is(err, errShuttingDown) }
