package server_test

import (
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/server"
)

// browser is an HTTP client with its own cookie jar, as a browser is.
func (n *node) browser() *http.Client {
	n.t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		n.t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 20 * time.Second}
	// The first answer gives the browser its guest cookie.
	resp, err := c.Get(n.ts.URL + "/api/session")
	if err != nil {
		n.t.Fatal(err)
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == authn.GuestCookie && ck.HttpOnly {
			return c
		}
	}
	n.t.Fatalf("GET /api/session set no HttpOnly %s cookie: %v", authn.GuestCookie, resp.Cookies())
	return nil
}

func (n *node) streamAs(c *http.Client, query string) (*http.Response, error) {
	req, _ := http.NewRequest("GET", n.ts.URL+"/api/events?"+query, nil)
	return c.Do(req)
}

func postAs(t *testing.T, c *http.Client, n *node, name, text string) (int, string) {
	t.Helper()
	resp, err := c.Post(n.ts.URL+"/api/rooms/lobby/messages", "application/json", strings.NewReader(`{"text":"`+text+`","name":"`+name+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 512)
	k, _ := resp.Body.Read(buf)
	b.Write(buf[:k])
	return resp.StatusCode, b.String()
}

// A guest name in use by a guest who is online cannot be taken from
// another browser, on a stream or a post; the same browser keeps it in
// another tab; once its holder is gone, the name is free (issue 15).
func TestGuestNameInUseOnlineIsRefused(t *testing.T) {
	n := startNode(t, server.Config{Heartbeat: 50 * time.Millisecond})
	ann, mallory := n.browser(), n.browser()

	first, err := n.streamAs(ann, "rooms=lobby&name=ann")
	if err != nil || first.StatusCode != http.StatusOK {
		t.Fatalf("ann's stream: %v %v", err, first.Status)
	}
	waitFor(t, "ann online", func() bool { return strings.Contains(string(mustGet(t, n, "/api/rooms/lobby/members")), `"ann"`) })

	if status, body := postAs(t, mallory, n, "ann", "I am ann"); status != http.StatusConflict || !strings.Contains(body, "in use by a guest who is online") {
		t.Errorf("another browser posting as ann: %d %s, want 409 saying the name is in use", status, body)
	}
	resp, err := n.streamAs(mallory, "rooms=lobby&name=ann")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("another browser's stream as ann: %d, want 409", resp.StatusCode)
	}

	// ann's second tab, and her posts, keep the name.
	second, err := n.streamAs(ann, "rooms=lobby&name=ann")
	if err != nil || second.StatusCode != http.StatusOK {
		t.Fatalf("ann's second tab: %v %v", err, second.Status)
	}
	second.Body.Close()
	if status, body := postAs(t, ann, n, "ann", "still me"); status != http.StatusCreated {
		t.Errorf("ann posting from her browser: %d %s", status, body)
	}

	if strings.Contains(string(mustGet(t, n, "/api/rooms/lobby/messages?limit=100")), "I am ann") {
		t.Error("the refused line was stored")
	}

	// ann leaves: the name is free.
	first.Body.Close()
	// (The heartbeat's probe finds the closed stream.)
	waitFor(t, "ann gone", func() bool { return !strings.Contains(string(mustGet(t, n, "/api/rooms/lobby/members")), `"ann"`) })
	if status, body := postAs(t, mallory, n, "ann", "now I may"); status != http.StatusCreated {
		t.Errorf("after ann left: %d %s, want 201", status, body)
	}
}

func mustGet(t *testing.T, n *node, path string) []byte {
	t.Helper()
	status, body := n.get(path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, status, body)
	}
	return body
}
