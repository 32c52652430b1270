// Package server wires Parley's parts into one http.Handler: the store,
// hub, broker, chat service, push transports, REST API and web page. It is
// the only package that knows the concrete types; cmd/parley and the
// end-to-end tests both build a server through it.
package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/access"
	"github.com/parley-chat/parley/api"
	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/broker/mem"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/cors"
	"github.com/parley-chat/parley/hub"
	nodemetrics "github.com/parley-chat/parley/metrics"
	"github.com/parley-chat/parley/presence"
	"github.com/parley-chat/parley/realip"
	"github.com/parley-chat/parley/session"
	"github.com/parley-chat/parley/stream"
	"github.com/parley-chat/parley/transport/poll"
	"github.com/parley-chat/parley/transport/sse"
	"github.com/parley-chat/parley/transport/ws"
	"github.com/parley-chat/parley/web"
	"github.com/parley-chat/parley/webhook"
)

// Config is the server's configuration; zero fields take the defaults.
type Config struct {
	// DB is the store: a SQLite file (default ./parley.db) or a
	// postgres:// URL, which a cluster's nodes share.
	DB string
	// Broker is a nats:// URL joining this node to a cluster; empty: the
	// in-process broker of a single node.
	Broker string
	// Cluster names the cluster on the broker: nodes with the same name
	// share messages (it prefixes their NATS subjects); default "parley".
	Cluster string
	// Routing is how a cluster's events reach its nodes: RoutingInterest
	// (the default; a node receives only the rooms its subscribers
	// follow) or RoutingAll (every node receives every event). Every node
	// of a cluster must use the same.
	Routing string
	// AnnounceEvery is the least time between two of this node's batch
	// announcements when routed by interest; default 5ms (see
	// broker/nats).
	AnnounceEvery time.Duration
	// Node names this node in logs, health and NATS; default host-pid.
	// Names must differ between the nodes of a cluster.
	Node string
	// PresenceGrace delays leave notices: someone back in the room within
	// it (a page changing rooms reopens its stream) never left. 0: none.
	PresenceGrace time.Duration
	// PresenceRestart is how long after a start the people present when
	// the server stopped have to come back without a leave and a join
	// being recorded (a restart is not everyone leaving); default
	// DefaultPresenceRestart, negative: none.
	PresenceRestart time.Duration
	// PresenceLease is how soon the people of a cluster node that died
	// lapse on the others; default DefaultPresenceLease.
	PresenceLease time.Duration

	// RoomCreation says who may create rooms: "guests" (anyone who may
	// post; the default), "users" or "admins"; RoomCreationBurst how many
	// at once per address or creator (then one a minute; default 5);
	// MaxRoomsPerCreator how many an account may own (default 50).
	RoomCreation       string
	RoomCreationBurst  int
	MaxRoomsPerCreator int

	// EditWindow is how long after posting its author may edit or delete
	// a chat line; default chat.DefaultEditWindow.
	EditWindow time.Duration

	MaxTextLen int             // characters per message; default 2000
	FilterMode chat.FilterMode // default mask
	WordList   []string        // default chat.DefaultWords
	RateLimit  float64         // messages/s per client IP; 0 = unlimited
	RateBurst  int

	Heartbeat time.Duration // SSE heartbeat; default 15s
	Retry     time.Duration // SSE retry hint; default 2s

	PollTimeout    time.Duration // long-poll hold; default 25s
	PollMaxTimeout time.Duration // longest hold a poll may ask for; default 60s
	PollLease      time.Duration // poll session lease; default PollTimeout + 15s
	// SessionClock drives session leases; tests inject a fake clock.
	SessionClock session.Clock
	// OnSessionGone is called when a poll session ends (lapsed, ended or
	// evicted); presence hooks in here.
	OnSessionGone func(id string, why session.Reason)

	WSMaxMessage   int           // bytes per WebSocket client message; default 16 KiB
	WSPingInterval time.Duration // WebSocket keepalive ping; default 30s

	// ReplaySlots bounds the catch-up pages (a store read and its
	// encoding, for event streams and WebSockets resuming from a cursor)
	// in flight at once over all connections; the others wait their
	// turn, so that catch-ups leave cores to live delivery (see
	// stream.Replayer). 0: stream.DefaultSlots; negative: no bound.
	ReplaySlots int
	// ReplayRate bounds the messages that every catch-up together reads
	// a second while live messages flow (one was published within the
	// last second), so that a hundred of them leave the CPUs live
	// delivery needs (see stream.Replayer.LimitRate); with no live
	// messages, catch-ups run at full speed. 0: stream.DefaultRate;
	// negative: no bound.
	ReplayRate int

	// CORSOrigins may read the API from browser pages on other origins
	// ("*" for any, without credentials); the listed ones may also POST.
	CORSOrigins []string
	// TrustedProxies are the load balancers whose X-Forwarded-For names
	// the client (for rate limits and login throttling).
	TrustedProxies []netip.Prefix
	TrustedOrigins []string // origins allowed to POST cross-origin
	// SecureCookies marks the login cookie Secure even when no TLS is seen
	// (a proxy terminating TLS that sends no X-Forwarded-Proto). Without
	// it the cookie is Secure over TLS, and behind a trusted proxy that
	// says X-Forwarded-Proto: https.
	SecureCookies bool

	// MaxConnsPerClient caps the connections one client address holds
	// open on each transport (event streams, WebSockets, held polls, IRC);
	// default DefaultMaxConnsPerClient, negative: no cap. MaxConns caps
	// each transport's connections in all; 0: no cap.
	MaxConnsPerClient int
	MaxConns          int

	// BodyTimeout bounds how long a client may take to send a request
	// body; default api.DefaultBodyTimeout.
	BodyTimeout time.Duration

	// RevalidateInterval is how often the credentials of open connections
	// are checked against the store, so that a session ended, a key
	// revoked or a token expired elsewhere (the command line, another
	// node) ends its connections; default DefaultRevalidateInterval.
	RevalidateInterval time.Duration

	// RetentionInterval is how often rooms' retention is applied;
	// default DefaultRetentionInterval, negative: never.
	RetentionInterval time.Duration

	NoGuests     bool           // refuse guests: only registered users read and post
	Registration bool           // anyone may register an account (POST /api/users)
	Tokens       *auth.Verifier // accepts application connection tokens; nil: none
	Webhook      *webhook.Config
	// IRC, if set, starts the IRC gateway (see IRCConfig).
	IRC *IRCConfig

	Logger *slog.Logger
}

// DefaultMaxConnsPerClient is how many connections of each transport one
// client address may hold open: far more than a browser with many tabs
// opens (HTTP/1.1 browsers open at most six per server), and enough for a
// small office behind one NAT address; raise it for larger ones.
const DefaultMaxConnsPerClient = 100

// DefaultPresenceRestart is how long people present at a stop have to
// come back after the restart before their leave is recorded.
const DefaultPresenceRestart = 30 * time.Second

// DefaultDBPath is where the embedded store lives by default.
const DefaultDBPath = "parley.db"

// Server is a running Parley node.
type Server struct {
	store  NodeStore
	node   string
	hub    *hub.Hub
	chat   *chat.Service
	events *sse.Handler
	api    *api.Server
	mux    *http.ServeMux
	// handler is mux behind the client-address fix for trusted proxies.
	handler http.Handler
	log     *slog.Logger

	presence *presenceHub
	hooks    *webhook.Sender // nil: no webhooks

	poll     *poll.Handler
	sessions *session.Registry // long-pollers' sessions
	sockets  *ws.Handler       // WebSocket connections

	retention *retentionLoop // nil: not running
	revoker   *revoker       // nil: not started (New failed)
	audit     *audit.Log
	// conns count each transport's open connections (and cap them).
	conns map[string]*connlimit.Limiter
	// delivery counts each transport's deliveries, for metrics.
	delivery map[string]*stream.Counters
	metrics  *nodemetrics.Node
	rate     *postRate    // messages per second, for the admin console
	irc      *ircGateway  // nil: no IRC gateway
	cluster  *clusterLink // nil: a single node
}

// New opens the store (applying migrations) and starts the node.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DB == "" {
		cfg.DB = DefaultDBPath
	}
	if cfg.Node == "" {
		cfg.Node = defaultNodeName()
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
	var err error
	if cfg.RoomCreation, err = chat.ParseRoomCreation(cfg.RoomCreation); err != nil {
		return nil, err
	}
	store, err := OpenStore(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	var hubOpts []hub.Option
	relay := &interestRelay{}
	if cfg.Broker != "" {
		// The cluster broker is connected after the hub exists, and before
		// anything subscribes.
		hubOpts = append(hubOpts, hub.WithInterest(relay))
	}
	s := &Server{store: store, hub: hub.New(hubOpts...), log: cfg.Logger, node: cfg.Node, audit: audit.New(cfg.Logger)}
	// Every event reaches the hub through the watermark, which starts at
	// the last ID committed before this start: caught-up polls need no
	// store read (see poll.Watermark).
	lastID, err := store.LastID(ctx)
	if err != nil {
		s.hub.Close()
		store.Close()
		return nil, err
	}
	watermark := poll.NewWatermark(mem.New(s.hub), lastID)
	broker, err := s.joinCluster(ctx, cfg, watermark, lastID, relay)
	if err != nil {
		s.hub.Close()
		store.Close()
		return nil, err
	}
	if cfg.Webhook != nil {
		if s.hooks, err = webhook.New(*cfg.Webhook); err != nil {
			s.cluster.close()
			s.hub.Close()
			store.Close()
			return nil, fmt.Errorf("webhook: %w", err)
		}
		go s.hooks.Run(context.WithoutCancel(ctx))
	}
	s.delivery = map[string]*stream.Counters{"sse": {}, "poll": {}, "ws": {}, "irc": {}}
	s.metrics = nodemetrics.New(s.metricsSource())
	s.rate = newPostRate(s.metrics.AcceptedTotal, time.Now())
	checker := &access.Checker{Policy: access.Policy{Guests: !cfg.NoGuests}, Store: store}
	s.chat = chat.New(store, broker, chat.Config{
		Signals:            s.signaller(),
		Observer:           s.metrics,
		Access:             checker,
		Users:              store,
		RoomAccess:         store,
		OnCommit:           s.messageHook,
		MaxTextLen:         cfg.MaxTextLen,
		EditWindow:         cfg.EditWindow,
		RoomCreation:       cfg.RoomCreation,
		RoomCreationBurst:  cfg.RoomCreationBurst,
		MaxRoomsPerCreator: cfg.MaxRoomsPerCreator,
		Filter:             chat.NewWordFilter(cfg.FilterMode, cfg.WordList),
		RateLimit:          cfg.RateLimit,
		RateBurst:          cfg.RateBurst,
		Logger:             cfg.Logger,
	})
	s.presence = &presenceHub{tracker: presence.New(), chat: s.chat, log: cfg.Logger, onChange: s.presenceHook, grace: cfg.PresenceGrace}
	if cfg.PresenceRestart == 0 {
		cfg.PresenceRestart = DefaultPresenceRestart
	}
	if err := s.presence.restore(ctx, store, lastID, cfg.PresenceRestart); err != nil {
		s.Close()
		return nil, fmt.Errorf("reading who was present at the last stop: %w", err)
	}
	if err := s.shareClusterPresence(cfg); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.MaxConnsPerClient == 0 {
		cfg.MaxConnsPerClient = DefaultMaxConnsPerClient
	}
	perClient := max(cfg.MaxConnsPerClient, 0)
	s.conns = map[string]*connlimit.Limiter{
		"sse":  connlimit.New("event streams", perClient, cfg.MaxConns),
		"poll": connlimit.New("long-polls", perClient, cfg.MaxConns),
		"ws":   connlimit.New("WebSockets", perClient, cfg.MaxConns),
		"irc":  connlimit.New("IRC connections", perClient, 0),
	}
	replayer := stream.NewReplayer(store, cfg.ReplaySlots)
	replayRate := cfg.ReplayRate
	if replayRate == 0 {
		replayRate = stream.DefaultRate()
	}
	replayer.LimitRate(replayRate, func() bool { return s.hub.PublishedWithin(time.Second) })
	s.events = sse.New(s.hub, store, s.chat, sse.Config{
		Limit:     s.conns["sse"],
		Counters:  s.delivery["sse"],
		Replayer:  replayer,
		Presence:  s.presence,
		Heartbeat: cfg.Heartbeat,
		Retry:     cfg.Retry,
		Logger:    cfg.Logger,
	})
	if cfg.PollTimeout <= 0 {
		cfg.PollTimeout = poll.DefaultTimeout
	}
	if cfg.PollLease <= 0 {
		cfg.PollLease = cfg.PollTimeout + 15*time.Second
	}
	s.sessions = session.New(session.Config{Lease: cfg.PollLease, Clock: cfg.SessionClock, OnGone: func(id string, why session.Reason) {
		if s.poll != nil {
			s.poll.SessionGone(id) // the poller leaves its rooms
		}
		if cfg.OnSessionGone != nil {
			cfg.OnSessionGone(id, why)
		}
	}})
	s.poll, err = poll.New(s.hub, store, s.chat, s.sessions, poll.Config{
		Limit:      s.conns["poll"],
		Counters:   s.delivery["poll"],
		Timeout:    cfg.PollTimeout,
		MaxTimeout: cfg.PollMaxTimeout,
		Watermark:  watermark,
		Presence:   s.presence,
		Logger:     cfg.Logger,
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	apiErrs := api.Errors{Log: cfg.Logger}
	looks := &lookalikes{store: store, now: time.Now}
	resolver := &authn.Resolver{
		Users: store, Verifier: cfg.Tokens, Guests: !cfg.NoGuests, Lookalike: looks.account,
		GuestNameTaken: s.presence.tracker.GuestNameTaken,
	}
	// One login limiter for every way to log in (web and IRC), so that
	// lockouts count all attempts on an account.
	logins := auth.NewLoginLimiter(auth.LimiterConfig{})
	corsPolicy, err := cors.New(cors.Config{Origins: cfg.CORSOrigins, Deny: apiErrs.Write})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.sockets, err = ws.New(s.hub, store, s.chat, ws.Config{
		Limit:        s.conns["ws"],
		Counters:     s.delivery["ws"],
		Replayer:     replayer,
		MaxMessage:   cfg.WSMaxMessage,
		PingInterval: cfg.WSPingInterval,
		// Only origins that may post: a WebSocket carries the user's
		// cookies and can send, which CORS "*" does not allow.
		AllowedOrigins: append(append([]string(nil), cfg.TrustedOrigins...), corsPolicy.Trusted()...),
		Presence:       s.presence,
		Guest: func(ctx context.Context, name string) (parley.Identity, error) {
			return resolver.Guest(ctx, parley.Identity{}, name, chat.ValidateName)
		},
		Logger: cfg.Logger,
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	s.api, err = api.New(api.Config{
		Chat:   s.chat,
		Events: s.events.Serve(apiErrs.Write),
		Poll:   s.poll.Serve(apiErrs.Write),
		Logger: cfg.Logger,
		// Origins allowed to read cross-origin may also post.
		TrustedOrigins: append(append([]string(nil), cfg.TrustedOrigins...), corsPolicy.Trusted()...),

		WebSocket:   s.sockets.Serve(apiErrs.Write),
		BodyTimeout: cfg.BodyTimeout,
		Audit:       s.audit,
		People: &api.People{
			Users:        store,
			Resolver:     resolver,
			Limiter:      logins,
			Registration: cfg.Registration,
			Members:      s.presence.Members,
			Disconnect:   s.hub.Disconnect,
			SecureCookie: cfg.SecureCookies,
		},
		Admin: &api.Admin{Accounts: store, Figures: s.figures},
	})
	if err != nil {
		s.Close()
		return nil, err
	}
	if err := s.startIRC(cfg.IRC, resolver, logins, s.conns["irc"]); err != nil {
		s.Close()
		return nil, err
	}
	s.retention = startRetention(store, cfg.RetentionInterval, cfg.Logger)
	s.revoker = startRevoker(s.hub, store, cfg.RevalidateInterval, s.audit)
	s.mux = http.NewServeMux()
	s.mux.Handle("/api/", corsPolicy.Handler(resolver.Middleware(s.api, apiErrs.Write)))
	s.mux.HandleFunc("GET /healthz", s.health)
	s.mux.Handle("/", web.Handler())
	s.handler = realip.Handler(cfg.TrustedProxies, s.mux)
	return s, nil
}

// MetricsHandler serves the node's metrics in the Prometheus text format
// (see package metrics). Serve it on a private address (--metrics-addr),
// not the public one.
func (s *Server) MetricsHandler() http.Handler { return s.metrics.Handler() }

// metricsSource is what the node reports when metrics are scraped.
func (s *Server) metricsSource() nodemetrics.Source {
	src := nodemetrics.Source{
		Connections: func() map[string]connlimit.Stats {
			out := make(map[string]connlimit.Stats, len(s.conns))
			for transport, l := range s.conns {
				out[transport] = l.Stats()
			}
			return out
		},
		Delivery: func() map[string]stream.CountersSnapshot {
			out := make(map[string]stream.CountersSnapshot, len(s.delivery))
			for transport, c := range s.delivery {
				out[transport] = c.Snapshot()
			}
			return out
		},
		Subscribers: s.hub.Subscribers,
		PollSessions: func() int {
			if s.sessions == nil {
				return 0
			}
			return s.sessions.Len()
		},
		Audit: s.audit.Counts,
	}
	if s.hooks != nil {
		src.Webhooks = s.hooks.Stats
	}
	if c := s.cluster; c != nil {
		src.Cluster = func() nodemetrics.Cluster {
			filled, failed := c.seq.Filled()
			return nodemetrics.Cluster{
				BrokerConnected: c.broker.Connected(),
				GapFills:        filled,
				GapFillErrors:   failed,
				SequencerLag:    c.seq.Lag(),
				EventsReceived:  c.broker.Received(),
				NATSMessages:    c.broker.Conn().Stats().InMsgs,
				ShardsFollowed:  c.broker.Following(),
			}
		}
	}
	return src
}

// AuditCounts returns how many audit records of each action and outcome
// the node has made (see package audit), for metrics.
func (s *Server) AuditCounts() []audit.Count { return s.audit.Counts() }

// Handler returns the node's HTTP handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Listener wraps ln, on which hs serves Handler, so that held long-polls
// cost no goroutine: a poll held on one of its plain HTTP/1.1 connections
// is taken over from net/http while it waits, and its connection comes
// back to hs through this listener after the answer (see
// poll.Handler.Listener). Without it every held poll keeps net/http's
// goroutines and buffers.
func (s *Server) Listener(hs *http.Server, ln net.Listener) net.Listener {
	return s.poll.Listener(hs, ln)
}

// CloseStreams ends every push stream so that clients reconnect; call it
// when an HTTP server's Shutdown begins (http.Server.RegisterOnShutdown).
func (s *Server) CloseStreams() {
	s.events.Close()
	if s.poll != nil {
		s.poll.Close()
	}
	if s.sockets != nil {
		s.sockets.Close()
	}
	s.closeIRC() // IRC clients get ERROR and reconnect
}

// Streams returns the number of open raw-mode event streams.
func (s *Server) Streams() int { return s.events.Streams() }

// Pollers returns the number of long-polls held, waiting for an event.
func (s *Server) Pollers() int { return s.poll.Waiting() }

// RawPollers returns the number of long-polls held without a goroutine
// (on a connection taken over from net/http; see Listener).
func (s *Server) RawPollers() int { return s.poll.HeldRaw() }

// AwaitNoPollers blocks until no long-poll is held, or ctx ends.
func (s *Server) AwaitNoPollers(ctx context.Context) error { return s.poll.AwaitNoneHeld(ctx) }

// AwaitPollers blocks until at least n long-polls are held waiting, or ctx
// ends; tests post only once a poll is known to wait.
func (s *Server) AwaitPollers(ctx context.Context, n int) error {
	return s.poll.AwaitWaiting(ctx, n)
}

// Close ends streams, finishes the commit in progress, and closes the
// store.
func (s *Server) Close() error {
	s.CloseStreams()
	if s.sessions != nil {
		s.sessions.Close() // if New failed before the poll handler took it
	}
	s.retention.close() // a nil loop does nothing
	s.revoker.close()   // and a nil revoker
	if s.presence != nil {
		s.presence.close() // pending and in-flight notices, before the store closes
	}
	s.chat.Close()
	s.cluster.close() // a nil link does nothing
	s.hooks.Close()   // a nil sender does nothing
	s.hub.Close()
	return s.store.Close()
}

// health answers /healthz: 200 when the node can store and deliver
// messages, 503 with the failing dependency named when it cannot (a load
// balancer takes it out of rotation; open streams stay up and the node
// catches up when the dependency returns).
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	failing := map[string]string{}
	if _, err := s.store.LastID(ctx); err != nil {
		s.log.Warn("health check: store unavailable", "err", err)
		failing["store"] = "unavailable: the database does not answer"
	}
	if status, ok := s.cluster.brokerHealth(); !ok {
		failing["broker"] = "not connected: " + status
	}
	body := map[string]any{"status": "ok"}
	if len(failing) > 0 {
		body = map[string]any{"status": "unavailable", "failing": failing}
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	_ = json.NewEncoder(w).Encode(body)
}
