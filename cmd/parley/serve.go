package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/parley-chat/parley/api"
	natsbroker "github.com/parley-chat/parley/broker/nats"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/realip"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/transport/poll"
	"github.com/parley-chat/parley/transport/ws"
)

// serveFlags are the flags of "parley serve". Each has an environment
// equivalent, PARLEY_ plus the flag name in upper case with '-' as '_';
// a flag given on the command line wins.
type serveFlags struct {
	addr, db           string
	broker, node       string
	cluster            string
	routing            string
	announceEvery      time.Duration
	presenceLease      time.Duration
	presenceGrace      time.Duration
	presenceRestart    time.Duration
	revalidate         time.Duration
	bodyTimeout        time.Duration
	maxConnsPerClient  int
	maxConns           int
	secureCookies      bool
	roomCreation       string
	roomBurst          int
	editWindow         time.Duration
	maxRoomsPerCreator int
	trustedProxies     string
	maxText            int
	filter, wordList   string
	rateLimit          float64
	rateBurst          int
	heartbeat, retry   time.Duration
	shutdownTimeout    time.Duration
	logLevel           string
	debugAddr          string
	metricsAddr        string
	tlsCert, tlsKey    string
	trustedOrigins     string
	corsOrigins        string
	people             peopleFlags
	pollTimeout        time.Duration
	pollMaxTimeout     time.Duration
	pollLease          time.Duration
	wsMaxMessage       int
	wsPing             time.Duration
	replaySlots        int
	replayRate         int
	retention          time.Duration
	irc                ircFlags
}

func parseServeFlags(args []string, stderr io.Writer) (serveFlags, error) {
	var f serveFlags
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.addr, "addr", "127.0.0.1:8080", "listen address (host:port)")
	fs.StringVar(&f.db, "db", server.DefaultDBPath, "SQLite database file (created if missing), or a postgres:// URL shared by a cluster's nodes (keep a password in PARLEY_DB or PGPASSWORD, not on the command line)")
	fs.StringVar(&f.broker, "broker", "", "nats://host:port joins this node to a cluster; empty: a single node with in-process fan-out")
	fs.StringVar(&f.cluster, "cluster", "parley", "cluster name on the broker: nodes with the same --broker and --cluster share messages")
	fs.StringVar(&f.routing, "routing", server.RoutingInterest, "in a cluster: interest (a node receives only the rooms its clients follow) or all (every node receives every event); the same on every node")
	fs.DurationVar(&f.announceEvery, "announce-every", natsbroker.DefaultAnnounceEvery, "in a cluster routed by interest: the least time between two of this node's announcements of batches that reached more than five rooms (others need none); longer costs the other nodes less and delays their delivery of such batches by up to this")
	fs.IntVar(&f.maxConnsPerClient, "max-conns-per-client", server.DefaultMaxConnsPerClient, "connections one client address may hold open on each transport (event streams, WebSockets, long-polls, IRC); more get 429 (IRC: ERROR); -1: no cap")
	fs.IntVar(&f.maxConns, "max-conns", 0, "connections each transport holds in all before refusing new ones with 503; 0: no cap (keep it under the process's open-file limit)")
	fs.StringVar(&f.roomCreation, "room-creation", chat.CreateRoomsGuests, "who may create rooms: guests (anyone who may post), users (registered users) or admins; admins and API keys always may")
	fs.IntVar(&f.roomBurst, "room-burst", chat.DefaultRoomCreationBurst, "rooms one address or person may create at once; then one a minute")
	fs.DurationVar(&f.editWindow, "edit-window", chat.DefaultEditWindow, "how long after posting its author may edit or delete a message (room owners and admins may delete at any time)")
	fs.IntVar(&f.maxRoomsPerCreator, "max-rooms-per-creator", chat.DefaultMaxRoomsPerCreator, "rooms one account may own; -1: no bound")
	fs.BoolVar(&f.secureCookies, "secure-cookies", false, "always mark the login cookie Secure (behind a TLS proxy that sends no X-Forwarded-Proto); it is Secure anyway over TLS and behind --trusted-proxies that send X-Forwarded-Proto: https")
	fs.DurationVar(&f.bodyTimeout, "body-timeout", api.DefaultBodyTimeout, "how long a client may take to send a request body; slower bodies get 408 and the connection is closed")
	fs.DurationVar(&f.revalidate, "revalidate", server.DefaultRevalidateInterval, "how often open connections' credentials are checked: a session ended, key revoked or token expired elsewhere ends its connections within this")
	fs.DurationVar(&f.presenceGrace, "presence-grace", 3*time.Second, "a leave notice waits this long: someone back in the room by then (a page changing rooms, a reconnect) never left; 0 records leaves at once")
	fs.DurationVar(&f.presenceRestart, "presence-restart", server.DefaultPresenceRestart, "after a restart, people present at the stop have this long to come back before their leave is recorded (a restart is not everyone leaving); -1s: none")
	fs.DurationVar(&f.presenceLease, "presence-lease", server.DefaultPresenceLease, "in a cluster: how soon the people of a node that died lapse on the others")
	fs.StringVar(&f.trustedProxies, "trusted-proxies", "", "comma-separated addresses or CIDR prefixes of load balancers whose X-Forwarded-For names the client (for rate limits)")
	fs.StringVar(&f.node, "node", "", "this node's name in logs, /healthz and NATS (default: host-pid)")
	fs.IntVar(&f.maxText, "max-text", chat.DefaultMaxTextLen, "longest message, in characters")
	fs.StringVar(&f.filter, "filter", string(chat.FilterMask), "word filter: off, mask or reject")
	fs.StringVar(&f.wordList, "word-list", "", "file of filtered words, one per line (default: a small built-in list)")
	fs.Float64Var(&f.rateLimit, "rate-limit", 10, "messages per second per client address; 0 disables")
	fs.IntVar(&f.rateBurst, "rate-burst", 20, "messages a client may send at once before -rate-limit applies")
	fs.DurationVar(&f.heartbeat, "heartbeat", 15*time.Second, "event-stream heartbeat interval")
	fs.DurationVar(&f.retry, "retry", 2*time.Second, "reconnect delay suggested to event-stream clients")
	fs.IntVar(&f.replayRate, "replay-rate", 0, "messages a second that catch-ups (clients resuming from a cursor) read from the store, all together, while live messages flow; it leaves CPUs to live delivery while many catch up at once (with no live messages, catch-ups run at full speed). 0: 50,000 per CPU; -1: no bound")
	fs.IntVar(&f.replaySlots, "replay-slots", 0, "catch-up pages (a store read of 500 messages and its encoding, for event streams and WebSockets resuming from a cursor) in flight at once over all connections; the others wait their turn, so that catch-ups leave cores to live delivery. 0: half the CPUs, at least 1; -1: no bound")
	fs.DurationVar(&f.shutdownTimeout, "shutdown-timeout", 10*time.Second, "how long shutdown waits for requests in flight")
	fs.StringVar(&f.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fs.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate file (PEM); with --tls-key, serve HTTPS and HTTP/2")
	fs.StringVar(&f.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fs.StringVar(&f.metricsAddr, "metrics-addr", "", "if set, serve Prometheus metrics (/metrics) on this address; keep it private (an admin network)")
	fs.StringVar(&f.debugAddr, "debug-addr", "", "if set, serve Go profiling (/debug/pprof/) on this address; keep it private")
	fs.StringVar(&f.trustedOrigins, "trusted-origins", "", "comma-separated origins (https://app.example) allowed to post cross-origin")
	f.people.register(fs)
	f.irc.register(fs)
	fs.StringVar(&f.corsOrigins, "cors-origins", "", "comma-separated origins (https://app.example) whose pages may use the API; they may also post. * allows any origin to read, without credentials")
	fs.DurationVar(&f.retention, "retention-interval", server.DefaultRetentionInterval, "how often rooms' message retention is applied; 0 turns it off")
	fs.DurationVar(&f.pollTimeout, "poll-timeout", poll.DefaultTimeout, "how long a long-poll is held waiting for news")
	fs.DurationVar(&f.pollMaxTimeout, "poll-max-timeout", poll.DefaultMaxTimeout, "the longest hold a long-poll may ask for (timeout=)")
	fs.DurationVar(&f.pollLease, "poll-lease", 0, "how long a long-poll session lives after its last poll; 0 means -poll-timeout plus 15s")
	fs.IntVar(&f.wsMaxMessage, "ws-max-message", ws.DefaultMaxMessage, "largest WebSocket message a client may send, in bytes (larger: close 1009)")
	fs.DurationVar(&f.wsPing, "ws-ping", ws.DefaultPingInterval, "WebSocket keepalive ping interval; a client silent for this plus 15s is disconnected")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: parley serve [flags]\n\nEvery flag can also be set in the environment as PARLEY_<FLAG> (e.g. PARLEY_ADDR, PARLEY_DB).\n\n")
		fs.PrintDefaults()
	}
	if err := applyEnv(fs); err != nil {
		return f, err
	}
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	if fs.NArg() > 0 {
		return f, fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return f, errors.New("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither")
	}
	return f, nil
}

// describeDB shows a database or broker address without its password, for
// logs.
func describeDB(addr string) string {
	if !strings.Contains(addr, "://") {
		return addr
	}
	u, err := url.Parse(addr)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// applyEnv sets each flag from its PARLEY_ variable, before the command
// line is parsed so that flags override the environment.
func applyEnv(fs *flag.FlagSet) error {
	var err error
	fs.VisitAll(func(fl *flag.Flag) {
		name := "PARLEY_" + strings.ToUpper(strings.ReplaceAll(fl.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && err == nil {
			if e := fl.Value.Set(v); e != nil {
				err = fmt.Errorf("environment %s=%q: %v", name, v, e)
			}
		}
	})
	return err
}

func (f serveFlags) config(log *slog.Logger) (server.Config, error) {
	mode, err := chat.ParseFilterMode(f.filter)
	if err != nil {
		return server.Config{}, err
	}
	cfg := server.Config{
		DB:            f.db,
		Broker:        f.broker,
		Node:          f.node,
		Cluster:       f.cluster,
		Routing:       f.routing,
		AnnounceEvery: f.announceEvery,
		MaxTextLen:    f.maxText,
		FilterMode:    mode,
		RateLimit:     f.rateLimit,
		RateBurst:     f.rateBurst,
		Heartbeat:     f.heartbeat,
		Retry:         f.retry,
		Logger:        log,

		PresenceLease:      f.presenceLease,
		PresenceGrace:      f.presenceGrace,
		PresenceRestart:    f.presenceRestart,
		RevalidateInterval: f.revalidate,
		BodyTimeout:        f.bodyTimeout,
		MaxConnsPerClient:  f.maxConnsPerClient,
		ReplaySlots:        f.replaySlots,
		ReplayRate:         f.replayRate,
		MaxConns:           f.maxConns,
		SecureCookies:      f.secureCookies,
		RoomCreation:       f.roomCreation,
		RoomCreationBurst:  f.roomBurst,
		MaxRoomsPerCreator: f.maxRoomsPerCreator,
		RetentionInterval:  f.retention,
		EditWindow:         f.editWindow,
	}
	if f.editWindow <= 0 {
		return server.Config{}, fmt.Errorf("--edit-window %s: give a positive duration, such as 24h or 15m", f.editWindow)
	}
	if cfg.TrustedProxies, err = realip.ParsePrefixes(f.trustedProxies); err != nil {
		return server.Config{}, fmt.Errorf("--trusted-proxies: %w", err)
	}
	if f.retention <= 0 {
		cfg.RetentionInterval = -1 // server.Config: negative is never
	}
	if f.wordList != "" {
		if cfg.WordList, err = chat.LoadWordList(f.wordList); err != nil {
			return server.Config{}, err
		}
	}
	for _, o := range strings.Split(f.trustedOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.TrustedOrigins = append(cfg.TrustedOrigins, o)
		}
	}
	for _, o := range strings.Split(f.corsOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			cfg.CORSOrigins = append(cfg.CORSOrigins, o)
		}
	}
	switch {
	case f.pollTimeout <= 0 || f.pollMaxTimeout <= 0:
		return server.Config{}, fmt.Errorf("-poll-timeout and -poll-max-timeout must be positive")
	case f.pollTimeout > f.pollMaxTimeout:
		return server.Config{}, fmt.Errorf("-poll-timeout %v is longer than -poll-max-timeout %v: raise the maximum or lower the timeout", f.pollTimeout, f.pollMaxTimeout)
	case f.pollLease < 0:
		return server.Config{}, fmt.Errorf("-poll-lease must not be negative (0 means -poll-timeout plus 15s)")
	}
	cfg.PollTimeout, cfg.PollMaxTimeout, cfg.PollLease = f.pollTimeout, f.pollMaxTimeout, f.pollLease
	if f.wsMaxMessage <= 0 || f.wsPing <= 0 {
		return server.Config{}, fmt.Errorf("-ws-max-message and -ws-ping must be positive")
	}
	cfg.WSMaxMessage, cfg.WSPingInterval = f.wsMaxMessage, f.wsPing
	if err := f.people.apply(&cfg); err != nil {
		return server.Config{}, err
	}
	if err := f.irc.apply(&cfg, f.tlsCert, f.tlsKey); err != nil {
		return server.Config{}, err
	}
	return cfg, nil
}

func newLogger(level string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q is unknown: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(f.logLevel, stderr)
	if err != nil {
		return err
	}
	cfg, err := f.config(log)
	if err != nil {
		return err
	}
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		srv.Close()
		return fmt.Errorf("listening on %s: %w (%s)", f.addr, err, listenHint(err, "--addr"))
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	hs.RegisterOnShutdown(srv.CloseStreams)
	scheme := "http"
	if f.tlsCert != "" {
		// With TLS, net/http negotiates HTTP/2 (ALPN "h2"): many event
		// streams share one connection instead of HTTP/1.1's six per host.
		scheme = "https"
		cert, err := tls.LoadX509KeyPair(f.tlsCert, f.tlsKey)
		if err != nil {
			ln.Close()
			srv.Close()
			return fmt.Errorf("loading TLS certificate: %w", err)
		}
		hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	url := scheme + "://" + ln.Addr().String()
	log.Info("parley is serving", "url", url, "db", describeDB(f.db), "broker", describeDB(f.broker), "pid", strconv.Itoa(os.Getpid()))
	fmt.Fprintf(stdout, "Parley is running: open %s/ in a browser (Ctrl-C stops it)\n", url)
	if a := srv.IRCAddr(); a != nil {
		fmt.Fprintf(stdout, "IRC gateway: /connect %s %s\n", ircHost(a), ircPort(a))
	}

	if f.debugAddr != "" {
		go serveDebug(f.debugAddr, log)
	}
	if f.metricsAddr != "" {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", srv.MetricsHandler())
		go func() {
			log.Info("metrics listening", "addr", f.metricsAddr)
			hs := &http.Server{Addr: f.metricsAddr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
			if err := hs.ListenAndServe(); err != nil {
				log.Error("metrics server stopped", "err", err)
			}
		}()
	}
	// Past the open-file limit, new connections get a 503 (plain HTTP) or
	// are closed (TLS) with a log line, instead of waiting in the kernel.
	refusal := connlimit.HTTPRefusal(5)
	if hs.TLSConfig != nil {
		refusal = nil
	}
	ln = connlimit.NewListener(ln, refusal, log)
	if hs.TLSConfig == nil {
		// Held long-polls give their connections back to hs through it.
		ln = srv.Listener(hs, ln)
	}
	errc := make(chan error, 1)
	go func() {
		if hs.TLSConfig != nil {
			errc <- hs.ServeTLS(ln, "", "") // certificates are in TLSConfig
			return
		}
		errc <- hs.Serve(ln)
	}()
	select {
	case err := <-errc:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: ending streams, finishing requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), f.shutdownTimeout)
	defer cancel()
	serr := hs.Shutdown(sctx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("http server", "err", err)
	}
	if cerr := srv.Close(); cerr != nil {
		return fmt.Errorf("closing the store: %w", cerr)
	}
	if serr != nil {
		log.Warn("shutdown timed out; some requests were cut off", "err", serr)
	}
	log.Info("stopped cleanly")
	return nil
}

// serveDebug serves the Go profiler on its own address, never on the
// public one.
func serveDebug(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("debug server (pprof) listening", "addr", addr)
	if err := http.ListenAndServe(addr, mux); err != nil {
		log.Error("debug server stopped", "err", err)
	}
}

// listenHint says what to do about a failed listen on the address given
// by flag: the cause differs (an address in use, a host that does not
// resolve, a privileged port) and so does the remedy.
func listenHint(err error, flag string) string {
	var dns *net.DNSError
	var addrErr *net.AddrError
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return "another program is listening there: stop it or choose another address with " + flag
	case errors.Is(err, syscall.EACCES):
		return "ports below 1024 need privileges: choose a port above 1024 with " + flag + ", behind a proxy"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "this machine has no such address: use one of its own, such as 127.0.0.1, with " + flag
	case errors.As(err, &dns):
		return "the host name does not resolve: give an IP address or a known host name with " + flag
	case errors.As(err, &addrErr):
		return "give the address as host:port, such as 127.0.0.1:8080, with " + flag
	}
	return "check the address given with " + flag
}
