package bench

import (
	"bufio"
	"bytes"
	"context"
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

// sseTransport subscribes to GET /api/events over rawHTTP.
type sseTransport struct{ *rawHTTP }

func newSSETransport(c *config, base *url.URL) (transport, error) {
	return sseTransport{newRawHTTP(c, base, "/api/events?rooms="+url.QueryEscape(c.room)+resumeQuery(c.startAfter),
		"Accept: text/event-stream\r\nCache-Control: no-cache\r\n")}, nil
}

func (t sseTransport) open(ctx context.Context) (stream, error) {
	c, err := t.rawHTTP.open(ctx)
	if err != nil {
		return nil, err
	}
	s := &sseStream{conn: c.conn, stop: c.stop}
	if err := s.start(c); err != nil {
		s.close()
		return nil, err
	}
	return s, nil
}

// start checks the response and sets up the event reader. The deadline
// stays until the retry: line arrives (next clears it).
func (s *sseStream) start(c *rawConn) error {
	br, head := c.br, c.head
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
