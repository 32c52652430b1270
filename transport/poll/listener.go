package poll

import (
	"net"
	"net/http"
	"sync"
	"time"
)

// Listener is the listener of an http.Server serving this handler, which
// lets held polls give their connections back to that server: a poll
// held raw (see raw.go) takes its connection over from net/http, and
// after the answer the connection comes back through Accept, so that the
// client's next request on it goes through the whole handler chain
// (identity, CORS, real IP) like any other.
//
// Between an answer and the client's next request, the connection is
// parked: it waits in the watcher, with no goroutine, until the client
// sends (then Accept hands it to the server) or closes, or the server's
// IdleTimeout passes (then it is closed, as net/http closes an idle
// keep-alive connection). Handing it over only once the request has
// started keeps net/http's ReadHeaderTimeout for the request itself, not
// for the client's pause between requests.
//
// Close, which http.Server.Shutdown calls, closes the parked connections;
// polls answered after it close theirs with "Connection: close", as
// net/http does during a shutdown.
type Listener struct {
	net.Listener
	h  *Handler
	hs *http.Server
	w  *watcher

	startOnce sync.Once
	accepted  chan accepted // from acceptLoop

	mu     sync.Mutex
	back   []net.Conn // parked connections whose client sent its next request
	parked map[*parked]struct{}
	closed bool
	ready  chan struct{} // capacity 1: back has something
	done   chan struct{} // closed by Close
}

type accepted struct {
	c   net.Conn
	err error
}

// Listener returns ln wrapped so that polls held without a goroutine can
// give their connections back to hs afterwards. hs must serve this
// handler (behind whatever middleware) on the returned listener. Polls
// that reach the handler through a server without such a listener, over
// TLS or HTTP/2, or on a system without epoll, are held by a goroutine
// each instead.
func (h *Handler) Listener(hs *http.Server, ln net.Listener) net.Listener {
	w := newWatcher()
	if w == nil {
		return ln
	}
	l := &Listener{
		Listener: ln,
		h:        h,
		hs:       hs,
		w:        w,
		accepted: make(chan accepted),
		parked:   make(map[*parked]struct{}),
		ready:    make(chan struct{}, 1),
		done:     make(chan struct{}),
	}
	h.listenersMu.Lock()
	h.listeners[hs] = l
	h.listenersMu.Unlock()
	return l
}

// listenerOf returns the Listener that hs serves, or nil.
func (h *Handler) listenerOf(hs *http.Server) *Listener {
	h.listenersMu.Lock()
	defer h.listenersMu.Unlock()
	return h.listeners[hs]
}

// Accept returns the next connection: a new one, or a parked one whose
// client has sent its next request.
func (l *Listener) Accept() (net.Conn, error) {
	l.startOnce.Do(func() { go l.acceptLoop() })
	for {
		l.mu.Lock()
		if len(l.back) > 0 {
			c := l.back[0]
			l.back[0] = nil
			l.back = l.back[1:]
			l.mu.Unlock()
			return c, nil
		}
		l.mu.Unlock()
		select {
		case a := <-l.accepted:
			return a.c, a.err
		case <-l.ready:
		case <-l.done:
			return nil, net.ErrClosed
		}
	}
}

// acceptLoop accepts new connections for Accept, errors included (the
// server decides which are worth retrying), until Close.
func (l *Listener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		select {
		case l.accepted <- accepted{c, err}:
		case <-l.done:
			if c != nil {
				c.Close()
			}
			return
		}
	}
}

// Close closes the listener and the parked connections.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return net.ErrClosed
	}
	l.closed = true
	close(l.done)
	back, parked := l.back, l.parked
	l.back, l.parked = nil, nil
	for p := range parked {
		if p.timer != nil {
			p.timer.Stop()
		}
		l.w.remove(p.fd, p)
	}
	l.mu.Unlock()

	l.h.listenersMu.Lock()
	if l.h.listeners[l.hs] == l {
		delete(l.h.listeners, l.hs)
	}
	l.h.listenersMu.Unlock()
	err := l.Listener.Close()
	for _, c := range back {
		c.Close()
	}
	for p := range parked {
		p.conn.Close()
	}
	l.w.close() // its loop ends once the held polls are answered
	return err
}

// isClosed reports whether Close was called.
func (l *Listener) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}

// idleTimeout is how long hs keeps an idle keep-alive connection.
func (l *Listener) idleTimeout() time.Duration {
	if d := l.hs.IdleTimeout; d != 0 {
		return d
	}
	return l.hs.ReadTimeout
}

// parked is an answered keep-alive connection waiting, without a
// goroutine, for its client's next request.
type parked struct {
	l     *Listener
	conn  net.Conn
	fd    int
	timer *time.Timer // the idle timeout; nil when there is none
}

// park keeps conn, whose answer has been written, until its client sends
// the next request. A connection that cannot be watched (watch false)
// goes back to the server at once, as does one with bytes already read
// from it (leftover, a pipelined request).
func (l *Listener) park(conn net.Conn, fd int, watch bool, leftover []byte) {
	if len(leftover) > 0 {
		l.handBack(&prefixConn{Conn: conn, prefix: leftover})
		return
	}
	if !watch {
		l.handBack(conn)
		return
	}
	p := &parked{l: l, conn: conn, fd: fd}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		conn.Close()
		return
	}
	if !l.w.add(fd, p) {
		l.back = append(l.back, conn)
		l.signal()
		return
	}
	l.parked[p] = struct{}{}
	if d := l.idleTimeout(); d > 0 {
		p.timer = time.AfterFunc(d, p.expire)
	}
}

// handBack gives conn to the server's next Accept.
func (l *Listener) handBack(conn net.Conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		conn.Close()
		return
	}
	l.back = append(l.back, conn)
	l.signal()
}

func (l *Listener) signal() {
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// readable implements watched.
func (p *parked) readable() {
	switch peek(p.conn) {
	case peekNothing:
		p.l.w.rearm(p.fd, p)
	case peekData:
		p.unpark(true)
	case peekGone:
		p.unpark(false)
	}
}

// expire closes a connection idle for the server's IdleTimeout.
func (p *parked) expire() { p.unpark(false) }

// unpark ends the parking: the connection goes back to the server, or is
// closed. Whichever of the client, the timer and Close comes first wins.
func (p *parked) unpark(serve bool) {
	l := p.l
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.parked[p]; !ok {
		return
	}
	delete(l.parked, p)
	if p.timer != nil {
		p.timer.Stop()
	}
	l.w.remove(p.fd, p)
	if !serve {
		p.conn.Close()
		return
	}
	l.back = append(l.back, p.conn)
	l.signal()
}

// prefixConn is a connection with bytes read from it already, which its
// next reads return first.
type prefixConn struct {
	net.Conn
	prefix []byte
}

func (c *prefixConn) Read(b []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(b, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(b)
}
