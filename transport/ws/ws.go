// Package ws serves WebSocket connections: GET /api/ws. One connection
// carries a live stream over one or many rooms and the client's own
// requests (send a message, subscribe, unsubscribe), as JSON text frames;
// docs/API.md describes the protocol.
//
// The flow of a connection:
//
//  1. The handler checks the Origin (403), parses rooms and cursor exactly
//     as the event stream does (400, 404), and answers the handshake
//     itself (handshake.go: 101, no compression, no subprotocol), taking
//     the socket from net/http. Still on the handler's goroutine it
//     subscribes to the hub, sends {"type":"ready"}, then the context
//     (last=N) or what the client missed (after its cursor): the resume
//     algorithm of package stream. Then it hands delivery to the hub and
//     returns, freeing net/http's goroutine and buffers.
//  2. An idle connection has no goroutine. The hub writes each event's
//     frame to the socket with one non-blocking write(2), as for an SSE
//     stream ("direct" mode, see sink.Deliver), and a readPoller (one
//     epoll instance per handler, Linux) waits for every idle client at
//     once.
//  3. When the client sends, the poller starts the connection's reader
//     (inbound: frames parsed, unmasked and joined here; pings answered,
//     pongs noted, the closing handshake). It posts messages through the
//     chat service (same validation and rate limit as HTTP), validates
//     subscription changes and hands answers and changes to the writer,
//     in order, through a small channel; once the socket is drained it
//     arms it again and ends. Elsewhere (TLS, other systems) the reader is
//     a goroutine for the connection's life.
//  4. The writer goroutine runs only while there is something to write:
//     an event the socket would not take at once or that came while
//     another write was in progress, the reader's answers and changes, a
//     ping the pinger could not write, the end. It owns the subscription
//     and, while it runs, the cursor; it drains the connection's bounded
//     hub.Queue (made when first needed), catches up from the store after
//     an overflow and carries out subscription changes; when nothing is
//     left it hands delivery back to the hub and ends.
//
// Events are written as whole frames built once per event from its
// encode-once JSON: a server frame is not masked, so its bytes are the
// same for every client. The writer batches everything pending into one
// write; see wire for how everyone shares the socket.
//
// A client that cannot keep up overflows its queue and catches up from
// the store by its cursor, so it costs neither memory nor the other
// subscribers' time; one that stops reading altogether is cut off by the
// write deadline. One pinger goroutine pings every connection every
// PingInterval; a client that sends nothing, not even a pong, for
// PingInterval+PongTimeout is cut off (by the pinger, at its next round,
// or by the read deadline of a reader goroutine). Close ends
// every connection with close code 1012 (service restart).
package ws

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/stream"
)

// Defaults for Config.
const (
	DefaultMaxMessage   = 16 << 10 // bytes in one client message
	DefaultPingInterval = 30 * time.Second
	DefaultPongTimeout  = 15 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultCloseTimeout = 3 * time.Second
	DefaultQueueLen     = 1024     // events a connection may fall behind
	DefaultSendBuffer   = 64 << 10 // SO_SNDBUF per connection
)

// Config configures a Handler. Zero fields take the defaults.
type Config struct {
	// Limit caps open connections per client address and in all; nil:
	// none.
	Limit *connlimit.Limiter
	// Counters count events delivered, overflows and clients cut off for
	// not reading; nil: not counted.
	Counters *stream.Counters
	// Replayer reads what resuming connections missed, bounding the
	// pages in flight; share one between transports. nil: one over the
	// handler's store with stream.DefaultSlots.
	Replayer *stream.Replayer

	// MaxMessage bounds one client message, in bytes; a larger one closes
	// the connection with 1009 (message too big).
	MaxMessage int
	// PingInterval is how often the server pings. A client that sends
	// nothing, not even a pong, for PingInterval+PongTimeout is cut off.
	PingInterval time.Duration
	PongTimeout  time.Duration
	// WriteTimeout bounds every write; a client that does not read for
	// that long is cut off.
	WriteTimeout time.Duration
	// CloseTimeout is how long a closing handshake may take before the
	// socket is closed anyway.
	CloseTimeout time.Duration
	QueueLen     int // events queued for a slow client before it catches up from the store
	SendBuffer   int // SO_SNDBUF, bounding kernel memory per connection
	// AllowedOrigins lists the browser origins, besides the server's own,
	// whose pages may connect: "https://app.example" (scheme://host[:port])
	// or "*" for any. The server passes the origins that may post
	// cross-origin (CORS-listed and trusted ones), never CORS's "*".
	AllowedOrigins []string
	// Presence, if set, is told of named connections.
	Presence stream.Presence
	// Guest returns the guest identity for a display name given by an
	// anonymous connection's send (nil: names are not checked against
	// registered users).
	Guest func(ctx context.Context, name string) (parley.Identity, error)

	Logger *slog.Logger
}

// Chat is what the handler needs from the chat service.
type Chat interface {
	stream.RoomChecker
	// PostAs checks that id may post to room, then validates,
	// rate-limits (per client) and commits a message.
	PostAs(ctx context.Context, id parley.Identity, client, room, text string) (parley.Message, error)
}

// ErrorWriter writes an HTTP error answer for a refused handshake; the api
// package provides it so that every endpoint answers errors alike.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Handler serves WebSocket connections.
type Handler struct {
	hub     *hub.Hub
	store   parley.Store
	replay  *stream.Replayer
	chat    Chat
	cfg     Config
	log     *slog.Logger
	origins *originPolicy

	// frames holds the frames of recent live events (see frame).
	frames [16]atomic.Pointer[eventFrame]

	// poller starts a connection's reader when its client sends; nil:
	// every connection has a reader goroutine (see readPoller).
	poller *readPoller

	mu     sync.Mutex
	conns  map[*conn]struct{}
	closed bool

	// ctx bounds the connections' posts and store reads; Close cancels
	// it once the connections are gone.
	ctx    context.Context
	cancel context.CancelFunc

	closeOnce sync.Once
	done      chan struct{}  // closed by Close: connections end
	wg        sync.WaitGroup // one per connection, done when both goroutines are
}

// New returns a handler streaming from h, replaying from store and posting
// through chat.
func New(h *hub.Hub, store parley.Store, chat Chat, cfg Config) (*Handler, error) {
	if cfg.MaxMessage <= 0 {
		cfg.MaxMessage = DefaultMaxMessage
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = DefaultPingInterval
	}
	if cfg.PongTimeout <= 0 {
		cfg.PongTimeout = DefaultPongTimeout
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.CloseTimeout <= 0 {
		cfg.CloseTimeout = DefaultCloseTimeout
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.SendBuffer <= 0 {
		cfg.SendBuffer = DefaultSendBuffer
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	origins, err := newOriginPolicy(cfg.AllowedOrigins)
	if err != nil {
		return nil, err
	}
	if cfg.Replayer == nil {
		cfg.Replayer = stream.NewReplayer(store, 0)
	}
	s := &Handler{
		hub:     h,
		store:   store,
		replay:  cfg.Replayer,
		chat:    chat,
		cfg:     cfg,
		log:     cfg.Logger,
		origins: origins,
		conns:   make(map[*conn]struct{}),
		done:    make(chan struct{}),
	}
	if s.poller, err = newReadPoller(); err != nil {
		s.log.Warn("websocket: waiting for clients without a goroutine each is unavailable; every connection keeps a reader goroutine", "err", err)
		s.poller = nil
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	go s.pingLoop()
	return s, nil
}

// pingLoop pings every connection every PingInterval: one goroutine and
// one timer for all of them, and a connection's writer is woken only when
// its socket is busy.
func (h *Handler) pingLoop() {
	t := time.NewTicker(h.cfg.PingInterval)
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-h.done:
			return
		case <-t.C:
			h.mu.Lock()
			for c := range h.conns {
				conns = append(conns, c)
			}
			h.mu.Unlock()
			now := time.Now()
			for _, c := range conns {
				if c.silent(now) {
					// Gone quiet with no reader waiting on a deadline (see
					// readPoller): cut off, as the deadline would.
					h.log.Debug("websocket client silent: cut off")
					c.closeSocket()
					continue
				}
				c.ping()
			}
			clear(conns)
			conns = conns[:0]
		}
	}
}

// request is a parsed connection request.
type request struct {
	rooms     []string
	cursor    int64
	hasCursor bool
	last      int // context messages wanted when there is no cursor
	watch     stream.Watch
}

// parse reads the query: rooms, a cursor (cursor, or lastEventId as for
// event streams) and last=N. The rules are the event stream's.
func (h *Handler) parse(r *http.Request) (request, error) {
	q := r.URL.Query()
	var req request
	var err error
	if req.rooms, err = stream.ParseRooms(r.Context(), h.chat, q.Get("rooms")); err != nil {
		return req, err
	}
	if req.rooms, req.watch, err = stream.AddWatched(req.rooms, q.Get("watch")); err != nil {
		return req, err
	}
	c, alt := q.Get("cursor"), q.Get("lastEventId")
	if c != "" && alt != "" && c != alt {
		return req, parley.Errorf(parley.EInvalid, "cursor=%.24q and lastEventId=%.24q disagree: give one of them", c, alt)
	}
	if c == "" {
		c = alt
	}
	if req.cursor, req.hasCursor, err = parley.ParseCursor(c); err != nil {
		return req, err
	}
	if req.last, err = stream.ParseLast(q.Get("last")); err != nil {
		return req, err
	}
	return req, nil
}

// Serve returns the http.Handler for GET /api/ws, answering refused
// handshakes through writeErr.
func (h *Handler) Serve(writeErr ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-h.done:
			writeErr(w, r, parley.Errorf(parley.EUnavailable, "server is shutting down: reconnect shortly"))
			return
		default:
		}
		if !h.origins.allow(r) {
			writeErr(w, r, parley.Errorf(parley.EForbidden,
				"WebSocket from origin %.80q refused: connect from the server's own pages, or add the origin to the allowed origins", r.Header.Get("Origin")))
			return
		}
		if !headerHasToken(r.Header, "Upgrade", "websocket") {
			writeErr(w, r, parley.Errorf(parley.EInvalid, "GET /api/ws is a WebSocket endpoint: open it with a WebSocket client (Upgrade: websocket)"))
			return
		}
		if err := checkHandshake(r); err != nil {
			if err == errVersion {
				w.Header().Set("Sec-WebSocket-Version", "13")
			}
			writeErr(w, r, err)
			return
		}
		req, err := h.parse(r)
		if err != nil {
			writeErr(w, r, err)
			return
		}
		release, err := h.cfg.Limit.Acquire(r.RemoteAddr)
		if err != nil {
			writeErr(w, r, err)
			return
		}
		if !h.accept(w, r, req, release) {
			release()
		}
	})
}

// accept upgrades the connection and starts it. It reports whether the
// connection took release, which it calls when it ends.
func (h *Handler) accept(w http.ResponseWriter, r *http.Request, req request, release func()) bool {
	req.rooms = detach(req.rooms)
	c := &conn{
		release:  release,
		h:        h,
		key:      clientKey(r),
		id:       identity(r),
		guestKey: authn.GuestKeyFrom(r.Context()),
		writing:  true, // until start is done, this goroutine does the writer's work
		rooms:    req.rooms,
		wanted:   slices.Clip(req.rooms), // shared: each change makes a new slice
		watch:    req.watch,
	}
	c.in.c = c
	if err := h.upgrade(w, r, c); err != nil {
		h.log.Debug("websocket handshake failed", "err", err)
		return false
	}

	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		_ = c.wire.writeFrames(appendClose(nil, closeShutdown, shutdownReason), true)
		c.closeSocket()
		return false
	}
	h.conns[c] = struct{}{}
	h.wg.Add(1)
	h.mu.Unlock()

	if h.poller.add(c, len(c.in.buf) > 0) {
		c.extendRead()
	} else {
		c.blockingReads = true
		c.extendRead()
		go c.readLoop()
	}
	// The replay runs here: this goroutine's stack has grown already
	// (store reads are deep), while the writer's stays small for the
	// connection's lifetime.
	err := c.start(req)
	if err == nil && h.cfg.Presence != nil { // after start fixed the cursor: it gets its own join
		c.enterPresence(req.rooms)
	}
	if err == nil {
		var idle bool
		if idle, err = c.settle(); idle {
			// Delivery is the hub's now: no writer goroutine until
			// there is something to write.
			return true
		}
	}
	go c.writeLoop(err)
	// The handler returns: net/http's connection goroutine and buffers go
	// away, and the request's context ends (nothing here uses it).
	return true
}

// detach copies room names out of the request line they were parsed
// from (substrings of its query), which the connection would otherwise
// keep whole for its lifetime.
func detach(rooms []string) []string {
	out := make([]string, len(rooms))
	for i, r := range rooms {
		out[i] = strings.Clone(r)
	}
	return out
}

// eventFrame is an event's complete WebSocket frame.
type eventFrame struct {
	ev *parley.Event
	b  []byte
}

// frame returns ev's text frame. A server's frames are not masked, so the
// bytes are the same for every connection: each live event's frame is
// built once (or a few times, by racing hub partitions) and written as is
// to every idle connection, the way an SSE stream writes ev.SSE(). A small
// cache indexed by ID suffices: the hub delivers an event to all of a
// partition's subscribers in a row.
func (h *Handler) frame(ev *parley.Event) []byte {
	slot := &h.frames[uint64(ev.ID())%uint64(len(h.frames))]
	if f := slot.Load(); f != nil && f.ev == ev {
		return f.b
	}
	j := ev.JSON()
	f := &eventFrame{ev: ev, b: appendFrame(make([]byte, 0, len(j)+10), opText, j)}
	slot.Store(f)
	return f.b
}

// remove unregisters a finished connection.
func (h *Handler) remove(c *conn) {
	h.mu.Lock()
	delete(h.conns, c)
	h.mu.Unlock()
	if c.release != nil {
		c.release()
	}
	h.wg.Done()
}

// Close ends every connection with close code 1012 (service restart), so
// that clients reconnect and resume, and refuses new ones. It waits for
// the closing handshakes, at most about CloseTimeout, then closes the
// sockets that are left.
func (h *Handler) Close() {
	h.closeOnce.Do(func() {
		h.mu.Lock()
		h.closed = true
		h.mu.Unlock()
		close(h.done)
	})
	// Connections without a writer goroutine need one to say goodbye.
	h.mu.Lock()
	for c := range h.conns {
		c.kick()
	}
	h.mu.Unlock()
	all := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(all)
	}()
	t := time.NewTimer(h.cfg.CloseTimeout + time.Second)
	defer t.Stop()
	select {
	case <-all:
	case <-t.C:
		h.mu.Lock()
		for c := range h.conns {
			c.closeSocket()
		}
		h.mu.Unlock()
		<-all
	}
	h.poller.Close()
	h.cancel()
}

// Conns returns the number of open connections.
func (h *Handler) Conns() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// anonymous is the identity of every anonymous connection, shared.
var anonymous parley.Identity

// identity returns who is behind r, as a pointer that anonymous
// connections share: most connections are anonymous, and an Identity is
// about 150 bytes.
func identity(r *http.Request) *parley.Identity {
	id := authn.From(r.Context())
	if reflect.ValueOf(id).IsZero() {
		return &anonymous
	}
	return &id
}

// clientKey identifies a client for rate limiting, as the HTTP API does:
// its IP address.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// isClosed reports whether err only says that the connection is gone.
func isClosed(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, errCloseSent) ||
		errors.Is(err, context.Canceled)
}
