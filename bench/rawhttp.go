package bench

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"time"
)

// rawHTTP opens subscriber connections with a hand-written HTTP/1.1
// request on a raw TCP (or TLS) connection, so that a subscriber costs a
// goroutine, a socket and a kilobyte or two instead of a net/http client
// connection. The SSE and WebSocket transports share it.
type rawHTTP struct {
	addr    string
	tlsConf *tls.Config
	req     []byte // the request, shared read-only by all subscribers
	dialer  net.Dialer
	timeout time.Duration
	bufSize int // read buffer per connection
}

// serverAddr returns host:port for u, with the scheme's default port.
func serverAddr(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// newRawHTTP prepares GET u+path with the extra header lines.
func newRawHTTP(c *config, u *url.URL, path, headers string) *rawHTTP {
	t := &rawHTTP{
		addr:    serverAddr(u),
		timeout: c.connectTimeout,
		dialer:  net.Dialer{Timeout: c.connectTimeout},
		bufSize: connBufSize,
	}
	if c.readBuf > 0 {
		t.bufSize = c.readBuf
	}
	if u.Scheme == "https" {
		t.tlsConf = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}}
	}
	t.req = []byte("GET " + u.EscapedPath() + path + " HTTP/1.1\r\n" +
		"Host: " + u.Host + "\r\n" +
		"User-Agent: parley-bench\r\n" +
		headers +
		"\r\n")
	return t
}

// rawConn is an opened connection whose response head has been read. Its
// deadline is still set: the transport clears it once the stream is ready.
type rawConn struct {
	conn net.Conn
	stop func() bool // unregisters the close-on-cancel hook
	br   *bufio.Reader
	head responseHead
}

func (c *rawConn) close() error {
	c.stop()
	return c.conn.Close()
}

// open dials, sends the request and reads the response head.
func (t *rawHTTP) open(ctx context.Context) (*rawConn, error) {
	raw, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	c := &rawConn{conn: raw}
	c.stop = context.AfterFunc(ctx, func() { raw.Close() })
	if err := c.handshake(ctx, t, time.Now().Add(t.timeout)); err != nil {
		c.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return c, nil
}

func (c *rawConn) handshake(ctx context.Context, t *rawHTTP, deadline time.Time) error {
	if err := c.conn.SetDeadline(deadline); err != nil {
		return err
	}
	if t.tlsConf != nil {
		tc := tls.Client(c.conn, t.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		c.conn = tc
	}
	if _, err := c.conn.Write(t.req); err != nil {
		return err
	}
	c.br = bufio.NewReaderSize(c.conn, t.bufSize)
	var err error
	c.head, err = readResponseHead(c.br)
	return err
}
