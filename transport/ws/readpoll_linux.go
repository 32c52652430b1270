package ws

import (
	"sync"
	"syscall"
)

// readPoller waits, for every idle connection at once, until its client
// sends something: one epoll instance and one goroutine for the whole
// handler, instead of a goroutine blocked in a read per connection. When
// a socket becomes readable, the poller starts that connection's reader
// goroutine (readBurst), which reads what came, answers it and, once
// nothing is left, arms the socket again and ends.
//
// Each socket is registered level-triggered and one-shot: it reports
// once, then stays quiet until its reader arms it again, so exactly one
// reader runs at a time and bytes that arrive while it finishes are
// reported at once when it re-arms. The socket stays registered with the
// Go runtime's own poller too, for the reader's and writer's blocking
// reads and writes; the two do not interfere.
type readPoller struct {
	epfd int
	wake [2]int // a pipe: Close writes to it to end the loop

	mu    sync.Mutex
	conns map[int32]*conn // by descriptor; a socket leaves before it closes
}

// Reader states, under readPoller.mu.
const (
	readArmed   = iota // waiting in epoll, no goroutine
	readRunning        // a reader goroutine runs
	readDone           // the socket is closed or closing: no reader starts again
)

const pollEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | (syscall.EPOLLONESHOT & 0xffffffff)

func newReadPoller() (*readPoller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	p := &readPoller{epfd: epfd, conns: make(map[int32]*conn)}
	if err := syscall.Pipe2(p.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil, err
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wake[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeFDs()
		return nil, err
	}
	go p.loop()
	return p, nil
}

func (p *readPoller) closeFDs() {
	syscall.Close(p.wake[0])
	syscall.Close(p.wake[1])
	syscall.Close(p.epfd)
}

// Close ends the loop; the connections are closed by then.
func (p *readPoller) Close() {
	if p == nil {
		return
	}
	_, _ = syscall.Write(p.wake[1], []byte{0})
}

func (p *readPoller) loop() {
	defer p.closeFDs()
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		p.mu.Lock()
		for _, ev := range events[:n] {
			if ev.Fd == int32(p.wake[0]) {
				p.mu.Unlock()
				return
			}
			c := p.conns[ev.Fd]
			if c != nil && c.readState == readArmed {
				c.readState = readRunning
				go c.readBurst()
			}
		}
		p.mu.Unlock()
	}
}

// add registers a connection whose reader is not running: the poller
// starts one when the client sends, or at once if read is set (bytes came
// with the handshake). It reports false (and the caller starts a reader
// goroutine for good) when the socket cannot be registered.
func (p *readPoller) add(c *conn, read bool) bool {
	if p == nil || c.wire.fd < 0 || c.in.raw == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(c.wire.fd)}
	if syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, c.wire.fd, &ev) != nil {
		return false
	}
	c.readState = readArmed
	c.polled = true
	p.conns[int32(c.wire.fd)] = c
	if read {
		c.readState = readRunning
		go c.readBurst()
	}
	return true
}

// rearm is called by a reader that has read everything: the socket goes
// back to waiting and the reader ends. It reports false when the socket
// is closing: the reader ends as if its read had failed.
func (p *readPoller) rearm(c *conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c.readState == readDone {
		return false
	}
	ev := syscall.EpollEvent{Events: pollEvents, Fd: int32(c.wire.fd)}
	if syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, c.wire.fd, &ev) != nil {
		c.readState = readDone
		return false
	}
	c.readState = readArmed
	return true
}

// remove takes a connection's socket out before it is closed (so that a
// reused descriptor number never reaches the old connection). It reports
// whether the reader was waiting in the poller: then no reader goroutine
// exists, and the caller stands in for its end.
func (p *readPoller) remove(c *conn) (wasArmed bool) {
	if p == nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if !c.polled || c.readState == readDone {
		return false
	}
	wasArmed = c.readState == readArmed
	c.readState = readDone
	_ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, c.wire.fd, nil)
	delete(p.conns, int32(c.wire.fd))
	return wasArmed
}
