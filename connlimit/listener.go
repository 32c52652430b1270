package connlimit

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Listener refuses connections cleanly when the process runs out of file
// descriptors, instead of leaving them waiting in the kernel's queue while
// Accept fails. It keeps one descriptor in reserve (an open /dev/null);
// when Accept fails with EMFILE or ENFILE it gives that one up, accepts
// the waiting connection with it, sends Refusal, closes the connection
// and takes its reserve back. Every refusal is counted and logged (at
// most one line every 10 s, with the count).
//
// If the reserve cannot be taken back (descriptors still exhausted),
// Accept returns the error, which net/http and the IRC gateway answer by
// backing off and retrying: never a crash, never a stuck loop.
type Listener struct {
	net.Listener
	// Refusal is written to a connection refused for want of descriptors,
	// before it is closed: an HTTP 503 answer, an IRC ERROR line. Empty:
	// the connection is just closed (TLS, where plain bytes mean nothing).
	Refusal []byte
	Log     *slog.Logger

	mu      sync.Mutex
	spare   *os.File
	refused atomic.Uint64
	logged  time.Time // last log line
	logN    uint64    // refusals at that line
}

// NewListener wraps ln; see Listener.
func NewListener(ln net.Listener, refusal []byte, log *slog.Logger) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Listener{Listener: ln, Refusal: refusal, Log: log}
	l.spare, _ = os.Open(os.DevNull)
	return l
}

// HTTPRefusal is the answer for an HTTP listener: 503 with Retry-After
// and the API's error body.
func HTTPRefusal(retryAfter int) []byte {
	body := `{"error":{"code":"unavailable","message":"this server has no room for more connections (out of file descriptors): retry later or use another server"}}`
	return []byte("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: " +
		itoa(retryAfter) + "\r\nConnection: close\r\nContent-Length: " + itoa(len(body)) + "\r\n\r\n" + body)
}

// IRCRefusal is the answer for an IRC listener.
var IRCRefusal = []byte("ERROR :Server is full (out of file descriptors): try again later\r\n")

// Refused returns how many connections were refused for want of
// descriptors.
func (l *Listener) Refused() uint64 { return l.refused.Load() }

// Accept implements net.Listener.
func (l *Listener) Accept() (net.Conn, error) {
	for {
		nc, err := l.Listener.Accept()
		if err == nil || !outOfFiles(err) {
			return nc, err
		}
		if !l.refuseOne() {
			return nil, err
		}
	}
}

// refuseOne frees the reserve descriptor, accepts and refuses the waiting
// connection, and takes the reserve back. It reports false when there was
// no reserve to give up.
func (l *Listener) refuseOne() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.spare == nil {
		if l.spare, _ = os.Open(os.DevNull); l.spare == nil {
			return false
		}
	}
	l.spare.Close()
	l.spare = nil
	nc, err := l.Listener.Accept()
	if err == nil {
		l.refuse(nc)
	}
	l.spare, _ = os.Open(os.DevNull)
	return err == nil
}

// refuse sends the refusal and closes. It reads what the client sent
// first (briefly), so that closing with unread bytes does not reset the
// connection before the client reads the answer.
func (l *Listener) refuse(nc net.Conn) {
	n := l.refused.Add(1)
	if len(l.Refusal) > 0 {
		_ = nc.SetDeadline(time.Now().Add(50 * time.Millisecond))
		var buf [1024]byte
		_, _ = nc.Read(buf[:])
		_, _ = nc.Write(l.Refusal)
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}
	nc.Close()
	if now := time.Now(); now.Sub(l.logged) >= 10*time.Second {
		l.Log.Warn("out of file descriptors: refusing new connections (raise the open-file limit, LimitNOFILE, or lower --max-conns)",
			"addr", l.Addr().String(), "refused", n-l.logN, "refused_total", n)
		l.logged, l.logN = now, n
	}
}

// Close closes the listener and gives the reserve descriptor back.
func (l *Listener) Close() error {
	l.mu.Lock()
	if l.spare != nil {
		l.spare.Close()
		l.spare = nil
	}
	l.mu.Unlock()
	return l.Listener.Close()
}

// outOfFiles reports whether err says the process or the system has no
// descriptor left.
func outOfFiles(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE)
}

// OutOfFiles reports whether an Accept error says that descriptors are
// exhausted: a reason to back off and retry, not to stop serving.
func OutOfFiles(err error) bool { return outOfFiles(err) }

func itoa(n int) string { return strconv.Itoa(n) }
