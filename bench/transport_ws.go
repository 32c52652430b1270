package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"
)

// wsTransport subscribes over WebSocket (GET /api/ws) with a hand-written
// handshake and frame reader on a raw TCP (or TLS) connection: like the SSE
// transport, a subscriber costs a goroutine, a socket and about a
// kilobyte, where a general WebSocket client library would cost several.
// It reads only what Parley's server sends: whole (unfragmented),
// unmasked frames.
type wsTransport struct {
	addr    string
	tlsConf *tls.Config
	req     []byte // the handshake, shared read-only by all subscribers
	dialer  net.Dialer
	timeout time.Duration
}

// wsKey is the Sec-WebSocket-Key of every handshake. It only has to be 16
// bytes in base64; the load tool does not check the server's answer to it.
const wsKey = "cGFybGV5LWJlbmNoLWtleQ=="

func newWSTransport(c *config) (transport, error) {
	u := c.base
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	t := &wsTransport{
		addr:    net.JoinHostPort(u.Hostname(), port),
		timeout: c.connectTimeout,
		dialer:  net.Dialer{Timeout: c.connectTimeout},
	}
	if u.Scheme == "https" {
		t.tlsConf = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}}
	}
	t.req = []byte("GET " + u.EscapedPath() + "/api/ws?rooms=" + url.QueryEscape(c.room) + " HTTP/1.1\r\n" +
		"Host: " + u.Host + "\r\n" +
		"User-Agent: parley-bench\r\n" +
		"Upgrade: websocket\r\n" +
		"Connection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + wsKey + "\r\n" +
		"Sec-WebSocket-Version: 13\r\n" +
		"\r\n")
	return t, nil
}

func (t *wsTransport) open(ctx context.Context) (stream, error) {
	deadline := time.Now().Add(t.timeout)
	raw, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	s := &wsStream{conn: raw}
	s.stop = context.AfterFunc(ctx, func() { raw.Close() })
	if err := t.handshake(ctx, s, deadline); err != nil {
		s.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return s, nil
}

func (t *wsTransport) handshake(ctx context.Context, s *wsStream, deadline time.Time) error {
	if err := s.conn.SetDeadline(deadline); err != nil {
		return err
	}
	if t.tlsConf != nil {
		tc := tls.Client(s.conn, t.tlsConf)
		if err := tc.HandshakeContext(ctx); err != nil {
			return err
		}
		s.conn = tc
	}
	if _, err := s.conn.Write(t.req); err != nil {
		return err
	}
	br := bufio.NewReaderSize(s.conn, connBufSize)
	head, err := readResponseHead(br)
	if err != nil {
		return err
	}
	if head.status != 101 {
		return httpStatusError(head.status, head.body(br))
	}
	s.br = br
	// The deadline stays until the ready frame arrives (next clears it).
	return nil
}

// wsStream is one open WebSocket.
type wsStream struct {
	conn    net.Conn
	stop    func() bool // unregisters the close-on-cancel hook
	br      *bufio.Reader
	peeked  int    // bytes of br the previous frame's payload still occupies
	payload []byte // payloads too big for br's buffer
	ready   bool
}

// wsClosed reports the server's close frame.
type wsClosed struct {
	code   int
	reason string
}

func (e *wsClosed) Error() string {
	return fmt.Sprintf("websocket closed by server: %d %s", e.code, e.reason)
}

var (
	controlPrefix = []byte(`{"type":"`)
	eventPrefix   = []byte(`{"id":`)
)

func (s *wsStream) next() (frame, error) {
	for {
		op, p, err := s.readFrame()
		if err != nil {
			if err == io.EOF {
				err = errors.New("server ended the connection")
			}
			return frame{}, err
		}
		switch op {
		case 0x1: // text
			if bytes.HasPrefix(p, controlPrefix) {
				typ := p[len(controlPrefix):]
				if i := bytes.IndexByte(typ, '"'); i >= 0 {
					typ = typ[:i]
				}
				switch string(typ) {
				case "ready":
					if !s.ready {
						s.ready = true
						if err := s.conn.SetDeadline(time.Time{}); err != nil {
							return frame{}, err
						}
						return frame{ready: true}, nil
					}
				case "error":
					return frame{}, fmt.Errorf("server sent an error: %.200s", p)
				}
				continue // answers to requests this tool does not make
			}
			f := frame{data: p}
			if bytes.HasPrefix(p, eventPrefix) {
				rest := p[len(eventPrefix):]
				n := 0
				for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
					n++
				}
				f.id, _ = parseDigits(rest[:n])
			}
			return f, nil
		case 0x8: // close
			e := &wsClosed{code: 1005}
			if len(p) >= 2 {
				e.code = int(binary.BigEndian.Uint16(p))
				e.reason = string(p[2:])
			}
			return frame{}, e
		case 0x9: // ping: answer with a pong, masked (with a zero key, which leaves the payload as is)
			pong := make([]byte, 0, 6+len(p))
			pong = append(pong, 0x8A, 0x80|byte(len(p)), 0, 0, 0, 0)
			pong = append(pong, p...)
			if _, err := s.conn.Write(pong); err != nil {
				return frame{}, err
			}
		}
	}
}

// readFrame reads one frame. The payload is valid until the next call.
func (s *wsStream) readFrame() (op byte, payload []byte, err error) {
	if s.peeked > 0 {
		if _, err := s.br.Discard(s.peeked); err != nil {
			return 0, nil, err
		}
		s.peeked = 0
	}
	var h [8]byte
	if _, err := io.ReadFull(s.br, h[:2]); err != nil {
		return 0, nil, err
	}
	fin, op := h[0]&0x80 != 0, h[0]&0x0f
	if h[1]&0x80 != 0 {
		return 0, nil, errors.New("websocket: the server masked a frame")
	}
	if !fin || op == 0 {
		return 0, nil, errors.New("websocket: fragmented message (this tool reads whole frames only)")
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		if _, err := io.ReadFull(s.br, h[:2]); err != nil {
			return 0, nil, eofIsUnexpected(err)
		}
		n = uint64(binary.BigEndian.Uint16(h[:2]))
	case 127:
		if _, err := io.ReadFull(s.br, h[:8]); err != nil {
			return 0, nil, eofIsUnexpected(err)
		}
		n = binary.BigEndian.Uint64(h[:8])
	}
	if n > 1<<24 {
		return 0, nil, fmt.Errorf("websocket: frame of %d bytes", n)
	}
	if int(n) <= s.br.Size() {
		p, err := s.br.Peek(int(n))
		if err != nil {
			return 0, nil, eofIsUnexpected(err)
		}
		s.peeked = int(n)
		return op, p, nil
	}
	if cap(s.payload) < int(n) {
		s.payload = make([]byte, n)
	}
	p := s.payload[:n]
	if _, err := io.ReadFull(s.br, p); err != nil {
		return 0, nil, eofIsUnexpected(err)
	}
	return op, p, nil
}

func (s *wsStream) close() error {
	s.stop()
	return s.conn.Close()
}
