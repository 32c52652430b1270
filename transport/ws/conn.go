package ws

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/stream"
)

// Close codes the server sends.
const (
	closeShutdown = 1012 // service restart: reconnect and resume
	closeInternal = 1011 // internal error: reconnect and resume
	closeRevoked  = 4001 // credentials revoked or expired: log in again before reconnecting
)

const (
	shutdownReason = "server restarting: reconnect"
	internalReason = "internal error: reconnect"
)

// cmdQueueLen bounds the answers and changes waiting for the writer; when
// it is full the reader waits, and so stops reading the client.
const cmdQueueLen = 4

// conn is one WebSocket connection: a reader and a writer, each a
// goroutine only while it has work (see the package comment).
type conn struct {
	// mu hands event delivery back and forth between the hub and the
	// writer. While direct is set the writer has nothing queued or in
	// hand, and the hub writes each event itself (sink.Deliver); otherwise
	// events go to the current sink's queue and the writer sends them.
	// cursor belongs to whichever side has delivery: the hub (under mu)
	// while direct, the writer otherwise; the switch happens under mu.
	// These fields come first, the socket's with them: a delivery touches
	// them together, for thousands of connections in a row.
	mu     sync.Mutex
	direct bool
	// writing is set while a writer goroutine runs (or the handler's
	// goroutine does the writer's work during start). Whoever gives the
	// writer work (an event queued, a command, a ping, the end) starts it
	// when it is not set (kickLocked); the writer clears it, under mu,
	// only when it finds nothing left to do. It stays set once the
	// connection is finished, so that no writer starts again.
	writing bool
	// stopped is set by stop: the connection is ending. readerEnded is
	// set when the reader is done for good. Each has a channel (done,
	// readerDone) made only for someone who must wait for it, so that an
	// idle connection keeps no channel.
	stopped     bool
	readerEnded bool
	sink        *sink // the current subscription; events for older ones are dropped
	cursor      int64 // every event of rooms with an ID at or below it was sent (or predates the start)
	wire        wire  // the socket

	h   *Handler
	key string           // rate-limit key: the client's IP address
	id  *parley.Identity // who connected (see authn); shared by anonymous connections
	// guestKey is the browser's guest key (authn.GuestCookie), for a
	// guest name given on a send.
	guestKey string

	hereMu sync.Mutex
	here   stream.Session // presence; nil for anonymous connections

	cmds       chan command  // reader -> writer, in order; made (under mu) by the first command
	revoked    atomic.Bool   // credentials revoked: no more posts
	release    func()        // gives back the connection's place under Config.Limit
	pingDue    atomic.Bool   // the pinger could not write the ping itself
	done       chan struct{} // closed once stopped; made (under mu) by doneLocked
	readerDone chan struct{} // closed once readerEnded; made (under mu) by readerDoneChan
	lastRead   atomic.Int64  // Unix nanoseconds of the client's last message, ping or pong

	in inbound // the reader's
	// blockingReads is set for a connection read by readLoop (its reads
	// wait, under a deadline); otherwise the pinger finds silent clients.
	blockingReads bool
	// guarded by the handler's readPoller.mu
	polled    bool  // the socket was registered with the readPoller
	readState uint8 // readArmed, readRunning or readDone

	// owned by the writer goroutine
	rooms  []string
	sub    *hub.Subscription
	events []*parley.Event
	out    *[]byte // the batch being assembled; nil when empty

	// owned by the reader goroutine
	wanted []string // rooms once the writer has applied every change sent
	watch  stream.Watch
}

// sink is the hub subscriber of one subscription of a connection. A
// subscription change makes a new sink, so that events of the old and the
// new subscription (which may live in different hub partitions) never
// mix in one queue.
type sink struct {
	c *conn
	q *hub.Queue // made when first needed, dropped when the writer goes idle; guarded by c.mu
}

// queueLocked returns the sink's queue, making it if need be. The caller
// holds c.mu.
func (s *sink) queueLocked() *hub.Queue {
	if s.q == nil {
		s.q = hub.NewQueue(s.c.h.cfg.QueueLen)
	}
	return s.q
}

// revokedLocked returns why the connection must end, or "". The caller
// holds c.mu.
func (s *sink) revokedLocked() string {
	if s.q == nil {
		return ""
	}
	return s.q.Revoked()
}

// Revoke implements hub.Revocable: the connection's credentials were
// revoked (logout, session ended, key revoked, token expired). The reader
// refuses further posts at once; the writer closes the socket.
func (s *sink) Revoke(reason string) {
	s.c.revoked.Store(true)
	s.c.mu.Lock()
	q := s.queueLocked()
	s.c.mu.Unlock()
	q.Revoke(reason)
	s.c.kick()
}

// Deliver implements hub.Subscriber. It runs on a hub partition goroutine
// and never blocks: while the connection is idle the event's frame goes to
// the socket with one non-blocking write, the way an SSE stream's does,
// without waking the writer; otherwise the event is queued for the writer.
func (s *sink) Deliver(ev *parley.Event) {
	c := s.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sink != s {
		return // a subscription being replaced: the writer catches up from the store
	}
	if c.direct {
		if !ev.Signal() && ev.ID() <= c.cursor {
			return
		}
		ok, partial := c.wire.tryWrite(c.h.frame(ev))
		if ok {
			c.h.cfg.Counters.Delivered(1)
			if !ev.Signal() {
				c.cursor = ev.ID()
			}
			if partial {
				// The socket is full: the writer sends the rest, and the
				// next events, with blocking writes.
				c.direct = false
				c.kickLocked()
			}
			return
		}
		c.direct = false // the writer is busy, or the socket full: queue
	}
	s.queueLocked().Deliver(ev)
	c.kickLocked()
}

// kickLocked starts the writer goroutine unless it is running. The caller
// holds mu and has just given the writer work.
func (c *conn) kickLocked() {
	if !c.writing {
		c.writing = true
		go c.writeLoop(nil)
	}
}

// kick starts the writer goroutine unless it is running.
func (c *conn) kick() {
	c.mu.Lock()
	c.kickLocked()
	c.mu.Unlock()
}

// command is what the reader hands the writer: a control message to write
// as is, or a subscription change.
type command struct {
	frame  []byte
	change *change
}

// change is a validated subscribe or unsubscribe.
type change struct {
	subscribe bool
	ref       json.RawMessage
	listed    []string // the rooms named in the request, for the answer
	rooms     []string // every room of the connection afterwards
	added     []string // rooms not subscribed before
	cursor    int64    // subscribe: replay added rooms after cursor
	hasCursor bool
}

// stop marks the connection as ending and takes it out of presence. A
// second call does nothing more, but, as the first, returns only once
// the presence has been left.
func (c *conn) stop() {
	c.mu.Lock()
	if !c.stopped {
		c.stopped = true
		if c.done != nil {
			close(c.done)
		}
	}
	c.mu.Unlock()
	c.hereMu.Lock()
	if c.here != nil {
		c.here.Leave()
		c.here = nil
	}
	c.hereMu.Unlock()
}

// isStopped reports whether stop was called.
func (c *conn) isStopped() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stopped
}

// doneLocked returns a channel closed once the connection is stopped,
// making it if need be. The caller holds mu.
func (c *conn) doneLocked() chan struct{} {
	if c.done == nil {
		c.done = make(chan struct{})
		if c.stopped {
			close(c.done)
		}
	}
	return c.done
}

// readerDoneChan returns a channel closed once the reader is done for
// good, making it if need be.
func (c *conn) readerDoneChan() chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readerDone == nil {
		c.readerDone = make(chan struct{})
		if c.readerEnded {
			close(c.readerDone)
		}
	}
	return c.readerDone
}

// writeError marks a failed write to the socket.
type writeError struct{ err error }

func (e writeError) Error() string { return "websocket write: " + e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

// writeLoop is the writer goroutine. It runs while the connection has
// something to write: started by kickLocked (or after start, with start's
// error if any), it ends when settle finds nothing left to do and hands
// delivery to the hub, or when the connection ends. An idle connection so
// has no writer goroutine.
func (c *conn) writeLoop(err error) {
	for err == nil {
		var stop, idle bool
		if stop, err = c.work(); stop {
			c.finish()
			return
		}
		if err == nil {
			if idle, err = c.settle(); idle {
				return
			}
		}
	}
	c.fail(err)
	c.finish()
}

// work does what the writer was started for, except draining the queue
// (settle does that): the end of the connection, a revocation, a ping,
// bytes a direct write left, the reader's commands. stop means the
// connection ends.
func (c *conn) work() (stop bool, err error) {
	if c.isStopped() {
		return true, nil
	}
	select {
	case <-c.h.done:
		_ = c.wire.writeFrames(appendClose(nil, closeShutdown, shutdownReason), true)
		return true, nil
	default:
	}
	c.mu.Lock()
	reason, cmds := c.sink.revokedLocked(), c.cmds
	c.mu.Unlock()
	if reason != "" {
		_ = c.wire.writeFrames(appendClose(nil, closeRevoked, reason), true)
		return true, nil
	}
	if c.pingDue.Swap(false) {
		if err := c.append(pingFrame...); err != nil {
			return false, err
		}
	}
	for {
		select {
		case cmd := <-cmds:
			if err := c.do(cmd); err != nil {
				return false, err
			}
			continue
		default:
		}
		break
	}
	return false, c.flushPending()
}

// ping sends the keepalive ping, called by the handler's pinger. It writes
// the frame itself when the socket is free, else leaves it to the writer.
func (c *conn) ping() {
	c.mu.Lock()
	ok, partial := c.wire.tryWrite(pingFrame)
	c.mu.Unlock()
	if ok && !partial {
		return
	}
	if !ok {
		c.pingDue.Store(true)
	}
	c.kick()
}

// start subscribes, then sends ready, the context or the replay: the
// resume algorithm of package stream.
func (c *conn) start(req request) error {
	c.sink = &sink{c: c}
	c.sub = c.h.hub.Subscribe(c.sink, c.rooms)
	var recent []parley.Message
	if req.hasCursor {
		c.cursor = req.cursor
	} else {
		var err error
		if c.cursor, err = c.h.store.LastID(c.h.ctx); err != nil {
			return err
		}
		if recent, err = stream.Recent(c.h.ctx, c.h.store, c.rooms, req.last, c.cursor); err != nil {
			return err
		}
	}
	if err := c.control(readyFrame{Type: "ready", Rooms: c.rooms, Cursor: c.cursor}); err != nil {
		return err
	}
	if len(recent) > 0 {
		var js []byte
		out := getBuf()
		for i := range recent {
			js = recent[i].AppendJSON(js[:0])
			*out = appendFrame(*out, opText, js)
		}
		c.h.cfg.Counters.Delivered(len(recent))
		if err := c.append(*out...); err != nil {
			return err
		}
		putBuf(out)
	}
	// From the newest ID there is nothing to replay: anything committed
	// later is published later, after the subscription, and so queued.
	if req.hasCursor {
		if err := c.catchUp([]group{{c.rooms, c.cursor}}); err != nil {
			return err
		}
	}
	return c.flush()
}

// settle sends the queued events until none are left. Then, if nothing
// else waits for the writer (idleLocked), it hands delivery to the hub
// (direct) and reports idle: the writer goroutine ends. Checking under mu
// is what makes that safe: whoever gives the writer work afterwards finds
// writing unset and starts a new one.
func (c *conn) settle() (idle bool, err error) {
	for {
		c.mu.Lock()
		var overflowed bool
		if c.sink.q != nil {
			c.events, overflowed = c.sink.q.Take(c.events)
		}
		if len(c.events) == 0 && !overflowed {
			if idle = c.idleLocked(); idle {
				c.direct = c.wire.fd >= 0
				c.writing = false
				c.sink.q = nil // empty and not revoked: an idle connection holds none
				if cap(c.events) > 0 {
					c.events = nil // an idle connection holds no storage
				}
			}
			c.mu.Unlock()
			return idle, nil
		}
		c.direct = false
		c.mu.Unlock()
		if err := c.sendQueued(overflowed); err != nil {
			return false, err
		}
		if err := c.flush(); err != nil {
			return false, err
		}
	}
}

// idleLocked reports whether the writer has nothing left to do once the
// queue is empty. The caller holds mu.
func (c *conn) idleLocked() bool {
	if len(c.cmds) > 0 || c.pingDue.Load() || c.sink.revokedLocked() != "" || c.wire.hasPending() || c.stopped {
		return false
	}
	select {
	case <-c.h.done:
		return false
	default:
		return true
	}
}

// sendQueued sends the events taken from the queue.
func (c *conn) sendQueued(overflowed bool) error {
	defer func() {
		clear(c.events)
		c.events = c.events[:0]
		if cap(c.events) > 64 {
			c.events = nil // a burst is over: do not keep its storage
		}
	}()
	if overflowed {
		c.h.cfg.Counters.Overflowed()
		// Fell behind: everything dropped is in the store.
		if err := c.catchUp([]group{{c.rooms, c.cursor}}); err != nil {
			return err
		}
	}
	for _, ev := range c.events {
		if ev.Signal() {
			if err := c.event(ev); err != nil {
				return err
			}
			continue
		}
		if ev.ID() <= c.cursor {
			continue // already sent by a catch-up
		}
		if err := c.event(ev); err != nil {
			return err
		}
		c.cursor = ev.ID()
	}
	return nil
}

// do carries out a command from the reader.
func (c *conn) do(cmd command) error {
	if cmd.change == nil {
		return c.append(cmd.frame...)
	}
	ch := cmd.change
	typ := "unsubscribed"
	if ch.subscribe {
		typ = "subscribed"
	}
	ans := roomsFrame{Type: typ, Ref: ch.ref, Rooms: ch.listed}
	if ch.subscribe && ch.hasCursor {
		ans.Cursor = &ch.cursor
	}
	if slices.Equal(ch.rooms, c.rooms) {
		return c.control(ans)
	}
	// Take delivery back and subscribe anew, as at the start, before
	// reading the store. Events of the old subscription from here on are
	// dropped (its sink is no longer current): the catch-up below reads
	// them from the store instead. So the answer comes before any event of
	// an added room and after every event of a removed one.
	oldSub, oldRooms := c.sub, c.rooms
	next := &sink{c: c}
	c.mu.Lock()
	c.direct = false
	c.sink = next
	c.mu.Unlock()
	c.sub = c.h.hub.Subscribe(next, ch.rooms)
	oldSub.Cancel()
	c.rooms = ch.rooms
	if err := c.control(ans); err != nil {
		return err
	}

	kept := make([]string, 0, len(ch.rooms))
	for _, r := range ch.rooms {
		if slices.Contains(oldRooms, r) {
			kept = append(kept, r)
		}
	}
	groups := []group{{kept, c.cursor}}
	if ch.subscribe && len(ch.added) > 0 {
		from := ch.cursor
		if !ch.hasCursor {
			// Live from now: the newest ID once subscribed.
			var err error
			if from, err = c.h.store.LastID(c.h.ctx); err != nil {
				return err
			}
		}
		groups = append(groups, group{ch.added, from})
	}
	return c.catchUp(groups)
}

// group is rooms whose messages after an ID are owed to the client.
type group struct {
	rooms []string
	after int64
}

// catchUp sends, from the store, every message of each group's rooms after
// the group's ID, all in ID order, and moves the cursor past them. With
// one group it is stream.Replayer.Replay. With several (a subscription
// change: the rooms kept, after the cursor; the rooms added, after the
// client's cursor or "now") it reads one segment per distinct starting ID, each
// segment ending where the next group starts and covering every group
// started so far, so that the client still gets one ascending sequence.
//
// The caller has subscribed to every room first; events that the store
// read here also finds in the queue are skipped by ID when it drains.
func (c *conn) catchUp(groups []group) error {
	slices.SortStableFunc(groups, func(a, b group) int {
		switch {
		case a.after < b.after:
			return -1
		case a.after > b.after:
			return 1
		}
		return 0
	})
	var rooms []string
	var cursor int64
	var js []byte // one message's JSON, reused
	n := 0
	add := func(m *parley.Message) error {
		if c.out == nil {
			c.out = getBuf()
		}
		js = m.AppendJSON(js[:0])
		*c.out = appendFrame(*c.out, opText, js)
		n++
		return nil
	}
	for i, g := range groups {
		rooms = append(rooms, g.rooms...)
		cursor = g.after
		upper := int64(math.MaxInt64)
		if i+1 < len(groups) {
			upper = groups[i+1].after
		}
		if len(rooms) == 0 || cursor >= upper {
			continue
		}
		for more := true; more; {
			// A page is encoded into the batch under a replay slot and
			// written after it, in one write (see stream.Replayer).
			var err error
			if cursor, more, err = c.h.replay.Page(c.h.ctx, rooms, cursor, upper, add); err != nil {
				return err
			}
			c.h.cfg.Counters.Delivered(n)
			n = 0
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
	// The last segment ran to the end of the log.
	c.cursor = cursor
	return nil
}

// event adds an event frame to the batch: the event's encode-once JSON,
// the same bytes as an event stream's data line.
func (c *conn) event(ev *parley.Event) error {
	if c.out == nil {
		c.out = getBuf()
	}
	*c.out = appendFrame(*c.out, opText, ev.JSON())
	c.h.cfg.Counters.Delivered(1)
	if len(*c.out) >= flushAt {
		return c.flush()
	}
	return nil
}

// control adds a control message (a JSON object with a "type") to the
// batch.
func (c *conn) control(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.append(appendFrame(nil, opText, b)...)
}

// append adds complete frames to the batch.
func (c *conn) append(frames ...byte) error {
	if c.out == nil {
		c.out = getBuf()
	}
	*c.out = append(*c.out, frames...)
	if len(*c.out) >= flushAt {
		return c.flush()
	}
	return nil
}

// flush writes the batch in one write.
func (c *conn) flush() error {
	b := c.out
	if b == nil {
		return nil
	}
	c.out = nil
	var err error
	if len(*b) > 0 {
		if err = c.wire.writeFrames(*b, false); err != nil {
			err = writeError{err}
		}
	}
	putBuf(b)
	return err
}

// flushPending writes what a direct write left unwritten.
func (c *conn) flushPending() error {
	if c.out != nil {
		return c.flush() // writes the pending bytes first
	}
	if err := c.wire.writeFrames(nil, false); err != nil {
		return writeError{err}
	}
	return nil
}

// fail ends the connection after an error of the writer's: a failed
// write just ends it; anything else (the store failing) is logged and the
// client told to reconnect.
func (c *conn) fail(err error) {
	var we writeError
	switch {
	case errors.As(err, &we), isClosed(err), c.h.ctx.Err() != nil:
		if errors.Is(err, os.ErrDeadlineExceeded) {
			c.h.cfg.Counters.CutOff() // not reading: cut off by the write deadline
		}
		c.h.log.Debug("websocket connection ended", "err", err)
	default:
		c.h.log.Error("websocket stream failed", "err", err)
		_ = c.wire.writeFrames(appendClose(nil, closeInternal, internalReason), true)
	}
}

// finish releases the connection once the writer is done: it gives a
// closing handshake in progress CloseTimeout to complete, closes the
// socket, and waits for the reader.
func (c *conn) finish() {
	c.stop()
	c.mu.Lock()
	c.direct = false
	c.sink = nil
	c.mu.Unlock()
	if c.sub != nil {
		c.sub.Cancel()
	}
	if c.out != nil {
		putBuf(c.out)
		c.out = nil
	}
	readerDone := c.readerDoneChan()
	if c.wire.sentClose() {
		t := time.NewTimer(c.h.cfg.CloseTimeout)
		select {
		case <-readerDone:
		case <-t.C:
		}
		t.Stop()
	}
	c.closeSocket()
	<-readerDone
	c.h.remove(c)
}

// closeSocket closes the socket, taking it out of the readPoller first
// (so that a reused descriptor number never reaches this connection);
// if the reader was waiting there, no goroutine is left to end it, so
// this ends the reading side.
func (c *conn) closeSocket() {
	if c.h.poller.remove(c) {
		c.readerExit()
	}
	c.wire.Close()
}

// Control messages, server to client.

type readyFrame struct {
	Type   string   `json:"type"`
	Rooms  []string `json:"rooms"`
	Cursor int64    `json:"cursor"`
}

type roomsFrame struct {
	Type   string          `json:"type"`
	Ref    json.RawMessage `json:"ref,omitempty"`
	Rooms  []string        `json:"rooms"`
	Cursor *int64          `json:"cursor,omitempty"`
}

type ackFrame struct {
	Type    string          `json:"type"`
	Ref     json.RawMessage `json:"ref,omitempty"`
	Message parley.Message  `json:"message"`
}

type errorFrame struct {
	Type  string          `json:"type"`
	Ref   json.RawMessage `json:"ref,omitempty"`
	Error errorBody       `json:"error"`
}

type errorBody struct {
	Code       parley.Code `json:"code"`
	Message    string      `json:"message"`
	RetryAfter int         `json:"retry_after,omitempty"` // seconds, as HTTP's Retry-After
}

// guest returns the identity an anonymous connection posts as under name.
func (h *Handler) guest(ctx context.Context, name string) (parley.Identity, error) {
	if h.cfg.Guest != nil {
		return h.cfg.Guest(ctx, name)
	}
	return parley.Identity{Name: name, Kind: parley.Guest}, nil
}
