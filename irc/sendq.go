package irc

import "sync"

// sendq is a connection's bounded outbound queue: bytes of complete lines
// (CRLF included) waiting for the writer. push never blocks; it fails when
// the queue would grow past its limit, and the caller disconnects the
// client.
type sendq struct {
	max   int
	ready chan struct{} // capacity 1: there is something to write, or the queue was closed

	mu     sync.Mutex
	buf    []byte
	spare  []byte // the writer's previous buffer, reused
	closed bool   // no more pushes: the writer flushes and ends
}

func newSendq(max int) *sendq {
	return &sendq{max: max, ready: make(chan struct{}, 1)}
}

// push appends b. It reports false, dropping b, when the queue is over its
// limit or closed.
func (q *sendq) push(b []byte) bool {
	q.mu.Lock()
	if q.closed || len(q.buf)+len(b) > q.max {
		q.mu.Unlock()
		return false
	}
	q.buf = append(q.buf, b...)
	q.mu.Unlock()
	q.signal()
	return true
}

// close appends last, whatever the limit (the final ERROR line), and stops
// further pushes. The writer writes what is queued, then ends.
func (q *sendq) close(last []byte) {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		q.buf = append(q.buf, last...)
	}
	q.mu.Unlock()
	q.signal()
}

func (q *sendq) signal() {
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

// take returns everything queued, and whether the queue is closed. The
// slice is the writer's until its next take.
func (q *sendq) take() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	b := q.buf
	q.buf = q.spare[:0]
	if cap(b) > 64<<10 {
		q.spare = nil // a burst is over: do not keep its storage
	} else {
		q.spare = b
	}
	return b, q.closed
}
