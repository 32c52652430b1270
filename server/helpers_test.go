package server_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/server"
)

// node is a server under test: a real SQLite file behind a real HTTP
// server on loopback.
type node struct {
	t   *testing.T
	srv *server.Server
	ts  *httptest.Server
	db  string
}

func startNode(t *testing.T, cfg server.Config) *node {
	t.Helper()
	if cfg.DB == "" {
		cfg.DB = filepath.Join(t.TempDir(), "parley.db")
	}
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	ts := httptest.NewUnstartedServer(srv.Handler())
	// As parley serve does: held polls give their connections back to the
	// server through its listener.
	ts.Listener = srv.Listener(ts.Config, ts.Listener)
	ts.Start()
	n := &node{t: t, srv: srv, ts: ts, db: cfg.DB}
	t.Cleanup(n.stop)
	return n
}

// stop closes the node; it may be called early (a restart) and again at
// cleanup.
func (n *node) stop() {
	if n.srv == nil {
		return
	}
	if err := n.srv.Close(); err != nil {
		n.t.Errorf("closing server: %v", err)
	}
	n.ts.Close()
	n.srv = nil
}

// post sends a message and returns the stored message, failing the test
// unless the answer is 201.
func (n *node) post(room, name, text string) parley.Message {
	n.t.Helper()
	status, body := n.postRaw(room, "application/json", fmt.Sprintf(`{"text":%q,"name":%q}`, text, name))
	if status != http.StatusCreated {
		n.t.Fatalf("post %q: status %d: %s", text, status, body)
	}
	var m parley.Message
	if err := json.Unmarshal(body, &m); err != nil {
		n.t.Fatalf("post answer: %v", err)
	}
	return m
}

func (n *node) postRaw(room, contentType, body string) (int, []byte) {
	n.t.Helper()
	resp, err := http.Post(n.ts.URL+"/api/rooms/"+room+"/messages", contentType, strings.NewReader(body))
	if err != nil {
		n.t.Fatalf("post: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func (n *node) get(path string) (int, []byte) {
	n.t.Helper()
	resp, err := http.Get(n.ts.URL + path)
	if err != nil {
		n.t.Fatalf("get %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	id    int64
	event string
	data  string
}

// sseClient reads an event stream.
type sseClient struct {
	t      *testing.T
	resp   *http.Response
	r      *bufio.Reader
	cancel context.CancelFunc
	retry  string
}

// subscribe opens GET /api/events with query and an optional Last-Event-ID
// and waits for the retry: line, which the server sends once the stream
// is subscribed.
func (n *node) subscribe(query, lastEventID string) *sseClient {
	n.t.Helper()
	if lastEventID != "" {
		return n.subscribeWith(query, "Last-Event-ID", lastEventID)
	}
	return n.subscribeWith(query)
}

// subscribeWith opens a stream with header pairs (e.g. Authorization).
func (n *node) subscribeWith(query string, hdr ...string) *sseClient {
	n.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", n.ts.URL+"/api/events?"+query, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		n.t.Fatalf("subscribe: %v", err)
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		cancel()
		n.t.Fatalf("subscribe %q: status %d: %s", query, resp.StatusCode, b)
	}
	c := &sseClient{t: n.t, resp: resp, r: bufio.NewReader(resp.Body), cancel: cancel}
	n.t.Cleanup(c.close)
	line, err := c.r.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "retry: ") {
		n.t.Fatalf("first line of the stream is %q (%v), want retry:", line, err)
	}
	c.retry = strings.TrimSpace(strings.TrimPrefix(line, "retry: "))
	return c
}

func (c *sseClient) close() {
	c.cancel()
	c.resp.Body.Close()
}

// next returns the next event, skipping comments, or fails after timeout.
func (c *sseClient) next(timeout time.Duration) sseEvent {
	c.t.Helper()
	ev, err := c.nextErr(timeout)
	if err != nil {
		c.t.Fatalf("reading event: %v", err)
	}
	return ev
}

func (c *sseClient) nextErr(timeout time.Duration) (sseEvent, error) {
	type result struct {
		ev  sseEvent
		err error
	}
	done := make(chan result, 1)
	go func() {
		var ev sseEvent
		for {
			line, err := c.r.ReadString('\n')
			if err != nil {
				done <- result{err: err}
				return
			}
			line = strings.TrimSuffix(line, "\n")
			switch {
			case line == "":
				if ev.event != "" || ev.data != "" {
					done <- result{ev: ev}
					return
				}
			case strings.HasPrefix(line, ":"), strings.HasPrefix(line, "retry:"):
			case strings.HasPrefix(line, "id: "):
				ev.id, _ = strconv.ParseInt(line[4:], 10, 64)
			case strings.HasPrefix(line, "event: "):
				ev.event = line[7:]
			case strings.HasPrefix(line, "data: "):
				ev.data = line[6:]
			}
		}
	}()
	select {
	case r := <-done:
		return r.ev, r.err
	case <-time.After(timeout):
		c.close() // unblocks the reader
		<-done
		return sseEvent{}, fmt.Errorf("no event within %v", timeout)
	}
}

// message decodes an event's data.
func (e sseEvent) message(t *testing.T) parley.Message {
	t.Helper()
	var m parley.Message
	if err := json.NewDecoder(bytes.NewReader([]byte(e.data))).Decode(&m); err != nil {
		t.Fatalf("event data %q: %v", e.data, err)
	}
	if m.ID != e.id {
		t.Fatalf("event id %d but data id %d", e.id, m.ID)
	}
	return m
}

// texts reads n events and returns their message texts.
func (c *sseClient) texts(n int) []string {
	c.t.Helper()
	out := make([]string, 0, n)
	for range n {
		out = append(out, c.next(5*time.Second).message(c.t).Text)
	}
	return out
}

func createRoom(t *testing.T, n *node, name string) {
	t.Helper()
	resp, err := http.Post(n.ts.URL+"/api/rooms", "application/json", strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create room %q: status %d", name, resp.StatusCode)
	}
}

// historyIDs returns the IDs of every stored message in rooms, in the
// store's order, read through the history API.
func historyIDs(t *testing.T, n *node, rooms ...string) []int64 {
	t.Helper()
	var ids []int64
	for _, room := range rooms {
		status, body := n.get("/api/rooms/" + room + "/messages?after=0&limit=500")
		if status != http.StatusOK {
			t.Fatalf("history %s: %d %s", room, status, body)
		}
		var page struct{ Messages []parley.Message }
		if err := json.Unmarshal(body, &page); err != nil {
			t.Fatal(err)
		}
		for _, m := range page.Messages {
			ids = append(ids, m.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// waitFor polls cond: used only where the server offers no signal to wait
// on (a connection being dropped in the background).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
