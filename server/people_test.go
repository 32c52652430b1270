package server_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/session/sessiontest"
)

const password = "correct horse battery"

// peopleNode starts a node whose database already holds the named users
// (a "root" user is a server admin).
func peopleNode(t *testing.T, cfg server.Config, users ...string) *node {
	t.Helper()
	cfg.DB = filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, cfg.DB, password, users...)
	return startNode(t, cfg)
}

// login returns a bearer header pair for user.
func (n *node) login(user string) []string {
	n.t.Helper()
	resp, body := n.do("POST", "/api/session", `{"name":"`+user+`","password":"`+password+`"}`, "Content-Type", "application/json")
	if resp.StatusCode != http.StatusOK {
		n.t.Fatalf("login %s: %d %s", user, resp.StatusCode, body)
	}
	var got struct{ Token string }
	json.Unmarshal(body, &got)
	return []string{"Authorization", "Bearer " + got.Token}
}

func with(hdr []string, more ...string) []string {
	return append(append([]string(nil), hdr...), more...)
}

var asJSON = []string{"Content-Type", "application/json"}

func TestLoginSessionAndLogout(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada")
	resp, _ := n.do("POST", "/api/session", `{"name":"ada","password":"wrong password"}`, asJSON...)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	resp, _ = n.do("POST", "/api/session", `{"name":"nobody","password":"wrong password"}`, asJSON...)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("unknown user: %d", resp.StatusCode)
	}
	resp, body := n.do("POST", "/api/session", `{"name":"ada","password":"`+password+`"}`, asJSON...)
	cookie := resp.Header.Get("Set-Cookie")
	if !strings.Contains(cookie, "parley_session=") || !strings.Contains(cookie, "HttpOnly") || !strings.Contains(cookie, "SameSite=Lax") {
		t.Errorf("login cookie = %q", cookie)
	}
	if strings.Contains(string(body), "password") {
		t.Errorf("login answer mentions the password: %s", body)
	}
	ada := n.login("ada")
	_, who := n.do("GET", "/api/session", "", ada...)
	if !strings.Contains(string(who), `"name":"ada"`) || !strings.Contains(string(who), `"kind":"user"`) {
		t.Errorf("whoami = %s", who)
	}
	if resp, _ := n.do("POST", "/api/rooms/lobby/messages", `{"text":"as a user"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Errorf("posting as a logged-in user: %d", resp.StatusCode)
	}
	if resp, _ := n.do("DELETE", "/api/session", "", ada...); resp.StatusCode != http.StatusNoContent {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	if resp, _ := n.do("GET", "/api/session", "", ada...); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("token after logout: %d, want 401", resp.StatusCode)
	}
	// Guests cannot take a registered name, in any letter case.
	if resp, body := n.do("POST", "/api/rooms/lobby/messages", `{"text":"hi","name":"ADA"}`, asJSON...); resp.StatusCode != http.StatusConflict {
		t.Errorf("guest as ADA: %d %s, want 409", resp.StatusCode, body)
	}
}

// The access table: every read and write path × anonymous, guest, member,
// non-member and admin, on a private room.
func TestAccessControlTable(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob", "eve", "root")
	ada, bob, eve, root := n.login("ada"), n.login("bob"), n.login("eve"), n.login("root")
	if resp, body := n.do("POST", "/api/rooms", `{"name":"staff","visibility":"private"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create private room: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("POST", "/api/rooms/staff/invites", `{"user":"bob"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("invite: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("POST", "/api/rooms/staff/join", "", with(bob, asJSON...)...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("join: %d %s", resp.StatusCode, body)
	}
	if resp, _ := n.do("POST", "/api/rooms/staff/join", "", with(eve, asJSON...)...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("uninvited join: %d, want 403", resp.StatusCode)
	}

	type caller struct {
		name string
		hdr  []string
		as   string // guest name
	}
	callers := []caller{{"anonymous", nil, ""}, {"guest", nil, "gus"}, {"member", bob, ""}, {"non-member", eve, ""}, {"admin", root, ""}}
	endpoints := []struct {
		name string
		req  func(c caller) int
		want map[string]int
	}{
		{"history", func(c caller) int {
			resp, _ := n.do("GET", "/api/rooms/staff/messages", "", c.hdr...)
			return resp.StatusCode
		}, map[string]int{"anonymous": 401, "guest": 401, "member": 200, "non-member": 403, "admin": 200}},
		{"stream", func(c caller) int {
			q := "/api/events?rooms=staff"
			if c.as != "" {
				q += "&name=" + c.as
			}
			resp, _ := n.do("GET", q+"&last=0&timeout=0", "", c.hdr...) // errors answer at once; streams are cut below
			return resp.StatusCode
		}, map[string]int{"anonymous": 401, "guest": 403, "member": 200, "non-member": 403, "admin": 200}},
		{"poll", func(c caller) int {
			q := "/api/poll?rooms=staff&timeout=0"
			if c.as != "" {
				q += "&name=" + c.as
			}
			resp, _ := n.do("GET", q, "", c.hdr...)
			return resp.StatusCode
		}, map[string]int{"anonymous": 401, "guest": 403, "member": 200, "non-member": 403, "admin": 200}},
		{"post", func(c caller) int {
			body := `{"text":"hi"}`
			if c.as != "" {
				body = `{"text":"hi","name":"` + c.as + `"}`
			}
			resp, _ := n.do("POST", "/api/rooms/staff/messages", body, with(c.hdr, asJSON...)...)
			return resp.StatusCode
		}, map[string]int{"anonymous": 401, "guest": 403, "member": 201, "non-member": 403, "admin": 201}},
		{"members", func(c caller) int {
			resp, _ := n.do("GET", "/api/rooms/staff/members", "", c.hdr...)
			return resp.StatusCode
		}, map[string]int{"anonymous": 401, "guest": 401, "member": 200, "non-member": 403, "admin": 200}},
		{"topic", func(c caller) int {
			resp, _ := n.do("PUT", "/api/rooms/staff/topic", `{"topic":"t"}`, with(c.hdr, asJSON...)...)
			return resp.StatusCode
		}, map[string]int{"anonymous": 401, "guest": 401, "member": 403, "non-member": 403, "admin": 204}},
	}
	for _, e := range endpoints {
		for _, c := range callers {
			if e.name == "stream" && (c.name == "member" || c.name == "admin") {
				// A granted stream never ends by itself: open it properly.
				s := n.subscribeWith("rooms=staff", c.hdr...)
				s.close()
				continue
			}
			if got := e.req(c); got != e.want[c.name] {
				t.Errorf("%s as %s: status %d, want %d", e.name, c.name, got, e.want[c.name])
			}
		}
	}
	// Listing rooms shows the private room to its members only.
	for _, c := range []struct {
		hdr  []string
		want bool
	}{{bob, true}, {eve, false}, {nil, false}} {
		_, body := n.do("GET", "/api/rooms", "", c.hdr...)
		if got := strings.Contains(string(body), `"name":"staff"`); got != c.want {
			t.Errorf("room list %s: has staff = %v, want %v", body, got, c.want)
		}
	}
}

func TestDirectMessagesReachEverySessionAndStayPrivate(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob", "eve")
	ada, bob, eve := n.login("ada"), n.login("bob"), n.login("eve")
	bobStream := n.subscribeWith("rooms=lobby", bob...)
	adaOther := n.subscribeWith("rooms=lobby", ada...)

	resp, body := n.do("POST", "/api/users/bob/messages", `{"text":"psst"}`, with(ada, asJSON...)...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("DM: %d %s", resp.StatusCode, body)
	}
	var dm parley.Message
	json.Unmarshal(body, &dm)
	if dm.Room != "@ada,bob" {
		t.Errorf("DM room = %q", dm.Room)
	}
	for name, s := range map[string]*sseClient{"bob": bobStream, "ada's other session": adaOther} {
		for {
			ev := s.next(5 * time.Second)
			if ev.event == "message" {
				if m := ev.message(t); m.ID != dm.ID || m.Text != "psst" {
					t.Errorf("%s got %+v, want the DM", name, m)
				}
				break
			}
		}
	}
	if resp, body := n.do("GET", "/api/users/ada/messages", "", bob...); resp.StatusCode != 200 || !strings.Contains(string(body), "psst") {
		t.Errorf("bob reading the conversation: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("GET", "/api/users/ada/messages", "", eve...); resp.StatusCode == 200 && strings.Contains(string(body), "psst") {
		t.Errorf("eve read the DM: %s", body)
	}
	if resp, _ := n.do("GET", "/api/rooms/"+url.PathEscape("@ada,bob")+"/messages", "", eve...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("eve reading the DM room directly: %d, want 403", resp.StatusCode)
	}
	if resp, _ := n.do("POST", "/api/users/bob/messages", `{"text":"hi"}`, asJSON...); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("guest DM: %d, want 401", resp.StatusCode)
	}
	// A reconnecting stream resumes the conversation too.
	r := n.subscribeWith("rooms=lobby", with(bob, "Last-Event-ID", itoa(dm.ID-1))...)
	for {
		if ev := r.next(5 * time.Second); ev.id == dm.ID {
			break
		}
	}
}

func TestPresenceAcrossTransportsAndLapse(t *testing.T) {
	clock := sessiontest.NewClock(time.Now())
	n := peopleNode(t, server.Config{SessionClock: clock, PollLease: time.Minute}, "ada", "bob")
	ada, bob := n.login("ada"), n.login("bob")
	watch := n.subscribeWith("rooms=lobby", ada...)
	nextNotice := func() parley.Message {
		t.Helper()
		for {
			ev := watch.next(5 * time.Second)
			if ev.event == parley.KindJoin || ev.event == parley.KindLeave {
				return ev.message(t)
			}
		}
	}
	if m := nextNotice(); m.Kind != parley.KindJoin || m.From != "ada" {
		t.Fatalf("first notice %+v, want ada's own join", m)
	}

	// bob in two tabs is one member, with one join.
	tab1 := n.subscribeWith("rooms=lobby", bob...)
	tab2 := n.subscribeWith("rooms=lobby", bob...)
	if m := nextNotice(); m.Kind != parley.KindJoin || m.From != "bob" {
		t.Fatalf("notice %+v, want bob's join", m)
	}
	_, body := n.do("GET", "/api/rooms/lobby/members", "")
	if string(body) != `{"members":[{"name":"ada"},{"name":"bob"}]}`+"\n" {
		t.Errorf("members = %s", body)
	}
	// A guest long-poller joins, and lapses when it stops coming back.
	if resp, body := n.do("GET", "/api/poll?rooms=lobby&timeout=0&name=gus", ""); resp.StatusCode != 200 {
		t.Fatalf("guest poll: %d %s", resp.StatusCode, body)
	}
	if m := nextNotice(); m.Kind != parley.KindJoin || m.From != "gus" {
		t.Fatalf("notice %+v, want the guest poller's join", m)
	}
	tab1.close()
	tab2.close()
	if m := nextNotice(); m.Kind != parley.KindLeave || m.From != "bob" {
		t.Fatalf("notice %+v, want bob's leave after his last tab closed", m)
	}
	clock.Advance(2 * time.Minute) // past the poll lease
	if m := nextNotice(); m.Kind != parley.KindLeave || m.From != "gus" {
		t.Fatalf("notice %+v, want the lapsed poller's leave", m)
	}
	_, body = n.do("GET", "/api/rooms/lobby/members", "")
	if string(body) != `{"members":[{"name":"ada"}]}`+"\n" {
		t.Errorf("members after leaves = %s", body)
	}
}

func TestWebSocketActsAsItsIdentity(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob")
	ada := n.login("ada")
	watch := n.subscribe("rooms=lobby", "")
	c, _, err := n.wsDial("rooms=lobby", http.Header{"Authorization": {ada[1]}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.CloseNow()
	c.send(map[string]any{"type": "send", "ref": "r1", "room": "lobby", "text": "who am I", "name": "bob"})
	// The socket's join and its line may come in either order: its
	// presence is entered as the socket starts, concurrently with the send.
	var joined, posted bool
	for !joined || !posted {
		ev := watch.next(5 * time.Second)
		m := ev.message(t)
		if m.Kind == parley.KindJoin {
			if m.From != "ada" {
				t.Errorf("join from %q, want ada (the socket's identity)", m.From)
			}
			joined = true
			continue
		}
		if m.From != "ada" || m.Text != "who am I" {
			t.Fatalf("socket logged in as ada posted %+v: it must not speak as the name it sends", m)
		}
		posted = true
	}
	_, body := n.do("GET", "/api/rooms/lobby/members", "")
	if !strings.Contains(string(body), `"name":"ada"`) {
		t.Errorf("members = %s, want ada present through her socket", body)
	}
}

func TestNoticesCanBeTurnedOffPerRoom(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob")
	ada, bob := n.login("ada"), n.login("bob")
	if resp, body := n.do("POST", "/api/rooms", `{"name":"quiet"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d %s", resp.StatusCode, body)
	}
	if resp, _ := n.do("PUT", "/api/rooms/quiet/notices", `{"notices":false}`, with(bob, asJSON...)...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("non-owner turning notices off: %d, want 403", resp.StatusCode)
	}
	if resp, body := n.do("PUT", "/api/rooms/quiet/notices", `{"notices":false}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("owner turning notices off: %d %s", resp.StatusCode, body)
	}
	watch := n.subscribe("rooms=quiet", "")
	s := n.subscribeWith("rooms=quiet", bob...)
	marker := n.post("quiet", "gus", "after bob joined")
	if ev := watch.next(5 * time.Second); ev.id != marker.ID {
		t.Errorf("first event %+v, want the message: no join notice in a quiet room", ev)
	}
	s.close()
	if ids := historyIDs(t, n, "quiet"); len(ids) != 1 {
		t.Errorf("quiet room log holds %d messages, want only the chat line", len(ids))
	}
}

func TestPublishWithAPIKey(t *testing.T) {
	cfg := server.Config{DB: filepath.Join(t.TempDir(), "parley.db")}
	key := servicetest.CreateAPIKey(t, cfg.DB, "shop")
	servicetest.CreateUsers(t, cfg.DB, password, "ada")
	n := startNode(t, cfg)
	createRoom(t, n, "design")
	app := []string{"Authorization", "Bearer " + key, "Content-Type", "application/json"}
	adaStream := n.subscribeWith("rooms=lobby", n.login("ada")...)

	body := `{"messages": [
		{"room": "lobby", "text": "price is 42", "from": "ticker"},
		{"rooms": ["lobby", "design"], "text": "maintenance at noon", "kind": "notice"},
		{"user": "ada", "text": "your order shipped", "from": "shop"}]}`
	resp, out := n.do("POST", "/api/publish", body, app...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish: %d %s", resp.StatusCode, out)
	}
	var got struct{ Messages []parley.Message }
	json.Unmarshal(out, &got)
	if len(got.Messages) != 4 {
		t.Fatalf("published %d messages, want 4 (one chat line, a notice in two rooms, one DM): %s", len(got.Messages), out)
	}
	if m := got.Messages[0]; m.From != "ticker" || m.Kind != parley.KindMessage {
		t.Errorf("first = %+v", m)
	}
	if got.Messages[1].Kind != parley.KindNotice || got.Messages[2].Room != "design" {
		t.Errorf("notices = %+v %+v", got.Messages[1], got.Messages[2])
	}
	if dm := got.Messages[3]; dm.Room != "@ada,shop" || dm.From != "shop" {
		t.Errorf("direct message = %+v", dm)
	}
	// ada's stream gets the DM (through her inbox) as well as the lobby lines.
	for {
		ev := adaStream.next(5 * time.Second)
		if ev.event == parley.KindMessage && ev.message(t).Room == "@ada,shop" {
			break
		}
	}
	for _, c := range []struct {
		hdr  []string
		want int
	}{{asJSON, http.StatusForbidden}, {[]string{"Authorization", "Bearer pk_0000000000000000_" + strings.Repeat("A", 43), "Content-Type", "application/json"}, http.StatusUnauthorized}} {
		if resp, _ := n.do("POST", "/api/publish", body, c.hdr...); resp.StatusCode != c.want {
			t.Errorf("publish with %v: %d, want %d", c.hdr, resp.StatusCode, c.want)
		}
	}
}

func TestPollSessionPresenceBelongsToItsOwner(t *testing.T) {
	n := peopleNode(t, server.Config{}, "bob")
	bob := n.login("bob")
	createRoom(t, n, "other")
	resp, body := n.do("GET", "/api/poll?rooms=lobby&timeout=0&name=gus", "")
	if resp.StatusCode != 200 {
		t.Fatalf("guest poll: %d %s", resp.StatusCode, body)
	}
	var a pollAnswer
	json.Unmarshal(body, &a)
	// bob polls naming gus's session, into another room.
	if resp, body := n.do("GET", "/api/poll?rooms=other&timeout=0&session="+a.Session, "", bob...); resp.StatusCode != 200 {
		t.Fatalf("bob's poll: %d %s", resp.StatusCode, body)
	}
	if _, body := n.do("GET", "/api/rooms/lobby/members", ""); string(body) != `{"members":[{"name":"gus","guest":true}]}`+"\n" {
		t.Errorf("lobby members = %s: gus's presence was moved by another identity", body)
	}
	if _, body := n.do("GET", "/api/rooms/other/members", ""); strings.Contains(string(body), "bob") || strings.Contains(string(body), "gus") {
		t.Errorf("other members = %s: a foreign session ID must not make anyone present", body)
	}
}
