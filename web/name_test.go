package web_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// An invalid name typed in the header is explained as it is typed, is not
// taken, and does not drop the person from the member list (issue 15).
func TestBrowserInvalidNameIsExplained(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	execPath := findBrowser(t)
	ts := startServer(t)
	browser := startBrowser(t, execPath)
	p := openChat(t, browser, ts.URL(), "A")
	p.setName("alice")
	p.waitJS(`[...document.querySelectorAll('#members li')].some((e) => e.textContent.includes('alice'))`)

	p.setName("al ice!")
	msg := run(p, chromedp.Evaluate[string](`document.getElementById('account-error').textContent`))
	if !strings.Contains(msg, "cannot be used") || !strings.Contains(msg, "alice") {
		t.Errorf("the header says %q, want why the name cannot be used and who you still are", msg)
	}
	if invalid := run(p, chromedp.Evaluate[string](`document.getElementById('name').getAttribute('aria-invalid')`)); invalid != "true" {
		t.Errorf("aria-invalid = %q, want true", invalid)
	}
	// Still listed, and lines still go out as alice.
	p.waitJS(`[...document.querySelectorAll('#members li')].some((e) => e.textContent.includes('alice'))`)
	p.do(chromedp.SetValue(chromedp.ID("input"), "still me"), chromedp.Click(chromedp.ID("send")))
	p.waitMessage("alice", "still me")

	p.setName("bob")
	if msg := run(p, chromedp.Evaluate[string](`document.getElementById('account-error').textContent`)); msg != "" {
		t.Errorf("a valid name still shows %q", msg)
	}
}
