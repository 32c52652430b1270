package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/irc"
)

// IRCConfig turns on the IRC gateway (package irc, docs/IRC.md).
type IRCConfig struct {
	Addr      string      // plain-text listener, e.g. "127.0.0.1:6667"; "" for none
	TLSAddr   string      // TLS listener, e.g. "127.0.0.1:6697"; "" for none
	TLSConfig *tls.Config // certificates for TLSAddr (the HTTPS ones)

	// Zero fields take the irc package's defaults.
	ServerName   string
	PingInterval time.Duration
	PingTimeout  time.Duration
	SendQ        int
	FloodRate    float64
	FloodBurst   int
	History      int
}

// ircGateway is the running gateway and its listeners.
type ircGateway struct {
	srv  *irc.Server
	addr net.Addr // nil when not listening
	tls  net.Addr
	wg   sync.WaitGroup
}

// startIRC starts the gateway when cfg asks for a listener.
func (s *Server) startIRC(cfg *IRCConfig, resolver *authn.Resolver, logins *auth.LoginLimiter, limit *connlimit.Limiter) error {
	if cfg == nil || (cfg.Addr == "" && cfg.TLSAddr == "") {
		return nil
	}
	if cfg.TLSAddr != "" && cfg.TLSConfig == nil {
		return errors.New("the IRC TLS listener needs a certificate: give --tls-cert and --tls-key")
	}
	login := &ircLogin{users: s.store, limiter: logins, hashing: make(chan struct{}, 2), audit: s.audit}
	srv, err := irc.New(irc.Config{
		ServerName: cfg.ServerName,
		Hub:        s.hub,
		Store:      s.store,
		Chat:       s.chat,
		Users:      s.store,
		Rooms:      s.store,
		Presence:   s.presence,
		Members:    s.presence.Members,
		Online:     s.presence.Online,
		Login:      login.check,
		Guest: func(ctx context.Context, name string) (parley.Identity, error) {
			return resolver.Guest(ctx, parley.Identity{}, name, chat.ValidateName)
		},
		PingInterval: cfg.PingInterval,
		PingTimeout:  cfg.PingTimeout,
		SendQ:        cfg.SendQ,
		FloodRate:    cfg.FloodRate,
		FloodBurst:   cfg.FloodBurst,
		History:      cfg.History,
		Limit:        limit,
		Counters:     s.delivery["irc"],
		Logger:       s.log,
	})
	if err != nil {
		return err
	}
	g := &ircGateway{srv: srv}
	s.irc = g
	listen := func(addr string, tlsConfig *tls.Config) (net.Addr, error) {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return nil, fmt.Errorf("IRC: listening on %s: %w (is another server there? choose another address)", addr, err)
		}
		if tlsConfig != nil {
			ln = tls.NewListener(connlimit.NewListener(ln, nil, s.log), tlsConfig)
		} else {
			ln = connlimit.NewListener(ln, connlimit.IRCRefusal, s.log)
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if err := srv.Serve(ln); err != nil {
				s.log.Error("IRC listener stopped", "addr", ln.Addr().String(), "err", err)
			}
		}()
		s.log.Info("IRC gateway listening", "addr", ln.Addr().String(), "tls", tlsConfig != nil)
		return ln.Addr(), nil
	}
	if cfg.Addr != "" {
		if g.addr, err = listen(cfg.Addr, nil); err != nil {
			return err
		}
	}
	if cfg.TLSAddr != "" {
		tc := cfg.TLSConfig.Clone()
		tc.NextProtos = nil // not HTTP: no ALPN
		if g.tls, err = listen(cfg.TLSAddr, tc); err != nil {
			return err
		}
	}
	return nil
}

// closeIRC ends every IRC connection and stops the listeners.
func (s *Server) closeIRC() {
	if s.irc == nil {
		return
	}
	s.irc.srv.Close()
	s.irc.wg.Wait()
}

// IRCAddr returns the address of the plain-text IRC listener, nil if none.
func (s *Server) IRCAddr() net.Addr {
	if s.irc == nil {
		return nil
	}
	return s.irc.addr
}

// IRCTLSAddr returns the address of the TLS IRC listener, nil if none.
func (s *Server) IRCTLSAddr() net.Addr {
	if s.irc == nil {
		return nil
	}
	return s.irc.tls
}

// IRCConns returns the number of open IRC connections.
func (s *Server) IRCConns() int {
	if s.irc == nil {
		return 0
	}
	return s.irc.srv.Conns()
}

// ircLogin checks account passwords for PASS and SASL PLAIN the way
// POST /api/session does: the same limits per account and per address,
// the same time spent on unknown accounts, at most two hashes at a time.
type ircLogin struct {
	users   parley.UserStore
	limiter *auth.LoginLimiter
	hashing chan struct{}
	audit   *audit.Log
}

func (l *ircLogin) check(ctx context.Context, name, password, client string) (parley.Identity, error) {
	ip, err := netip.ParseAddr(client)
	if err != nil {
		ip = netip.IPv4Unspecified()
	}
	keys := auth.LoginKeys(name, ip)
	record := func(outcome, reason string) {
		l.audit.Record(ctx, audit.Event{Action: "login.irc", Outcome: outcome, Actor: name, Addr: ip.String(), Reason: reason})
	}
	if ok, wait := l.limiter.Allow(keys...); !ok {
		record(audit.Refused, "locked out: too many attempts")
		return parley.Identity{}, parley.Errorf(parley.ERateLimited, "too many login attempts: wait %d seconds", int(wait.Seconds())+1)
	}
	u, hash, err := l.users.UserByName(ctx, name)
	if err != nil && parley.ErrorCode(err) != parley.ENotFound {
		return parley.Identity{}, err
	}
	select {
	case l.hashing <- struct{}{}:
	case <-ctx.Done():
		return parley.Identity{}, parley.Errorf(parley.EUnavailable, "server is busy: try again")
	}
	good := false
	if err != nil { // unknown user: spend the same time as a real check
		auth.DummyCheck(password)
	} else {
		good, err = auth.CheckPassword(hash, password)
	}
	<-l.hashing
	if err != nil && parley.ErrorCode(err) != parley.ENotFound {
		return parley.Identity{}, err
	}
	if !good {
		l.limiter.Fail(keys...)
		record(audit.Failed, "wrong name or password")
		return parley.Identity{}, parley.Errorf(parley.EUnauthorized, "name or password is wrong")
	}
	l.limiter.Succeed(keys...)
	if u.Disabled {
		record(audit.Refused, "account disabled")
		return parley.Identity{}, parley.Errorf(parley.EForbidden, "this account is disabled: ask an administrator")
	}
	record(audit.OK, "")
	// The connection lasts as long as this password does (see revoker).
	return parley.Identity{Name: u.Name, Kind: parley.Registered, Admin: u.Admin, PasswordStamp: parley.StampPassword(hash)}, nil
}
