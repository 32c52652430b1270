package web_test

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/parley-chat/parley/server"
)

// TestBrowserTransports: a page forced to long polling (/?transport=poll)
// chats with a page on the default transport ('auto', which must pick the
// WebSocket when the server has one). Lines sent from both sides at once
// show on both pages in the store's order; after a server restart both
// resume on their transport without gaps or duplicates.
func TestBrowserTransports(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	base := ts.URL()
	requireEndpoint(t, base, "/api/poll?rooms=lobby", "long polling")
	// 'auto' must pick the best transport the server has: strict once
	// /api/ws exists.
	wantDefault := "ws"
	if !endpointExists(t, base, "/api/ws") {
		t.Logf("GET /api/ws answers 404: the WebSocket transport is not wired yet, so 'auto' must pick SSE")
		wantDefault = "sse"
	}
	browser := startBrowser(t, execPath)

	pp := newPage(t, browser, "poll")
	dp := newPage(t, browser, "default")
	pp.do(chromedp.Navigate(base + "/?transport=poll"))
	dp.do(chromedp.Navigate(base + "/"))
	for _, p := range []*page{pp, dp} {
		p.do(chromedp.WaitVisible(chromedp.ID("input")))
		p.waitJS(`document.getElementById('status').textContent === 'live'`)
	}
	pp.wantTransport("poll")
	dp.wantTransport(wantDefault)
	pp.setName("polly")
	dp.setName("dora")

	// Both sides type without waiting for each other, so the lines
	// interleave in the store.
	for _, line := range []string{"one", "two", "three"} {
		pp.do(chromedp.SendKeys(chromedp.ID("input"), "poll "+line), pressEnter)
		dp.do(chromedp.SendKeys(chromedp.ID("input"), "default "+line), pressEnter)
	}
	for _, p := range []*page{pp, dp} {
		for _, line := range []string{"one", "two", "three"} {
			p.waitMessage("polly", "poll "+line)
			p.waitMessage("dora", "default "+line)
		}
		p.waitJS(`document.querySelectorAll('#outbox .out').length === 0`)
	}
	// Sending goes over the WebSocket when that is the transport, else it
	// is a POST (history GETs have a query; posts have none).
	posts := `performance.getEntriesByType('resource').filter((e) => /\/api\/rooms\/lobby\/messages$/.test(e.name)).length`
	if n := run(pp, chromedp.Evaluate[int](posts)); n != 3 {
		t.Errorf("poll page: %d POSTs of messages, want 3", n)
	}
	if n := run(dp, chromedp.Evaluate[int](posts)); wantDefault == "ws" && n != 0 {
		t.Errorf("WebSocket page: %d POSTs of messages, want 0: lines go over the socket", n)
	}
	want := storeMessages(t, base, "lobby")
	if len(want) != 6 {
		t.Fatalf("store holds %d messages in lobby, want 6: %+v", len(want), want)
	}
	for _, p := range []*page{pp, dp} {
		if got := p.shownMessages(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s shows %+v\nstore has %+v", p.name, got, want)
		}
	}

	// A restart: a held poll and an open WebSocket must both end, and both
	// pages resume from their cursor on the same transport.
	for _, p := range []*page{pp, dp} {
		p.do(chromedp.Evaluate[chromedp.Void](`window.seenStates = [];
			new MutationObserver(() => seenStates.push(document.getElementById('status').textContent))
				.observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true})`))
	}
	began := time.Now()
	ts.restart()
	if d := time.Since(began); d > 5*time.Second {
		t.Errorf("restart took %v: the server's Close did not end held polls or open WebSockets", d.Round(time.Millisecond))
	}
	postMessage(t, base, "lobby", "carol", "sent while you were away")
	for _, p := range []*page{pp, dp} {
		p.waitMessage("carol", "sent while you were away")
		p.waitJS(`document.getElementById('status').textContent === 'live'`)
	}
	// A poller has no connection to lose: the server answers its held poll
	// on shutdown, and the next poll may well reach the new server. Only the
	// stream must have noticed.
	if seen := run(dp, chromedp.Evaluate[[]string](`seenStates`)); !slices.Contains(seen, "reconnecting") {
		t.Errorf("page %s: status went %q, never 'reconnecting'", dp.name, seen)
	}
	pp.wantTransport("poll")
	dp.wantTransport(wantDefault)
	pp.do(chromedp.SendKeys(chromedp.ID("input"), "poll after restart"), pressEnter)
	dp.waitMessage("polly", "poll after restart")
	dp.do(chromedp.SendKeys(chromedp.ID("input"), "default after restart"), pressEnter)
	pp.waitMessage("dora", "default after restart")
	want = storeMessages(t, base, "lobby")
	for _, p := range []*page{pp, dp} {
		p.waitJS(`document.querySelectorAll('#outbox .out').length === 0`)
		if got := p.shownMessages(); !reflect.DeepEqual(got, want) {
			t.Errorf("after restart %s shows %+v\nstore has %+v", p.name, got, want)
		}
		p.checkConsole()
	}
}

// TestBrowserCrossOrigin: pages served by other origins load parley.js
// from the Parley server and talk to it.
//
//   - From an allowed origin, a page receives by long polling over JSONP
//     and sends with a CORS POST; a page there on the default transport
//     works too.
//   - From an origin not in the list, POST is refused, while receiving
//     still works: 'auto' falls back to JSONP long polling by itself.
func TestBrowserCrossOrigin(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)

	// The pages' servers start first: the Parley server needs one's origin.
	var parleyBaseV atomic.Value // string, set once the server runs
	pageHandler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := crossOriginPage.Execute(w, parleyBaseV.Load()); err != nil {
			t.Errorf("page template: %v", err)
		}
	})
	allowed := httptest.NewServer(pageHandler)
	t.Cleanup(allowed.Close)
	denied := httptest.NewServer(pageHandler)
	t.Cleanup(denied.Close)

	ts := startServerConfig(t, server.Config{CORSOrigins: []string{allowed.URL}})
	parleyBase := ts.URL()
	parleyBaseV.Store(parleyBase)
	requireEndpoint(t, parleyBase, "/api/poll?rooms=lobby", "long polling")
	wantAuto := "ws" // a listed origin may open a WebSocket
	if !endpointExists(t, parleyBase, "/api/ws") {
		wantAuto = "sse"
	}
	browser := startBrowser(t, execPath)

	// Allowed origin, long polling over JSONP (asked for).
	ap := newPage(t, browser, "allowed-jsonp")
	ap.do(chromedp.Navigate(allowed.URL + "/?transport=poll&jsonp=1"))
	ap.waitJS(`client.state === 'live' && client.transportName === 'poll'`)
	ap.wantJSONP()

	postMessage(t, parleyBase, "lobby", "gopher", "to the other origin")
	ap.waitGot("gopher", "to the other origin")

	res := ap.sendLine("from the other origin")
	if res.ID == 0 {
		t.Fatalf("allowed origin: send failed: %+v", res)
	}
	if !slices.ContainsFunc(storeMessages(t, parleyBase, "lobby"), func(m shown) bool {
		return m.ID == res.ID && m.From == "xo" && m.Text == "from the other origin"
	}) {
		t.Errorf("allowed origin: message %d is not in the store", res.ID)
	}
	ap.waitGot("xo", "from the other origin")
	// Polls keep cycling (the page holds them 1s): the callbacks of finished
	// polls are gone, at most the one in flight is left.
	ap.waitJS(`performance.getEntriesByType('resource').filter((e) => e.name.includes('/api/poll?')).length >= 4`)
	if n := run(ap, chromedp.Evaluate[int](`Object.keys(Parley._jsonp).length`)); n > 1 {
		t.Errorf("allowed origin: %d JSONP callbacks left behind, want at most 1", n)
	}
	if n := run(ap, chromedp.Evaluate[int](`document.querySelectorAll('script[src*="/api/poll"]').length`)); n > 1 {
		t.Errorf("allowed origin: %d JSONP script elements left behind, want at most 1", n)
	}

	// Errors arrive as such over JSONP (HTTP 200, the status in the body)
	// and over CORS fetch (the HTTP status).
	for _, jsonp := range []bool{true, false} {
		got := run(ap, chromedp.Evaluate[sendResult](`new Promise((resolve) => {
			const c = new Parley.Client({base: client.base, rooms: ['no-such-room'], transport: 'poll', jsonp: `+strconv.FormatBool(jsonp)+`, last: 0});
			c.on('error', (e) => {
				c.close();
				resolve({error: e.message, code: e.code, status: e.status});
			});
			c.connect();
		})`, chromedp.EvalAwaitPromise))
		if got.Code != "not_found" || got.Status != http.StatusNotFound {
			t.Errorf("allowed origin, poll of an unknown room (jsonp %v): error %+v, want not_found, 404", jsonp, got)
		}
	}

	// Allowed origin, default transport: whatever 'auto' picks must work
	// from another origin (this is what docs/drafts/client.md shows).
	au := newPage(t, browser, "allowed-auto")
	au.do(chromedp.Navigate(allowed.URL + "/?transport=auto"))
	au.waitJS(`client.state === 'live'`)
	if auto := run(au, chromedp.Evaluate[string](`client.transportName`)); auto != wantAuto {
		t.Errorf("allowed origin, transport 'auto': picked %q, want %q", auto, wantAuto)
	}
	postMessage(t, parleyBase, "lobby", "gopher", "to auto")
	au.waitGot("gopher", "to auto")
	if res := au.sendLine("auto from the other origin"); res.ID == 0 {
		t.Errorf("allowed origin, auto: send failed: %+v", res)
	}
	ap.waitGot("xo", "auto from the other origin")

	// An origin not in the list: its WebSocket, event stream and fetch are
	// all refused, so 'auto' ends up polling over JSONP, which it was not
	// told to use. Its POST is refused and nothing is stored.
	dn := newPage(t, browser, "denied")
	dn.do(chromedp.Navigate(denied.URL + "/?transport=auto"))
	dn.waitJS(`client.state === 'live' && client.transportName === 'poll'`)
	dn.wantJSONP()
	res = dn.sendLine("should be refused")
	if res.ID != 0 || res.Error == "" {
		t.Errorf("denied origin: send = %+v, want an error", res)
	}
	t.Logf("denied origin: send refused: %+v", res)
	if slices.ContainsFunc(storeMessages(t, parleyBase, "lobby"), func(m shown) bool { return m.Text == "should be refused" }) {
		t.Errorf("denied origin: a refused message is in the store")
	}
	postMessage(t, parleyBase, "lobby", "gopher", "to everyone")
	for _, p := range []*page{ap, au, dn} {
		p.waitGot("gopher", "to everyone")
	}
	for _, p := range []*page{ap, au} {
		p.checkConsole() // the denied page logs its CORS refusals
	}
}

// TestBrowserFallback: 'auto' ends up on long polling where nothing
// better works, and the chat works there.
//
//   - An old browser, without WebSocket and EventSource, polls at once.
//   - Behind a proxy that refuses WebSocket upgrades and buffers event
//     streams (nothing reaches the page), the page gives each a few
//     seconds and then polls.
func TestBrowserFallback(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	base := ts.URL()
	requireEndpoint(t, base, "/api/poll?rooms=lobby", "long polling")

	target, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.FlushInterval = -1
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/ws":
			http.Error(w, "WebSocket is not allowed here", http.StatusForbidden)
		case "/api/events":
			<-r.Context().Done() // buffered: the page never sees a byte
		default:
			rp.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(proxy.Close)
	browser := startBrowser(t, execPath)

	old := newPage(t, browser, "old-browser")
	old.do(chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdppage.AddScriptToEvaluateOnNewDocument, cdppage.AddScriptToEvaluateOnNewDocumentParams{
			Source: `delete window.WebSocket; delete window.EventSource; window.WebSocket = window.EventSource = undefined;`,
		})
		return err
	}))
	old.do(chromedp.Navigate(base + "/"))
	behind := newPage(t, browser, "behind-proxy")
	behind.do(chromedp.Navigate(proxy.URL + "/"))
	for _, p := range []*page{old, behind} {
		p.do(chromedp.WaitVisible(chromedp.ID("input")))
		p.waitJS(`document.getElementById('status').textContent === 'live'`)
		p.wantTransport("poll")
	}
	if n := run(old, chromedp.Evaluate[int](`performance.getEntriesByType('resource').filter((e) => /\/api\/(ws|events)/.test(e.name)).length`)); n != 0 {
		t.Errorf("old browser: %d attempts at WebSocket or event stream, want none", n)
	}

	old.setName("oldie")
	behind.setName("proxied")
	old.do(chromedp.SendKeys(chromedp.ID("input"), "from an old browser"), pressEnter)
	behind.waitMessage("oldie", "from an old browser")
	behind.do(chromedp.SendKeys(chromedp.ID("input"), "from behind a proxy"), pressEnter)
	old.waitMessage("proxied", "from behind a proxy")
	want := storeMessages(t, base, "lobby")
	for _, p := range []*page{old, behind} {
		p.waitJS(`document.querySelectorAll('#outbox .out').length === 0`)
		if got := p.shownMessages(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s shows %+v\nstore has %+v", p.name, got, want)
		}
		p.checkConsole()
	}
}

// crossOriginPage is the test's page on another origin. Query: transport
// (default poll), jsonp=1 to ask for JSONP.
var crossOriginPage = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Parley from another origin</title>
<script src="{{.}}/parley.js"></script>
</head>
<body>
<p id="status">loading</p>
<ol id="messages"></ol>
<p id="outbox"></p>
<script>
(function () {
  const q = new URLSearchParams(location.search);
  const opts = {base: {{.}}, rooms: ['lobby'], last: 0, pollTimeout: 1, transport: q.get('transport') || 'poll'};
  if (q.get('jsonp') === '1') opts.jsonp = true;
  const client = window.client = new Parley.Client(opts);
  const status = document.getElementById('status');
  const list = document.getElementById('messages');
  window.got = [];
  client.on('state', (s) => { status.textContent = s + ' ' + client.transportName; });
  client.on('message', (m) => {
    got.push({id: m.id, from: m.from, text: m.text});
    const li = document.createElement('li');
    li.textContent = m.from + ': ' + m.text;
    list.append(li);
  });
  client.connect();
  window.sendLine = (text) => client.send('lobby', text, 'xo').then(
    (m) => ({id: m.id}),
    (e) => {
      document.getElementById('outbox').textContent = 'not sent: ' + e.message;
      return {error: e.message || 'error', code: e.code, status: e.status};
    });
})();
</script>
</body>
</html>
`))

type sendResult struct {
	ID     int64  `json:"id"`
	Error  string `json:"error"`
	Code   string `json:"code"`
	Status int    `json:"status"`
}

// sendLine sends a line from the cross-origin page as name "xo".
func (p *page) sendLine(text string) sendResult {
	p.t.Helper()
	return run(p, chromedp.Evaluate[sendResult](`sendLine(`+jsString(text)+`)`, chromedp.EvalAwaitPromise))
}

// waitGot waits until the cross-origin page received this message.
func (p *page) waitGot(from, text string) {
	p.t.Helper()
	p.waitJS(`got.some((m) => m.from === ` + jsString(from) + ` && m.text === ` + jsString(text) + `)`)
}

// wantJSONP checks that the page polled with script tags, not fetch.
func (p *page) wantJSONP() {
	p.t.Helper()
	polls := run(p, chromedp.Evaluate[[]string](`performance.getEntriesByType('resource')
		.filter((e) => e.name.includes('/api/poll?')).map((e) => e.initiatorType + ' ' + e.name)`))
	jsonp := false
	for _, e := range polls {
		if strings.HasPrefix(e, "script ") && strings.Contains(e, "callback=Parley._jsonp.") {
			jsonp = true
		}
	}
	if !jsonp {
		p.t.Errorf("page %s: no JSONP poll; polls were %q", p.name, polls)
	}
}

// wantTransport checks the transport the chat page shows.
func (p *page) wantTransport(want string) {
	p.t.Helper()
	got := run(p, chromedp.Evaluate[string](`document.getElementById('transport').dataset.transport`))
	if got != want {
		p.t.Errorf("page %s: transport %q, want %q", p.name, got, want)
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// endpointExists tells whether the server has a handler at path: the API
// answers 404 for unknown endpoints.
func endpointExists(t *testing.T, base, path string) bool {
	t.Helper()
	res, err := apiClient.Get(base + path)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode != http.StatusNotFound
}

func requireEndpoint(t *testing.T, base, path, what string) {
	t.Helper()
	if !endpointExists(t, base, path) {
		t.Skipf("GET %s answers 404: the %s transport is not wired into server.New yet", path, what)
	}
}
