package server_test

import (
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/server"
)

func TestStreamDeliversPostedMessage(t *testing.T) {
	n := startNode(t, server.Config{})
	c := n.subscribe("rooms=lobby", "")
	if c.resp.Header.Get("Content-Type") != "text/event-stream" ||
		c.resp.Header.Get("Cache-Control") != "no-cache" ||
		c.resp.Header.Get("X-Accel-Buffering") != "no" {
		t.Errorf("stream headers = %v", c.resp.Header)
	}
	if c.retry != "2000" {
		t.Errorf("retry hint = %q, want 2000", c.retry)
	}
	posted := n.post("lobby", "ada", "hello <b>world</b>")
	ev := c.next(5 * time.Second)
	if ev.event != "message" || ev.id != posted.ID {
		t.Fatalf("event = %+v, want id %d event message", ev, posted.ID)
	}
	got := ev.message(t)
	if got.Text != "hello <b>world</b>" || got.From != "ada" || got.Room != "lobby" || !got.Time.Equal(posted.Time) {
		t.Errorf("delivered %+v, posted %+v", got, posted)
	}
}

func TestStreamStartsNowOrWithContext(t *testing.T) {
	n := startNode(t, server.Config{})
	for i := range 5 {
		n.post("lobby", "ada", "old "+strconv.Itoa(i))
	}
	now := n.subscribe("rooms=lobby", "")
	ctx := n.subscribe("rooms=lobby&last=2", "")
	n.post("lobby", "ada", "new")
	if got := now.texts(1); got[0] != "new" {
		t.Errorf("stream without cursor got %q first, want the new message", got)
	}
	if got, want := ctx.texts(3), []string{"old 3", "old 4", "new"}; !slices.Equal(got, want) {
		t.Errorf("stream with last=2 got %q, want %q", got, want)
	}
}

func TestResumeGetsExactlyWhatWasMissed(t *testing.T) {
	n := startNode(t, server.Config{})
	createRoom(t, n, "design")
	createRoom(t, n, "other")
	c := n.subscribe("rooms=lobby,design", "")
	first := n.post("lobby", "ada", "before")
	if ev := c.next(5 * time.Second); ev.id != first.ID {
		t.Fatalf("got id %d, want %d", ev.id, first.ID)
	}
	c.close()

	// Both ways to pass the cursor: the header and the query parameter.
	for _, viaQuery := range []bool{false, true} {
		n.post("lobby", "bob", "missed 1")
		n.post("design", "bob", "missed 2")
		n.post("other", "bob", "not subscribed: never delivered")
		n.post("lobby", "bob", "missed 3")

		cursor := strconv.FormatInt(first.ID, 10)
		var r *sseClient
		if viaQuery {
			r = n.subscribe("rooms=lobby,design&lastEventId="+cursor, "")
		} else {
			r = n.subscribe("rooms=lobby,design", cursor)
		}
		if got, want := r.texts(3), []string{"missed 1", "missed 2", "missed 3"}; !slices.Equal(got, want) {
			t.Fatalf("resume (query %v) got %q, want %q", viaQuery, got, want)
		}
		live := n.post("lobby", "ada", fmt.Sprintf("live %v", viaQuery))
		if ev := r.next(5 * time.Second); ev.id != live.ID {
			t.Fatalf("after resume, got id %d, want the live message %d (a duplicate or gap)", ev.id, live.ID)
		}
		r.close()
		first = live
	}
}

func TestResumeAcrossRestart(t *testing.T) {
	db := t.TempDir() + "/parley.db"
	a := startNode(t, server.Config{DB: db})
	seen := a.post("lobby", "ada", "seen")
	a.post("lobby", "ada", "unseen 1")
	a.post("lobby", "ada", "unseen 2")
	a.stop()

	b := startNode(t, server.Config{DB: db})
	c := b.subscribe("rooms=lobby", strconv.FormatInt(seen.ID, 10))
	if got, want := c.texts(2), []string{"unseen 1", "unseen 2"}; !slices.Equal(got, want) {
		t.Fatalf("after restart got %q, want %q", got, want)
	}
	after := b.post("lobby", "ada", "after restart")
	if ev := c.next(5 * time.Second); ev.id != after.ID || after.ID <= seen.ID {
		t.Fatalf("live after restart: id %d, posted %d (seen %d)", ev.id, after.ID, seen.ID)
	}
}

// Every subscriber, in either stream mode, sees the store's order, with
// nothing missing and nothing twice, however the posts interleave.
func TestOrderingUnderConcurrentPosters(t *testing.T) {
	const posters, each = 8, 25
	n := startNode(t, server.Config{})
	createRoom(t, n, "b")
	subs := []*sseClient{
		n.subscribe("rooms=lobby,b", ""),
		n.subscribe("rooms=lobby,b", ""),
		n.subscribe("rooms=b,lobby", ""),
	}
	var wg sync.WaitGroup
	for p := range posters {
		wg.Go(func() {
			room := []string{"lobby", "b"}[p%2]
			for i := range each {
				n.post(room, "p"+strconv.Itoa(p), strconv.Itoa(i))
			}
		})
	}
	wg.Wait()

	storeOrder := historyIDs(t, n, "lobby", "b")
	if len(storeOrder) != posters*each {
		t.Fatalf("store holds %d messages, want %d", len(storeOrder), posters*each)
	}
	for i, c := range subs {
		var got []int64
		for range posters * each {
			got = append(got, c.next(5*time.Second).id)
		}
		if !slices.Equal(got, storeOrder) {
			t.Errorf("subscriber %d order differs from the store's:\n got %v\nwant %v", i, got, storeOrder)
		}
	}
}

// A client that stops reading is cut off without stalling the others, and
// the server does not buffer for it beyond its bound.
func TestSlowConsumerStallsNobody(t *testing.T) {
	n := startNode(t, server.Config{MaxTextLen: 2000, Heartbeat: time.Hour})
	// The slow client: a raw connection that sends a request and never
	// reads, with a tiny receive buffer so the server's socket fills fast.
	conn, err := net.Dial("tcp", n.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /api/events?rooms=lobby HTTP/1.1\r\nHost: x\r\n\r\n")

	fast := n.subscribe("rooms=lobby", "")
	waitFor(t, "both streams registered", func() bool { return n.srv.Streams() == 2 })

	big := strings.Repeat("x", 1900)
	const count = 400 // ~800 KB: far over the socket buffers and the 256 KB backlog
	received := make(chan []int64, 1)
	go func() { // the fast client reads as a real one does, while posts go on
		var ids []int64
		for range count {
			ev, err := fast.nextErr(10 * time.Second)
			if err != nil {
				break
			}
			ids = append(ids, ev.id)
		}
		received <- ids
	}()
	ids := make([]int64, 0, count)
	start := time.Now()
	for i := range count {
		ids = append(ids, n.post("lobby", "ada", big+strconv.Itoa(i)).ID)
	}
	if got := <-received; !slices.Equal(got, ids) {
		t.Fatalf("fast subscriber got %d of %d messages in order", len(got), count)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("posting and delivering took %v: the slow client stalled the room", d)
	}
	waitFor(t, "slow stream dropped", func() bool { return n.srv.Streams() == 1 })

	// The slow client, once it reads, finds its stream ended (so it would
	// reconnect with its Last-Event-ID), after at most the backlog bound.
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var total int
	buf := make([]byte, 64<<10)
	for {
		k, err := conn.Read(buf)
		total += k
		if err != nil {
			break
		}
	}
	if limit := 256<<10 + 2*1024*1024; total > limit {
		t.Errorf("slow client received %d bytes after being cut off; the server buffered beyond its bound", total)
	}
	if total >= count*1900 {
		t.Errorf("slow client received everything (%d bytes): it was never cut off", total)
	}
	fams := metricstest.Scrape(t, n.srv.MetricsHandler())
	if v, _ := fams.Value("parley_slow_consumers_total", map[string]string{"transport": "sse"}); v != 1 {
		t.Errorf("parley_slow_consumers_total{sse} = %v, want 1", v)
	}
	if v, _ := fams.Value("parley_events_delivered_total", map[string]string{"transport": "sse"}); v < count {
		t.Errorf("parley_events_delivered_total{sse} = %v, want at least the fast client's %d", v, count)
	}
}

func TestStreamRejectsBadRequests(t *testing.T) {
	n := startNode(t, server.Config{})
	tooMany := make([]string, 33)
	for i := range tooMany {
		tooMany[i] = "r" + strconv.Itoa(i)
	}
	cases := []struct {
		name, query, lastEventID string
		status                   int
	}{
		{"unknown room", "rooms=nope", "", http.StatusNotFound},
		{"bad room name", "rooms=Lobby!", "", http.StatusBadRequest},
		{"too many rooms", "rooms=" + strings.Join(tooMany, ","), "", http.StatusBadRequest},
		{"negative cursor", "rooms=lobby", "-1", http.StatusBadRequest},
		{"text cursor", "rooms=lobby", "abc", http.StatusBadRequest},
		{"cursor overflow", "rooms=lobby", "99999999999999999999", http.StatusBadRequest},
		{"bad query cursor", "rooms=lobby&lastEventId=1e3", "", http.StatusBadRequest},
		{"bad last", "rooms=lobby&last=-5", "", http.StatusBadRequest},
		{"last too big", "rooms=lobby&last=100000", "", http.StatusBadRequest},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", n.ts.URL+"/api/events?"+tc.query, nil)
			if tc.lastEventID != "" {
				req.Header.Set("Last-Event-ID", tc.lastEventID)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status = %d, want %d", resp.StatusCode, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("error Content-Type = %q, want JSON", ct)
			}
		})
	}
}

func TestShutdownEndsStreams(t *testing.T) {
	n := startNode(t, server.Config{})
	c := n.subscribe("rooms=lobby", "")
	n.srv.CloseStreams()
	if _, err := c.nextErr(5 * time.Second); err == nil || strings.Contains(err.Error(), "no event within") {
		t.Fatalf("stream still open after CloseStreams: %v", err)
	}
	status, _ := n.get("/api/events?rooms=lobby")
	if status != http.StatusServiceUnavailable {
		t.Errorf("new stream during shutdown: status %d, want 503", status)
	}
}
