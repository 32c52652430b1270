package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// A guest's line is marked "guest" on the page, and a line with a bidi
// override, which could make it display as something else, is refused
// with the server's reason and never shown as sent (issue 14).
func TestBrowserGuestsAndDisguisedLines(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	base := ts.URL()
	browser := startBrowser(t, execPath)

	p := openChat(t, browser, base, "A")

	postMessage(t, base, "lobby", "mallory", "hello from a guest")
	p.waitMessage("mallory", "hello from a guest")
	tag := run(p, chromedp.Evaluate[string](`(() => {
		const li = [...document.querySelectorAll('#messages .msg[data-id]')].find((e) => e.querySelector('.text').textContent === 'hello from a guest');
		const g = li && li.querySelector('.guest-tag');
		return g ? g.textContent : '';
	})()`))
	if tag != "guest" {
		t.Errorf("the guest's line has guest tag %q, want \"guest\"", tag)
	}

	p.setName("alice")
	// Her join line names her once ("alice has entered", not "alice alice
	// has entered"; issue 15).
	p.waitJS(`[...document.querySelectorAll('#messages .msg[data-kind="join"]')].some((e) => e.querySelector('.from').textContent === 'alice')`)
	if line := run(p, chromedp.Evaluate[string](`[...document.querySelectorAll('#messages .msg[data-kind="join"]')].find((e) => e.querySelector('.from').textContent === 'alice').textContent`)); strings.Count(line, "alice") != 1 {
		t.Errorf("join line %q names alice %d times, want once", line, strings.Count(line, "alice"))
	}
	// U+202E would show "see txt.exe" reversed: "see exe.txt".
	// SetValue: typed keys would drop the invisible character.
	p.do(chromedp.SetValue(chromedp.ID("input"), "see \u202etxt.exe"), chromedp.Click(chromedp.ID("send")))
	p.waitJS(`[...document.querySelectorAll('#outbox .out.rejected .state')].some((e) => e.textContent.includes('bidirectional'))`)
	for _, m := range p.shownMessages() {
		if m.From == "alice" {
			t.Errorf("the disguised line was stored and shown: %+v", m)
		}
	}
}

// A guest name in use by a guest who is online cannot be taken from
// another browser: the page says so and the newcomer is not listed under
// it; the holder's own reload keeps it (issue 15).
func TestBrowserGuestNameInUseIsRefused(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	browser := startBrowser(t, execPath)

	ann := openChat(t, browser, ts.URL(), "ann")
	ann.setName("ann")
	ann.waitMember("ann")

	other := openChat(t, browser, ts.URL(), "other")
	other.setName("ann")
	other.waitJS(`document.getElementById('account-error').textContent.includes('in use by a guest who is online')`)
	// Listed once: the holder, not the newcomer.
	if n := run(other, chromedp.Evaluate[int](`document.querySelectorAll('#members .member[data-name="ann"]').length`)); n != 1 {
		t.Errorf("ann is listed %d times, want once", n)
	}

	// ann reloads: her browser keeps her name.
	ann.do(chromedp.Reload())
	ann.waitJS(`document.getElementById('status').textContent === 'live'`)
	ann.do(chromedp.SendKeys(chromedp.ID("input"), "back again\n"))
	ann.waitMessage("ann", "back again")
	if e := run(ann, chromedp.Evaluate[string](`document.getElementById('account-error').textContent`)); e != "" {
		t.Errorf("after a reload ann is told %q", e)
	}
}
