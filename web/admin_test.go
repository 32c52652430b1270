package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const rootPassword = "root-keeps-the-keys"

// TestBrowserAdminConsole drives /admin in real Chromium as an admin: live
// figures, a room created and made private, an account disabled (its open
// stream closes at once), an API key created (shown once, working) and
// revoked, a notice published to two rooms, a message deleted. A logged-in
// non-admin opening /admin is told it is for admins only, and sees none of
// it.
func TestBrowserAdminConsole(t *testing.T) {
	base, browser := accountsServer(t, "root", rootPassword)

	root := newPage(t, browser, "root")
	root.do(chromedp.Navigate(base + "/"))
	root.login("root", rootPassword)
	root.do(chromedp.Navigate(base + "/admin"))
	root.do(chromedp.WaitVisible(chromedp.ID("admin-main")))
	// The console asks before destructive actions; the test says yes.
	run(root, chromedp.Evaluate[bool](`window.confirm = () => true, true`))
	root.waitJS(`document.getElementById('admin-me').textContent === 'root'`)

	// Live figures: the chat page root opened is a connection.
	root.waitJS(`/Connections: .*\d/.test(document.getElementById('fig-conns').textContent) &&
		document.querySelector('#rooms-body tr[data-room="lobby"]') !== null`)

	// A room, created and made private.
	root.do(
		chromedp.SetValue(chromedp.ID("room-name"), "design"),
		chromedp.Click(chromedp.ID("room-create")),
	)
	root.waitJS(`document.querySelector('#rooms-body tr[data-room="design"]') !== null`)
	root.do(chromedp.Click(`#rooms-body tr[data-room="design"] button.make-private`))
	root.waitJS(`document.querySelector('#rooms-body tr[data-room="design"] td.visibility').textContent === 'private'`)
	if status := getStatus(t, base+"/api/rooms/design/messages?limit=5", ""); status != http.StatusUnauthorized && status != http.StatusForbidden {
		t.Errorf("a guest reading design after it was made private: %d", status)
	}

	// bob, logged in, holds an event stream; disabling him closes it.
	bobToken := apiLogin(t, base, "bob", bobPassword)
	closed := openStream(t, base, bobToken)
	root.do(
		chromedp.SetValue(chromedp.ID("user-q"), "bo"),
		chromedp.Click(chromedp.ID("user-search-go")),
	)
	root.waitJS(`document.querySelector('#users-body tr[data-user="bob"]') !== null && document.querySelectorAll('#users-body tr').length === 1`)
	root.do(chromedp.Click(`#users-body tr[data-user="bob"] button.toggle-disabled`))
	root.waitJS(`document.querySelector('#users-body tr[data-user="bob"] td.state').textContent === 'disabled'`)
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Error("bob's event stream is still open after he was disabled")
	}
	if status := getStatus(t, base+"/api/session", bobToken); status != http.StatusUnauthorized {
		t.Errorf("bob's session after he was disabled: %d, want 401", status)
	}

	// An API key: shown once, works, revoked, stops working.
	root.do(
		chromedp.SetValue(chromedp.ID("key-label"), "the shop"),
		chromedp.Click(chromedp.ID("key-create")),
	)
	root.waitJS(`!document.getElementById('new-key').hidden && document.querySelector('#keys li') !== null`)
	shown := run(root, chromedp.Evaluate[string](`document.getElementById('new-key').textContent`))
	key := shown[strings.Index(shown, "pk_"):]
	if status := publish(t, base, key, "from the shop"); status != http.StatusCreated {
		t.Fatalf("publishing with the key the console showed: %d", status)
	}
	root.do(chromedp.Click(`#keys li button.revoke-key`))
	root.waitJS(`document.querySelector('#keys li') === null`)
	if status := publish(t, base, key, "after the revocation"); status != http.StatusUnauthorized {
		t.Errorf("publishing with the revoked key: %d, want 401", status)
	}

	// A notice to two rooms.
	root.waitJS(`document.querySelector('#publish-rooms input[value="design"]') !== null`)
	root.do(
		chromedp.Click(`#publish-rooms input[value="lobby"]`),
		chromedp.Click(`#publish-rooms input[value="design"]`),
		chromedp.SetValue(chromedp.ID("publish-text"), "maintenance at noon"),
		chromedp.Click(chromedp.ID("publish-send")),
	)
	root.waitJS(`document.getElementById('publish-text').value === ''`)
	rootToken := apiLogin(t, base, "root", rootPassword)
	for _, room := range []string{"lobby", "design"} {
		if !roomHas(t, base, room, rootToken, "maintenance at noon") {
			t.Errorf("%s lacks the notice", room)
		}
	}

	// Moderation: the recent messages of the lobby, one deleted.
	postMessage(t, base, "lobby", "troll", "something rude")
	root.do(
		chromedp.SetValue(chromedp.ID("mod-room"), "lobby"),
		chromedp.Click(chromedp.ID("mod-show")),
	)
	root.waitJS(`[...document.querySelectorAll('#mod-messages li .text')].some((e) => e.textContent === 'something rude')`)
	root.do(chromedp.Click(`#mod-messages li:last-child button.delete-message`))
	root.waitJS(`![...document.querySelectorAll('#mod-messages li .text')].some((e) => e.textContent === 'something rude')`)
	if roomHas(t, base, "lobby", rootToken, "something rude") {
		t.Error("the deleted message is still in the lobby's history")
	}
	root.checkConsole()

	// A non-admin gets a clear refusal and no console.
	ada := newPage(t, browser, "ada")
	ada.do(chromedp.Navigate(base + "/"))
	ada.login("ada", adaPassword)
	ada.do(chromedp.Navigate(base + "/admin"))
	ada.do(chromedp.WaitVisible(chromedp.ID("admin-denied")))
	if msg := run(ada, chromedp.Evaluate[string](`document.getElementById('admin-denied').textContent`)); !strings.Contains(msg, "admin accounts only") {
		t.Errorf("ada on /admin sees %q", msg)
	}
	if !run(ada, chromedp.Evaluate[bool](`document.getElementById('admin-main').hidden`)) {
		t.Error("ada sees the console")
	}
	ada.checkConsole()
}

func getStatus(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// openStream opens an event stream with token; the channel closes when
// the server ends it.
func openStream(t *testing.T, base, token string) <-chan struct{} {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/events?rooms=lobby", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{}).Do(req)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("event stream: %v %v", res, err)
	}
	r := bufio.NewReader(res.Body)
	if _, err := r.ReadString('\n'); err != nil { // the retry: line: subscribed
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer res.Body.Close()
		io.Copy(io.Discard, r)
	}()
	return done
}

func publish(t *testing.T, base, key, text string) int {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"messages": []map[string]any{{"room": "lobby", "text": text}}})
	req, _ := http.NewRequest("POST", base+"/api/publish", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

func roomHas(t *testing.T, base, room, token, text string) bool {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/rooms/"+room+"/messages?limit=100", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := apiClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("history of %s: %s %s", room, res.Status, body)
	}
	return strings.Contains(string(body), `"text":"`+text+`"`)
}
