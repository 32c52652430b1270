package bench

import (
	"bufio"
	"bytes"
	"context"
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
type wsTransport struct{ *rawHTTP }

// wsKey is the Sec-WebSocket-Key of every handshake. It only has to be 16
// bytes in base64; the load tool does not check the server's answer to it.
const wsKey = "cGFybGV5LWJlbmNoLWtleQ=="

func newWSTransport(c *config, base *url.URL) (transport, error) {
	return wsTransport{newRawHTTP(c, base, "/api/ws?rooms="+url.QueryEscape(c.room)+resumeQuery(c.startAfter),
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "+wsKey+"\r\nSec-WebSocket-Version: 13\r\n")}, nil
}

func (t wsTransport) open(ctx context.Context) (stream, error) {
	c, err := t.rawHTTP.open(ctx)
	if err != nil {
		return nil, err
	}
	if c.head.status != 101 {
		err := httpStatusError(c.head.status, c.head.body(c.br))
		c.close()
		return nil, err
	}
	// The deadline stays until the ready frame arrives (next clears it).
	return &wsStream{conn: c.conn, stop: c.stop, br: c.br}, nil
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
