package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/server"
)

// Held long-polls on plain HTTP/1.1 connections are held without a
// goroutine (transport/poll/raw.go): these tests speak HTTP/1.1 by hand,
// so that they see exactly what is written and keep one connection.

// httpConn is a hand-driven keep-alive HTTP/1.1 connection.
type httpConn struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dialHTTP(t *testing.T, addr string) *httpConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &httpConn{t: t, c: c, br: bufio.NewReader(c)}
}

// send writes GET target with header pairs.
func (h *httpConn) send(target string, hdr ...string) {
	h.t.Helper()
	var b strings.Builder
	b.WriteString("GET " + target + " HTTP/1.1\r\nHost: parley.test\r\n")
	for i := 0; i+1 < len(hdr); i += 2 {
		b.WriteString(hdr[i] + ": " + hdr[i+1] + "\r\n")
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(h.c, b.String()); err != nil {
		h.t.Fatal(err)
	}
}

// read returns the next response's exact bytes (head and body) and its
// body, failing the test after 10 s.
func (h *httpConn) read() (raw, body []byte) {
	h.t.Helper()
	_ = h.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	length := -1
	for {
		line, err := h.br.ReadString('\n')
		if err != nil {
			h.t.Fatalf("reading a response head: %v (so far %q)", err, raw)
		}
		raw = append(raw, line...)
		if line == "\r\n" {
			break
		}
		if k, v, ok := strings.Cut(strings.TrimRight(line, "\r\n"), ": "); ok && strings.EqualFold(k, "Content-Length") {
			length, _ = strconv.Atoi(v)
		}
	}
	if length < 0 {
		h.t.Fatalf("response without Content-Length: %q", raw)
	}
	body = make([]byte, length)
	if _, err := io.ReadFull(h.br, body); err != nil {
		h.t.Fatalf("reading a response body: %v", err)
	}
	return append(raw, body...), body
}

// get sends target and returns the parsed answer.
func (h *httpConn) poll(target string, hdr ...string) pollAnswer {
	h.t.Helper()
	h.send(target, hdr...)
	_, body := h.read()
	var a pollAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		h.t.Fatalf("poll %s: answer %q: %v", target, body, err)
	}
	return a
}

func (n *node) addr() string { return n.ts.Listener.Addr().String() }

// awaitNoPollers waits until no poll is held.
func (n *node) awaitNoPollers() {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.srv.AwaitNoPollers(ctx); err != nil {
		n.t.Fatalf("polls still held (%d, %d raw): %v", n.srv.Pollers(), n.srv.RawPollers(), err)
	}
}

func TestRawPollAnsweredByMessage(t *testing.T) {
	n := startNode(t, server.Config{})
	c := dialHTTP(t, n.addr())
	start := c.poll("/api/poll?rooms=lobby")
	c.send(fmt.Sprintf("/api/poll?rooms=lobby&cursor=%d&session=%s", start.Cursor, start.Session))
	n.awaitPollers(1)
	if got := n.srv.RawPollers(); got != 1 {
		t.Fatalf("%d polls held raw, want 1", got)
	}
	posted := n.post("lobby", "ada", "news")
	_, body := c.read()
	var a pollAnswer
	if err := json.Unmarshal(body, &a); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.ids(), []int64{posted.ID}) || a.Cursor != posted.ID || a.Session != start.Session || a.Events[0].Text != "news" {
		t.Fatalf("held poll answered %s, want [%d] with session %q", body, posted.ID, start.Session)
	}
	n.awaitNoPollers()
}

// A held poll times out with no events and the same cursor, both with
// the server's default timeout (polls in one deadline list) and with one
// it asked for (a timer of its own).
func TestRawPollTimesOutEmpty(t *testing.T) {
	n := startNode(t, server.Config{PollTimeout: 300 * time.Millisecond})
	last := n.post("lobby", "ada", "old").ID
	for _, timeout := range []string{"", "&timeout=0.2"} {
		conns := make([]*httpConn, 3)
		for i := range conns {
			conns[i] = dialHTTP(t, n.addr())
			conns[i].send(fmt.Sprintf("/api/poll?rooms=lobby&cursor=%d%s", last, timeout))
		}
		n.awaitPollers(len(conns))
		if got := n.srv.RawPollers(); got != len(conns) {
			t.Fatalf("%q: %d polls held raw, want %d", timeout, got, len(conns))
		}
		for _, c := range conns {
			_, body := c.read()
			var a pollAnswer
			if err := json.Unmarshal(body, &a); err != nil || a.Events == nil || len(a.Events) != 0 || a.Cursor != last {
				t.Fatalf("%q: timed-out poll answered %s (%v), want no events and cursor %d", timeout, body, err, last)
			}
		}
		n.awaitNoPollers()
	}
}

// A client that closes its connection while its poll is held frees the
// poll at once: its hold, its subscription and its place under the
// connection limit.
func TestRawPollClientClosing(t *testing.T) {
	n := startNode(t, server.Config{})
	last := n.post("lobby", "ada", "old").ID
	held := func() float64 {
		v, _ := metricstest.Scrape(t, n.srv.MetricsHandler()).Value("parley_connections_open", map[string]string{"transport": "poll"})
		return v
	}
	subscriptions := func() float64 {
		v, _ := metricstest.Scrape(t, n.srv.MetricsHandler()).Value("parley_hub_subscriptions", nil)
		return v
	}
	subs := subscriptions()
	for range 3 {
		c := dialHTTP(t, n.addr())
		c.send(fmt.Sprintf("/api/poll?rooms=lobby&cursor=%d&timeout=60", last))
		n.awaitPollers(1)
		if got := n.srv.RawPollers(); got != 1 {
			t.Fatalf("%d polls held raw, want 1", got)
		}
		if v := held(); v != 1 {
			t.Fatalf("poll connections open = %v while held, want 1", v)
		}
		c.c.Close()
		n.awaitNoPollers()
		if v := held(); v != 0 {
			t.Fatalf("poll connections open = %v after the client left, want 0", v)
		}
		if got := subscriptions(); got != subs {
			t.Fatalf("hub subscriptions %v after the client left, want %v", got, subs)
		}
	}
}

// After a raw answer the connection goes back to the HTTP server: the
// next requests on it pass through the whole middleware chain (CORS
// here) and may be held raw again.
func TestRawPollKeepAliveThroughMiddleware(t *testing.T) {
	n := startNode(t, server.Config{CORSOrigins: []string{appOrigin}})
	c := dialHTTP(t, n.addr())
	start := c.poll("/api/poll?rooms=lobby")
	q := func(cursor int64) string {
		return fmt.Sprintf("/api/poll?rooms=lobby&cursor=%d&session=%s", cursor, start.Session)
	}
	cursor := start.Cursor
	for i := range 3 {
		c.send(q(cursor), "Origin", appOrigin)
		n.awaitPollers(1)
		if got := n.srv.RawPollers(); got != 1 {
			t.Fatalf("round %d: %d polls held raw, want 1", i, got)
		}
		posted := n.post("lobby", "ada", "line "+strconv.Itoa(i))
		raw, body := c.read()
		if !strings.Contains(string(raw), "\r\nAccess-Control-Allow-Origin: "+appOrigin+"\r\n") {
			t.Fatalf("round %d: raw answer without the CORS header:\n%s", i, raw)
		}
		var a pollAnswer
		if err := json.Unmarshal(body, &a); err != nil || !slices.Equal(a.ids(), []int64{posted.ID}) {
			t.Fatalf("round %d: answer %s, want [%d]", i, body, posted.ID)
		}
		cursor = a.Cursor
		n.awaitNoPollers()
	}
	// Any request, answered by net/http as usual.
	c.send("/api/rooms", "Origin", appOrigin)
	raw, _ := c.read()
	if !strings.HasPrefix(string(raw), "HTTP/1.1 200 OK\r\n") || !strings.Contains(string(raw), "Access-Control-Allow-Origin: "+appOrigin) {
		t.Fatalf("GET /api/rooms on the same connection:\n%s", raw)
	}
}

func TestRawPollJSONP(t *testing.T) {
	n := startNode(t, server.Config{})
	last := n.post("lobby", "ada", "old").ID
	c := dialHTTP(t, n.addr())
	c.send(fmt.Sprintf("/api/poll?rooms=lobby&cursor=%d&callback=Parley._jsonp.c7&_=1", last))
	n.awaitPollers(1)
	if got := n.srv.RawPollers(); got != 1 {
		t.Fatalf("%d polls held raw, want 1", got)
	}
	posted := n.post("lobby", "ada", `</script> & more`)
	raw, body := c.read()
	if !strings.Contains(string(raw), "\r\nContent-Type: application/javascript; charset=utf-8\r\n") {
		t.Fatalf("JSONP answer head:\n%s", raw)
	}
	const prefix, suffix = "/**/Parley._jsonp.c7(", ");\n"
	s := string(body)
	if !strings.HasPrefix(s, prefix) || !strings.HasSuffix(s, suffix) || strings.Contains(s, "</script") {
		t.Fatalf("JSONP body %q", s)
	}
	var a pollAnswer
	if err := json.Unmarshal([]byte(strings.TrimSuffix(strings.TrimPrefix(s, prefix), suffix)), &a); err != nil || !slices.Equal(a.ids(), []int64{posted.ID}) {
		t.Fatalf("JSONP payload %q: %v", s, err)
	}
}

// A poll held raw is answered with exactly the bytes net/http writes for
// the same poll held by a goroutine, headers included: one node served
// by two HTTP servers, one with the node's Listener and one without.
func TestRawPollAnswerBytesMatchGoroutinePath(t *testing.T) {
	n := startNode(t, server.Config{CORSOrigins: []string{appOrigin}})
	plain := httptest.NewServer(n.srv.Handler()) // no Listener: goroutine path
	t.Cleanup(plain.Close)
	last := n.post("lobby", "ada", "old").ID

	sessionRE := regexp.MustCompile(`"session":"[A-Za-z0-9_-]{22}"`)
	dateRE := regexp.MustCompile(`\r\nDate: [^\r]*\r\n`)
	normal := func(b []byte) string {
		b = sessionRE.ReplaceAll(b, []byte(`"session":"S"`))
		return string(dateRE.ReplaceAll(b, []byte("\r\nDate: D\r\n")))
	}
	cases := []struct {
		name    string
		query   string
		hdr     []string
		message bool // answered by a message, not the timeout
	}{
		{"JSON, answered by a message", "", nil, true},
		{"JSON, timed out", "&timeout=0.3", nil, false},
		{"JSONP with CORS, answered by a message", "&callback=cb.x&_=9", []string{"Origin", appOrigin}, true},
		{"CORS with credentials, timed out", "&timeout=0.3", []string{"Origin", appOrigin, "Accept", "application/json"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rawC := dialHTTP(t, n.addr())
			plainC := dialHTTP(t, plain.Listener.Addr().String())
			target := fmt.Sprintf("/api/poll?rooms=lobby&cursor=%d%s", last, tc.query)
			rawC.send(target, tc.hdr...)
			plainC.send(target, tc.hdr...)
			n.awaitPollers(2)
			if got := n.srv.RawPollers(); got != 1 {
				t.Fatalf("%d polls held raw, want 1 (of 2)", got)
			}
			if tc.message {
				last = n.post("lobby", "ada", `a "quoted" line <b>`).ID
			}
			got, _ := rawC.read()
			want, _ := plainC.read()
			if normal(got) != normal(want) {
				t.Fatalf("raw answer differs from net/http's:\n got %q\nwant %q", got, want)
			}
			n.awaitNoPollers()
		})
	}
}

// Over TLS (HTTP/1.1 or HTTP/2) a held poll keeps its goroutine: the
// raw path is for plain HTTP/1.1 connections only. It still works.
func TestPollOverTLSHeldByGoroutine(t *testing.T) {
	for _, h2 := range []bool{false, true} {
		t.Run(fmt.Sprintf("HTTP/2 %v", h2), func(t *testing.T) {
			srv, err := server.New(context.Background(), server.Config{DB: t.TempDir() + "/parley.db"})
			if err != nil {
				t.Fatal(err)
			}
			ts := httptest.NewUnstartedServer(srv.Handler())
			ts.Listener = srv.Listener(ts.Config, ts.Listener)
			ts.EnableHTTP2 = h2
			ts.StartTLS()
			t.Cleanup(func() { srv.Close(); ts.Close() })
			n := &node{t: t, srv: srv, ts: ts}
			client := ts.Client()
			get := func(q string) pollAnswer {
				resp, err := client.Get(ts.URL + "/api/poll?" + q)
				if err != nil {
					t.Error(err)
					return pollAnswer{}
				}
				defer resp.Body.Close()
				if h2 && resp.ProtoMajor != 2 {
					t.Errorf("answered over %s, want HTTP/2", resp.Proto)
				}
				var a pollAnswer
				if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
					t.Error(err)
				}
				return a
			}
			start := get("rooms=lobby")
			ch := make(chan pollAnswer, 1)
			go func() { ch <- get(fmt.Sprintf("rooms=lobby&cursor=%d&session=%s", start.Cursor, start.Session)) }()
			n.awaitPollers(1)
			if got := srv.RawPollers(); got != 0 {
				t.Fatalf("%d polls held raw over TLS, want 0", got)
			}
			resp, err := client.Post(ts.URL+"/api/rooms/lobby/messages", "application/json", strings.NewReader(`{"text":"over tls","name":"ada"}`))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			select {
			case a := <-ch:
				if len(a.Events) != 1 || a.Events[0].Text != "over tls" {
					t.Fatalf("held poll over TLS answered %+v", a)
				}
			case <-time.After(20 * time.Second):
				t.Fatal("held poll over TLS never answered")
			}
		})
	}
}

// http.Server.Shutdown answers a raw-held poll at once, as it does a
// goroutine-held one: no events, the same cursor, "Connection: close",
// and the connection closed after it.
func TestRawPollAnsweredAtShutdown(t *testing.T) {
	srv, err := server.New(context.Background(), server.Config{DB: t.TempDir() + "/parley.db"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	hs.RegisterOnShutdown(srv.CloseStreams)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(srv.Listener(hs, ln)) }()

	n := &node{t: t, srv: srv}
	c := dialHTTP(t, ln.Addr().String())
	start := c.poll("/api/poll?rooms=lobby")
	c.send(fmt.Sprintf("/api/poll?rooms=lobby&cursor=%d&session=%s&timeout=60", start.Cursor, start.Session))
	n.awaitPollers(1)
	if got := srv.RawPollers(); got != 1 {
		t.Fatalf("%d polls held raw, want 1", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if err := <-served; err != http.ErrServerClosed {
		t.Errorf("Serve returned %v, want ErrServerClosed", err)
	}
	raw, body := c.read()
	var a pollAnswer
	if err := json.Unmarshal(body, &a); err != nil || len(a.Events) != 0 || a.Cursor != start.Cursor {
		t.Fatalf("poll at shutdown answered %s (%v)", body, err)
	}
	if !strings.Contains(string(raw), "\r\nConnection: close\r\n") {
		t.Errorf("answer at shutdown without Connection: close:\n%s", raw)
	}
	_ = c.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := c.br.ReadByte(); err != io.EOF {
		t.Errorf("after the answer at shutdown: read %v, %v; want EOF", n, err)
	}
	n.awaitNoPollers()
}
