package web_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/parley-chat/parley/server"
)

// stepTimeout bounds every wait in the browser test; nothing sleeps.
const stepTimeout = 20 * time.Second

// TestBrowserChat drives the real page in two headless Chromium pages (two
// browser contexts, so separate storage) against a real server: A sends a
// line full of HTML metacharacters, B sees it as literal text, B replies,
// A sees the reply, and both pages show the messages in the store's order.
// Then: the server restarts and both pages resume without gaps or
// duplicates; B creates a room that A follows; a line the server refuses
// (4xx) is shown with the server's reason and not retried.
func TestBrowserChat(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	base := ts.URL()
	browser := startBrowser(t, execPath)

	a := newPage(t, browser, "A")
	b := newPage(t, browser, "B")
	for _, p := range []*page{a, b} {
		p.do(chromedp.Navigate(base + "/"))
		p.do(chromedp.WaitVisible(chromedp.ID("input")))
		p.waitJS(`document.getElementById('status').textContent === 'live'`)
	}
	a.setName("alice")
	b.setName("bob")

	// A sends with the Send button.
	const tricky = `<b>hi</b> & "quotes"`
	a.do(chromedp.SendKeys(chromedp.ID("input"), tricky), chromedp.Click(chromedp.ID("send")))
	if v := a.value("input"); v != "" {
		t.Errorf("A: input not cleared after send: %q", v)
	}
	a.waitMessage("alice", tricky)
	a.waitJS(`document.querySelectorAll('#outbox .out').length === 0`)

	// B sees it as literal text: no element was made from the markup.
	b.waitMessage("alice", tricky)
	for _, p := range []*page{a, b} {
		if n := run(p, chromedp.Evaluate[int](`document.querySelectorAll('#messages b, #outbox b').length`)); n != 0 {
			t.Errorf("page %s: %d <b> elements in the message pane; message text was parsed as HTML", p.name, n)
		}
	}

	// B replies with the Enter key.
	const reply = "hello alice & co"
	b.do(chromedp.SendKeys(chromedp.ID("input"), reply), pressEnter)
	b.waitMessage("bob", reply)
	if v := b.value("input"); v != "" {
		t.Errorf("B: input not cleared after Enter: %q", v)
	}
	a.waitMessage("bob", reply)

	// Both pages show exactly the store's messages, in the store's order.
	want := storeMessages(t, base, "lobby")
	if len(want) != 2 {
		t.Fatalf("store holds %d messages in lobby, want 2: %+v", len(want), want)
	}
	for _, p := range []*page{a, b} {
		if got := p.shownMessages(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s shows %+v\nstore has %+v", p.name, got, want)
		}
	}

	// The server restarts: both pages reconnect and resume from their
	// cursor, missing nothing and duplicating nothing.
	for _, p := range []*page{a, b} {
		p.do(chromedp.Evaluate[chromedp.Void](`window.seenStates = [];
			new MutationObserver(() => seenStates.push(document.getElementById('status').textContent))
				.observe(document.getElementById('status'), {childList: true, characterData: true, subtree: true})`))
	}
	ts.restart()
	postMessage(t, base, "lobby", "carol", "sent while you were away")
	for _, p := range []*page{a, b} {
		p.waitMessage("carol", "sent while you were away")
		p.waitJS(`document.getElementById('status').textContent === 'live'`)
		if seen := run(p, chromedp.Evaluate[[]string](`seenStates`)); !slices.Contains(seen, "reconnecting") {
			t.Errorf("page %s: status went %q, never 'reconnecting'", p.name, seen)
		}
	}
	want = storeMessages(t, base, "lobby")
	for _, p := range []*page{a, b} {
		if got := p.shownMessages(); !reflect.DeepEqual(got, want) {
			t.Errorf("after reconnect %s shows %+v\nstore has %+v", p.name, got, want)
		}
	}

	// B creates a room and talks there; A follows by its address, gets the
	// history and then live lines, and finds lobby unchanged on return.
	b.do(chromedp.SendKeys(chromedp.ID("new-room"), "design-review"), chromedp.Click(chromedp.ID("create-room")))
	b.waitJS(`document.getElementById('room-title').textContent === '#design-review'`)
	b.do(chromedp.SendKeys(chromedp.ID("input"), "first in design"), pressEnter)
	b.waitMessage("bob", "first in design")
	a.do(chromedp.Navigate(base + "/#design-review"))
	a.waitMessage("bob", "first in design")
	b.do(chromedp.SendKeys(chromedp.ID("input"), "second in design"), pressEnter)
	a.waitMessage("bob", "second in design")
	if got, want := a.shownMessages(), storeMessages(t, base, "design-review"); !reflect.DeepEqual(got, want) {
		t.Errorf("A in design-review shows %+v\nstore has %+v", got, want)
	}
	a.do(chromedp.Click(chromedp.CSS(`#rooms button[data-room="lobby"]`)))
	a.waitJS(`document.getElementById('room-title').textContent === '#lobby'`)
	if got := a.shownMessages(); !reflect.DeepEqual(got, want) {
		t.Errorf("A back in lobby shows %+v\nstore has %+v", got, want)
	}

	// A 4xx is shown on the line with the server's reason, and not retried.
	// (A bidi override: the page does not check text, the server refuses it.)
	a.do(chromedp.SetValue(chromedp.ID("input"), "refused \u202e"), chromedp.Click(chromedp.ID("send")))
	a.waitJS(`(() => {
		const s = document.querySelector('#outbox .out.rejected .state');
		return !!s && s.textContent.startsWith('not sent: ');
	})()`)
	if got := storeMessages(t, base, "lobby"); len(got) != len(want) {
		t.Errorf("store holds %d messages after a refused send, want %d", len(got), len(want))
	}

	for _, p := range []*page{a, b} {
		p.checkConsole()
	}
}

// ---- browser plumbing ----------------------------------------------------

func findBrowser(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Skip("chromium not installed: apt-get install -y chromium")
	return ""
}

// startBrowser starts one headless browser for the test and returns its
// context; pages are tabs in their own browser contexts.
func startBrowser(t *testing.T, execPath string) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		// Background tabs must keep running timers and streams.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
		chromedp.UserDataDir(t.TempDir()),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx, chromedp.WithLogf(t.Logf))
	t.Cleanup(cancel)
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting %s: %v", execPath, err)
	}
	return ctx
}

type page struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []string // exceptions and CSP violations
}

func newPage(t *testing.T, browser context.Context, name string) *page {
	t.Helper()
	ctx, cancel := chromedp.NewContext(browser, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	p := &page{t: t, name: name, ctx: ctx}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.IsException() || m.Source == "security" || strings.Contains(m.Text, "Content Security Policy") {
				p.mu.Lock()
				p.console = append(p.console, m.String())
				p.mu.Unlock()
			}
		}
	}()
	return p
}

// openChat opens the chat page at base in a new browser context and waits
// until its stream is live.
func openChat(t *testing.T, browser context.Context, base, name string) *page {
	t.Helper()
	p := newPage(t, browser, name)
	p.do(chromedp.Navigate(base + "/"))
	p.do(chromedp.WaitVisible(chromedp.ID("input")))
	p.waitJS(`document.getElementById('status').textContent === 'live'`)
	return p
}

// run runs one action with the step timeout and fails the test on error.
func run[T any](p *page, a chromedp.Action[T]) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		p.t.Fatalf("page %s: %v", p.name, err)
	}
	return v
}

func (p *page) do(steps ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	run(p, chromedp.Steps(steps...))
}

// waitJS waits until the expression is truthy.
func (p *page) waitJS(expr string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingTimeout(stepTimeout))); err != nil {
		p.t.Fatalf("page %s: waiting for %s: %v\n%s", p.name, expr, err, p.debugState())
	}
}

// waitMessage waits until a confirmed message with this sender and text is
// in the pane.
func (p *page) waitMessage(from, text string) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(from, text) =>
		[...document.querySelectorAll('#messages .msg[data-id]')].some((e) =>
			e.querySelector('.from').textContent === from &&
			e.querySelector('.text').textContent === text)`,
		chromedp.WithPollingArgs(from, text),
		chromedp.WithPollingTimeout(stepTimeout)))
	if err != nil {
		p.t.Fatalf("page %s: waiting for message %q from %s: %v\n%s", p.name, text, from, err, p.debugState())
	}
}

func (p *page) value(id string) string {
	p.t.Helper()
	return run(p, chromedp.Value(chromedp.ID(id)))
}

// setName fills in the name field; SetValue also fires input and change,
// as typing and leaving the field would.
func (p *page) setName(name string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.ID("name"), name))
}

type shown struct {
	ID   int64  `json:"id"`
	From string `json:"from"`
	Text string `json:"text"`
}

// shownMessages returns the chat lines the page shows (kind message).
// Join and leave notices are left out, here and in storeMessages: the
// server commits them as streams come and go, asynchronously.
func (p *page) shownMessages() []shown {
	p.t.Helper()
	return run(p, chromedp.Evaluate[[]shown](`[...document.querySelectorAll('#messages .msg[data-kind="message"]')].map((e) => ({
		id: Number(e.dataset.id),
		from: e.querySelector('.from').textContent,
		text: e.querySelector('.text').textContent,
	}))`))
}

func (p *page) debugState() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`'status=' + document.getElementById('status').textContent +
		'\nmessages=' + document.getElementById('messages').textContent +
		'\noutbox=' + document.getElementById('outbox').textContent`))
	if err != nil {
		return "(no page state: " + err.Error() + ")"
	}
	return s
}

func (p *page) checkConsole() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, m := range p.console {
		p.t.Errorf("page %s console: %s", p.name, m)
	}
}

// pressEnter sends Enter as a key press without a char event, as a person's
// keyboard does when the page handles keydown (see chromedp docs/API.md 20).
var pressEnter = chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
	for _, typ := range []input.DispatchKeyEventType{input.DispatchKeyEventTypeRawKeyDown, input.DispatchKeyEventTypeKeyUp} {
		_, err := cdp.Call(ctx, t, input.DispatchKeyEvent, input.DispatchKeyEventParams{
			Type: typ, Key: "Enter", Code: "Enter",
			WindowsVirtualKeyCode: 13, NativeVirtualKeyCode: 13,
		})
		if err != nil {
			return err
		}
	}
	return nil
})

// ---- server --------------------------------------------------------------

// apiClient talks to the server as a third party. No keep-alive: the test
// drops every connection on purpose, and a POST on a dead idle connection
// is not retried.
var apiClient = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: stepTimeout}

// storeMessages reads a room's chat lines (kind message) through the API,
// in store order.
func storeMessages(t *testing.T, base, room string) []shown {
	t.Helper()
	res, err := apiClient.Get(base + "/api/rooms/" + room + "/messages?limit=500")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body struct {
		Messages []struct {
			shown
			Kind string `json:"kind"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil {
		t.Fatalf("GET messages: status %d: %v", res.StatusCode, err)
	}
	lines := []shown{}
	for _, m := range body.Messages {
		if m.Kind == "message" {
			lines = append(lines, m.shown)
		}
	}
	return lines
}

// postMessage sends a line through the API, as another client would.
func postMessage(t *testing.T, base, room, name, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "text": text})
	res, err := apiClient.Post(base+"/api/rooms/"+room+"/messages", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("POST message: status %d, want 201", res.StatusCode)
	}
}

// testServer is a real Parley server on a fresh database, restartable on
// the same address so that pages can reconnect to it.
type testServer struct {
	t      *testing.T
	cfg    server.Config // DB is set by start
	dbPath string
	addr   string // host:port, fixed after the first start
	srv    *server.Server
	ts     *httptest.Server
}

// startServer starts the server. It is stopped after the browser (cleanups
// run in reverse order).
func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerConfig(t, server.Config{})
}

// startServerConfig is startServer with a configuration.
func startServerConfig(t *testing.T, cfg server.Config) *testServer {
	t.Helper()
	s := &testServer{t: t, cfg: cfg, dbPath: filepath.Join(t.TempDir(), "parley.db")}
	s.start()
	t.Cleanup(s.stop)
	return s
}

func (s *testServer) URL() string { return "http://" + s.addr }

func (s *testServer) start() {
	s.t.Helper()
	cfg := s.cfg
	cfg.DB = s.dbPath
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		s.t.Fatal(err)
	}
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		srv.Close()
		s.t.Fatalf("listening on %s: %v", addr, err)
	}
	s.srv = srv
	s.ts = httptest.NewUnstartedServer(srv.Handler())
	s.ts.Listener = srv.Listener(s.ts.Config, ln) // as parley serve: held polls without a goroutine
	s.ts.Start()
	s.addr = ln.Addr().String()
}

// stop ends the streams and closes the store first, so that the HTTP
// server has no open requests left to wait for.
func (s *testServer) stop() {
	if s.srv == nil {
		return
	}
	if err := s.srv.Close(); err != nil {
		s.t.Errorf("closing server: %v", err)
	}
	s.ts.Close()
	s.srv, s.ts = nil, nil
}

func (s *testServer) restart() {
	s.t.Helper()
	s.stop()
	s.start()
}
