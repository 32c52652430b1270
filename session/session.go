// Package session keeps track of clients that are not permanently
// connected, such as long-pollers, which come and go between requests.
//
// A session is an opaque, random ID that the server hands out (never one a
// client chooses) and a lease. The flow for a long-poller:
//
//  1. Its first request has no session: Hold creates one.
//  2. Each request holds the session while the server works on it (a held
//     poll can last a minute): a held session never lapses. A newer Hold
//     of the same session supersedes the older one, whose Done channel
//     closes, so that one client holds at most one request open.
//  3. Release, when the answer has been written, renews the lease.
//  4. A client that does not come back within the lease is gone: the
//     registry drops the session and calls Config.OnGone with Expired.
//     End (the client said goodbye) and eviction (the registry was full)
//     report through OnGone too, so presence can treat every way of
//     leaving alike.
//
// Cost: idle sessions sit in one list ordered by deadline (the lease is the
// same for all, so a renewed session simply moves to the back). Hold,
// Release and End are O(1); a sweep visits only the sessions that have
// lapsed, and one timer, armed for the oldest deadline, drives it. The
// registry holds at most Config.Max sessions.
//
// Time comes from an injected Clock, so tests drive expiry with a fake
// clock (see package sessiontest) instead of sleeping.
package session

import (
	"crypto/rand"
	"encoding/base64"
	"sync"
	"time"

	"github.com/parley-chat/parley"
)

// Defaults for Config.
const (
	DefaultLease = 40 * time.Second // a 25 s poll plus 15 s to come back
	DefaultMax   = 100_000
)

// IDLen is the length of a session ID: 128 random bits, base64url without
// padding.
const IDLen = 22

// Reason says why a session ended.
type Reason uint8

const (
	Expired Reason = iota + 1 // the lease lapsed: the client stopped coming back
	Ended                     // End was called: the client said goodbye
	Evicted                   // the registry was full and this was the longest idle session
)

func (r Reason) String() string {
	switch r {
	case Expired:
		return "expired"
	case Ended:
		return "ended"
	case Evicted:
		return "evicted"
	default:
		return "unknown"
	}
}

// Clock is the registry's source of time.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f in its own goroutine (or, for a fake clock, in the
	// goroutine advancing it) once d has passed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not happened yet.
	Stop() bool
}

// SystemClock returns the real clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time                            { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Config configures a Registry. Zero fields take the defaults.
type Config struct {
	// Lease is how long a session lives after its last request ended.
	Lease time.Duration
	// Max bounds the number of sessions.
	Max int
	// Clock defaults to SystemClock.
	Clock Clock
	// OnGone, if set, is called once for every session that ends, except
	// at Close. It is called with no lock held, possibly from several
	// goroutines at once (the sweep, End, or the Hold that evicted), so it
	// must be safe for concurrent use and should return quickly.
	OnGone func(id string, why Reason)
}

// Registry is a set of sessions. It is safe for concurrent use.
type Registry struct {
	lease      time.Duration
	max        int
	resolution time.Duration // expiry may be this late; it batches sweeps
	clock      Clock
	onGone     func(string, Reason)

	mu       sync.Mutex // guards everything below
	sessions map[string]*entry
	idle     list  // sessions with no hold, oldest deadline first
	timer    Timer // pending sweep, armed at or before idle.head's deadline
	closed   bool
}

// entry is one session. Its fields are guarded by Registry.mu.
type entry struct {
	id       string
	deadline time.Time // when idle: the lease runs out then
	holds    int       // requests in progress; idle when 0
	current  *Hold     // the newest hold, nil when none
	ended    bool

	prev, next *entry // idle list links
}

// New returns an empty registry. Close stops its timer.
func New(cfg Config) *Registry {
	if cfg.Lease <= 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Max <= 0 {
		cfg.Max = DefaultMax
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock()
	}
	return &Registry{
		lease:      cfg.Lease,
		max:        cfg.Max,
		resolution: min(cfg.Lease/16, time.Second),
		clock:      cfg.Clock,
		onGone:     cfg.OnGone,
		sessions:   make(map[string]*entry),
	}
}

// Lease returns the lease duration.
func (r *Registry) Lease() time.Duration { return r.lease }

// Hold is one request's use of a session.
type Hold struct {
	r        *Registry
	e        *entry
	done     chan struct{} // closed when superseded or ended; made by Done, guarded by r.mu
	released bool          // guarded by r.mu
	finished bool          // superseded or ended; guarded by r.mu
	after    func()        // run once done closes (AfterDone); guarded by r.mu
}

// ID returns the session's ID.
func (h *Hold) ID() string { return h.e.id }

// Done is closed when a newer Hold of the same session starts, or when the
// session ends: the request should then answer at once.
func (h *Hold) Done() <-chan struct{} {
	h.r.mu.Lock()
	defer h.r.mu.Unlock()
	if h.done == nil {
		// Made when first asked for: a poll held without a goroutine
		// uses AfterDone and never needs one.
		h.done = make(chan struct{})
		if h.finished {
			close(h.done)
		}
	}
	return h.done
}

// AfterDone arranges for f to run in its own goroutine once Done is
// closed, at once if it already is: a request that waits without a
// goroutine of its own (a long-poll held in a registry) learns of it this
// way. A hold has at most one such function; a later call replaces it.
// StopAfterDone cancels it.
func (h *Hold) AfterDone(f func()) {
	r := h.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if h.finished {
		go f()
		return
	}
	h.after = f
}

// StopAfterDone prevents the AfterDone call and reports whether it did
// so (false: it has started, or there was none).
func (h *Hold) StopAfterDone() bool {
	r := h.r
	r.mu.Lock()
	defer r.mu.Unlock()
	stopped := h.after != nil
	h.after = nil
	return stopped
}

// finishLocked closes h's Done channel and starts its AfterDone function.
func (h *Hold) finishLocked() {
	h.finished = true
	if h.done != nil {
		close(h.done)
	}
	if f := h.after; f != nil {
		h.after = nil
		go f()
	}
}

// Hold starts a request of the session id, creating a new session when id
// is empty, unknown or already gone (the caller tells the client the new
// ID). The session does not lapse until every hold is released. A full
// registry evicts its longest idle session; when every session is held, it
// fails with EUnavailable.
func (r *Registry) Hold(id string) (*Hold, error) {
	var evicted string
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, parley.Errorf(parley.EUnavailable, "server is shutting down: retry shortly")
	}
	e := r.sessions[id]
	if e == nil {
		if len(r.sessions) >= r.max {
			old := r.idle.head
			if old == nil {
				r.mu.Unlock()
				return nil, parley.Errorf(parley.EUnavailable, "too many sessions (%d) are active: retry shortly", r.max)
			}
			r.endLocked(old)
			evicted = old.id
		}
		e = &entry{id: newID()}
		r.sessions[e.id] = e
	} else if e.holds == 0 {
		r.idle.remove(e)
	}
	if e.current != nil {
		e.current.finishLocked() // superseded
	}
	h := &Hold{r: r, e: e}
	e.current = h
	e.holds++
	r.mu.Unlock()
	if evicted != "" && r.onGone != nil {
		r.onGone(evicted, Evicted)
	}
	return h, nil
}

// Release ends the hold and, once no hold is left, starts the lease from
// now. It may be called more than once.
func (h *Hold) Release() {
	r, e := h.r, h.e
	r.mu.Lock()
	defer r.mu.Unlock()
	if h.released {
		return
	}
	h.released = true
	if e.current == h {
		e.current = nil
	}
	e.holds--
	if e.holds > 0 || e.ended || r.closed {
		return
	}
	now := r.clock.Now()
	e.deadline = now.Add(r.lease)
	r.idle.pushBack(e)
	r.armLocked(now)
}

// Touch renews the lease of session id and reports whether it exists.
func (r *Registry) Touch(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.sessions[id]
	if e == nil {
		return false
	}
	if e.holds == 0 {
		now := r.clock.Now()
		r.idle.remove(e)
		e.deadline = now.Add(r.lease)
		r.idle.pushBack(e)
		r.armLocked(now)
	}
	return true
}

// End ends session id at once, closing its current hold's Done channel,
// and reports whether it existed. OnGone is called with Ended.
func (r *Registry) End(id string) bool {
	r.mu.Lock()
	e := r.sessions[id]
	if e != nil {
		r.endLocked(e)
	}
	r.mu.Unlock()
	if e != nil && r.onGone != nil {
		r.onGone(id, Ended)
	}
	return e != nil
}

// Len returns the number of live sessions.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.sessions)
}

// Close drops every session without calling OnGone (the node is going
// away; its clients will turn up elsewhere) and stops the timer. Holds
// still open see Done closed; later Holds fail with EUnavailable.
func (r *Registry) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return
	}
	r.closed = true
	if r.timer != nil {
		r.timer.Stop()
		r.timer = nil
	}
	for _, e := range r.sessions {
		r.endLocked(e)
	}
}

// endLocked removes e from the registry.
func (r *Registry) endLocked(e *entry) {
	if e.ended {
		return
	}
	e.ended = true
	delete(r.sessions, e.id)
	if e.holds == 0 {
		r.idle.remove(e)
	}
	if e.current != nil {
		e.current.finishLocked()
		e.current = nil
	}
}

// armLocked makes sure a sweep is pending while idle sessions exist. A
// pending timer is never later than the head's deadline: new deadlines go
// to the back of the list, and a timer that fires early just re-arms.
func (r *Registry) armLocked(now time.Time) {
	if r.timer != nil || r.idle.head == nil || r.closed {
		return
	}
	d := max(r.idle.head.deadline.Sub(now), r.resolution)
	r.timer = r.clock.AfterFunc(d, r.sweep)
}

// sweep drops every session whose lease has run out, then re-arms.
func (r *Registry) sweep() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.timer = nil
	now := r.clock.Now()
	var gone []string
	for e := r.idle.head; e != nil && !e.deadline.After(now); e = r.idle.head {
		r.endLocked(e)
		gone = append(gone, e.id)
	}
	r.armLocked(now)
	r.mu.Unlock()
	if r.onGone != nil {
		for _, id := range gone {
			r.onGone(id, Expired)
		}
	}
}

// newID returns 128 random bits, base64url-encoded without padding.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// ValidID reports whether s has the form of a session ID. It says nothing
// about whether the session exists.
func ValidID(s string) bool {
	if len(s) != IDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
