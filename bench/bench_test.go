package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// fakeServer implements the slice of the API that bench uses: room
// creation, posting, and the event stream, either through net/http
// (chunked) or on a hijacked connection (raw body until close).
type fakeServer struct {
	hijack bool
	// send, when set, says how many times (0, 1, 2) a stream gets an
	// event; -1 ends the stream instead.
	send func(id int64) int

	mu     sync.Mutex
	nextID int64
	rooms  map[string]bool
	subs   map[chan *parley.Event]string // channel -> room
	posts  atomic.Int64
	open   atomic.Int64 // streams currently open
}

func newFakeServer(t *testing.T, hijack bool) (*fakeServer, *httptest.Server) {
	f := &fakeServer{hijack: hijack, rooms: map[string]bool{"lobby": true}, subs: map[chan *parley.Event]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/rooms", f.createRoom)
	mux.HandleFunc("POST /api/rooms/{room}/messages", f.post)
	mux.HandleFunc("GET /api/events", f.events)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return f, ts
}

func apiError(w http.ResponseWriter, status int, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": code}})
}

func (f *fakeServer) createRoom(w http.ResponseWriter, r *http.Request) {
	var req struct{ Name string }
	if r.Header.Get("Content-Type") != "application/json" {
		apiError(w, 415, "unsupported_media_type")
		return
	}
	if json.NewDecoder(r.Body).Decode(&req) != nil || !validRoom(req.Name) {
		apiError(w, 400, "invalid")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.rooms[req.Name] {
		apiError(w, 409, "conflict")
		return
	}
	f.rooms[req.Name] = true
	w.WriteHeader(201)
	json.NewEncoder(w).Encode(parley.Room{Name: req.Name, Created: time.Now()})
}

func (f *fakeServer) post(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Content-Type") != "application/json" {
		apiError(w, 415, "unsupported_media_type")
		return
	}
	var req struct {
		Text string `json:"text"`
		Name string `json:"name"`
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if dec.Decode(&req) != nil || req.Text == "" || req.Name == "" {
		apiError(w, 400, "invalid")
		return
	}
	room := r.PathValue("room")
	f.mu.Lock()
	if !f.rooms[room] {
		f.mu.Unlock()
		apiError(w, 404, "not_found")
		return
	}
	f.nextID++
	ev := parley.NewEvent(parley.Message{ID: f.nextID, Room: room, Kind: parley.KindMessage, From: req.Name, Text: req.Text, Time: time.Now().UTC()})
	for ch, rm := range f.subs {
		if rm == room {
			select {
			case ch <- ev:
			default: // a slow client: the real server disconnects it
			}
		}
	}
	f.mu.Unlock()
	f.posts.Add(1)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(201)
	w.Write(ev.JSON())
}

func (f *fakeServer) subscribe(room string) (chan *parley.Event, func()) {
	ch := make(chan *parley.Event, 1024)
	f.mu.Lock()
	f.subs[ch] = room
	f.mu.Unlock()
	f.open.Add(1)
	return ch, func() {
		f.mu.Lock()
		delete(f.subs, ch)
		f.mu.Unlock()
		f.open.Add(-1)
	}
}

func (f *fakeServer) events(w http.ResponseWriter, r *http.Request) {
	room := r.URL.Query().Get("rooms")
	if room == "" {
		room = "lobby"
	}
	ch, unsubscribe := f.subscribe(room)
	defer unsubscribe()
	// A comment and an event without data (not dispatched) come first, to
	// exercise the reader; then the retry: hint that means "subscribed".
	const preamble = ": welcome\n\nevent: nothing\n\nretry: 1000\n\n"
	if !f.hijack {
		h := w.Header()
		h.Set("Content-Type", "text/event-stream")
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Accel-Buffering", "no")
		w.WriteHeader(200)
		io.WriteString(w, preamble)
		fl := w.(http.Flusher)
		fl.Flush()
		for {
			select {
			case ev := <-ch:
				for range f.times(ev) {
					w.Write(ev.SSE())
				}
				fl.Flush()
			case <-r.Context().Done():
				return
			}
		}
	}
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n" + preamble)
	if bw.Flush() != nil {
		return
	}
	gone := make(chan struct{})
	go func() { // the client never sends anything: a read ends when it leaves
		io.Copy(io.Discard, conn)
		close(gone)
	}()
	for {
		select {
		case ev := <-ch:
			n := f.times(ev)
			if n < 0 {
				return
			}
			for range n {
				if _, err := conn.Write(ev.SSE()); err != nil {
					return
				}
			}
		case <-gone:
			return
		}
	}
}

func (f *fakeServer) times(ev *parley.Event) int {
	if f.send == nil {
		return 1
	}
	return f.send(ev.ID())
}

func runCommand(t *testing.T, ctx context.Context, args ...string) (string, string, error) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	err := Command(ctx, args, &stdout, &stderr)
	return stdout.String(), stderr.String(), err
}

func TestCommandEndToEnd(t *testing.T) {
	for _, mode := range []struct {
		name   string
		hijack bool
	}{{"chunked", false}, {"hijacked", true}} {
		t.Run(mode.name, func(t *testing.T) {
			f, ts := newFakeServer(t, mode.hijack)
			args := []string{"-url", ts.URL, "-room", "bench-e2e", "-subs", "20", "-messages", "10", "-posters", "3", "-json", "-timeout", "10s"}
			if _, err := os.Stat("/proc/self/stat"); err == nil {
				args = append(args, "-pid", strconv.Itoa(os.Getpid())) // the fake server runs in this process
			}
			stdout, stderr, err := runCommand(t, context.Background(), args...)
			if err != nil {
				t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
			}
			var rep Report
			if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
				t.Fatalf("bad JSON: %v\n%s", err, stdout)
			}
			if rep.Subscribe == nil || rep.Subscribe.Subscribed != 20 || rep.Subscribe.Failed != 0 {
				t.Errorf("subscribe: %+v", rep.Subscribe)
			}
			if rep.Posting == nil || rep.Posting.Acknowledged != 10 || rep.Posting.Attempted != 10 || len(rep.Posting.Errors) != 0 {
				t.Errorf("posting: %+v", rep.Posting)
			}
			d := rep.Delivery
			if d == nil {
				t.Fatalf("no delivery report:\n%s", stdout)
			}
			if d.Delivered != 200 || d.Expected != 200 || d.Duplicates != 0 || d.Missing != 0 || d.OutOfOrder != 0 || d.Dropped != 0 || d.TimedOut {
				t.Errorf("delivery: %+v", d)
			}
			if d.LatencyMs.Max <= 0 || d.LatencyMs.P50 > d.LatencyMs.P99 || d.LatencyMs.P99 > d.LatencyMs.Max {
				t.Errorf("latency: %+v", d.LatencyMs)
			}
			if rep.Server != nil && rep.Server.RSSBeforeKB <= 0 {
				t.Errorf("server: %+v", rep.Server)
			}
			if f.posts.Load() != 10 {
				t.Errorf("server got %d posts", f.posts.Load())
			}
			waitClosed(t, f)
		})
	}
}

// waitClosed checks that bench closed every stream.
func waitClosed(t *testing.T, f *fakeServer) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); f.open.Load() != 0; {
		if time.Now().After(deadline) {
			t.Fatalf("%d streams still open after Command returned", f.open.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCommandLossAndDuplicates(t *testing.T) {
	f, ts := newFakeServer(t, true)
	f.send = func(id int64) int {
		switch id {
		case 4: // lost
			return 0
		case 7: // sent twice
			return 2
		}
		return 1
	}
	stdout, stderr, err := runCommand(t, context.Background(), "-url", ts.URL, "-subs", "20", "-messages", "10", "-timeout", "300ms", "-json")
	if err != nil {
		t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	d := rep.Delivery
	if d.Expected != 200 || d.Delivered != 180 || d.Missing != 20 || d.Duplicates != 20 || d.Incomplete != 20 || !d.TimedOut || d.OutOfOrder != 0 {
		t.Errorf("delivery: %+v", d)
	}
	waitClosed(t, f)
}

func TestCommandDropped(t *testing.T) {
	f, ts := newFakeServer(t, true) // only the hijacked stream implements -1
	f.send = func(id int64) int {
		if id == 5 {
			return -1
		}
		return 1
	}
	stdout, stderr, err := runCommand(t, context.Background(), "-url", ts.URL, "-subs", "20", "-messages", "10", "-json")
	if err != nil {
		t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	d := rep.Delivery
	// Dropped streams cannot catch up: no need to wait for -timeout.
	if d.Delivered != 80 || d.Missing != 120 || d.Dropped != 20 || d.DropErrors["server ended the stream"] != 20 || d.TimedOut {
		t.Errorf("delivery: %+v", d)
	}
	waitClosed(t, f)
}

func TestCommandTextReport(t *testing.T) {
	f, ts := newFakeServer(t, false)
	stdout, stderr, err := runCommand(t, context.Background(), "-url", ts.URL, "-subs", "20", "-messages", "10", "-rate", "200")
	if err != nil {
		t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
	}
	t.Logf("report:\n%s", stdout)
	for _, want := range []string{"20/20 subscribed", "10/10 acknowledged", "200/200 delivered, 0 missing, 0 duplicates, 0 out of order", "latency     p50 "} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	waitClosed(t, f)
}

func TestCommandPostOnly(t *testing.T) {
	f, ts := newFakeServer(t, false)
	stdout, stderr, err := runCommand(t, context.Background(), "-url", ts.URL, "-subs", "0", "-messages", "300", "-posters", "16", "-json")
	if err != nil {
		t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Subscribe != nil || rep.Delivery != nil {
		t.Errorf("a posting benchmark reports subscribers: %s", stdout)
	}
	if rep.Posting.Acknowledged != 300 || rep.Posting.PerSecond <= 0 || f.posts.Load() != 300 {
		t.Errorf("posting: %+v", rep.Posting)
	}
}

func TestCommandPostErrors(t *testing.T) {
	// Messages that the server refuses are counted by status and code,
	// and the subscribers expect only the acknowledged ones.
	f, ts := newFakeServer(t, false)
	var n atomic.Int64
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/messages") && n.Add(1)%2 == 0 {
			w.Header().Set("Retry-After", "1")
			apiError(w, 429, "rate_limited")
			return
		}
		// Proxy everything else to the fake server.
		req, _ := http.NewRequestWithContext(r.Context(), r.Method, ts.URL+r.URL.RequestURI(), r.Body)
		req.Header = r.Header
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			w.Write(buf[:n])
			w.(http.Flusher).Flush()
			if err != nil {
				return
			}
		}
	}))
	defer refusing.Close()
	stdout, stderr, err := runCommand(t, context.Background(), "-url", refusing.URL, "-subs", "5", "-messages", "10", "-json")
	if err != nil {
		t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Posting.Acknowledged != 5 || rep.Posting.Errors["HTTP 429 rate_limited"] != 5 {
		t.Errorf("posting: %+v", rep.Posting)
	}
	if d := rep.Delivery; d.Expected != 25 || d.Delivered != 25 || d.Missing != 0 {
		t.Errorf("delivery: %+v", d)
	}
	refusing.CloseClientConnections()
	waitClosed(t, f)
}

func TestCommandInterrupted(t *testing.T) {
	f, ts := newFakeServer(t, true)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		// Cancel once posting is under way (1000 messages at 20/s).
		for f.posts.Load() < 3 {
			time.Sleep(2 * time.Millisecond)
		}
		cancel()
	}()
	stdout, _, err := runCommand(t, ctx, "-url", ts.URL, "-subs", "10", "-messages", "1000", "-rate", "20")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if !strings.Contains(stdout, "PARTIAL: interrupted while posting") || !strings.Contains(stdout, "delivered") {
		t.Errorf("no partial report:\n%s", stdout)
	}
	waitClosed(t, f)
}

func TestCommandFailures(t *testing.T) {
	// Nothing listens: setup fails with a useful error, and no report.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	stdout, _, err := runCommand(t, context.Background(), "-url", "http://"+addr, "-subs", "1")
	if err == nil || !strings.Contains(err.Error(), "creating room") || stdout != "" {
		t.Errorf("err = %v, stdout %q", err, stdout)
	}

	// A server whose event stream refuses subscribers.
	_, ts := newFakeServer(t, false)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/events" {
			apiError(w, 503, "unavailable")
			return
		}
		w.WriteHeader(201)
	}))
	defer refusing.Close()
	stdout, _, err = runCommand(t, context.Background(), "-url", refusing.URL, "-subs", "4", "-messages", "1")
	if err == nil || !strings.Contains(stdout, "0/4 subscribed") || !strings.Contains(stdout, "HTTP 503 unavailable: 4") {
		t.Errorf("err = %v, report:\n%s", err, stdout)
	}
	_ = ts
}

func TestFlags(t *testing.T) {
	_, stderr, err := runCommand(t, context.Background(), "-h")
	if err != nil || !strings.Contains(stderr, "Usage: parley bench") || !strings.Contains(stderr, "-subs") {
		t.Errorf("-h: err %v, stderr %q", err, stderr)
	}
	for _, args := range [][]string{
		{"-transport", "carrier-pigeon"},
		{"-room", "Bad Room"},
		{"-url", "ftp://x"},
		{"-url", "http://a:1,ftp://x"},
		{"-pid", "0"},
		{"-pid", "1,x"},
		{"-subs", "-1"},
		{"-posters", "0"},
		{"-subs", "0", "-messages", "0"},
		{"extra"},
	} {
		if _, _, err := runCommand(t, context.Background(), args...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

// The subscriber's bookkeeping: duplicates, order, foreign events.
func TestDeliverBookkeeping(t *testing.T) {
	var lat Histogram
	start := time.Now()
	p := newPool(nil, 1, 5, 1, &lat, start)
	s := &p.subs[0]
	msg := func(id, seq int64) frame {
		data := appendPostBody(nil, seq, start.UnixNano()+1)
		return frame{id: id, data: data}
	}
	p.deliver(s, msg(10, 1))
	p.deliver(s, msg(11, 2))
	p.deliver(s, msg(11, 2))                                                         // duplicate (same ID again)
	p.deliver(s, msg(13, 4))                                                         // 12 skipped for now
	p.deliver(s, msg(12, 3))                                                         // late: out of order
	p.deliver(s, msg(10, 1))                                                         // old duplicate
	p.deliver(s, frame{id: 14, data: []byte(`{"kind":"join","text":"ada joined"}`)}) // not ours
	p.deliver(s, msg(15, 9))                                                         // seq out of range: not ours
	p.deliver(s, frame{id: 16, data: appendPostBody(nil, 5, start.UnixNano()-1)})    // sent before the run
	if s.uniq.Load() != 4 || s.dups != 2 || s.ooo != 1 || s.other != 3 || s.lastID != 16 {
		t.Errorf("uniq %d dups %d ooo %d other %d lastID %d", s.uniq.Load(), s.dups, s.ooo, s.other, s.lastID)
	}
	if lat.Count() != 4 {
		t.Errorf("%d latencies recorded", lat.Count())
	}
}
