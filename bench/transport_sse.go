package bench

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// Read buffer sizes per SSE subscriber. A bench event is about 200 bytes;
// longer lines still work (sseReader gathers them), they just cost an
// allocation. A chunked response needs a second buffer above the decoder.
const (
	connBufSize = 1024
	sseBufSize  = 1024
)

// sseTransport subscribes with a hand-written HTTP/1.1 request on a raw TCP
// (or TLS) connection, so that a subscriber costs a goroutine, a socket and
// a kilobyte or two, instead of a net/http client connection.
type sseTransport struct {
	addr    string
	tlsConf *tls.Config
	req     []byte // the request, shared read-only by all subscribers
	dialer  net.Dialer
	timeout time.Duration
}

func newSSETransport(c *config) (transport, error) {
	u := c.base
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	t := &sseTransport{
		addr:    net.JoinHostPort(u.Hostname(), port),
		timeout: c.connectTimeout,
		dialer:  net.Dialer{Timeout: c.connectTimeout},
	}
	if u.Scheme == "https" {
		t.tlsConf = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}}
	}
	t.req = []byte("GET " + u.EscapedPath() + "/api/events?rooms=" + url.QueryEscape(c.room) + " HTTP/1.1\r\n" +
		"Host: " + u.Host + "\r\n" +
		"User-Agent: parley-bench\r\n" +
		"Accept: text/event-stream\r\n" +
		"Cache-Control: no-cache\r\n" +
		"\r\n")
	return t, nil
}

func (t *sseTransport) open(ctx context.Context) (stream, error) {
	deadline := time.Now().Add(t.timeout)
	raw, err := t.dialer.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		return nil, err
	}
	s := &sseStream{conn: raw}
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

func (t *sseTransport) handshake(ctx context.Context, s *sseStream, deadline time.Time) error {
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
	body := head.body(br)
	if head.status != 200 {
		return httpStatusError(head.status, body)
	}
	if !bytes.HasPrefix(head.contentType, []byte("text/event-stream")) {
		return fmt.Errorf("Content-Type %q, want text/event-stream", head.contentType)
	}
	if body != io.Reader(br) {
		br = bufio.NewReaderSize(body, sseBufSize)
	}
	s.rd = sseReader{br: br, Retry: -1}
	// The deadline stays until the retry: line arrives (next clears it).
	return nil
}

// sseStream is one open event stream.
type sseStream struct {
	conn  net.Conn
	stop  func() bool // unregisters the close-on-cancel hook
	rd    sseReader
	ready bool
}

func (s *sseStream) next() (frame, error) {
	for {
		kind, err := s.rd.Next()
		if err != nil {
			if err == io.EOF {
				err = errors.New("server ended the stream")
			}
			return frame{}, err
		}
		switch kind {
		case sseRetry:
			if !s.ready {
				s.ready = true
				if err := s.conn.SetDeadline(time.Time{}); err != nil {
					return frame{}, err
				}
				return frame{ready: true}, nil
			}
		case sseEvent:
			f := frame{data: s.rd.Data}
			if s.rd.IDSeen {
				f.id, _ = parseDigits(s.rd.LastID)
			}
			return f, nil
		}
	}
}

func (s *sseStream) close() error {
	s.stop()
	return s.conn.Close()
}

// responseHead is the part of an HTTP/1.1 response head this tool needs.
type responseHead struct {
	status        int
	chunked       bool
	contentLength int64 // -1 when absent
	contentType   []byte
}

// readResponseHead reads a status line and headers from br.
func readResponseHead(br *bufio.Reader) (responseHead, error) {
	h := responseHead{contentLength: -1}
	line, err := readCRLFLine(br)
	if err != nil {
		return h, fmt.Errorf("reading response: %w", eofIsUnexpected(err))
	}
	// "HTTP/1.1 200 OK"
	if !bytes.HasPrefix(line, []byte("HTTP/1.")) || len(line) < 12 || line[8] != ' ' {
		return h, fmt.Errorf("malformed status line %q", line)
	}
	code, ok := parseDigits(line[9:12])
	if !ok {
		return h, fmt.Errorf("malformed status line %q", line)
	}
	h.status = int(code)
	for {
		line, err := readCRLFLine(br)
		if err != nil {
			return h, fmt.Errorf("reading response headers: %w", eofIsUnexpected(err))
		}
		if len(line) == 0 {
			return h, nil
		}
		i := bytes.IndexByte(line, ':')
		if i <= 0 {
			return h, fmt.Errorf("malformed header line %q", line)
		}
		key, val := line[:i], bytes.TrimSpace(line[i+1:])
		switch {
		case bytes.EqualFold(key, []byte("Transfer-Encoding")):
			h.chunked = bytes.Contains(bytes.ToLower(val), []byte("chunked"))
		case bytes.EqualFold(key, []byte("Content-Length")):
			n, ok := parseDigits(val)
			if !ok {
				return h, fmt.Errorf("malformed Content-Length %q", val)
			}
			h.contentLength = n
		case bytes.EqualFold(key, []byte("Content-Type")):
			h.contentType = append([]byte(nil), val...)
		}
	}
}

// body returns a reader of the response body: br itself for a body that
// runs to the end of the connection (a hijacked stream), else a decoder.
func (h responseHead) body(br *bufio.Reader) io.Reader {
	switch {
	case h.chunked:
		return newChunkedReader(br)
	case h.contentLength >= 0:
		return io.LimitReader(br, h.contentLength)
	default:
		return br
	}
}

// httpStatusError describes a refused subscription or post, with the API
// error code from the body when there is one: "HTTP 503 unavailable".
func httpStatusError(status int, body io.Reader) error {
	b, _ := io.ReadAll(io.LimitReader(body, 4096))
	var e struct {
		Error struct {
			Code string `json:"code"`
		} `json:"error"`
	}
	if json.Unmarshal(b, &e) == nil && e.Error.Code != "" {
		return &statusError{status: status, code: e.Error.Code}
	}
	return &statusError{status: status}
}

type statusError struct {
	status int
	code   string
}

func (e *statusError) Error() string {
	if e.code != "" {
		return "HTTP " + strconv.Itoa(e.status) + " " + e.code
	}
	return "HTTP " + strconv.Itoa(e.status)
}
