package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/parley-chat/parley/server"
)

// An over-long line stays in the composer for editing, with a counter
// that says so, instead of being cleared and refused (issue 15).
func TestBrowserOverLongLineStaysInComposer(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServerConfig(t, server.Config{MaxTextLen: 20})
	browser := startBrowser(t, execPath)
	p := openChat(t, browser, ts.URL(), "A")
	p.setName("alice")

	long := strings.Repeat("é", 25)
	p.do(chromedp.SetValue(chromedp.ID("input"), long))
	p.waitJS(`!document.getElementById('counter').hidden && document.getElementById('counter').classList.contains('over')`)
	p.do(chromedp.Click(chromedp.ID("send")))
	if v := p.value("input"); v != long {
		t.Errorf("composer holds %q after sending an over-long line, want it kept", v)
	}
	if c := run(p, chromedp.Evaluate[string](`document.getElementById('counter').textContent`)); !strings.Contains(c, "25 / 20") {
		t.Errorf("counter says %q, want 25 / 20", c)
	}
	if n := run(p, chromedp.Evaluate[int](`document.querySelectorAll('#outbox .out').length`)); n != 0 {
		t.Errorf("%d lines queued: the over-long line was sent", n)
	}

	// Shortened, it goes.
	p.do(chromedp.SetValue(chromedp.ID("input"), "short enough"), chromedp.Click(chromedp.ID("send")))
	p.waitMessage("alice", "short enough")
	if hidden := run(p, chromedp.Evaluate[bool](`document.getElementById('counter').hidden`)); !hidden {
		t.Error("the counter is still shown for an empty composer")
	}
}
