// Package api serves Parley's REST endpoints under /api/ and maps domain
// errors to HTTP answers. Push transports (SSE now; long-poll and
// WebSocket later) are handed in as handlers and mounted here, so that all
// of /api/ shares one error format and one CSRF policy.
package api

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/chat"
)

// Server is the /api/ handler.
type Server struct {
	chat *chat.Service
	errs Errors
	log  *slog.Logger
	mux  *http.ServeMux
	csrf *http.CrossOriginProtection
	root http.Handler // mux behind the CSRF checks

	people *People // nil: no accounts; everyone is a guest
	admin  *Admin  // nil: no /api/admin/ endpoints

	bodyTimeout time.Duration
	auditLog    *audit.Log
}

// Config wires the API.
type Config struct {
	Chat   *chat.Service
	Events http.Handler // GET /api/events
	Poll   http.Handler // /api/poll and /api/poll/ (long-poll, JSONP, sessions)
	Logger *slog.Logger
	// TrustedOrigins may post cross-origin (scheme://host[:port]).
	TrustedOrigins []string

	WebSocket http.Handler // GET /api/ws

	People *People // accounts, sessions, presence, DMs; nil leaves them out

	// BodyTimeout bounds the time a client takes to send a request body;
	// default DefaultBodyTimeout. A body trickled slower is refused with
	// 408 and its connection closed.
	BodyTimeout time.Duration

	// Audit records logins, refusals and administrative actions; nil:
	// none.
	Audit *audit.Log

	// Admin adds the administration endpoints under /api/admin/; nil
	// leaves them out.
	Admin *Admin
}

// DefaultBodyTimeout is how long a client may take to send a body.
const DefaultBodyTimeout = 10 * time.Second

// New returns the API handler.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	s := &Server{chat: cfg.Chat, errs: Errors{Log: cfg.Logger, Audit: cfg.Audit}, log: cfg.Logger, mux: http.NewServeMux(), bodyTimeout: cfg.BodyTimeout, auditLog: cfg.Audit}
	s.csrf = http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := s.csrf.AddTrustedOrigin(o); err != nil {
			return nil, err
		}
	}
	s.csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.errs.Write(w, r, parley.Errorf(parley.EForbidden, "cross-origin request refused: post from the page's own origin, or add it to the allowed origins"))
	}))

	s.mux.HandleFunc("GET /api/rooms", s.listRooms)
	s.mux.HandleFunc("POST /api/rooms", s.createRoom)
	s.mux.HandleFunc("GET /api/rooms/{room}/messages", s.history)
	s.mux.HandleFunc("POST /api/rooms/{room}/messages", s.postMessage)
	s.mux.HandleFunc("POST /api/rooms/{room}/typing", s.typing)
	if cfg.Events != nil {
		s.mux.Handle("GET /api/events", cfg.Events)
	}
	if cfg.WebSocket != nil {
		s.mux.Handle("GET /api/ws", cfg.WebSocket)
	}
	if cfg.Poll != nil {
		s.mux.Handle("/api/poll", cfg.Poll)
		s.mux.Handle("/api/poll/", cfg.Poll)
	}
	if cfg.People != nil {
		s.routePeople(cfg.People)
	}
	s.routeSearch()
	s.routeConversation()
	if cfg.Admin != nil {
		s.routeAdmin(cfg.Admin)
	}
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		s.errs.Write(w, r, parley.Errorf(parley.ENotFound, "no API endpoint %s %s: see docs/API.md", r.Method, r.URL.Path))
	})
	s.root = s.csrf.Handler(requireJSON(s.mux))
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.root.ServeHTTP(w, r)
}

// WriteError answers err in the API's error format.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	s.errs.Write(w, r, err)
}

// Room list pages (GET /api/rooms?limit=N&after=NAME).
const (
	defaultRoomPage = 200
	maxRoomPage     = 1000
)

func (s *Server) listRooms(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := defaultRoomPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRoomPage {
			s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "limit=%.20q is not allowed: use a number from 1 to %d", v, maxRoomPage))
			return
		}
		limit = n
	}
	after := q.Get("after")
	if after != "" && chat.ValidateRoomName(after) != nil && !strings.HasPrefix(after, "@") {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "after=%.40q is not a room name: pass the \"next\" of the previous page", after))
		return
	}
	rooms, err := s.chat.ReadableRooms(r.Context(), authn.From(r.Context()))
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	slices.SortFunc(rooms, func(a, b chat.RoomInfo) int { return strings.Compare(a.Name, b.Name) })
	start, _ := slices.BinarySearchFunc(rooms, after, func(ri chat.RoomInfo, name string) int {
		if c := strings.Compare(ri.Name, name); c != 0 || name == "" {
			return c
		}
		return -1 // equal to after: the page starts past it
	})
	page := rooms[start:]
	next := ""
	if len(page) > limit {
		page = page[:limit]
		next = page[limit-1].Name
	}
	writeJSONStatus(w, http.StatusOK, struct {
		Rooms []chat.RoomInfo `json:"rooms"`
		Next  string          `json:"next,omitempty"`
	}{page, next})
}

func (s *Server) createRoom(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Name       string `json:"name"`
		Visibility string `json:"visibility"`
		As         string `json:"as"` // a guest's display name
	}
	if err := s.decodeJSON(w, r, &body); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	id, err := s.identity(r, body.As)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	room, err := s.chat.CreateRoomAs(r.Context(), id, clientKey(r), body.Name, body.Visibility)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusCreated, room)
}

func (s *Server) postMessage(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Text    *string `json:"text"`
		Name    string  `json:"name"`
		ReplyTo int64   `json:"reply_to"` // 0: not a reply
	}
	raw, err := s.decodeJSONBody(w, r, &body)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if body.Text == nil {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, `request body has no "text" field`))
		return
	}
	if body.ReplyTo < 0 {
		s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "reply_to %d is not a message ID: give the ID of the line you answer, or leave it out", body.ReplyTo))
		return
	}
	id, err := s.identity(r, body.Name)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	idem, err := idempotency(r, id, raw)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	first := func(msgs []parley.Message) any { return msgs[0] }
	if s.replayed(w, r, idem, first) {
		return
	}
	line := chat.Line{Room: r.PathValue("room"), Text: *body.Text, ReplyTo: body.ReplyTo}
	msg, err := s.chat.PostLine(r.Context(), id, clientKey(r), line, idem)
	if idem != nil && parley.ErrorCode(err) == parley.EConflict && s.replayed(w, r, idem, first) {
		return // the same request, sent twice at once: the other one stored it
	}
	if err != nil {
		if r.Context().Err() != nil && err == context.Canceled {
			return // the client went away
		}
		s.errs.Write(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusCreated, msg)
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) {
	s.historyOf(w, r, r.PathValue("room"))
}

// historyOf answers a page of room's history, if the caller may read it.
func (s *Server) historyOf(w http.ResponseWriter, r *http.Request, room string) {
	if err := s.chat.CanRead(r.Context(), authn.From(r.Context()), room); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	q := r.URL.Query()
	var page chat.Page
	var err error
	if page.After, page.HasAfter, err = parley.ParseCursor(q.Get("after")); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if page.Before, _, err = parley.ParseCursor(q.Get("before")); err != nil {
		s.errs.Write(w, r, err)
		return
	}
	page.Limit = 50
	if l := q.Get("limit"); l != "" {
		if page.Limit, err = strconv.Atoi(l); err != nil {
			s.errs.Write(w, r, parley.Errorf(parley.EInvalid, "limit %.24q is not a number", l))
			return
		}
	}
	msgs, err := s.chat.History(r.Context(), room, page)
	if err != nil {
		s.errs.Write(w, r, err)
		return
	}
	if msgs == nil {
		msgs = []parley.Message{}
	}
	writeJSONStatus(w, http.StatusOK, struct {
		Messages []parley.Message `json:"messages"`
	}{msgs})
}

// identity returns who the request acts as: its credentials' identity, or
// for an anonymous caller who gives a display name, a guest of that name.
func (s *Server) identity(r *http.Request, name string) (parley.Identity, error) {
	id := authn.From(r.Context())
	if id.Kind != parley.Anonymous || name == "" {
		return id, nil
	}
	if s.people == nil {
		if err := chat.ValidateName(name); err != nil {
			return id, err
		}
		return parley.Identity{Name: name, Kind: parley.Guest}, nil
	}
	return s.people.Resolver.Guest(r.Context(), id, name, chat.ValidateName)
}

func itoa(n int) string { return strconv.Itoa(n) }

// clientKey identifies a client for rate limiting: its IP address.
func clientKey(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
