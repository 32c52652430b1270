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
	"syscall"
	"time"
)

// pollTransport long-polls GET /api/poll with hand-written HTTP/1.1
// requests on one keep-alive TCP (or TLS) connection per subscriber, like
// the SSE transport: a subscriber costs a goroutine, a socket and a few
// kilobytes. Its first poll (no cursor) answers at once with the cursor to
// wait from: that is the subscriber's ready frame. Every later poll sends
// the cursor and session of the previous answer; each event of an answer
// is one frame.
type pollTransport struct {
	addr     string
	tlsConf  *tls.Config
	host     string
	path     string        // escaped path of /api/poll
	query    string        // rooms=... and timeout=...
	wait     time.Duration // -poll-timeout: how long the server holds a poll
	dialer   net.Dialer
	timeout  time.Duration // -connect-timeout
	firstReq []byte
}

func newPollTransport(c *config, u *url.URL) (transport, error) {
	t := &pollTransport{
		addr:    serverAddr(u),
		host:    u.Host,
		path:    u.EscapedPath() + "/api/poll",
		query:   "rooms=" + url.QueryEscape(c.room),
		wait:    c.pollTimeout,
		timeout: c.connectTimeout,
		dialer:  net.Dialer{Timeout: c.connectTimeout},
	}
	if c.pollTimeout > 0 {
		t.query += "&timeout=" + strconv.FormatFloat(float64(c.pollTimeout.Milliseconds())/1000, 'f', -1, 64)
	}
	if u.Scheme == "https" {
		t.tlsConf = &tls.Config{ServerName: u.Hostname(), NextProtos: []string{"http/1.1"}}
	}
	t.firstReq = t.appendRequest(nil, -1, "")
	return t, nil
}

// appendRequest appends a poll request; cursor < 0 means none.
func (t *pollTransport) appendRequest(b []byte, cursor int64, session string) []byte {
	b = append(b, "GET "...)
	b = append(b, t.path...)
	b = append(b, '?')
	b = append(b, t.query...)
	if cursor >= 0 {
		b = append(b, "&cursor="...)
		b = strconv.AppendInt(b, cursor, 10)
	}
	if session != "" {
		b = append(b, "&session="...)
		b = append(b, url.QueryEscape(session)...)
	}
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, t.host...)
	b = append(b, "\r\nUser-Agent: parley-bench\r\nAccept: application/json\r\n\r\n"...)
	return b
}

func (t *pollTransport) open(ctx context.Context) (stream, error) {
	s := &pollStream{t: t, ctx: ctx}
	if err := s.dial(); err != nil {
		return nil, err
	}
	// The first poll answers at once: it is the handshake.
	if err := s.roundTrip(t.firstReq, time.Now().Add(t.timeout)); err != nil {
		s.close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	s.pending = s.pending[:0] // no context messages were asked for
	return s, nil
}

// pollStream is one poller.
type pollStream struct {
	t    *pollTransport
	ctx  context.Context
	conn net.Conn
	br   *bufio.Reader
	stop func() bool // unregisters the close-on-cancel hook

	ready   bool
	cursor  int64
	session string
	req     []byte   // request buffer, reused
	body    []byte   // answer buffer, reused
	pending [][]byte // events of the last answer not yet returned, slices of body
	reuse   bool     // the connection may carry another request
}

func (s *pollStream) dial() error {
	if s.stop != nil {
		s.stop()
		s.conn.Close()
	}
	raw, err := s.t.dialer.DialContext(s.ctx, "tcp", s.t.addr)
	if err != nil {
		return err
	}
	s.conn = raw
	s.stop = context.AfterFunc(s.ctx, func() { raw.Close() })
	if s.t.tlsConf != nil {
		_ = raw.SetDeadline(time.Now().Add(s.t.timeout))
		tc := tls.Client(raw, s.t.tlsConf)
		if err := tc.HandshakeContext(s.ctx); err != nil {
			raw.Close()
			return err
		}
		s.conn = tc
	}
	if s.br == nil {
		s.br = bufio.NewReaderSize(s.conn, connBufSize)
	} else {
		s.br.Reset(s.conn)
	}
	s.reuse = true
	return nil
}

func (s *pollStream) next() (frame, error) {
	if !s.ready {
		s.ready = true
		return frame{ready: true}, nil
	}
	for len(s.pending) == 0 {
		if !s.reuse {
			if err := s.dial(); err != nil {
				return frame{}, err
			}
		}
		s.req = s.t.appendRequest(s.req[:0], s.cursor, s.session)
		deadline := time.Now().Add(s.t.wait + s.t.timeout + s.t.fallbackWait())
		err := s.roundTrip(s.req, deadline)
		if err != nil && s.ctx.Err() == nil && connClosed(err) {
			// The server closed the idle keep-alive connection: that is
			// allowed between requests. Try once more on a new one.
			if err = s.dial(); err == nil {
				err = s.roundTrip(s.req, deadline)
			}
		}
		if err != nil {
			return frame{}, err
		}
	}
	ev := s.pending[0]
	s.pending = s.pending[1:]
	f := frame{data: ev}
	if i := bytes.Index(ev, []byte(`"id":`)); i >= 0 {
		f.id, _, _ = leadingInt(ev[i+5:])
	}
	return f, nil
}

// fallbackWait covers the server's default hold when -poll-timeout is 0
// (the server decides, 25 s unless configured otherwise).
func (t *pollTransport) fallbackWait() time.Duration {
	if t.wait > 0 {
		return 0
	}
	return 60 * time.Second
}

// roundTrip sends one poll and reads its answer into s.pending, s.cursor
// and s.session.
func (s *pollStream) roundTrip(req []byte, deadline time.Time) error {
	if err := s.conn.SetDeadline(deadline); err != nil {
		return err
	}
	if _, err := s.conn.Write(req); err != nil {
		return err
	}
	head, err := readResponseHead(s.br)
	if err != nil {
		return err
	}
	body := head.body(s.br)
	if head.status != 200 {
		s.reuse = false
		return httpStatusError(head.status, body)
	}
	if head.contentLength < 0 {
		s.reuse = false // chunked or until close: simpler to start afresh
	}
	if s.body, err = readAll(s.body[:0], body); err != nil {
		return err
	}
	var session []byte
	s.pending, s.cursor, session, err = parsePollAnswer(s.body, s.pending[:0])
	if err != nil {
		return err
	}
	if string(session) != s.session {
		s.session = string(session)
	}
	return nil
}

// parsePollAnswer splits {"events":[...],"cursor":N,"session":"..."} into
// the events' JSON objects (slices of body), the cursor and the session,
// without decoding the events: the subscribers should not be what limits
// the measurement. Answers in another shape go through encoding/json.
func parsePollAnswer(body []byte, events [][]byte) ([][]byte, int64, []byte, error) {
	const prefix = `{"events":[`
	if !bytes.HasPrefix(body, []byte(prefix)) {
		return parsePollAnswerSlow(body, events)
	}
	p := body[len(prefix):]
	depth, start, inString, escaped := 0, -1, false, false
	i := 0
scan:
	for ; i < len(p); i++ {
		c := p[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '{':
			if depth == 0 {
				start = i
			}
			depth++
		case c == '}':
			depth--
			if depth == 0 {
				events = append(events, p[start:i+1])
			}
		case c == ']' && depth == 0:
			break scan
		}
	}
	rest := p[i:]
	c := bytes.Index(rest, []byte(`"cursor":`))
	if c < 0 {
		return parsePollAnswerSlow(body, events[:0])
	}
	cursor, _, ok := leadingInt(rest[c+len(`"cursor":`):])
	k := bytes.Index(rest, []byte(`"session":"`))
	if !ok || k < 0 {
		return parsePollAnswerSlow(body, events[:0])
	}
	sess := rest[k+len(`"session":"`):]
	end := bytes.IndexByte(sess, '"')
	if end < 0 {
		return parsePollAnswerSlow(body, events[:0])
	}
	return events, cursor, sess[:end], nil
}

func parsePollAnswerSlow(body []byte, events [][]byte) ([][]byte, int64, []byte, error) {
	var a struct {
		Events  []json.RawMessage `json:"events"`
		Cursor  *int64            `json:"cursor"`
		Session string            `json:"session"`
	}
	if err := json.Unmarshal(body, &a); err != nil || a.Cursor == nil || a.Events == nil {
		return events, 0, nil, fmt.Errorf("malformed poll answer %.80q", body)
	}
	for _, ev := range a.Events {
		events = append(events, ev)
	}
	return events, *a.Cursor, []byte(a.Session), nil
}

// connClosed reports whether err means the connection was closed under us.
func connClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// readAll appends everything r holds to b.
func readAll(b []byte, r io.Reader) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

func (s *pollStream) close() error {
	if s.stop != nil {
		s.stop()
	}
	if s.conn == nil {
		return nil
	}
	return s.conn.Close()
}
