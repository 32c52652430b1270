package server_test

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/session"
	"github.com/parley-chat/parley/session/sessiontest"
)

func TestPollWithoutCursorStartsNow(t *testing.T) {
	n := startNode(t, server.Config{})
	var ids []int64
	for i := range 3 {
		ids = append(ids, n.post("lobby", "ada", "old "+strconv.Itoa(i)).ID)
	}
	r, err := n.pollGet("rooms=lobby")
	if err != nil {
		t.Fatal(err)
	}
	if r.header.Get("Cache-Control") != "no-store" || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("poll headers = %v", r.header)
	}
	a, err := r.answer()
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Events) != 0 || a.Cursor != ids[2] || !session.ValidID(a.Session) {
		t.Fatalf("poll without cursor = %+v, want no events, cursor %d and a session", a, ids[2])
	}
	ctx := n.poll("rooms=lobby&last=2&session=" + a.Session)
	if !slices.Equal(ctx.ids(), ids[1:]) || ctx.Cursor != ids[2] || ctx.Session != a.Session {
		t.Fatalf("poll with last=2 = ids %v cursor %d session %q, want %v, %d, %q", ctx.ids(), ctx.Cursor, ctx.Session, ids[1:], ids[2], a.Session)
	}
}

func TestPollAnswersAtOnceWhenEventsWait(t *testing.T) {
	n := startNode(t, server.Config{})
	first := n.post("lobby", "ada", "seen")
	want := []int64{n.post("lobby", "bob", "missed 1").ID, n.post("lobby", "bob", "missed 2").ID}
	// A long timeout: the answer must not wait for it.
	a := n.poll(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=60", first.ID))
	if !slices.Equal(a.ids(), want) || a.Cursor != want[1] {
		t.Fatalf("got ids %v cursor %d, want %v cursor %d", a.ids(), a.Cursor, want, want[1])
	}
	if a.Events[0].Text != "missed 1" || a.Events[0].From != "bob" || a.Events[0].Room != "lobby" {
		t.Errorf("event = %+v", a.Events[0])
	}
}

func TestPollHeldUntilEventArrives(t *testing.T) {
	n := startNode(t, server.Config{})
	start := n.poll("rooms=lobby")
	ch := n.pollAsync(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=30&session=%s", start.Cursor, start.Session))
	n.awaitPollers(1)
	posted := n.post("lobby", "ada", "news")
	a := result(t, ch)
	if !slices.Equal(a.ids(), []int64{posted.ID}) || a.Cursor != posted.ID || a.Session != start.Session {
		t.Fatalf("held poll answered %+v, want [%d] with session %q", a, posted.ID, start.Session)
	}
	if a.Events[0].Text != "news" {
		t.Errorf("event text %q", a.Events[0].Text)
	}
	if n.srv.Pollers() != 0 {
		t.Errorf("%d polls still held after the answer", n.srv.Pollers())
	}
}

func TestPollTimesOutWithSameCursor(t *testing.T) {
	n := startNode(t, server.Config{})
	last := n.post("lobby", "ada", "old").ID
	for _, timeout := range []string{"0.05", "0"} {
		a := n.poll(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=%s", last, timeout))
		if len(a.Events) != 0 || a.Cursor != last {
			t.Errorf("timeout=%s: answer %+v, want no events and cursor %d", timeout, a, last)
		}
	}
}

// A poll that finds nothing answers with the node's mark as its cursor
// when other rooms moved it: the store read proved the poll's rooms hold
// nothing up to it, so the next poll is caught up and skips the store,
// and still misses nothing.
func TestPollTimeoutCarriesTheMarkPastOtherRooms(t *testing.T) {
	n := startNode(t, server.Config{})
	createRoom(t, n, "other")
	last := n.post("lobby", "ada", "old").ID
	var carried pollAnswer
	for _, timeout := range []string{"0.05", "0"} {
		mark := n.post("other", "bob", "elsewhere").ID
		carried = n.poll(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=%s", last, timeout))
		if len(carried.Events) != 0 || carried.Cursor != mark {
			t.Errorf("timeout=%s: answer %+v, want no events and cursor %d (the other room's post)", timeout, carried, mark)
		}
	}
	ch := n.pollAsync(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=30&session=%s", carried.Cursor, carried.Session))
	n.awaitPollers(1)
	posted := n.post("lobby", "ada", "news")
	if a := result(t, ch); !slices.Equal(a.ids(), []int64{posted.ID}) {
		t.Fatalf("held poll from the carried cursor answered %v, want [%d]", a.ids(), posted.ID)
	}
}

// Pollers that keep polling with the cursors they get see exactly the
// store's order, whatever the posts' interleaving.
func TestSuccessivePollsHaveNoGapsOrDuplicates(t *testing.T) {
	const posters, each = 6, 30
	n := startNode(t, server.Config{})
	createRoom(t, n, "b")
	createRoom(t, n, "c")
	start := n.poll("rooms=lobby,b")

	type poller struct {
		rooms string
		got   []int64
		err   error
	}
	pollers := []*poller{{rooms: "lobby,b"}, {rooms: "b,lobby"}, {rooms: "lobby,b"}, {rooms: "b"}}
	wantCount := map[string]int{"lobby,b": 2 * posters / 3 * each, "b,lobby": 2 * posters / 3 * each, "b": posters / 3 * each}
	var postingDone atomic.Bool
	var pwg sync.WaitGroup
	for _, p := range pollers {
		pwg.Go(func() {
			cursor, sid := start.Cursor, ""
			for len(p.got) < wantCount[p.rooms] {
				done := postingDone.Load()
				r, err := n.pollGet(fmt.Sprintf("rooms=%s&cursor=%d&timeout=2&session=%s", p.rooms, cursor, sid))
				var a pollAnswer
				if err == nil {
					a, err = r.answer()
				}
				if err != nil {
					p.err = err
					return
				}
				if len(a.Events) == 0 && done {
					return // nothing more will come: a gap, reported below
				}
				p.got = append(p.got, a.ids()...)
				cursor, sid = a.Cursor, a.Session
			}
		})
	}
	var wg sync.WaitGroup
	for i := range posters {
		wg.Go(func() {
			room := []string{"lobby", "b", "c"}[i%3]
			for k := range each {
				n.post(room, "p"+strconv.Itoa(i), strconv.Itoa(k))
			}
		})
	}
	wg.Wait()
	postingDone.Store(true)
	pwg.Wait()

	both, onlyB := historyIDs(t, n, "lobby", "b"), historyIDs(t, n, "b")
	for i, p := range pollers {
		want := both
		if p.rooms == "b" {
			want = onlyB
		}
		if p.err != nil {
			t.Fatalf("poller %d: %v", i, p.err)
		}
		if !slices.Equal(p.got, want) {
			t.Errorf("poller %d (%s) differs from the store:\n got %v\nwant %v", i, p.rooms, p.got, want)
		}
	}
}

func TestPollMultiRoom(t *testing.T) {
	n := startNode(t, server.Config{})
	createRoom(t, n, "a")
	createRoom(t, n, "b")
	createRoom(t, n, "c")
	start := n.poll("rooms=a,b")
	n.post("c", "ada", "elsewhere")
	want := []int64{n.post("b", "ada", "in b").ID, n.post("a", "ada", "in a").ID}
	a := n.poll(fmt.Sprintf("rooms=a,b&cursor=%d", start.Cursor))
	if !slices.Equal(a.ids(), want) {
		t.Fatalf("got %v, want %v (room c excluded)", a.ids(), want)
	}
	// Held: an event in another room does not answer; one in ours does.
	ch := n.pollAsync(fmt.Sprintf("rooms=a,b&cursor=%d&timeout=30", a.Cursor))
	n.awaitPollers(1)
	n.post("c", "ada", "still elsewhere")
	posted := n.post("a", "ada", "news in a")
	if got := result(t, ch); !slices.Equal(got.ids(), []int64{posted.ID}) {
		t.Fatalf("held poll got %v, want [%d]", got.ids(), posted.ID)
	}
}

func TestPollBatchIsBounded(t *testing.T) {
	n := startNode(t, server.Config{})
	var ids []int64
	for i := range 520 {
		ids = append(ids, n.post("lobby", "ada", strconv.Itoa(i)).ID)
	}
	a := n.poll("rooms=lobby&cursor=0")
	if len(a.Events) != 500 || a.Cursor != ids[499] {
		t.Fatalf("first batch: %d events, cursor %d; want 500, %d", len(a.Events), a.Cursor, ids[499])
	}
	b := n.poll(fmt.Sprintf("rooms=lobby&cursor=%d", a.Cursor))
	if !slices.Equal(append(a.ids(), b.ids()...), ids) {
		t.Fatalf("two batches do not add up to the log")
	}
}

// goneRecorder collects OnSessionGone calls.
type goneRecorder struct {
	mu   sync.Mutex
	gone []string
}

func (g *goneRecorder) add(id string, why session.Reason) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.gone = append(g.gone, id+" "+why.String())
}

func (g *goneRecorder) take() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := g.gone
	g.gone = nil
	return out
}

func TestPollSessionLease(t *testing.T) {
	clock := sessiontest.NewClock(time.Now())
	gone := &goneRecorder{}
	const lease = 40 * time.Second
	n := startNode(t, server.Config{PollLease: lease, SessionClock: clock, OnSessionGone: gone.add})

	s := n.poll("rooms=lobby")
	sid := s.Session

	// A held poll never lapses, however long it is held.
	ch := n.pollAsync(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=30&session=%s", s.Cursor, sid))
	n.awaitPollers(1)
	clock.Advance(10 * lease)
	if g := gone.take(); len(g) != 0 {
		t.Fatalf("sessions gone while held: %v", g)
	}
	posted := n.post("lobby", "ada", "x")
	if a := result(t, ch); a.Session != sid || a.Cursor != posted.ID {
		t.Fatalf("held poll answered %+v", a)
	}

	// Each poll renews the lease.
	for range 3 {
		clock.Advance(lease - time.Second)
		if a := n.poll(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=0&session=%s", posted.ID, sid)); a.Session != sid {
			t.Fatalf("poll within the lease got a new session %q, want %q", a.Session, sid)
		}
	}
	if g := gone.take(); len(g) != 0 {
		t.Fatalf("renewed session gone: %v", g)
	}

	// A poller that does not come back is gone.
	clock.Advance(lease + 2*time.Second)
	if g := gone.take(); !slices.Equal(g, []string{sid + " expired"}) {
		t.Fatalf("gone = %v, want [%s expired]", g, sid)
	}
	a := n.poll(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=0&session=%s", posted.ID, sid))
	if a.Session == sid || !session.ValidID(a.Session) {
		t.Fatalf("poll with a lapsed session got session %q, want a new one", a.Session)
	}
}

func TestPollEndSession(t *testing.T) {
	gone := &goneRecorder{}
	n := startNode(t, server.Config{OnSessionGone: gone.add})
	s := n.poll("rooms=lobby")
	ch := n.pollAsync(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=30&session=%s", s.Cursor, s.Session))
	n.awaitPollers(1)
	resp, body := n.do("DELETE", "/api/poll/session?session="+s.Session, "")
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE session: %d %s", resp.StatusCode, body)
	}
	if a := result(t, ch); len(a.Events) != 0 || a.Cursor != s.Cursor {
		t.Errorf("held poll of an ended session answered %+v", a)
	}
	if g := gone.take(); !slices.Equal(g, []string{s.Session + " ended"}) {
		t.Errorf("gone = %v, want [%s ended]", g, s.Session)
	}
	if resp, _ := n.do("DELETE", "/api/poll/session?session=nope", ""); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("DELETE with a malformed session: %d, want 400", resp.StatusCode)
	}
}

// A second poll of the same session answers the first at once, so a
// client never holds two.
func TestPollSupersedesEarlierPollOfSession(t *testing.T) {
	n := startNode(t, server.Config{})
	s := n.poll("rooms=lobby")
	q := fmt.Sprintf("rooms=lobby&cursor=%d&timeout=30&session=%s", s.Cursor, s.Session)
	first := n.pollAsync(q)
	n.awaitPollers(1)
	second := n.pollAsync(q)
	if a := result(t, first); len(a.Events) != 0 || a.Cursor != s.Cursor {
		t.Fatalf("superseded poll answered %+v, want nothing new", a)
	}
	n.awaitPollers(1)
	posted := n.post("lobby", "ada", "x")
	if a := result(t, second); !slices.Equal(a.ids(), []int64{posted.ID}) {
		t.Fatalf("second poll got %v", a.ids())
	}
}

func TestPollReleasedAtShutdown(t *testing.T) {
	n := startNode(t, server.Config{})
	last := n.post("lobby", "ada", "x").ID
	ch := n.pollAsync(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=60", last))
	n.awaitPollers(1)
	n.srv.CloseStreams()
	if a := result(t, ch); len(a.Events) != 0 || a.Cursor != last {
		t.Fatalf("poll at shutdown answered %+v, want no events and cursor %d", a, last)
	}
	r, err := n.pollGet(fmt.Sprintf("rooms=lobby&cursor=%d", last))
	if err != nil {
		t.Fatal(err)
	}
	if r.status != http.StatusServiceUnavailable || r.header.Get("Retry-After") == "" || apiErrorCode(r.body) != "unavailable" {
		t.Errorf("poll during shutdown: %d %v %s, want 503 with Retry-After", r.status, r.header, r.body)
	}
}

func TestJSONP(t *testing.T) {
	n := startNode(t, server.Config{})
	posted := n.post("lobby", "ada", `</script><script>alert("x")</script> & more`)
	r, err := n.pollGet("rooms=lobby&cursor=0&callback=Parley._jsonp.c1&_=12345")
	if err != nil {
		t.Fatal(err)
	}
	body := string(r.body)
	if r.status != 200 || r.header.Get("Content-Type") != "application/javascript; charset=utf-8" ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("JSONP answer %d %v", r.status, r.header)
	}
	const prefix, suffix = "/**/Parley._jsonp.c1(", ");\n"
	if !strings.HasPrefix(body, prefix) || !strings.HasSuffix(body, suffix) {
		t.Fatalf("JSONP body %q", body)
	}
	if strings.Contains(body, "</script") || strings.Contains(body, "<script") {
		t.Errorf("JSONP body can close a script element: %q", body)
	}
	inner := pollResp{status: 200, header: http.Header{"Content-Type": {"application/json; charset=utf-8"}},
		body: []byte(strings.TrimSuffix(strings.TrimPrefix(body, prefix), suffix))}
	a, err := inner.answer()
	if err != nil || !slices.Equal(a.ids(), []int64{posted.ID}) || a.Events[0].Text != posted.Text {
		t.Fatalf("JSONP payload %+v, %v", a, err)
	}

	// Errors, once the callback is valid, reach the callback with 200.
	r, _ = n.pollGet("rooms=nope&callback=cb")
	if r.status != 200 || !strings.HasPrefix(string(r.body), `/**/cb({"status":404,"error":{"code":"not_found",`) {
		t.Errorf("JSONP error: %d %q", r.status, r.body)
	}
}

func TestPollRejectsBadRequests(t *testing.T) {
	n := startNode(t, server.Config{})
	tooMany := make([]string, 33)
	for i := range tooMany {
		tooMany[i] = "r" + strconv.Itoa(i)
	}
	cases := []struct {
		name, query string
		status      int
	}{
		{"callback with a call", "callback=alert(1)", 400},
		{"callback with a space", "callback=a%20b", 400},
		{"callback with an empty part", "callback=a..b", 400},
		{"callback starting with a digit", "callback=1abc", 400},
		{"callback ending with a dot", "callback=a.", 400},
		{"callback too long", "callback=" + strings.Repeat("a", 65), 400},
		{"callback reserved word", "callback=function", 400},
		{"callback empty", "callback=", 400},
		{"callback with angle brackets", "callback=%3Cscript%3E", 400},
		{"negative cursor", "cursor=-1", 400},
		{"text cursor", "cursor=abc", 400},
		{"cursor with exponent", "cursor=1e3", 400},
		{"cursor overflow", "cursor=99999999999999999999", 400},
		{"too many rooms", "rooms=" + strings.Join(tooMany, ","), 400},
		{"bad room name", "rooms=Lobby!", 400},
		{"unknown room", "rooms=nope", 404},
		{"timeout over the maximum", "cursor=0&timeout=61", 400},
		{"negative timeout", "cursor=0&timeout=-1", 400},
		{"text timeout", "cursor=0&timeout=soon", 400},
		{"timeout with exponent", "cursor=0&timeout=1e1", 400},
		{"hexadecimal timeout", "cursor=0&timeout=0x10", 400},
		{"timeout NaN", "cursor=0&timeout=NaN", 400},
		{"timeout with too many decimals", "cursor=0&timeout=1.2345", 400},
		{"timeout with a unit", "cursor=0&timeout=5s", 400},
		{"last too big", "last=501", 400},
		{"malformed session", "session=abc", 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := n.pollGet(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			if r.status != tc.status {
				t.Errorf("status = %d, want %d: %s", r.status, tc.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type = %q, want a JSON error", ct)
			}
			if code := apiErrorCode(r.body); code == "" {
				t.Errorf("body %q is not an API error", r.body)
			}
			if strings.Contains(string(r.body), "/**/") {
				t.Errorf("error was wrapped as JSONP: %s", r.body)
			}
		})
	}
	// JSONP is GET only.
	for _, method := range []string{"POST", "DELETE"} {
		resp, body := n.do(method, "/api/poll?callback=cb", "{}", "Content-Type", "application/json")
		if resp.StatusCode != 400 || apiErrorCode(body) != "invalid" {
			t.Errorf("%s with a callback: %d %s, want 400 invalid", method, resp.StatusCode, body)
		}
	}
}

// A restarted node has published nothing yet, but a poll with an old
// cursor still gets what was committed before the restart.
func TestPollResumesAcrossRestart(t *testing.T) {
	db := t.TempDir() + "/parley.db"
	a := startNode(t, server.Config{DB: db})
	seen := a.post("lobby", "ada", "seen")
	want := []int64{a.post("lobby", "ada", "unseen 1").ID, a.post("lobby", "ada", "unseen 2").ID}
	a.stop()

	b := startNode(t, server.Config{DB: db})
	got := b.poll(fmt.Sprintf("rooms=lobby&cursor=%d&timeout=0.5", seen.ID))
	if !slices.Equal(got.ids(), want) {
		t.Fatalf("after restart got %v, want %v", got.ids(), want)
	}
	if start := b.poll("rooms=lobby"); start.Cursor != want[1] {
		t.Errorf("poll without cursor after restart: cursor %d, want %d", start.Cursor, want[1])
	}
}
