package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// Every admin endpoint answers 401 to a guest, and 403 to an account
// without the admin flag and to an API key, and changes nothing.
func TestAdminEndpointsRefuseNonAdmins(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob", "root")
	key := servicetest.CreateAPIKey(t, n.db, "the app")
	createRoom(t, n, "design")
	endpoints := []struct{ method, path, body string }{
		{"GET", "/api/admin/stats", ""},
		{"GET", "/api/admin/users", ""},
		{"PATCH", "/api/admin/users/bob", `{"admin":true}`},
		{"PATCH", "/api/admin/users/bob", `{"disabled":true}`},
		{"POST", "/api/admin/users/bob/password", `{}`},
		{"GET", "/api/admin/users/bob/sessions", ""},
		{"DELETE", "/api/admin/users/bob/sessions", ""},
		{"GET", "/api/admin/apikeys", ""},
		{"POST", "/api/admin/apikeys", `{"label":"sneaky"}`},
		{"DELETE", "/api/admin/apikeys/" + key[3:19], ""},
		{"PUT", "/api/rooms/design/visibility", `{"visibility":"private"}`},
	}
	bobSession := n.login("bob")
	callers := map[string]struct {
		hdr  []string
		want int
	}{
		"guest":   {nil, http.StatusUnauthorized},
		"ada":     {n.login("ada"), http.StatusForbidden},
		"API key": {[]string{"Authorization", "Bearer " + key}, http.StatusForbidden},
	}
	for who, c := range callers {
		for _, e := range endpoints {
			want := c.want
			if e.path == "/api/rooms/design/visibility" {
				if who == "API key" {
					continue // applications manage rooms, as with topics and deletion
				}
				if who != "guest" {
					want = http.StatusForbidden // room management: not theirs
				}
			}
			resp, body := n.do(e.method, e.path, e.body, with(c.hdr, asJSON...)...)
			if resp.StatusCode != want {
				t.Errorf("%s: %s %s = %d %s, want %d", who, e.method, e.path, resp.StatusCode, body, want)
			}
		}
	}
	// Nothing changed: bob is no admin, not disabled, still logged in;
	// no key was made; design is public.
	if resp, body := n.do("GET", "/api/session", "", bobSession...); resp.StatusCode != http.StatusOK || strings.Contains(string(body), `"admin":true`) {
		t.Errorf("bob after the refused calls: %d %s", resp.StatusCode, body)
	}
	root := n.login("root")
	var keys struct{ Keys []struct{ Label string } }
	getJSON(t, n, "/api/admin/apikeys", root, &keys)
	if len(keys.Keys) != 1 {
		t.Errorf("API keys after the refused calls: %+v, want only the test's", keys.Keys)
	}
	var rooms struct {
		Rooms []struct{ Name, Visibility string }
	}
	getJSON(t, n, "/api/rooms", root, &rooms)
	for _, r := range rooms.Rooms {
		if r.Name == "design" && r.Visibility != "public" {
			t.Errorf("design is %s after refused calls", r.Visibility)
		}
	}
}

func getJSON(t *testing.T, n *node, path string, hdr []string, v any) {
	t.Helper()
	resp, body := n.do("GET", path, "", hdr...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, body)
	}
}

// An admin lists and searches accounts, grants admin, resets a password
// (the account's sessions end and its streams close), disables an account
// (its stream closes at once), and sees live figures.
func TestAdminManagesAccounts(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob", "carol", "root")
	root := n.login("root")

	var page struct {
		Users []struct {
			Name            string
			Admin, Disabled bool
		}
		Next string
	}
	getJSON(t, n, "/api/admin/users?q=O&limit=1", root, &page)
	if len(page.Users) != 1 || page.Users[0].Name != "bob" || page.Next != "bob" {
		t.Fatalf("users matching o, one per page: %+v", page)
	}
	after := page.Next
	page.Next = ""
	getJSON(t, n, "/api/admin/users?q=o&after="+after, root, &page)
	if len(page.Users) != 2 || page.Users[0].Name != "carol" || page.Users[1].Name != "root" || page.Next != "" {
		t.Fatalf("next page: %+v", page)
	}

	if resp, body := n.do("PATCH", "/api/admin/users/carol", `{"admin":true}`, with(root, asJSON...)...); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"admin":true`) {
		t.Fatalf("make carol admin: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("PATCH", "/api/admin/users/root", `{"admin":false}`, with(root, asJSON...)...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("root dropping their own admin flag: %d %s, want 403", resp.StatusCode, body)
	}

	// A password reset ends ada's sessions and closes her stream.
	ada := n.login("ada")
	adaStream := n.subscribeWith("rooms=lobby", ada...)
	var sessions struct{ Sessions []struct{ ID string } }
	getJSON(t, n, "/api/admin/users/ada/sessions", root, &sessions)
	if len(sessions.Sessions) != 1 || len(sessions.Sessions[0].ID) != 16 {
		t.Fatalf("ada's sessions: %+v", sessions)
	}
	resp, body := n.do("POST", "/api/admin/users/ada/password", `{}`, with(root, asJSON...)...)
	var reset struct {
		Password      string
		SessionsEnded int `json:"sessions_ended"`
	}
	json.Unmarshal(body, &reset)
	if resp.StatusCode != http.StatusOK || len(reset.Password) < 12 || reset.SessionsEnded != 1 {
		t.Fatalf("reset ada's password: %d %s", resp.StatusCode, body)
	}
	waitClosed(t, adaStream)
	if resp, _ := n.do("GET", "/api/session", "", ada...); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("ada's old session after the reset: %d, want 401", resp.StatusCode)
	}
	if resp, body := n.do("POST", "/api/session", `{"name":"ada","password":"`+reset.Password+`"}`, asJSON...); resp.StatusCode != http.StatusOK {
		t.Errorf("ada logging in with the new password: %d %s", resp.StatusCode, body)
	}
	if resp, _ := n.do("POST", "/api/admin/users/ada/password", `{"password":"short"}`, with(root, asJSON...)...); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a too short password: %d, want 400", resp.StatusCode)
	}

	// Disabling bob closes his stream at once.
	bobStream := n.subscribeWith("rooms=lobby", n.login("bob")...)
	if resp, body := n.do("PATCH", "/api/admin/users/bob", `{"disabled":true}`, with(root, asJSON...)...); resp.StatusCode != http.StatusOK {
		t.Fatalf("disable bob: %d %s", resp.StatusCode, body)
	}
	waitClosed(t, bobStream)
	if resp, _ := n.do("POST", "/api/session", `{"name":"bob","password":"`+password+`"}`, asJSON...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("disabled bob logging in: %d, want 403", resp.StatusCode)
	}
	if resp, _ := n.do("PATCH", "/api/admin/users/nobody", `{"disabled":true}`, with(root, asJSON...)...); resp.StatusCode != http.StatusNotFound {
		t.Errorf("disable a missing account: %d, want 404", resp.StatusCode)
	}
	if resp, _ := n.do("PATCH", "/api/admin/users/carol", `{}`, with(root, asJSON...)...); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an empty change: %d, want 400", resp.StatusCode)
	}

	n.subscribe("rooms=lobby", "")
	n.post("lobby", "guest-1", "a line for the figures")
	var stats struct {
		Connections       map[string]int
		MessagesPerSecond float64 `json:"messages_per_second"`
		Rooms             []struct {
			Name   string
			Online int
		}
	}
	getJSON(t, n, "/api/admin/stats", root, &stats)
	if stats.Connections["sse"] < 1 || stats.MessagesPerSecond <= 0 || len(stats.Rooms) == 0 || stats.Rooms[0].Name != "lobby" {
		t.Errorf("stats: %+v", stats)
	}
}

// waitClosed waits for the server to end a stream.
func waitClosed(t *testing.T, c *sseClient) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.nextErr(5 * time.Second); err != nil {
			return
		}
	}
	t.Fatal("the stream is still open")
}

// API keys: created (the key shown once) and usable, listed without the
// secret, revoked (it stops working).
func TestAdminManagesAPIKeys(t *testing.T) {
	n := peopleNode(t, server.Config{}, "root")
	root := n.login("root")
	resp, body := n.do("POST", "/api/admin/apikeys", `{"label":"the shop"}`, with(root, asJSON...)...)
	var created struct{ ID, Key, Label string }
	json.Unmarshal(body, &created)
	if resp.StatusCode != http.StatusCreated || created.Key == "" || created.Label != "the shop" || resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create key: %d %s", resp.StatusCode, body)
	}
	app := []string{"Authorization", "Bearer " + created.Key}
	if resp, body := n.do("POST", "/api/publish", `{"messages":[{"room":"lobby","text":"from the shop"}]}`, with(app, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish with the new key: %d %s", resp.StatusCode, body)
	}
	_, body = n.do("GET", "/api/admin/apikeys", "", root...)
	if !strings.Contains(string(body), created.ID) || strings.Contains(string(body), created.Key) {
		t.Errorf("key list %s: want the ID, never the key", body)
	}
	if resp, _ := n.do("POST", "/api/admin/apikeys", `{"label":"bad\u0007label"}`, with(root, asJSON...)...); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a label with a control character: %d, want 400", resp.StatusCode)
	}
	if resp, body := n.do("DELETE", "/api/admin/apikeys/"+created.ID, "", root...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("revoke: %d %s", resp.StatusCode, body)
	}
	if resp, _ := n.do("POST", "/api/publish", `{"messages":[{"room":"lobby","text":"revoked"}]}`, with(app, asJSON...)...); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("publish with the revoked key: %d, want 401", resp.StatusCode)
	}
	if resp, _ := n.do("DELETE", "/api/admin/apikeys/"+created.ID, "", root...); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoke twice: %d, want 404", resp.StatusCode)
	}
}

// A room made private closes the streams on it; only members get back in.
func TestMakeRoomPrivate(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "root")
	createRoom(t, n, "design")
	guest := n.subscribe("rooms=design", "")
	root := n.login("root")
	if resp, body := n.do("PUT", "/api/rooms/design/visibility", `{"visibility":"private"}`, with(root, asJSON...)...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("make design private: %d %s", resp.StatusCode, body)
	}
	waitClosed(t, guest)
	if status, _ := n.get("/api/rooms/design/messages?limit=5"); status != http.StatusUnauthorized && status != http.StatusForbidden {
		t.Errorf("a guest reading the private room: %d", status)
	}
	if resp, _ := n.do("GET", "/api/rooms/design/messages?limit=5", "", n.login("ada")...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("ada (no member) reading it: %d, want 403", resp.StatusCode)
	}
	if resp, _ := n.do("PUT", "/api/rooms/lobby/visibility", `{"visibility":"private"}`, with(root, asJSON...)...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("making the lobby private: %d, want 403", resp.StatusCode)
	}
	if resp, _ := n.do("PUT", "/api/rooms/design/visibility", `{"visibility":"secret"}`, with(root, asJSON...)...); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown visibility: %d, want 400", resp.StatusCode)
	}
	if resp, _ := n.do("PUT", "/api/rooms/design/visibility", `{"visibility":"public"}`, with(root, asJSON...)...); resp.StatusCode != http.StatusNoContent {
		t.Errorf("making it public again: %d", resp.StatusCode)
	}
	if status, _ := n.get("/api/rooms/design/messages?limit=5"); status != http.StatusOK {
		t.Errorf("a guest reading it public again: %d", status)
	}
}
