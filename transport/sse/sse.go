// Package sse serves Server-Sent Events streams: GET /api/events.
//
// A stream runs in one of two modes:
//
//   - Raw (HTTP/1.1 over plain TCP, on Unix): the handler hijacks the
//     connection, replays what the client missed, hands the connection to
//     the hub and returns. No goroutine stays behind: the hub's partition
//     goroutines write each event's pre-encoded frame with one non-blocking
//     write(2). Only a client whose socket buffer is full gets a goroutine,
//     which drains a bounded backlog; a client that falls further behind is
//     disconnected and resumes from its Last-Event-ID. A sweeper sends
//     heartbeats and notices closed connections. This is what keeps an idle
//     stream at about a kilobyte of server memory and a delivery at about
//     one system call.
//   - Buffered (HTTP/2, TLS, or anything that cannot be hijacked): a classic
//     handler loop over a hub.Queue, with write deadlines and flushes
//     through http.ResponseController.
//
// Both modes follow the resume algorithm of package stream.
package sse

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/stream"
)

// Defaults for Config.
const (
	DefaultRetry        = 2 * time.Second
	DefaultHeartbeat    = 15 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultMaxBacklog   = 256 << 10 // bytes a raw stream may fall behind
	DefaultQueueLen     = 1024      // events a buffered stream may fall behind
	DefaultSendBuffer   = 64 << 10  // raw mode: the socket's send buffer
)

// Rooms is what the handler needs to know about rooms.
type Rooms interface {
	stream.RoomChecker
}

// Config configures a Handler. Zero fields take the defaults.
type Config struct {
	Retry        time.Duration // the retry: hint sent to clients
	Heartbeat    time.Duration // a comment is sent after this much silence
	WriteTimeout time.Duration // a blocked write fails after this
	MaxBacklog   int           // raw mode: bytes queued for a slow client
	QueueLen     int           // buffered mode: events queued for a slow client
	SendBuffer   int           // raw mode: SO_SNDBUF, bounding kernel memory per stream
	NoRaw        bool          // always use buffered mode
	// Limit caps open streams per client address and in all; nil: none.
	Limit    *connlimit.Limiter
	Presence stream.Presence // told of named streams; nil: no presence
	// Counters count events delivered, overflows and slow clients cut
	// off; nil: not counted.
	Counters *stream.Counters
	// Replayer reads what resuming streams missed, bounding the pages
	// in flight; share one between transports. nil: one over the
	// handler's store with stream.DefaultSlots.
	Replayer *stream.Replayer
	Logger   *slog.Logger
}

// Handler serves event streams.
type Handler struct {
	hub    *hub.Hub
	store  parley.Store
	replay *stream.Replayer
	rooms  Rooms
	cfg    Config
	log    *slog.Logger

	retryFrame []byte
	conns      *registry // raw-mode streams

	closeOnce sync.Once
	done      chan struct{} // closed by Close: buffered streams end
}

// New returns a handler streaming from h, replaying from store.
func New(h *hub.Hub, store parley.Store, rooms Rooms, cfg Config) *Handler {
	if cfg.Retry <= 0 {
		cfg.Retry = DefaultRetry
	}
	if cfg.Heartbeat <= 0 {
		cfg.Heartbeat = DefaultHeartbeat
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = DefaultWriteTimeout
	}
	if cfg.MaxBacklog <= 0 {
		cfg.MaxBacklog = DefaultMaxBacklog
	}
	if cfg.SendBuffer <= 0 {
		cfg.SendBuffer = DefaultSendBuffer
	}
	if cfg.QueueLen <= 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Replayer == nil {
		cfg.Replayer = stream.NewReplayer(store, 0)
	}
	s := &Handler{
		hub:        h,
		store:      store,
		replay:     cfg.Replayer,
		rooms:      rooms,
		cfg:        cfg,
		log:        cfg.Logger,
		retryFrame: []byte("retry: " + strconv.FormatInt(cfg.Retry.Milliseconds(), 10) + "\n\n"),
		done:       make(chan struct{}),
	}
	s.conns = newRegistry(s)
	return s
}

// request is a parsed stream request.
type request struct {
	id        parley.Identity // who is streaming (see authn)
	rooms     []string
	cursor    int64
	hasCursor bool
	last      int // context messages wanted when there is no cursor

	// release gives back the stream's place under Config.Limit; whoever
	// ends the stream calls it (a raw stream when it closes).
	release func()
}

func (s *Handler) parse(r *http.Request) (request, error) {
	q := r.URL.Query()
	req := request{id: authn.From(r.Context())}
	var err error
	if req.rooms, err = stream.ParseRooms(r.Context(), s.rooms, q.Get("rooms")); err != nil {
		return req, err
	}
	if req.rooms, _, err = stream.AddWatched(req.rooms, q.Get("watch")); err != nil {
		return req, err
	}
	c := r.Header.Get("Last-Event-ID")
	if c == "" {
		c = q.Get("lastEventId")
	}
	if req.cursor, req.hasCursor, err = parley.ParseCursor(c); err != nil {
		return req, err
	}
	if req.last, err = stream.ParseLast(q.Get("last")); err != nil {
		return req, err
	}
	return req, nil
}

// ErrorWriter writes an error answer; the api package provides it so that
// every endpoint answers errors alike.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Serve returns the http.Handler for GET /api/events, answering bad
// requests through writeErr.
func (s *Handler) Serve(writeErr ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s.done:
			writeErr(w, r, parley.Errorf(parley.EUnavailable, "server is shutting down: reconnect shortly"))
			return
		default:
		}
		req, err := s.parse(r)
		if err != nil {
			writeErr(w, r, err)
			return
		}
		if req.release, err = s.cfg.Limit.Acquire(r.RemoteAddr); err != nil {
			writeErr(w, r, err)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		if !s.cfg.NoRaw && r.ProtoMajor == 1 && s.serveRaw(w, r, req) {
			return // the raw stream releases its place when it closes
		}
		defer req.release()
		s.serveBuffered(w, r, req)
	})
}

// start returns the cursor a new stream's replay begins after, and the
// context messages it gets first when it has no cursor.
func (s *Handler) start(ctx context.Context, req request) (int64, []parley.Message, error) {
	if req.hasCursor {
		return req.cursor, nil, nil
	}
	last, err := s.store.LastID(ctx)
	if err != nil {
		return 0, nil, err
	}
	recent, err := stream.Recent(ctx, s.store, req.rooms, req.last, last)
	return last, recent, err
}

// enter marks the stream's identity present, if it is named.
func (s *Handler) enter(req request) stream.Session {
	if s.cfg.Presence == nil {
		return nil
	}
	return s.cfg.Presence.Enter(req.id, req.rooms)
}

// Close ends every stream, so that clients reconnect (to this server once
// it is back, or to another node). New streams are refused.
func (s *Handler) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.conns.closeAll()
	})
}

// Streams returns the number of open raw-mode streams.
func (s *Handler) Streams() int { return s.conns.len() }

var heartbeatFrame = []byte(": ping\n\n")

// revokedFrame is the last frame of a stream whose credentials were
// revoked (logout, session ended, key revoked, token expired): the client
// should log in again before it reconnects, or it will be refused.
func revokedFrame(reason string) []byte {
	data, _ := json.Marshal(map[string]string{"reason": reason})
	return append(append([]byte("event: revoked\ndata: "), data...), "\n\n"...)
}
