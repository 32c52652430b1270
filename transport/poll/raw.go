package poll

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/session"
)

// Raw holds: a poll about to wait on a plain HTTP/1.1 connection that a
// Listener accepted is taken over from net/http (hijacked) and kept as a
// heldPoll, with no goroutine: net/http's connection goroutine, its
// background read goroutine and its read and write buffers go away, and
// the poll costs its own state only. Whichever comes first answers it:
//
//   - an event, through the hub subscription (Deliver, on the hub's
//     partition goroutine, starts a goroutine that answers);
//   - the timeout (one runtime timer);
//   - the session's hold ending: a newer poll of the session, the session
//     ended, or Close (Hold.AfterDone);
//   - the client closing the connection, seen by the Listener's watcher:
//     the poll is dropped without an answer.
//
// The answer is built by the same code as on the goroutine path, into a
// rawResponse carrying the headers the middleware set (CORS, cookies),
// and written as net/http would have written it. The connection then goes
// back to the Listener, which gives it to the server when the client's
// next request arrives.
type heldPoll struct {
	l      *Listener
	rooms  []string
	cursor int64

	hold    *session.Hold
	release func() // the connection limit's place
	sub     *hub.Subscription
	timer   *time.Timer // the timeout when not the default; nil otherwise (see deadlines)

	// In the deadlines list (the default timeout), guarded by its mutex.
	prev, next *heldPoll
	deadline   time.Duration

	conn     net.Conn
	header   []string    // the response's header as the middleware left it: name, value, name, value...
	writeErr ErrorWriter // for an error answer (a revoked credential)
	rare     *heldRare   // nil for most polls
	fd       int32
	watched  bool // the socket is in the watcher: the client's closing is noticed
	listed   bool // in the deadlines list; guarded by its mutex

	mu       sync.Mutex // guards everything below
	state    uint8
	overflow bool            // more than MaxBatch came: the answer reads the store
	events   []*parley.Event // to answer; only events after the cursor, and signals
	revoked  *string         // why the credentials were revoked; nil while they are not
}

// heldRare is what few held polls need: kept apart, it costs the others
// nothing. (An idle held poll's size is what issue 12 measures.)
type heldRare struct {
	callback string           // JSONP
	leftover []byte           // read by net/http past the poll: a pipelined request
	who      *parley.Identity // the caller, when not anonymous (for an error answer)
	remote   string           // the client's address, when the middleware changed it (a trusted proxy's client)
}

// heldPoll states.
const (
	heldStarting  = iota // being set up by the handler; events are kept
	heldWaiting          // in the registry, waiting
	heldAnswering        // one goroutine is answering it
	heldGone             // the client went away
)

// rawListener returns the Listener whose server accepted r's connection
// when req can be held raw, nil otherwise: only polls that wait, on a
// plain HTTP/1.1 connection that stays open after the answer.
func (h *Handler) rawListener(r *http.Request, req request) *Listener {
	if !req.hasCursor || req.timeout == 0 || r.Method != http.MethodGet ||
		r.ProtoMajor != 1 || r.ProtoMinor != 1 || r.TLS != nil || r.Close ||
		r.ContentLength != 0 || len(r.TransferEncoding) > 0 {
		return nil
	}
	hs, _ := r.Context().Value(http.ServerContextKey).(*http.Server)
	if hs == nil {
		return nil
	}
	l := h.listenerOf(hs)
	if l == nil || l.isClosed() {
		return nil
	}
	return l
}

// roundRaw is round for a poll that may be held raw. Like round, it
// subscribes, then reads the store unless the poll is caught up; what it
// finds is answered on the usual path (taken false). Otherwise it takes
// the connection over and returns taken: from then on the poll, its hold
// and its place under the limit belong to the heldPoll. If the connection
// cannot be taken over, the poll runs through round instead.
func (h *Handler) roundRaw(w http.ResponseWriter, r *http.Request, l *Listener, req request, hold *session.Hold, release func(), writeErr ErrorWriter) (evs []*parley.Event, cursor int64, err error, taken bool) {
	p := &heldPoll{l: l, rooms: detach(req.rooms), cursor: req.cursor, hold: hold, fd: -1}
	p.sub = h.hub.Subscribe(p, p.rooms)
	if wm := h.cfg.Watermark; wm == nil || req.cursor < wm.Last() {
		evs, next, err := h.after(r.Context(), req.rooms, req.cursor)
		if err != nil || len(evs) > 0 {
			p.sub.Cancel()
			return evs, next, err, false
		}
		p.mu.Lock() // Deliver may be reading it
		p.cursor = next
		p.mu.Unlock()
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Nothing was written: hold it with a goroutine after all. A new
		// subscription and check of the mark keep the round gap-free.
		p.sub.Cancel()
		evs, cursor, err := h.round(r.Context(), req, hold)
		return evs, cursor, err, false
	}
	p.conn, p.release, p.writeErr = conn, release, writeErr
	p.header = flatten(w.Header())
	rare := heldRare{callback: strings.Clone(req.callback)}
	if who := authn.From(r.Context()); who.Name != "" || who.Kind != parley.Anonymous {
		rare.who = &who
	}
	if r.RemoteAddr != conn.RemoteAddr().String() {
		rare.remote = r.RemoteAddr
	}
	if n := brw.Reader.Buffered(); n > 0 {
		rare.leftover = make([]byte, n)
		_, _ = brw.Reader.Read(rare.leftover)
	}
	if rare.callback != "" || rare.who != nil || rare.remote != "" || rare.leftover != nil {
		p.rare = &rare
	}
	if sc, ok := conn.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			if rc.Control(func(fd uintptr) { p.fd = int32(fd) }) != nil {
				p.fd = -1
			}
		}
	}

	h.raw.add(1)
	h.waiting.add(1)
	p.mu.Lock()
	h.deadlines.add(p, req.timeout)
	hold.AfterDone(p.expire)
	// Not watched (no descriptor): a client that leaves is noticed at
	// the timeout.
	p.watched = p.fd >= 0 && l.w.add(int(p.fd), p)
	p.state = heldWaiting
	now := len(p.events) > 0 || p.overflow || p.revoked != nil
	if now {
		p.state = heldAnswering
	}
	p.mu.Unlock()
	if now {
		p.answer()
	}
	return nil, 0, nil, true
}

// Deliver implements hub.Subscriber. It runs on a hub goroutine and never
// blocks: the first event the client has not seen starts the answer in a
// goroutine of its own, which takes every event that arrived by then.
func (p *heldPoll) Deliver(ev *parley.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case !ev.Signal() && ev.ID() <= p.cursor:
		return // the client has it
	case p.state >= heldAnswering || p.overflow || p.revoked != nil:
		return
	case len(p.events) >= p.l.h.cfg.MaxBatch:
		// More than one answer holds: all of it is in the store.
		clear(p.events)
		p.events = p.events[:0]
		p.overflow = true
	default:
		p.events = append(p.events, ev)
	}
	p.startLocked()
}

// Revoke implements hub.Revocable: the poll's credentials were revoked.
func (p *heldPoll) Revoke(reason string) {
	if reason == "" {
		reason = "your credentials were revoked"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state >= heldAnswering {
		return
	}
	p.revoked = &reason
	p.events = nil
	p.startLocked()
}

// startLocked starts the answer of a waiting poll in its own goroutine.
func (p *heldPoll) startLocked() {
	if p.state == heldWaiting {
		p.state = heldAnswering
		go p.answer()
	}
}

// expire answers the poll with no events: its timeout passed, or its
// hold ended. It runs in a goroutine of its own (time.AfterFunc,
// Hold.AfterDone).
func (p *heldPoll) expire() {
	p.mu.Lock()
	if p.state != heldWaiting {
		p.mu.Unlock()
		return
	}
	p.state = heldAnswering
	p.mu.Unlock()
	p.answer()
}

// readable implements watched: the client sent something or went away.
func (p *heldPoll) readable() {
	switch peek(p.conn) {
	case peekNothing:
		p.l.w.rearm(int(p.fd), p)
	case peekData:
		// A pipelined request, answered after this poll: the socket is
		// not watched any more, so the client's leaving now shows at the
		// timeout only (net/http's background read stops there too).
	case peekGone:
		p.gone()
	}
}

// leave takes the poll out of everything that could answer it.
func (p *heldPoll) leave() {
	p.l.h.deadlines.remove(p)
	p.hold.StopAfterDone()
	p.sub.Cancel()
	if p.watched {
		p.l.w.remove(int(p.fd), p)
	}
	p.l.h.waiting.add(-1)
}

// gone drops a poll whose client went away: there is nobody to answer.
func (p *heldPoll) gone() {
	p.mu.Lock()
	if p.state != heldWaiting {
		p.mu.Unlock()
		return
	}
	p.state = heldGone
	p.mu.Unlock()
	p.leave()
	p.hold.Release()
	p.conn.Close()
	p.release()
	p.l.h.raw.add(-1)
}

// answer works out and writes the answer, then parks the connection. It
// runs once per poll, in a goroutine that may block on the write.
func (p *heldPoll) answer() {
	h := p.l.h
	p.leave()
	p.mu.Lock()
	evs, overflow, revoked := p.events, p.overflow, p.revoked
	p.events = nil
	p.mu.Unlock()

	cursor := p.cursor
	var err error
	switch {
	case revoked != nil:
		// Logged out, session ended, key revoked or token expired: the
		// next poll would be refused too.
		err = parley.Errorf(parley.EUnauthorized, "%s: log in again", *revoked)
	case overflow:
		h.cfg.Counters.Overflowed()
		// The store has all of it. (The goroutine path waits on when the
		// store has nothing, which only signals can cause; this answers
		// with no events and the same cursor instead.)
		evs, cursor, err = h.after(context.Background(), p.rooms, cursor)
	}
	if err == nil {
		cursor = lastID(evs, cursor)
		h.cfg.Counters.Delivered(len(evs))
	}
	// As on the goroutine path: the lease runs from the answer.
	p.hold.Release()
	rw := &rawResponse{header: unflatten(p.header)}
	if err != nil {
		if parley.ErrorCode(err) == parley.EUnauthorized {
			h.sessions.End(p.hold.ID())
		}
		p.fail(rw, err)
	} else {
		h.answer(rw, request{callback: p.jsonp()}, p.hold.ID(), evs, cursor)
	}
	p.write(rw)
}

// jsonp returns the poll's JSONP callback, "" for JSON.
func (p *heldPoll) jsonp() string {
	if p.rare == nil {
		return ""
	}
	return p.rare.callback
}

// fail answers err as servePoll's fail does.
func (p *heldPoll) fail(w http.ResponseWriter, err error) {
	r := &http.Request{
		Method: http.MethodGet, URL: &url.URL{Path: "/api/poll"}, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, RemoteAddr: p.conn.RemoteAddr().String(),
	}
	if rare := p.rare; rare != nil {
		if rare.remote != "" {
			r.RemoteAddr = rare.remote
		}
		if rare.who != nil {
			r = r.WithContext(authn.With(context.Background(), *rare.who))
		}
	}
	if cb := p.jsonp(); cb != "" {
		writeJSONPError(w, r, cb, p.writeErr, err)
		return
	}
	p.writeErr(w, r, err)
}

// write writes the answer and gives the connection back to the Listener,
// or closes it when the server is shutting down or the write failed.
func (p *heldPoll) write(rw *rawResponse) {
	h := p.l.h
	closing := p.l.isClosed()
	bp := bufPool.Get().(*[]byte)
	out := rw.appendTo((*bp)[:0], time.Now(), closing)
	_ = p.conn.SetWriteDeadline(time.Now().Add(h.cfg.WriteTimeout))
	_, err := p.conn.Write(out)
	if err == nil {
		err = p.conn.SetWriteDeadline(time.Time{})
	}
	if cap(out) <= maxPooled {
		*bp = out
		bufPool.Put(bp)
	}
	p.release()
	switch {
	case err != nil:
		// The client went away or stopped reading; it resumes from the
		// cursor it has.
		h.log.Debug("poll answer not written", "err", err)
		p.conn.Close()
	case closing:
		p.conn.Close()
	default:
		var leftover []byte
		if p.rare != nil {
			leftover = p.rare.leftover
		}
		p.l.park(p.conn, int(p.fd), p.watched, leftover)
	}
	h.raw.add(-1)
}

// detach copies room names out of the request line they were parsed
// from, which a held poll would otherwise keep whole.
func detach(rooms []string) []string {
	out := make([]string, len(rooms))
	for i, r := range rooms {
		out[i] = strings.Clone(r)
	}
	return out
}

// flatten keeps a header as name, value pairs: a map holding a few
// entries costs a held poll about ten times more. The usual header (the
// CORS middleware's Vary alone) is shared.
func flatten(h http.Header) []string {
	if len(h) == 1 {
		if vs := h["Vary"]; len(vs) == 1 && vs[0] == "Origin" {
			return varyOrigin
		}
	}
	n := 0
	for _, vs := range h {
		n += 2 * len(vs)
	}
	kv := make([]string, 0, n)
	for k, vs := range h {
		for _, v := range vs {
			kv = append(kv, k, v)
		}
	}
	return kv
}

// varyOrigin is flatten's shared answer for the usual header; never
// modified.
var varyOrigin = []string{"Vary", "Origin"}

// unflatten makes a header of flatten's pairs again.
func unflatten(kv []string) http.Header {
	h := make(http.Header, len(kv)/2+4) // and the answer's own headers
	for i := 0; i+1 < len(kv); i += 2 {
		h[kv[i]] = append(h[kv[i]], kv[i+1])
	}
	return h
}
