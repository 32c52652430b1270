// Package server wires Parley's parts into one http.Handler: the store,
// hub, broker, chat service, push transports, REST API and web page. It is
// the only package that knows the concrete types; cmd/parley and the
// end-to-end tests both build a server through it.
package server

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/api"
	"github.com/parley-chat/parley/broker/mem"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/store/sqlite"
	"github.com/parley-chat/parley/transport/sse"
	"github.com/parley-chat/parley/web"
)

// Config is the server's configuration; zero fields take the defaults.
type Config struct {
	DBPath string // SQLite file; default ./parley.db

	MaxTextLen int             // characters per message; default 2000
	FilterMode chat.FilterMode // default mask
	WordList   []string        // default chat.DefaultWords
	RateLimit  float64         // messages/s per client IP; 0 = unlimited
	RateBurst  int

	Heartbeat time.Duration // SSE heartbeat; default 15s
	Retry     time.Duration // SSE retry hint; default 2s

	TrustedOrigins []string // origins allowed to POST cross-origin
	Logger         *slog.Logger
}

// DefaultDBPath is where the embedded store lives by default.
const DefaultDBPath = "parley.db"

// Server is a running Parley node.
type Server struct {
	store  parley.Store
	hub    *hub.Hub
	chat   *chat.Service
	events *sse.Handler
	api    *api.Server
	mux    *http.ServeMux
	log    *slog.Logger
}

// New opens the store (applying migrations) and starts the node.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DBPath == "" {
		cfg.DBPath = DefaultDBPath
	}
	if cfg.FilterMode == "" {
		cfg.FilterMode = chat.FilterMask
	}
	if cfg.WordList == nil {
		cfg.WordList = chat.DefaultWords
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	store, err := sqlite.Open(ctx, cfg.DBPath)
	if err != nil {
		return nil, err
	}
	s := &Server{store: store, hub: hub.New(), log: cfg.Logger}
	s.chat = chat.New(store, mem.New(s.hub), chat.Config{
		MaxTextLen: cfg.MaxTextLen,
		Filter:     chat.NewWordFilter(cfg.FilterMode, cfg.WordList),
		RateLimit:  cfg.RateLimit,
		RateBurst:  cfg.RateBurst,
		Logger:     cfg.Logger,
	})
	s.events = sse.New(s.hub, store, s.chat, sse.Config{
		Heartbeat: cfg.Heartbeat,
		Retry:     cfg.Retry,
		Logger:    cfg.Logger,
	})
	apiErrs := api.Errors{Log: cfg.Logger}
	s.api, err = api.New(api.Config{
		Chat:           s.chat,
		Events:         s.events.Serve(apiErrs.Write),
		Logger:         cfg.Logger,
		TrustedOrigins: cfg.TrustedOrigins,
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.mux = http.NewServeMux()
	s.mux.Handle("/api/", s.api)
	s.mux.HandleFunc("GET /healthz", s.health)
	s.mux.Handle("/", web.Handler())
	return s, nil
}

// Handler returns the node's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// CloseStreams ends every push stream so that clients reconnect; call it
// when an HTTP server's Shutdown begins (http.Server.RegisterOnShutdown).
func (s *Server) CloseStreams() { s.events.Close() }

// Streams returns the number of open raw-mode event streams.
func (s *Server) Streams() int { return s.events.Streams() }

// Close ends streams, finishes the commit in progress, and closes the
// store.
func (s *Server) Close() error {
	s.events.Close()
	s.chat.Close()
	s.hub.Close()
	return s.store.Close()
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.store.LastID(ctx); err != nil {
		s.log.Warn("health check: store unavailable", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "unavailable", "store": err.Error()})
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "subscribers": s.hub.Subscribers()})
}
