// Package poll serves long-polling, for clients that can use neither
// WebSocket nor Server-Sent Events (old browsers, strict proxies, script
// tags through JSONP): GET /api/poll?rooms=a,b&cursor=ID&session=SID.
//
// One request is one round:
//
//  1. Without a cursor, the answer comes at once: the newest last=N
//     messages (none by default) and the current last ID as the cursor,
//     so that the client then waits from a well-defined point.
//  2. With a cursor, the handler subscribes to the hub (a hub.Queue), then
//     reads the store after the cursor. Anything there is answered at
//     once, at most MaxBatch messages, with the last one's ID as the new
//     cursor; the client simply polls again. A poll that is caught up (its
//     cursor at the Watermark, the usual case) skips the read, and
//     concurrent identical reads are merged (coalesce.go): after each
//     message every poller of a room polls again at once.
//  3. Otherwise the request is held until an event arrives through the
//     subscription (answered with every event waiting, skipping IDs at or
//     below the cursor), or the timeout passes, or the server shuts down,
//     or a newer poll of the same session starts: those answer with no
//     events and the same cursor.
//
// A held poll on a plain HTTP/1.1 connection accepted through the
// handler's Listener has no goroutine while it waits: it is taken over
// from net/http and answered from the hub, a timer or its session, and
// its connection then goes back to the same http.Server (see raw.go and
// listener.go). Elsewhere (TLS, HTTP/2, no Listener) a handler goroutine
// waits.
//
// Subscribing before the store read is what makes successive polls
// gap-free (DESIGN invariant 3): an event committed after the read is
// published after the subscribe, so the hub delivers it. Each answer is
// {"events": [...], "cursor": N, "session": "SID"}, built from the
// events' encode-once JSON (invariant 4).
//
// Every poll holds a session (package session) while it runs and renews
// its lease when it ends: a poller that stops coming back is reported gone
// once the lease lapses. The first poll gets a new session; a poll naming
// an unknown or lapsed session gets a new one too, and the answer says so.
//
// With callback=name the same body is wrapped as JSONP (see jsonp.go).
package poll

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/session"
	"github.com/parley-chat/parley/stream"
)

// Defaults for Config.
const (
	DefaultTimeout      = 25 * time.Second
	DefaultMaxTimeout   = 60 * time.Second
	DefaultMaxBatch     = 500
	DefaultWriteTimeout = 10 * time.Second
)

// Config configures a Handler. Zero fields take the defaults.
type Config struct {
	// Counters count events answered and overflows; nil: not counted.
	Counters *stream.Counters
	// Limit caps polls in progress per client address and in all; nil:
	// none.
	Limit *connlimit.Limiter

	Timeout      time.Duration // how long a poll is held when it asks for no timeout
	MaxTimeout   time.Duration // the longest timeout a poll may ask for
	MaxBatch     int           // messages in one answer
	WriteTimeout time.Duration // writing an answer fails after this
	// Watermark, if set, must wrap the broker that feeds the hub: polls
	// that are caught up then wait without reading the store.
	Watermark *Watermark
	// Presence, if set, is told of named poll sessions; call
	// Handler.SessionGone when a session ends.
	Presence stream.Presence
	Logger   *slog.Logger
}

// Handler serves long-polls.
type Handler struct {
	hub      *hub.Hub
	store    parley.Store
	rooms    stream.RoomChecker
	sessions *session.Registry
	cfg      Config
	log      *slog.Logger

	presence  *present
	reads     *coalescer // merges identical store reads
	waiting   gauge      // polls held, waiting for an event
	raw       gauge      // polls held raw and not yet answered (or dropped)
	deadlines *deadlines // raw polls' timeouts

	listenersMu sync.Mutex
	listeners   map[*http.Server]*Listener // by the server they feed

	closeOnce sync.Once
	done      chan struct{} // closed by Close: new polls are refused
}

// New returns a handler waiting on h, reading from store, holding
// sessions in sessions, which it owns from then on: Close closes it.
func New(h *hub.Hub, store parley.Store, rooms stream.RoomChecker, sessions *session.Registry, cfg Config) (*Handler, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxTimeout <= 0 {
		cfg.MaxTimeout = max(DefaultMaxTimeout, cfg.Timeout)
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Timeout > cfg.MaxTimeout {
		return nil, fmt.Errorf("poll timeout %v is longer than the maximum poll timeout %v: raise the maximum or lower the timeout", cfg.Timeout, cfg.MaxTimeout)
	}
	return &Handler{
		presence:  &present{p: cfg.Presence, by: make(map[string]owned)},
		hub:       h,
		store:     store,
		rooms:     rooms,
		sessions:  sessions,
		cfg:       cfg,
		log:       cfg.Logger,
		reads:     newCoalescer(readTimeout),
		deadlines: newDeadlines(cfg.Timeout),
		listeners: make(map[*http.Server]*Listener),
		done:      make(chan struct{}),
	}, nil
}

// ErrorWriter writes an error answer; the api package provides it so that
// every endpoint answers errors alike.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Serve returns the handler for /api/poll and /api/poll/:
//
//	GET    /api/poll           a poll (JSON, or JSONP with callback=)
//	DELETE /api/poll/session   end a session at once (session=SID)
//
// Errors are answered through writeErr, or wrapped for a JSONP callback.
func (h *Handler) Serve(writeErr ErrorWriter) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/poll", func(w http.ResponseWriter, r *http.Request) { h.servePoll(w, r, writeErr) })
	mux.HandleFunc("/api/poll", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("callback") {
			writeErr(w, r, parley.Errorf(parley.EInvalid, "JSONP (callback=) works only with GET, not %s", r.Method))
			return
		}
		writeErr(w, r, parley.Errorf(parley.EInvalid, "%s /api/poll is not supported: poll with GET", r.Method))
	})
	mux.HandleFunc("DELETE /api/poll/session", func(w http.ResponseWriter, r *http.Request) { h.endSession(w, r, writeErr) })
	mux.HandleFunc("/api/poll/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Has("callback") && r.Method != http.MethodGet {
			writeErr(w, r, parley.Errorf(parley.EInvalid, "JSONP (callback=) works only with GET, not %s", r.Method))
			return
		}
		writeErr(w, r, parley.Errorf(parley.ENotFound, "no API endpoint %s %s: see docs/API.md", r.Method, r.URL.Path))
	})
	return mux
}

// servePoll answers one poll.
func (h *Handler) servePoll(w http.ResponseWriter, r *http.Request, writeErr ErrorWriter) {
	q := r.URL.Query()
	callback, err := parseCallback(q)
	if err != nil {
		writeErr(w, r, err) // never wrapped: the callback itself is bad
		return
	}
	fail := func(err error) {
		if callback != "" {
			writeJSONPError(w, r, callback, writeErr, err)
			return
		}
		writeErr(w, r, err)
	}
	select {
	case <-h.done:
		fail(parley.Errorf(parley.EUnavailable, "server is shutting down: poll again shortly"))
		return
	default:
	}
	req, err := h.parse(r.Context(), q)
	if err != nil {
		fail(err)
		return
	}
	req.callback = callback
	release, err := h.cfg.Limit.Acquire(r.RemoteAddr)
	if err != nil {
		fail(err)
		return
	}
	hold, err := h.sessions.Hold(req.session)
	if err != nil {
		release()
		fail(err)
		return
	}
	h.presence.poll(hold.ID(), authn.From(r.Context()), req.rooms)

	var events []*parley.Event
	var cursor int64
	if l := h.rawListener(r, req); l != nil {
		var taken bool
		events, cursor, err, taken = h.roundRaw(w, r, l, req, hold, release, writeErr)
		if taken {
			return // the held poll answers, releases and gives the connection back
		}
	} else {
		events, cursor, err = h.round(r.Context(), req, hold)
	}
	defer release()
	if err == nil {
		h.cfg.Counters.Delivered(len(events))
	}
	// The lease runs from the answer: the client has it to come back in.
	// Releasing first means a client that has its answer finds its
	// session already renewed.
	hold.Release()
	switch {
	case err != nil && r.Context().Err() != nil:
		// The client went away; there is nobody to answer.
	case err != nil:
		if parley.ErrorCode(err) == parley.EUnauthorized {
			h.sessions.End(hold.ID()) // revoked: the session leaves its rooms now
		}
		fail(err)
	default:
		h.answer(w, req, hold.ID(), events, cursor)
	}
}

// endSession serves DELETE /api/poll/session?session=SID.
func (h *Handler) endSession(w http.ResponseWriter, r *http.Request, writeErr ErrorWriter) {
	sid := r.URL.Query().Get("session")
	if !session.ValidID(sid) {
		writeErr(w, r, parley.Errorf(parley.EInvalid, "session=%.40q is not a session ID: send the session value of a poll answer", sid))
		return
	}
	h.sessions.End(sid)
	w.WriteHeader(http.StatusNoContent)
}

// Close answers every held poll at once (no events, the same cursor), so
// that an HTTP server's Shutdown is not held up, and refuses new polls. It
// closes the session registry: that ends every hold, which is what
// releases the held polls. It returns once the polls held raw have been
// answered (http.Server.Shutdown does not wait for hijacked connections).
func (h *Handler) Close() {
	h.closeOnce.Do(func() {
		close(h.done)
		h.sessions.Close()
	})
	_ = h.raw.await(context.Background(), func(n int) bool { return n == 0 })
}

// Waiting returns the number of polls held, waiting for an event.
func (h *Handler) Waiting() int { return h.waiting.value() }

// AwaitWaiting blocks until at least n polls are held waiting, or ctx
// ends. Tests use it to post only once a poll is known to wait.
func (h *Handler) AwaitWaiting(ctx context.Context, n int) error {
	return h.waiting.await(ctx, func(v int) bool { return v >= n })
}

// HeldRaw returns the number of polls held without a goroutine (see
// raw.go), answers being written included.
func (h *Handler) HeldRaw() int { return h.raw.value() }

// AwaitNoneHeld blocks until no poll is held, on either path, or ctx
// ends.
func (h *Handler) AwaitNoneHeld(ctx context.Context) error {
	if err := h.waiting.await(ctx, func(v int) bool { return v == 0 }); err != nil {
		return err
	}
	return h.raw.await(ctx, func(v int) bool { return v == 0 })
}
