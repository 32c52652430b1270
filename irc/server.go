package irc

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/connlimit"
)

// Server accepts IRC connections on any number of listeners.
type Server struct {
	cfg Config
	log *slog.Logger

	mu        sync.Mutex
	conns     map[*conn]struct{}
	guests    map[string]*conn // guest nicks in use, folded to lower case
	mostUsers int              // the most registered connections at once (LUSERS)
	whowas    []whowasEntry    // ended connections, oldest first (WHOWAS)
	guestOps  map[string]*conn // rooms created by a guest connection, which manages them
	lns       []net.Listener
	closed    bool

	ctx    context.Context // bounds the connections' calls into Parley
	cancel context.CancelFunc
	done   chan struct{} // closed by Close
	wg     sync.WaitGroup

	cache lineCache
}

// New returns a server; Serve runs it on a listener.
func New(cfg Config) (*Server, error) {
	if cfg.Hub == nil || cfg.Store == nil || cfg.Chat == nil || cfg.Login == nil || cfg.Guest == nil {
		return nil, errors.New("irc: Config needs Hub, Store, Chat, Login and Guest")
	}
	cfg.defaults()
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		conns:    make(map[*conn]struct{}),
		guests:   make(map[string]*conn),
		guestOps: make(map[string]*conn),
		done:     make(chan struct{}),
	}
	elsewhere := cfg.Online
	s.cfg.Online = func(name string) bool { return s.online(name) || (elsewhere != nil && elsewhere(name)) }
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(1)
	go s.pingLoop()
	return s, nil
}

// Serve accepts connections on ln until Close; it returns nil then, or
// the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return nil
	}
	s.lns = append(s.lns, ln)
	s.mu.Unlock()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			select {
			case <-s.done:
				return nil
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || connlimit.OutOfFiles(err) {
				// Out of file descriptors (EMFILE, which is no timeout) or the
				// like: back off and retry, as net/http does; never stop serving.
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("irc: accept failed; retrying", "err", err, "in", delay)
				select {
				case <-time.After(delay):
					continue
				case <-s.done:
					return nil
				}
			}
			return err
		}
		delay = 0
		s.accept(nc)
	}
}

func (s *Server) accept(nc net.Conn) {
	s.mu.Lock()
	if s.closed || len(s.conns) >= s.cfg.MaxConns {
		full := !s.closed
		s.mu.Unlock()
		if full {
			_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
			_, _ = nc.Write([]byte("ERROR :Server is full: try again later\r\n"))
		}
		nc.Close()
		return
	}
	release, err := s.cfg.Limit.Acquire(nc.RemoteAddr().String())
	if err != nil {
		s.mu.Unlock()
		s.log.Info("irc: connection refused", "remote", nc.RemoteAddr().String(), "err", err)
		_ = nc.SetWriteDeadline(time.Now().Add(time.Second))
		_, _ = nc.Write([]byte("ERROR :" + parley.ErrorMessage(err) + "\r\n"))
		nc.Close()
		return
	}
	c := newConn(s, nc)
	c.release = release
	s.conns[c] = struct{}{}
	s.wg.Add(1)
	s.mu.Unlock()
	go c.serve()
}

// remove forgets a finished connection.
func (s *Server) remove(c *conn) {
	if c.release != nil {
		c.release()
	}
	c.markGone()
	s.mu.Lock()
	delete(s.conns, c)
	for room, op := range s.guestOps {
		if op == c {
			delete(s.guestOps, room)
		}
	}
	if key := strings.ToLower(c.nick); s.guests[key] == c {
		delete(s.guests, key)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// reserveGuest claims a guest nick for c, reporting false when another
// guest connection holds it.
func (s *Server) reserveGuest(c *conn, nick string) bool {
	key := strings.ToLower(nick)
	s.mu.Lock()
	defer s.mu.Unlock()
	if other, ok := s.guests[key]; ok && other != c {
		return false
	}
	s.guests[key] = c
	return true
}

// online reports whether a registered connection uses nick.
func (s *Server) online(nick string) bool { return s.connByNick(nick) != nil }

// connByNick returns a registered connection that uses nick, nil if none.
func (s *Server) connByNick(nick string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.isRegistered() && !c.ending.Load() && strings.EqualFold(c.nick, nick) {
			return c
		}
	}
	return nil
}

// registeredConns returns the registered connections.
func (s *Server) registeredConns() []*conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		if c.isRegistered() && !c.ending.Load() {
			out = append(out, c)
		}
	}
	return out
}

// accountExists reports whether name is a registered account.
func (s *Server) accountExists(ctx context.Context, name string) bool {
	if s.cfg.Users == nil {
		return false
	}
	_, _, err := s.cfg.Users.UserByName(ctx, name)
	return err == nil
}

// Conns returns the number of open connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// pingLoop pings every connection that has been silent for PingInterval:
// one goroutine and one ticker for all of them.
func (s *Server) pingLoop() {
	defer s.wg.Done()
	t := time.NewTicker(max(s.cfg.PingInterval/4, 10*time.Millisecond))
	defer t.Stop()
	var conns []*conn
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			s.mu.Lock()
			for c := range s.conns {
				conns = append(conns, c)
			}
			s.mu.Unlock()
			for _, c := range conns {
				c.maybePing(now)
			}
			clear(conns)
			conns = conns[:0]
		}
	}
}

// Close stops the listeners and ends every connection with an ERROR line,
// waiting up to a few seconds for the lines to be written before closing
// the sockets that are left.
func (s *Server) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.wg.Wait()
		return
	}
	s.closed = true
	close(s.done)
	for _, ln := range s.lns {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.quit("Server shutting down: reconnect shortly")
	}
	all := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(all)
	}()
	t := time.NewTimer(closeTimeout)
	defer t.Stop()
	select {
	case <-all:
	case <-t.C:
		s.cancel() // calls into Parley in progress give up
		for _, c := range conns {
			c.kill()
		}
		<-all
	}
	s.cancel()
}
