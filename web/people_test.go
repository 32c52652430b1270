package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/parley-chat/parley/internal/servicetest"
)

const (
	adaPassword = "ada-analytical-engine"
	bobPassword = "bob-builds-bridges"
)

// TestBrowserPeople drives the people features of the page against a real
// server, with three browser contexts: ada and bob log in with the form,
// gus goes on as a guest. Each transport is used by one of them (ada the
// default, WebSocket; bob the event stream; gus long polling), so the
// member lists of all three are exercised.
//
//   - A wrong password shows the server's message; the page keeps no token.
//   - A guest cannot go by a registered user's name.
//   - Live presence: bob appears in ada's member list once he logs in, and
//     once only with two tabs open; a late guest gets the list from the
//     server (the join notices are out of his replay); guests are marked;
//     nobody but logged-in users gets a direct-message button, and never
//     for guests or oneself.
//   - ada writes to bob from the member list; bob finds the conversation
//     under "Direct messages" and answers; ada sees it; gus sees neither.
//   - ada creates a private room, marked as such.
//   - bob logs out (he leaves: ada sees the notice and loses him from the
//     list), logs in again, and closes the page (he leaves again).
//   - On a phone-sized screen the member list opens from a button.
func TestBrowserPeople(t *testing.T) {
	base, browser := accountsServer(t)
	peopleScenario(t, base, browser)
}

// peopleScenario is TestBrowserPeople against a server at base that has
// the users ada and bob.
func peopleScenario(t *testing.T, base string, browser context.Context) {
	// ---- ada: a wrong password first, then in -------------------------
	ada := newPage(t, browser, "ada")
	ada.do(chromedp.Navigate(base + "/"))
	ada.do(chromedp.WaitVisible(chromedp.ID("login-form")))
	ada.waitJS(`document.getElementById('status').textContent === 'live'`)
	ada.fillLogin("ada", "not the password")
	ada.waitJS(`document.getElementById('login-error').textContent !== ''`)
	if msg := run(ada, chromedp.Evaluate[string](`document.getElementById('login-error').textContent`)); !strings.Contains(strings.ToLower(msg), "password") {
		t.Logf("ada: wrong password shows %q", msg)
	}
	if run(ada, chromedp.Evaluate[bool](`document.getElementById('user-who').hidden`)) != true {
		t.Errorf("ada: shown as logged in after a wrong password")
	}
	ada.login("ada", adaPassword)
	// The session is an HttpOnly cookie: nothing for scripts to read or keep.
	if leak := run(ada, chromedp.Evaluate[string](`document.cookie + ' ' +
		Object.keys(localStorage).filter((k) => !['parley.name', 'parley.guest', 'parley.seen'].includes(k)).join(',')`)); strings.TrimSpace(leak) != "" {
		t.Errorf("ada: the page keeps credentials where scripts see them: %q", leak)
	}
	ada.waitMember("ada")
	ada.wantMember("ada", memberWant{you: true})

	// ---- bob, on the event stream --------------------------------------
	bob := newPage(t, browser, "bob")
	bob.do(chromedp.Navigate(base + "/?transport=sse"))
	bob.do(chromedp.WaitVisible(chromedp.ID("login-form")))
	bob.login("bob", bobPassword)
	bob.wantTransport("sse")
	ada.waitMember("bob") // live: bob entered after ada's list came
	bob.waitMember("ada")
	ada.wantMember("bob", memberWant{dm: true})
	bob.wantMember("ada", memberWant{dm: true})
	bob.wantMember("bob", memberWant{you: true})

	// ---- gus, a guest, long polling ------------------------------------
	// He comes late: ada's and bob's join notices are further back than
	// the 50 lines a page replays, so his list must come from the server.
	for i := range 60 {
		postMessage(t, base, "lobby", "filler", "line "+strconv.Itoa(i))
	}
	ada.waitMessage("filler", "line 59")
	gus := newPage(t, browser, "gus")
	gus.do(chromedp.Navigate(base + "/?transport=poll"))
	gus.do(chromedp.WaitVisible(chromedp.ID("guest-form")))
	// A registered user's name is refused, with the server's reason.
	gus.do(chromedp.SetValue(chromedp.ID("guest-name"), "bob"), chromedp.Click(chromedp.ID("guest-continue")))
	gus.waitJS(`document.getElementById('guest-error').textContent !== '' && !document.getElementById('auth-panel').hidden`)
	gus.do(chromedp.SetValue(chromedp.ID("guest-name"), "gus"), chromedp.Click(chromedp.ID("guest-continue")))
	gus.waitJS(`document.getElementById('auth-panel').hidden && document.getElementById('status').textContent === 'live'`)
	gus.wantTransport("poll")
	gus.waitMember("ada")
	gus.waitMember("bob")
	gus.waitMember("gus")
	for _, name := range []string{"ada", "bob"} {
		gus.wantMember(name, memberWant{}) // a guest cannot write directly
	}
	gus.wantMember("gus", memberWant{guest: true, you: true})
	if n := run(gus, chromedp.Evaluate[int](`document.querySelectorAll('#members button, .member-dm').length`)); n != 0 {
		t.Errorf("gus: %d direct-message buttons in the member list of a guest, want 0", n)
	}
	if !run(gus, chromedp.Evaluate[bool](`document.getElementById('dm-section').hidden && document.getElementById('new-room-private-row').hidden`)) {
		t.Errorf("gus: a guest is offered direct messages or private rooms")
	}
	for _, p := range []*page{ada, bob} {
		p.waitJS(`(() => {
			const e = document.querySelector('#members li.member[data-name="gus"]');
			return !!e && e.dataset.guest === 'true';
		})()`)
		p.wantMember("gus", memberWant{guest: true})
	}

	// ---- a direct conversation, started from the member list -----------
	const toBob = `bob, a word in private: <i>not HTML</i> & more`
	ada.do(chromedp.Click(chromedp.CSS(`#members button.member-dm[data-user="bob"]`)))
	ada.waitJS(`document.getElementById('room-title').textContent === '@bob'`)
	ada.do(chromedp.SendKeys(chromedp.ID("input"), toBob), pressEnter)
	ada.waitMessage("ada", toBob)
	ada.waitJS(`document.querySelectorAll('#outbox .out').length === 0`)
	ada.waitJS(`!!document.querySelector('#dms button.dm[data-room="@ada,bob"][data-user="bob"][aria-current="true"]')`)

	bob.waitJS(`!!document.querySelector('#dms button.dm[data-room="@ada,bob"][data-user="ada"]')`)
	bob.do(chromedp.Click(chromedp.CSS(`#dms button[data-user="ada"]`)))
	bob.waitJS(`document.getElementById('room-title').textContent === '@ada'`)
	bob.waitMessage("ada", toBob)
	const toAda = "got it, ada"
	bob.do(chromedp.SendKeys(chromedp.ID("input"), toAda), pressEnter)
	bob.waitMessage("bob", toAda)
	ada.waitMessage("bob", toAda)
	for _, p := range []*page{ada, bob} {
		if n := run(p, chromedp.Evaluate[int](`document.querySelectorAll('#messages i').length`)); n != 0 {
			t.Errorf("page %s: a direct message was parsed as HTML", p.name)
		}
	}
	// The conversation is theirs alone.
	if run(gus, chromedp.Evaluate[bool](`document.body.textContent.includes('a word in private') || document.body.textContent.includes('got it, ada')`)) {
		t.Errorf("gus: a guest's page shows ada and bob's direct messages")
	}
	res, err := apiClient.Get(base + "/api/users/bob/messages")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized && res.StatusCode != http.StatusForbidden {
		t.Errorf("GET /api/users/bob/messages without credentials: status %d, want 401 or 403", res.StatusCode)
	}

	// ---- a private room --------------------------------------------------
	ada.do(chromedp.Click(chromedp.CSS(`#rooms button[data-room="lobby"]`)))
	ada.waitJS(`document.getElementById('room-title').textContent === '#lobby'`)
	ada.do(chromedp.WaitVisible(chromedp.ID("new-room-private")))
	ada.do(chromedp.SendKeys(chromedp.ID("new-room"), "secret"), chromedp.Click(chromedp.ID("new-room-private")), chromedp.Click(chromedp.ID("create-room")))
	ada.waitJS(`document.getElementById('room-title').textContent === '#secret'`)
	ada.waitJS(`(() => {
		const b = document.querySelector('#rooms button[data-room="secret"]');
		return !!b && b.dataset.visibility === 'private' && /private/.test(b.getAttribute('aria-label') || '');
	})()`)
	ada.waitJS(`!document.getElementById('room-badge').hidden && document.getElementById('room-badge').textContent === 'private'`)
	ada.do(chromedp.Click(chromedp.CSS(`#rooms button[data-room="lobby"]`)))
	ada.waitJS(`document.getElementById('room-title').textContent === '#lobby'`)
	ada.waitMember("bob")

	// ---- removed from a private room: the page lets it go ----------------
	// bob is invited and joins; ada removes him; when bob's stream next
	// opens (he opens another room), it must not be refused forever for
	// the room he lost.
	ada.api("POST", "/api/rooms/secret/invites", `{"user":"bob"}`)
	bob.api("POST", "/api/rooms/secret/join", "")
	bob.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#secret'`))
	bob.waitJS(`document.getElementById('room-title').textContent === '#secret' && document.getElementById('status').textContent === 'live'`)
	ada.api("POST", "/api/rooms", `{"name":"after-secret"}`)
	ada.api("DELETE", "/api/rooms/secret/members/bob", "")
	bob.do(chromedp.Evaluate[chromedp.Void](`location.hash = '#after-secret'`))
	bob.waitJS(`document.getElementById('room-title').textContent === '#after-secret' && document.getElementById('status').textContent === 'live' &&
		!document.querySelector('#rooms button[data-room="secret"]')`)

	// ---- many tabs, one member -------------------------------------------
	bob.do(chromedp.Click(chromedp.CSS(`#rooms button[data-room="lobby"]`)))
	tabCtx, closeTab := chromedp.NewContext(bob.ctx) // a second tab, same cookies
	t.Cleanup(closeTab)
	// The first run opens the tab and ties it to its context: no timeout.
	if err := chromedp.Do(tabCtx); err != nil {
		t.Fatalf("opening a second tab for bob: %v", err)
	}
	bob2 := &page{t: t, name: "bob-tab-2", ctx: tabCtx}
	bob2.do(chromedp.Navigate(base + "/"))
	bob2.waitJS(`document.getElementById('me').textContent === 'bob' && document.getElementById('status').textContent === 'live'`)
	bob2.waitMember("ada")
	bob2.waitMember("bob")
	for _, p := range []*page{ada, bob, bob2, gus} {
		if n := run(p, chromedp.Evaluate[int](`document.querySelectorAll('#members li.member[data-name="bob"]').length`)); n != 1 {
			t.Errorf("page %s: bob, with two tabs, is listed %d times, want once", p.name, n)
		}
	}
	closeTab()

	// ---- bob logs out: he leaves ---------------------------------------
	mark := ada.lastID()
	bob.do(chromedp.Click(chromedp.ID("logout")))
	bob.do(chromedp.WaitVisible(chromedp.ID("login-form")))
	bob.waitJS(`document.getElementById('user-who').hidden && document.getElementById('dm-section').hidden &&
		!document.querySelector('#dms button') && document.getElementById('room-title').textContent === '#lobby'`)
	for _, p := range []*page{ada, gus} {
		p.waitLeave("bob", mark)
		p.waitNoMember("bob")
		p.waitMember("ada")
	}

	// ---- back in, then the page closes: he leaves again -----------------
	bob.login("bob", bobPassword)
	ada.waitMember("bob")
	mark = ada.lastID()
	if err := chromedp.Cancel(bob.ctx); err != nil {
		t.Fatalf("closing bob's page: %v", err)
	}
	ada.waitLeave("bob", mark)
	ada.waitNoMember("bob")
	gus.waitNoMember("bob")

	// ---- a phone-sized screen --------------------------------------------
	gus.do(chromedp.EmulateViewport(375, 740))
	gus.waitJS(`getComputedStyle(document.getElementById('members-panel')).display === 'none'`)
	gus.do(chromedp.WaitVisible(chromedp.ID("members-toggle")), chromedp.Click(chromedp.ID("members-toggle")))
	gus.do(chromedp.WaitVisible(chromedp.CSS(`#members li.member[data-name="ada"]`)))
	if w := run(gus, chromedp.Evaluate[int](`document.documentElement.scrollWidth - window.innerWidth`)); w > 0 {
		t.Errorf("gus: the narrow page scrolls sideways by %d px", w)
	}
	gus.do(chromedp.Click(chromedp.ID("members-close")))
	gus.waitJS(`getComputedStyle(document.getElementById('members-panel')).display === 'none'`)
	gus.do(chromedp.WaitVisible(chromedp.ID("input")))

	for _, p := range []*page{ada, gus} {
		p.checkConsole()
	}
}

// fillLogin submits the log-in form.
func (p *page) fillLogin(name, password string) {
	p.t.Helper()
	p.do(
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SetValue(chromedp.ID("login-name"), name),
		chromedp.SetValue(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
	)
}

// login logs in with the form and waits until the page is live as name.
func (p *page) login(name, password string) {
	p.t.Helper()
	p.fillLogin(name, password)
	p.waitFn(`(name) => document.getElementById('me').textContent === name &&
		!document.getElementById('user-who').hidden && document.getElementById('auth-panel').hidden &&
		document.getElementById('login-password').value === '' &&
		document.getElementById('status').textContent === 'live'`, name)
}

// waitFn waits until fn(args...) is truthy.
// api calls the HTTP API from the page (with its cookies) and fails the
// test unless the answer is a 2xx.
func (p *page) api(method, path, body string) {
	p.t.Helper()
	init := map[string]any{"method": method, "headers": map[string]string{"Content-Type": "application/json"}}
	if body != "" {
		init["body"] = body
	}
	js, _ := json.Marshal(init)
	run(p, chromedp.Evaluate[bool](fmt.Sprintf(`(window.apiStatus = 0, fetch(%q, %s).then((r) => { window.apiStatus = r.status; }), true)`, path, js)))
	p.waitJS(`window.apiStatus !== 0`)
	if status := run(p, chromedp.Evaluate[int](`window.apiStatus`)); status/100 != 2 {
		p.t.Fatalf("page %s: %s %s answered %d", p.name, method, path, status)
	}
}

func (p *page) waitFn(fn string, args ...any) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](fn,
		chromedp.WithPollingArgs(args...), chromedp.WithPollingTimeout(stepTimeout)))
	if err != nil {
		p.t.Fatalf("page %s: waiting for %s %v: %v\n%s\nmembers=%s", p.name, fn, args, err, p.debugState(), p.memberNames())
	}
}

func (p *page) memberNames() string {
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll('#members li.member')].map((e) => e.textContent).join('; ')`))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

const memberJS = `(name) => [...document.querySelectorAll('#members li.member')].filter((e) => e.dataset.name === name)`

func (p *page) waitMember(name string) {
	p.t.Helper()
	p.waitFn(`(name) => (`+memberJS+`)(name).length === 1`, name)
}

func (p *page) waitNoMember(name string) {
	p.t.Helper()
	p.waitFn(`(name) => (`+memberJS+`)(name).length === 0`, name)
}

// memberWant is how a member should look: a direct-message button (dm),
// marked as a guest, marked as oneself.
type memberWant struct{ dm, guest, you bool }

// wantMember waits until name's entry in the member list looks as wanted.
func (p *page) wantMember(name string, want memberWant) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.PollFunction[bool](`(name, dm, guest, you) => {
		const e = (`+memberJS+`)(name)[0];
		if (!e) return false;
		const b = e.querySelector('button.member-dm');
		const g = e.querySelector('.guest-tag');
		return dm === (!!b && b.dataset.user === name && !!b.getAttribute('aria-label')) &&
			guest === (e.dataset.guest === 'true' && !!g && g.textContent === '(guest)') &&
			you === !!e.querySelector('.you-tag');
	}`, chromedp.WithPollingArgs(name, want.dm, want.guest, want.you), chromedp.WithPollingTimeout(stepTimeout)))
	if err != nil {
		p.t.Errorf("page %s: member %s never looked like %+v: %v\nmembers: %s\n%s", p.name, name, want, err, p.memberHTML(), p.debugState())
	}
}

// memberHTML describes the member list for failure messages.
func (p *page) memberHTML() string {
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('members').outerHTML`))
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return s
}

// lastID is the id of the newest message shown in the open room.
func (p *page) lastID() int64 {
	p.t.Helper()
	return run(p, chromedp.Evaluate[int64](`Math.max(0, ...[...document.querySelectorAll('#messages .msg[data-id]')].map((e) => Number(e.dataset.id)))`))
}

// waitLeave waits for a leave notice of who, newer than id after, in the
// open room.
func (p *page) waitLeave(who string, after int64) {
	p.t.Helper()
	p.waitFn(`(who, after) => [...document.querySelectorAll('#messages .msg[data-kind="leave"]')].some((e) =>
		Number(e.dataset.id) > after && e.querySelector('.from').textContent === who)`, who, after)
}

// accountsServer starts a server whose database holds the accounts ada
// and bob (and the others given, name and password in turn), and a
// browser; it returns the server's URL and the browser.
func accountsServer(t *testing.T, more ...string) (string, context.Context) {
	t.Helper()
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	// The accounts go into the database before the server opens it.
	dbPath := filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, dbPath, adaPassword, "ada")
	servicetest.CreateUsers(t, dbPath, bobPassword, "bob")
	for i := 0; i+1 < len(more); i += 2 {
		servicetest.CreateUsers(t, dbPath, more[i+1], more[i])
	}
	ts := &testServer{t: t, dbPath: dbPath}
	ts.start()
	t.Cleanup(ts.stop)
	return ts.URL(), startBrowser(t, execPath)
}
