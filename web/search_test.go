package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/store/sqlite"
)

const (
	searchHit  = "the quetzalcoatl budget is approved"
	searchXSS  = `mangrove <img src=x onerror="document.title='pwned'"> & <b>bold</b>`
	searchLive = "fresh news after the search"
)

// TestBrowserSearch drives the page's search box against a real server
// whose room "archive" holds 200 routine lines with a distinctive one in
// the middle:
//
//   - a query without words shows the server's 400 as a readable error;
//   - the distinctive line is found, its word marked with <mark>;
//   - clicking it opens the room around it (lines before and after, not the
//     newest ones), scrolled to it and marked; a line posted meanwhile is
//     counted, not inserted after a gap; "Jump to latest" goes back to the
//     newest lines, which the stream keeps current;
//   - a line full of HTML shows in the results as literal text;
//   - a guest finds nothing of a private room (when the server has
//     accounts), though its member does.
func TestBrowserSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)

	dbPath := filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, dbPath, adaPassword, "ada")
	hitID := seedArchive(t, dbPath)
	ts := &testServer{t: t, dbPath: dbPath}
	ts.start()
	t.Cleanup(ts.stop)
	base := ts.URL()
	requireEndpoint(t, base, "/api/search?q=x", "search")

	p := newPage(t, startBrowser(t, execPath), "searcher")
	p.do(chromedp.Navigate(base + "/"))
	p.do(chromedp.WaitVisible(chromedp.ID("search-q")))
	p.waitJS(`document.getElementById('status').textContent === 'live'`)
	p.setName("searcher")

	// ---- a query the server refuses ------------------------------------
	p.searchFor(`"*"`)
	p.waitJS(`(() => {
		const s = document.getElementById('search-status');
		return s.dataset.error === 'true' && s.textContent.startsWith('Cannot search for that: ') && s.textContent.length > 30;
	})()`)
	if n := run(p, chromedp.Evaluate[int](`document.querySelectorAll('#search-results li').length`)); n != 0 {
		t.Errorf("a refused search lists %d results, want 0", n)
	}

	// ---- the distinctive line, found and marked ------------------------
	p.searchFor("Quetzalcoatl")
	p.waitJS(`document.querySelectorAll('#search-results li.search-hit').length === 1 && !document.getElementById('search-status').dataset.error`)
	type hit struct {
		ID      int64    `json:"id"`
		Room    string   `json:"room"`
		From    string   `json:"from"`
		Snippet string   `json:"snippet"`
		Marks   []string `json:"marks"`
	}
	const hitJS = `[...document.querySelectorAll('#search-results li.search-hit')].map((li) => ({
		id: Number(li.dataset.id),
		room: li.querySelector('.hit-room').textContent,
		from: li.querySelector('.hit-from').textContent,
		snippet: li.querySelector('.hit-snippet').textContent,
		marks: [...li.querySelectorAll('.hit-snippet mark')].map((m) => m.textContent),
	}))`
	got := run(p, chromedp.Evaluate[[]hit](hitJS))
	want := hit{ID: hitID, Room: "#archive", From: "ada", Snippet: searchHit, Marks: []string{"quetzalcoatl"}}
	if len(got) != 1 || fmt.Sprint(got[0]) != fmt.Sprint(want) {
		t.Fatalf("results %+v, want [%+v]", got, want)
	}

	// ---- opened in context ---------------------------------------------
	p.do(chromedp.Click(chromedp.CSS(`#search-results button.search-open`)))
	p.waitFn(`(id) => document.getElementById('room-title').textContent === '#archive' &&
		!!document.querySelector('#messages li.msg.target[data-id="' + id + '"]')`, hitID)
	type window struct {
		Before, After []string
		Targets       int
		InView        bool
		Older         bool
		Geometry      string
	}
	w := run(p, chromedp.Evaluate[window](`(() => {
		const all = [...document.querySelectorAll('#messages li.msg[data-kind="message"]')];
		const i = all.findIndex((e) => e.classList.contains('target'));
		const text = (e) => e.querySelector('.text').textContent;
		const pane = document.getElementById('pane').getBoundingClientRect();
		const r = all[i].getBoundingClientRect();
		return {
			Before: all.slice(0, i).map(text), After: all.slice(i + 1).map(text),
			Targets: document.querySelectorAll('#messages li.msg.target').length,
			InView: r.top >= pane.top && r.bottom <= pane.bottom,
			Older: !document.getElementById('older-bar').hidden,
			Geometry: 'hit ' + Math.round(r.top) + '..' + Math.round(r.bottom) + ' in pane ' + Math.round(pane.top) + '..' + Math.round(pane.bottom),
		};
	})()`))
	if len(w.Before) < 20 || w.Before[len(w.Before)-1] != "routine line 99" {
		t.Errorf("before the hit the room shows %d lines ending %q, want at least 20 ending with routine line 99", len(w.Before), last(w.Before))
	}
	if len(w.After) < 20 || w.After[0] != "routine line 100" {
		t.Errorf("after the hit the room shows %d lines starting %q, want at least 20 starting with routine line 100", len(w.After), first(w.After))
	}
	if strings.Contains(strings.Join(w.After, "\n"), "routine line 199") {
		t.Errorf("the context window holds the newest line: the room was loaded from the end, not around the hit")
	}
	if w.Targets != 1 || !w.InView || !w.Older {
		t.Errorf("context window: %d marked messages (want 1), hit scrolled into view %v, earlier-window bar shown %v (want true); %s", w.Targets, w.InView, w.Older, w.Geometry)
	}

	// A line posted while an earlier window is on show is counted, not
	// appended after a gap.
	postMessage(t, base, "archive", "carol", searchLive)
	p.waitJS(`document.getElementById('older-note').textContent.includes('1 new')`)
	if run(p, chromedp.Evaluate[bool](`document.getElementById('messages').textContent.includes(`+jsString(searchLive)+`)`)) {
		t.Errorf("a live line was appended to the earlier window")
	}

	// Back to the newest lines, and live again.
	p.do(chromedp.Click(chromedp.ID("jump-latest")))
	p.waitMessage("carol", searchLive)
	p.waitMessage("filler", "routine line 199")
	p.waitJS(`document.getElementById('older-bar').hidden && !document.querySelector('#messages li.msg.target')`)
	postMessage(t, base, "archive", "carol", "and one more, live")
	p.waitMessage("carol", "and one more, live")

	// ---- HTML in a result is text ---------------------------------------
	p.searchFor("mangrove")
	p.waitJS(`document.querySelectorAll('#search-results li.search-hit').length === 1 &&
		document.querySelector('#search-results .hit-snippet mark') !== null`)
	got = run(p, chromedp.Evaluate[[]hit](hitJS))
	if len(got) != 1 || got[0].Snippet != searchXSS || fmt.Sprint(got[0].Marks) != "[mangrove]" {
		t.Errorf("results for mangrove %+v, want the line %q as text with mangrove marked", got, searchXSS)
	}
	if n := run(p, chromedp.Evaluate[int](`document.querySelectorAll('#search-results img, #search-results b, #messages img').length`)); n != 0 {
		t.Errorf("%d elements made from message text: it was parsed as HTML", n)
	}
	if title := run(p, chromedp.Evaluate[string](`document.title`)); strings.Contains(title, "pwned") {
		t.Errorf("a script from a message ran: title %q", title)
	}

	// ---- a private room stays private ------------------------------------
	if endpointExists(t, base, "/api/session") {
		token := apiLogin(t, base, "ada", adaPassword)
		apiDo(t, "POST", base+"/api/rooms", token, `{"name":"vault","visibility":"private"}`, http.StatusCreated)
		apiDo(t, "POST", base+"/api/rooms/vault/messages", token, `{"text":"kumquat plans for the vault"}`, http.StatusCreated)
		// Its member finds the line: the word is searchable.
		var page struct {
			Results []json.RawMessage `json:"results"`
		}
		body := apiDo(t, "GET", base+"/api/search?q=kumquat", token, "", http.StatusOK)
		if err := json.Unmarshal(body, &page); err != nil || len(page.Results) != 1 {
			t.Fatalf("ada's search for kumquat: %s (%v), want 1 result", body, err)
		}
		p.searchFor("kumquat")
		p.waitJS(`document.getElementById('search-status').textContent === 'No messages found.'`)
		if n := run(p, chromedp.Evaluate[int](`document.querySelectorAll('#search-results li').length`)); n != 0 {
			t.Errorf("a guest's page lists %d results from a private room", n)
		}
	} else {
		t.Log("no people API on this server: private-room search not checked through the page")
	}

	// The chat went on working beside the search.
	p.do(chromedp.SendKeys(chromedp.ID("input"), "typed after searching"), pressEnter)
	p.waitMessage("searcher", "typed after searching")
	p.checkConsole()
}

// seedArchive stores the room "archive" with 200 routine lines, the line
// searchHit between line 99 and line 100, and searchXSS last, before a
// server opens the database. It returns searchHit's ID.
func seedArchive(t *testing.T, dbPath string) int64 {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateRoom(ctx, &parley.Room{Name: "archive"}); err != nil {
		t.Fatal(err)
	}
	var msgs []*parley.Message
	line := func(from, text string) *parley.Message {
		m := &parley.Message{Room: "archive", Kind: parley.KindMessage, From: from, Text: text}
		msgs = append(msgs, m)
		return m
	}
	for i := range 200 {
		if i == 100 {
			line("ada", searchHit)
		}
		line("filler", fmt.Sprintf("routine line %d", i))
	}
	line("mallory", searchXSS)
	if err := st.Append(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	return msgs[100].ID
}

// searchFor submits the search form.
func (p *page) searchFor(q string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.ID("search-q"), q), chromedp.Click(chromedp.ID("search-submit")))
}

// apiLogin logs in through the API and returns the session token.
func apiLogin(t *testing.T, base, name, password string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"name": name, "password": password})
	body := apiDo(t, "POST", base+"/api/session", "", string(b), http.StatusOK, http.StatusCreated)
	var s struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(body, &s); err != nil || s.Token == "" {
		t.Fatalf("login as %s: no token in %s (%v)", name, body, err)
	}
	return s.Token
}

// apiDo sends a request with an optional bearer token and JSON body, and
// fails the test unless the status is one of want.
func apiDo(t *testing.T, method, u, token, body string, want ...int) []byte {
	t.Helper()
	req, err := http.NewRequest(method, u, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: reading the answer: %v", method, u, err)
	}
	for _, w := range want {
		if res.StatusCode == w {
			return got
		}
	}
	t.Fatalf("%s %s: status %d %s, want %v", method, u, res.StatusCode, got, want)
	return nil
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func last(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}
