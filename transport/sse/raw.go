//go:build unix

package sse

import (
	"bytes"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/stream"
)

// rawConn is a hijacked HTTP/1.1 connection carrying one event stream. It
// has no goroutine of its own while it keeps up.
type rawConn struct {
	h    *Handler
	conn net.Conn
	fd   int // conn's descriptor, written directly: see writeNow
	sub  *hub.Subscription
	here stream.Session // presence; nil for anonymous streams
	// release gives back the stream's place under the handler's limit.
	release func()

	mu        sync.Mutex // guards everything below
	live      bool       // replay done: Deliver writes instead of holding
	held      []*parley.Event
	overflow  bool   // held filled up during replay: replay again
	lastID    int64  // highest event ID written or queued
	backlog   []byte // bytes the socket would not take yet
	draining  bool   // a drain goroutine owns the backlog's writing
	closed    bool
	lastWrite time.Time
}

// userTimeout bounds how long sent data may stay unacknowledged before
// the kernel drops a raw stream's connection.
const userTimeout = 45 * time.Second

// maxHeld bounds the events held while a stream replays.
const maxHeld = 1024

// serveRaw takes over the connection. It reports false, having written
// nothing, when the connection cannot be served raw.
func (s *Handler) serveRaw(w http.ResponseWriter, r *http.Request, req request) bool {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return false
	}
	if r.TLS != nil {
		return false
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return false
	}
	tcp, ok := conn.(syscall.Conn)
	if !ok {
		// Not a socket we can write to directly (a test pipe, say): serve
		// it as a plain HTTP/1.1 stream over the hijacked connection.
		s.log.Debug("event stream: hijacked connection has no file descriptor")
		conn.Close()
		req.release()
		return true
	}
	rc, err := tcp.SyscallConn()
	fd := -1
	if err == nil {
		err = rc.Control(func(f uintptr) { fd = int(f) })
	}
	if err != nil || fd < 0 {
		conn.Close()
		req.release()
		return true
	}
	_ = brw // a GET has no body; anything pipelined after it is ignored
	if tc, ok := conn.(*net.TCPConn); ok {
		// A fixed send buffer (instead of the kernel's autotuning up to
		// megabytes) bounds what a stalled client costs in kernel memory;
		// the backlog bound then takes over.
		_ = tc.SetWriteBuffer(s.cfg.SendBuffer)
	}

	setUserTimeout(fd, userTimeout)
	c := &rawConn{h: s, conn: conn, fd: fd, lastWrite: time.Now(), release: req.release}
	c.run(w.Header(), req)
	return true
}

// run writes the response head and the replay, then goes live and
// returns: from then on the stream lives in the hub and the registry, and
// the HTTP server's connection goroutine and buffers go away.
func (c *rawConn) run(header http.Header, req request) {
	s := c.h
	ctx, cancel := contextUntil(s.done, s.cfg.WriteTimeout*6)
	defer cancel()

	c.sub = s.hub.Subscribe(c, req.rooms)
	if !s.conns.add(c) {
		c.close()
		return
	}
	cursor, recent, err := s.start(ctx, req)
	if err != nil {
		s.log.Error("starting event stream", "err", err)
		c.close()
		return
	}
	// Entering after the cursor is fixed: the stream gets its own join.
	if p := s.enter(req); p != nil {
		c.mu.Lock()
		c.here = p
		closed := c.closed
		c.mu.Unlock()
		if closed {
			p.Leave()
		}
	}

	// The head, the context and each page of the replay are written in
	// one write each, from one buffer: a catch-up of many pages costs a
	// system call per page, and encoding appends to the buffer directly.
	out := make([]byte, 0, 4096)
	out = append(out, "HTTP/1.1 200 OK\r\n"...)
	header.Set("Connection", "close")
	header.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	out = appendHeader(out, header)
	out = append(out, "\r\n"...)
	out = append(out, s.retryFrame...)
	w := &deadlineWriter{c.conn, s.cfg.WriteTimeout}
	pages := &pageBuffer{out: out, counters: s.cfg.Counters, write: func(b []byte) error {
		_, err := w.Write(b)
		return err
	}}
	for i := range recent {
		_ = pages.add(&recent[i])
	}
	if pages.flush() != nil {
		c.close()
		return
	}
	// A stream without a cursor starts at the newest ID, read after
	// subscribing: everything committed later is published later and
	// held, so there is nothing to replay (unless the held events
	// overflow) and it does not queue for a replay slot.
	replay := req.hasCursor
	for {
		if replay {
			if cursor, err = s.replay.Replay(ctx, req.rooms, cursor, pages.add, pages.flush); err != nil {
				c.close()
				return
			}
		}
		if c.goLive(cursor) {
			return
		}
		replay = true
	}
}

// appendHeader appends h in wire format.
func appendHeader(b []byte, h http.Header) []byte {
	var buf bytes.Buffer
	_ = h.Write(&buf)
	return append(b, buf.Bytes()...)
}

// goLive writes the events held during replay that the replay did not
// cover and switches to live delivery. It reports false when the held
// events overflowed, so the caller must replay again from cursor.
func (c *rawConn) goLive(cursor int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.overflow {
		c.h.cfg.Counters.Overflowed()
		c.overflow = false
		clear(c.held)
		c.held = c.held[:0]
		return false
	}
	c.lastID = cursor
	c.lastWrite = time.Now()
	for _, ev := range c.held {
		c.deliverLocked(ev)
	}
	c.held = nil
	c.live = true
	return true
}

// Deliver implements hub.Subscriber. It runs on a hub partition goroutine
// and never blocks: the frame goes to the socket with one non-blocking
// write, or onto the bounded backlog.
func (c *rawConn) Deliver(ev *parley.Event) {
	c.mu.Lock()
	switch {
	case c.closed:
	case !c.live:
		if len(c.held) < maxHeld {
			c.held = append(c.held, ev)
		} else {
			c.overflow = true
		}
	default:
		c.deliverLocked(ev)
	}
	c.mu.Unlock()
}

func (c *rawConn) deliverLocked(ev *parley.Event) {
	if ev.Signal() {
		c.writeLocked(ev.SSE()) // no ID: the cursor stays
		return
	}
	if ev.ID() <= c.lastID {
		return // sent by the replay already
	}
	c.lastID = ev.ID()
	c.h.cfg.Counters.Delivered(1)
	c.writeLocked(ev.SSE())
}

// writeLocked writes b without blocking, queueing what the socket does not
// take. A client more than MaxBacklog behind is disconnected; it resumes
// from its Last-Event-ID.
func (c *rawConn) writeLocked(b []byte) {
	if c.closed {
		return
	}
	if len(c.backlog) > 0 {
		if len(c.backlog)+len(b) > c.h.cfg.MaxBacklog {
			c.h.log.Debug("event stream: slow client disconnected", "remote", c.conn.RemoteAddr(), "backlog", len(c.backlog))
			c.h.cfg.Counters.CutOff()
			c.closeLocked()
			return
		}
		c.backlog = append(c.backlog, b...)
		return
	}
	n, err := c.writeNow(b)
	if err != nil {
		c.closeLocked()
		return
	}
	c.lastWrite = time.Now()
	if n < len(b) {
		c.backlog = append(c.backlog, b[n:]...)
		if !c.draining {
			c.draining = true
			go c.drain()
		}
	}
}

// writeNow is one write(2) on the non-blocking socket. A full socket
// buffer is not an error: it writes 0 bytes.
//
// It writes to the descriptor directly instead of through
// syscall.RawConn, which re-arms the poller on every call (measured at
// about a tenth of the cost of a delivery). That is safe because the
// descriptor is closed only by closeLocked, under c.mu, which every caller
// holds, and after which nothing writes: the number cannot have been
// reused by another file.
func (c *rawConn) writeNow(b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n, err := syscall.Write(c.fd, b[written:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return written, nil // drain takes over
		case err != nil:
			return written, err
		}
		written += n
	}
	return written, nil
}

// drain writes the backlog with ordinary blocking writes, in its own
// goroutine, until the client has caught up.
func (c *rawConn) drain() {
	var buf []byte
	for {
		c.mu.Lock()
		if c.closed || len(c.backlog) == 0 {
			c.draining = false
			c.mu.Unlock()
			return
		}
		buf, c.backlog = c.backlog, buf[:0]
		c.mu.Unlock()

		_ = c.conn.SetWriteDeadline(time.Now().Add(c.h.cfg.WriteTimeout))
		if _, err := c.conn.Write(buf); err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				// Not reading for a whole write timeout: as slow a
				// consumer as one past the backlog bound.
				c.h.log.Debug("event stream: slow client disconnected", "remote", c.conn.RemoteAddr(), "timeout", c.h.cfg.WriteTimeout)
				c.h.cfg.Counters.CutOff()
			}
			c.close()
			return
		}
		c.mu.Lock()
		c.lastWrite = time.Now()
		c.mu.Unlock()
	}
}

// heartbeat sends a comment when the stream has been silent, after
// checking that the client has not gone away.
func (c *rawConn) heartbeat(now time.Time, silence time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || !c.live {
		return
	}
	due := now.Sub(c.lastWrite) >= silence
	// A present user's stream is probed on every sweep, so that closing
	// the last tab is a prompt leave; anonymous streams only when due.
	if (due || c.here != nil) && c.peerClosed() {
		c.closeLocked()
		return
	}
	if due {
		c.writeLocked(heartbeatFrame)
	}
}

// peerClosed reads without blocking: EOF (or an error) means the client is
// gone. Clients send nothing on an event stream, so data is discarded.
// Like writeNow it uses the descriptor directly, under c.mu.
func (c *rawConn) peerClosed() bool {
	var b [64]byte
	for {
		n, err := syscall.Read(c.fd, b[:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return false
		case err != nil || n == 0:
			return true
		default:
			return false
		}
	}
}

// Revoke implements hub.Revocable: the stream's credentials were revoked.
// It writes a last "revoked" event without blocking and closes the
// connection. The frame is written only when it cannot interleave with
// another (the replay is over and no backlog is waiting), and only as far
// as the socket takes it at once.
func (c *rawConn) Revoke(reason string) {
	c.mu.Lock()
	if !c.closed && c.live && len(c.backlog) == 0 {
		_, _ = c.writeNow(revokedFrame(reason))
	}
	c.closeLocked()
	c.mu.Unlock()
}

func (c *rawConn) close() {
	c.mu.Lock()
	c.closeLocked()
	c.mu.Unlock()
}

// closeLocked closes the connection and leaves the hub and the registry.
// Neither call blocks nor takes c.mu, so it is safe under c.mu and on a
// hub goroutine.
func (c *rawConn) closeLocked() {
	if c.closed {
		return
	}
	c.closed = true
	c.backlog = nil
	c.held = nil
	_ = c.conn.Close()
	if c.sub != nil {
		c.sub.Cancel()
	}
	if c.here != nil {
		c.here.Leave()
	}
	c.h.conns.remove(c)
	c.release()
}

// deadlineWriter sets a write deadline before every write.
type deadlineWriter struct {
	conn    net.Conn
	timeout time.Duration
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	if err := w.conn.SetWriteDeadline(time.Now().Add(w.timeout)); err != nil {
		return 0, err
	}
	n, err := w.conn.Write(p)
	if err == nil {
		// Later writes are non-blocking raw writes: clear the deadline.
		err = w.conn.SetWriteDeadline(time.Time{})
	}
	return n, err
}
