package web_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// postID posts a line as a guest and returns its ID, or the status when
// the server refuses it.
func postID(t *testing.T, base, room, name, text string) (int64, int) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "text": text})
	res, err := apiClient.Post(base+"/api/rooms/"+room+"/messages", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var m struct{ ID int64 }
	json.NewDecoder(res.Body).Decode(&m)
	return m.ID, res.StatusCode
}

// lineJS evaluates an expression over the line with this ID (bound to li).
func (p *page) lineJS(id int64, expr string) string {
	p.t.Helper()
	sel := `#messages li.msg[data-id="` + itoa64(id) + `"]`
	p.waitJS(`document.querySelector('` + sel + `') !== null`)
	return run(p, chromedp.Evaluate[string](`(() => { const li = document.querySelector('`+sel+`'); return String(`+expr+`); })()`))
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }

// Links and light formatting are built from the text with DOM nodes only:
// HTML, javascript: and data: URLs in a line never become markup or
// links, and a bidi override cannot disguise a link (issue 13).
func TestBrowserFormattingIsSafe(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	base := ts.URL()
	browser := startBrowser(t, execPath)
	p := openChat(t, browser, base, "A")
	title := run(p, chromedp.Evaluate[string](`document.title`))

	fmtID, _ := postID(t, base, "lobby", "bob", "see **bold**, _it_, `x<y>` and https://example.com/a_(b). snake_case_name stays")
	for expr, want := range map[string]string{
		`li.querySelector('.text strong').textContent`:                               "bold",
		`li.querySelector('.text em').textContent`:                                   "it",
		`li.querySelector('.text code').textContent`:                                 "x<y>",
		`li.querySelector('.text a').getAttribute('href')`:                           "https://example.com/a_(b)",
		`li.querySelector('.text a').textContent`:                                    "https://example.com/a_(b)",
		`li.querySelector('.text a').rel`:                                            "noopener noreferrer nofollow",
		`li.querySelector('.text a').target`:                                         "_blank",
		`li.querySelectorAll('.text em').length`:                                     "1", // not snake_case_name
		`li.querySelector('.text').textContent.endsWith('). snake_case_name stays')`: "true",
	} {
		if got := p.lineJS(fmtID, expr); got != want {
			t.Errorf("%s = %q, want %q", expr, got, want)
		}
	}

	block, _ := postID(t, base, "lobby", "bob", "```\n<b>not bold</b>\n```")
	if got := p.lineJS(block, `li.querySelector('.text pre code').textContent + '|' + li.querySelectorAll('.text b').length`); got != "<b>not bold</b>|0" {
		t.Errorf("code block = %q, want its text verbatim and no <b>", got)
	}

	hostile, _ := postID(t, base, "lobby", "mallory",
		`<img src=x onerror="document.title='pwned'"> javascript:alert(1) [x](javascript:alert(2)) data:text/html,<script>alert(3)</script> <a href="https://evil.example">https://good.example</a>`)
	// Only the text's own https URLs are links, each shown as written.
	if got := p.lineJS(hostile, `li.querySelectorAll('img, script, b').length + '|' +
		[...li.querySelectorAll('a')].map((a) => a.textContent + ' -> ' + a.href).join(', ')`); got != "0|https://evil.example -> https://evil.example/, https://good.example -> https://good.example/" {
		t.Errorf("hostile line: elements|links = %q", got)
	}
	if got := run(p, chromedp.Evaluate[string](`document.title`)); got != title {
		t.Errorf("document.title = %q: a line's HTML ran", got)
	}
	// A bidi override that would show a link as another is refused.
	if _, status := postID(t, base, "lobby", "mallory", "https://good.example/\u202eelpmaxe.live"); status != http.StatusBadRequest {
		t.Errorf("a line with U+202E: status %d, want 400", status)
	}
	p.checkConsole()
}

// A line that mentions you is marked, counted on its room while you are
// elsewhere, and notifies you while the page is in the background once
// you turned notifications on, which the page remembers (issue 13).
func TestBrowserMentions(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	base := ts.URL()
	createRoomAPI(t, base, "side")
	browser := startBrowser(t, execPath)
	ann := openChat(t, browser, base, "ann")
	ann.setName("ann")
	ann.waitMember("ann")

	first, _ := postID(t, base, "lobby", "bob", "@ann look at this, ann@example.com is not a mention")
	if got := ann.lineJS(first, `li.classList.contains('mentions-me') + '|' + [...li.querySelectorAll('.mention')].map((e) => e.textContent).join(',')`); got != "true|@ann" {
		t.Errorf("the mention line: mentions-me|mentions = %q, want true|@ann", got)
	}
	other, _ := postID(t, base, "lobby", "bob", "@carol is not here")
	if got := ann.lineJS(other, `li.classList.contains('mentions-me') + '|' + li.querySelectorAll('.mention').length`); got != "false|0" {
		t.Errorf("a line mentioning an unknown name: %q, want false|0", got)
	}

	// In another room, a mention in the lobby is counted there.
	ann.do(chromedp.Click(`#rooms button.room[data-room="side"]`))
	ann.waitJS(`document.getElementById('room-title').textContent === '#side'`)
	postID(t, base, "lobby", "bob", "plain line")
	postID(t, base, "lobby", "bob", "hey @ann")
	ann.waitJS(`(() => { const b = document.querySelector('#rooms button.room[data-room="lobby"]');
		return b.querySelector('.mention-count') && b.querySelector('.mention-count').textContent === '@1' && b.querySelector('.unread').textContent === '2'; })()`)

	// Notifications: turned on with the bell (on a click, as browsers
	// require), shown while the page is hidden.
	run(ann, chromedp.Evaluate[bool](`(() => {
		window.__notes = [];
		window.Notification = function (title, o) { window.__notes.push(title + '|' + o.body); };
		Notification.permission = 'default';
		Notification.requestPermission = () => { Notification.permission = 'granted'; return Promise.resolve('granted'); };
		Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
		return true;
	})()`))
	ann.do(chromedp.Click("#notify-toggle"))
	ann.waitJS(`document.getElementById('notify-toggle').getAttribute('aria-pressed') === 'true' && localStorage.getItem('parley.notify') === '1'`)
	postID(t, base, "lobby", "bob", "not for ann")
	postID(t, base, "lobby", "bob", "@ann ping")
	ann.waitJS(`window.__notes.length === 1 && window.__notes[0] === '#lobby|bob: @ann ping'`)
	ann.checkConsole()
}

func createRoomAPI(t *testing.T, base, name string) {
	t.Helper()
	res, err := apiClient.Post(base+"/api/rooms", "application/json", strings.NewReader(`{"name":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("create room %s: %d", name, res.StatusCode)
	}
}
