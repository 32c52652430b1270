package ws

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// Frame opcodes (RFC 6455 section 5.2) that the server writes itself.
const (
	opText  = 0x1
	opClose = 0x8
	opPing  = 0x9
)

// errCloseSent is returned for a write attempted after a close frame went
// out: the protocol allows nothing after it.
var errCloseSent = errors.New("websocket: close frame already sent")

// wire is a connection's socket. Every byte the server sends reaches the
// network through it, as whole frames, one writer at a time (mu):
//
//   - the writer goroutine's batches (events, answers, pings and the close
//     frame it decides on), with blocking writes under a deadline
//     (writeFrames);
//   - the hub's direct writes of an event frame while the writer is idle:
//     one non-blocking write(2), attempted only if mu is free (tryWrite);
//   - the reader's control frames (a pong answering the client's ping,
//     the echo of the client's close frame, a close for an oversized or
//     malformed message), with writeFrames.
//
// A direct write that the socket takes only in part leaves the rest in
// pending, which every later write sends first, so frames never
// interleave. Once a close frame has gone out, by any path, nothing else
// is written.
type wire struct {
	fd int // the socket's descriptor for direct writes; -1: none

	mu        sync.Mutex // held for a whole write; guards what follows
	closeSent bool
	pending   []byte // the unwritten end of a frame a direct write began

	// fdMu (the connection's mu, which a direct write holds anyway) makes
	// closing wait for a direct write in progress, so that the descriptor
	// is never written after close, when its number could be reused.
	fdMu   *sync.Mutex
	closed bool // guarded by fdMu

	net.Conn
	timeout time.Duration
}

// init sets up w, which lives inside its connection.
func (w *wire) init(nc net.Conn, timeout time.Duration, fdMu *sync.Mutex) {
	w.Conn, w.fd, w.timeout, w.fdMu = nc, socketFD(nc), timeout, fdMu
}

// Close closes the socket.
func (w *wire) Close() error {
	w.fdMu.Lock()
	w.closed = true
	w.fdMu.Unlock()
	return w.Conn.Close()
}

// writeFrames writes b, complete frames, after any pending bytes, in one
// blocking write under the write deadline. closing marks b as ending in a
// close frame.
func (w *wire) writeFrames(b []byte, closing bool) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closeSent {
		return errCloseSent
	}
	if closing {
		w.closeSent = true
	}
	return w.writeLocked(b)
}

func (w *wire) writeLocked(b []byte) error {
	if len(w.pending) > 0 {
		b = append(w.pending, b...)
		w.pending = nil
	}
	if len(b) == 0 {
		return nil
	}
	_ = w.Conn.SetWriteDeadline(time.Now().Add(w.timeout))
	_, err := w.Conn.Write(b)
	return err
}

// tryWrite writes the frame b with one non-blocking write if nobody else
// is writing. ok is false when nothing was written: another write is in
// progress, bytes are pending, the socket cannot be written directly, or
// the write failed (the writer goroutine will find out). When the socket
// takes only part of b (its buffer is full), the rest is kept as pending
// and partial is true: the writer goroutine must write it. The caller
// holds fdMu.
func (w *wire) tryWrite(b []byte) (ok, partial bool) {
	if w.fd < 0 || !w.mu.TryLock() {
		return false, false
	}
	defer w.mu.Unlock()
	if w.closeSent || len(w.pending) > 0 {
		return false, false
	}
	if w.closed {
		return false, false
	}
	n, err := writeNow(w.fd, b)
	switch {
	case n == len(b):
		return true, false
	case err != nil && n == 0:
		return false, false
	case err != nil:
		// Part of a frame went out and the socket failed: the stream is
		// broken; let the writer's next write end it.
		w.pending = append(w.pending[:0], b[n:]...)
		return true, true
	case n == 0:
		return false, false // the socket is full: queue the event instead
	default:
		w.pending = append(w.pending[:0], b[n:]...)
		return true, true
	}
}

// hasPending reports whether a direct write left bytes for the writer.
func (w *wire) hasPending() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.pending) > 0
}

// sentClose reports whether a close frame has gone out.
func (w *wire) sentClose() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closeSent
}

// appendFrame appends an unmasked, unfragmented server frame. A server's
// frames are not masked (RFC 6455 section 5.1), so a frame's bytes depend
// only on its payload: the header is two to ten bytes computed here, the
// payload is the event's encode-once JSON, copied once into the batch.
func appendFrame(b []byte, op byte, payload []byte) []byte {
	n := len(payload)
	switch {
	case n < 126:
		b = append(b, 0x80|op, byte(n))
	case n <= 0xffff:
		b = append(b, 0x80|op, 126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|op, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	return append(b, payload...)
}

// appendClose appends a close frame with a status code and a short reason
// (at most 123 bytes).
func appendClose(b []byte, code int, reason string) []byte {
	if len(reason) > 123 {
		reason = reason[:123]
	}
	b = append(b, 0x80|opClose, byte(2+len(reason)), byte(code>>8), byte(code))
	return append(b, reason...)
}

// pingFrame is the server's keepalive: an empty ping.
var pingFrame = []byte{0x80 | opPing, 0}

// Batches are assembled in pooled buffers, so that an idle connection
// holds none. A batch is written once it passes flushAt bytes.
const (
	flushAt    = 64 << 10
	maxPoolBuf = 256 << 10 // larger buffers are left to the GC
)

var bufPool = sync.Pool{New: func() any {
	b := make([]byte, 0, 4096)
	return &b
}}

func getBuf() *[]byte { return bufPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > maxPoolBuf {
		return
	}
	*b = (*b)[:0]
	bufPool.Put(b)
}
