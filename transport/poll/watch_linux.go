package poll

import (
	"net"
	"sync"
	"syscall"
)

// watcher tells connections without a goroutine that their client sent
// something or went away: one epoll instance and one goroutine for all of
// a Listener's held polls and parked keep-alive connections, instead of a
// goroutine blocked in a read per connection.
//
// Each socket is registered level-triggered and one-shot: it reports once,
// then stays quiet until rearmed, so a client that keeps a byte waiting
// does not spin the loop. readable runs on the watcher's goroutine and
// must not block. A report can be stale (the socket was removed and its
// number reused between epoll_wait and the lookup), so readable looks at
// the socket itself before acting (see peek).
//
// A socket must be removed before it is closed, so that a reused
// descriptor number is never mistaken for it for longer than that one
// stale report.
type watcher struct {
	epfd int
	wake [2]int // a pipe: shutdown writes to it to end the loop

	mu      sync.Mutex
	by      []watched // by descriptor: descriptors are small and dense, a map costs more
	n       int       // sockets in by
	closing bool      // no more adds; the loop ends once none is left
	stopped bool      // the loop was told to end
}

// watched is a connection in the watcher.
type watched interface {
	// readable reports that the socket can be read (data, EOF or an
	// error), or, rarely, nothing at all.
	readable()
}

const watchEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | (syscall.EPOLLONESHOT & 0xffffffff)

// newWatcher starts a watcher; nil when epoll is not available.
func newWatcher() *watcher {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil
	}
	w := &watcher{epfd: epfd}
	if err := syscall.Pipe2(w.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		syscall.Close(epfd)
		return nil
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(w.wake[0])}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, w.wake[0], &ev); err != nil {
		w.closeFDs()
		return nil
	}
	go w.loop()
	return w
}

func (w *watcher) closeFDs() {
	syscall.Close(w.wake[0])
	syscall.Close(w.wake[1])
	syscall.Close(w.epfd)
}

func (w *watcher) loop() {
	defer w.closeFDs()
	events := make([]syscall.EpollEvent, 128)
	var ready []watched
	for {
		n, err := syscall.EpollWait(w.epfd, events, -1)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return
		}
		w.mu.Lock()
		for _, ev := range events[:n] {
			if ev.Fd == int32(w.wake[0]) {
				w.mu.Unlock()
				return
			}
			if c := w.get(int(ev.Fd)); c != nil {
				ready = append(ready, c)
			}
		}
		w.mu.Unlock()
		// Outside the lock: readable may remove its socket.
		for _, c := range ready {
			c.readable()
		}
		clear(ready)
		ready = ready[:0]
	}
}

// add registers fd for c and reports whether it could.
func (w *watcher) add(fd int, c watched) bool {
	if w == nil || fd < 0 {
		return false
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closing {
		return false
	}
	ev := syscall.EpollEvent{Events: watchEvents, Fd: int32(fd)}
	if syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_ADD, fd, &ev) != nil {
		return false
	}
	if fd >= len(w.by) {
		w.by = append(w.by, make([]watched, fd+1-len(w.by))...)
	}
	w.by[fd] = c
	w.n++
	return true
}

// get returns the socket fd's connection, nil if none; under w.mu.
func (w *watcher) get(fd int) watched {
	if fd < 0 || fd >= len(w.by) {
		return nil
	}
	return w.by[fd]
}

// rearm makes a socket that reported report again when it can be read.
func (w *watcher) rearm(fd int, c watched) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.get(fd) != c {
		return false
	}
	ev := syscall.EpollEvent{Events: watchEvents, Fd: int32(fd)}
	return syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_MOD, fd, &ev) == nil
}

// remove takes c's socket out; call it before closing the socket.
func (w *watcher) remove(fd int, c watched) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.get(fd) != c {
		return
	}
	_ = syscall.EpollCtl(w.epfd, syscall.EPOLL_CTL_DEL, fd, nil)
	w.by[fd] = nil
	w.n--
	w.stopIfDoneLocked()
}

// close refuses new sockets and ends the loop once the last one is
// removed (held polls may still be answered after their listener closed).
func (w *watcher) close() {
	if w == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closing = true
	w.stopIfDoneLocked()
}

func (w *watcher) stopIfDoneLocked() {
	if w.closing && w.n == 0 && !w.stopped {
		w.stopped = true
		_, _ = syscall.Write(w.wake[1], []byte{0})
	}
}

// Peek results.
const (
	peekNothing = iota // nothing to read yet
	peekData           // the client sent something
	peekGone           // EOF or an error: the client is gone
)

// peek looks at the socket without taking anything from it. It goes
// through the connection's RawConn, which holds the descriptor open for
// the call, so a stale report never reads another socket.
func peek(conn net.Conn) int {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return peekNothing
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return peekGone
	}
	var b [1]byte
	var n int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			// A connected TCP socket fills in no address: from is nil.
			n, _, rerr = syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if rerr != syscall.EINTR {
				return true // never wait
			}
		}
	})
	switch {
	case err != nil:
		return peekGone
	case rerr == syscall.EAGAIN:
		return peekNothing
	case rerr != nil || n == 0:
		return peekGone
	default:
		return peekData
	}
}
