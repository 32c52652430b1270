package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/store/sqlite"
)

// postAs posts text to room with the caller's credentials and returns the
// stored message.
func (n *node) postAs(hdr []string, room, text string) parley.Message {
	n.t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	resp, b := n.do("POST", "/api/rooms/"+url.PathEscape(room)+"/messages", string(body), with(hdr, asJSON...)...)
	if resp.StatusCode != http.StatusCreated {
		n.t.Fatalf("post %q to %s: %d %s", text, room, resp.StatusCode, b)
	}
	var m parley.Message
	json.Unmarshal(b, &m)
	return m
}

// dm sends a direct message and returns it.
func (n *node) dm(hdr []string, to, text string) parley.Message {
	n.t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text})
	resp, b := n.do("POST", "/api/users/"+to+"/messages", string(body), with(hdr, asJSON...)...)
	if resp.StatusCode != http.StatusCreated {
		n.t.Fatalf("DM to %s: %d %s", to, resp.StatusCode, b)
	}
	var m parley.Message
	json.Unmarshal(b, &m)
	return m
}

type searchAnswer struct {
	Results []struct {
		Message parley.Message       `json:"message"`
		Snippet []parley.SnippetPart `json:"snippet"`
	} `json:"results"`
	Next string `json:"next"`
}

// search runs GET /api/search with query and returns the status and answer.
func (n *node) search(hdr []string, query url.Values) (int, searchAnswer, []byte) {
	n.t.Helper()
	resp, b := n.do("GET", "/api/search?"+query.Encode(), "", hdr...)
	var a searchAnswer
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(b, &a); err != nil {
			n.t.Fatalf("search answer %s: %v", b, err)
		}
	}
	return resp.StatusCode, a, b
}

func (a searchAnswer) texts() []string {
	var out []string
	for _, r := range a.Results {
		out = append(out, r.Message.Text)
	}
	slices.Sort(out)
	return out
}

// privateSetup makes the access-control fixture: a public line, a private
// room "staff" of ada (owner) and bob (member), a DM between ada and bob,
// and one between eve and ada, all holding the word "budget".
func privateSetup(t *testing.T) (n *node, ada, bob, eve, root []string) {
	n = peopleNode(t, server.Config{}, "ada", "bob", "eve", "root")
	ada, bob, eve, root = n.login("ada"), n.login("bob"), n.login("eve"), n.login("root")
	if resp, body := n.do("POST", "/api/rooms", `{"name":"staff","visibility":"private"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create private room: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("POST", "/api/rooms/staff/invites", `{"user":"bob"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("invite: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("POST", "/api/rooms/staff/join", "", with(bob, asJSON...)...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("join: %d %s", resp.StatusCode, body)
	}
	n.post("lobby", "gus", "public budget line")
	n.postAs(ada, "staff", "staff budget secret")
	n.dm(ada, "bob", "ada-bob budget whisper")
	n.dm(eve, "ada", "eve-ada budget whisper")
	return n, ada, bob, eve, root
}

func TestSearchAccessControl(t *testing.T) {
	n, ada, bob, eve, root := privateSetup(t)
	var (
		public = "public budget line"
		staff  = "staff budget secret"
		adaBob = "ada-bob budget whisper"
		eveAda = "eve-ada budget whisper"
	)
	sorted := func(s ...string) []string { slices.Sort(s); return s }
	cases := []struct {
		name string
		hdr  []string
		room string
		code int
		want []string
	}{
		{"anonymous", nil, "", 200, sorted(public)},
		{"non-member", eve, "", 200, sorted(public, eveAda)},
		{"member", bob, "", 200, sorted(public, staff, adaBob)},
		{"owner", ada, "", 200, sorted(public, staff, adaBob, eveAda)},
		{"admin: no one else's DMs in a general search", root, "", 200, sorted(public, staff)},
		{"admin naming a DM", root, "@ada,bob", 200, sorted(adaBob)},
		{"member in the room", bob, "staff", 200, sorted(staff)},
		{"member in own DM", bob, "@ada,bob", 200, sorted(adaBob)},
		{"non-member in the room", eve, "staff", 403, nil},
		{"others' DM", eve, "@ada,bob", 403, nil},
		{"anonymous in the room", nil, "staff", 401, nil},
		{"unknown room", bob, "nosuch", 404, nil},
	}
	for _, tc := range cases {
		q := url.Values{"q": {"budget"}}
		if tc.room != "" {
			q.Set("room", tc.room)
		}
		code, a, body := n.search(tc.hdr, q)
		if code != tc.code {
			t.Errorf("%s: status %d, want %d: %s", tc.name, code, tc.code, body)
			continue
		}
		if got := a.texts(); code == 200 && !slices.Equal(got, tc.want) {
			t.Errorf("%s: found %q, want %q", tc.name, got, tc.want)
		}
	}

	// The answer's shape: the message and its snippet as parts.
	_, a, body := n.search(bob, url.Values{"q": {"SECRET"}})
	if len(a.Results) != 1 {
		t.Fatalf("search SECRET: %s", body)
	}
	r := a.Results[0]
	if r.Message.Room != "staff" || r.Message.From != "ada" || r.Message.Kind != parley.KindMessage {
		t.Errorf("result message = %+v", r.Message)
	}
	want := []parley.SnippetPart{{Text: "staff budget "}, {Text: "secret", Match: true}}
	if !slices.Equal(r.Snippet, want) {
		t.Errorf("snippet = %+v, want %+v", r.Snippet, want)
	}
	if !strings.Contains(string(body), `"snippet":[{"text":"staff budget "},{"text":"secret","match":true}]`) {
		t.Errorf("snippet JSON in %s", body)
	}
}

// A server that admits no guests tells an anonymous searcher to log in,
// and a connection token limited to some rooms searches only those.
func TestSearchWithoutGuests(t *testing.T) {
	n := peopleNode(t, server.Config{NoGuests: true}, "ada")
	ada := n.login("ada")
	n.postAs(ada, "lobby", "budget for members")
	if code, _, body := n.search(nil, url.Values{"q": {"budget"}}); code != http.StatusUnauthorized {
		t.Errorf("anonymous search without guests: %d %s, want 401", code, body)
	}
	if code, a, body := n.search(ada, url.Values{"q": {"budget"}}); code != 200 || len(a.Results) != 1 {
		t.Errorf("ada's search: %d %s", code, body)
	}
}

func TestSearchParameters(t *testing.T) {
	n := startNode(t, server.Config{})
	for i := range 30 {
		n.post("lobby", "ada", fmt.Sprintf("standup note %d", i))
	}
	for _, tc := range []struct {
		query url.Values
		code  int
		msg   string
	}{
		{url.Values{}, 400, "q parameter"},
		{url.Values{"q": {"   "}}, 400, "q parameter"},
		{url.Values{"q": {`"*" -- () :`}}, 400, "no words"},
		{url.Values{"q": {strings.Repeat("standup ", 80)}}, 400, "too long"},
		{url.Values{"q": {"standup"}, "limit": {"0"}}, 400, "limit"},
		{url.Values{"q": {"standup"}, "limit": {"101"}}, 400, "limit"},
		{url.Values{"q": {"standup"}, "limit": {"ten"}}, 400, "limit"},
		{url.Values{"q": {"standup"}, "since": {"yesterday"}}, 400, "RFC 3339"},
		{url.Values{"q": {"standup"}, "until": {"2026-13-01T00:00:00Z"}}, 400, "RFC 3339"},
		{url.Values{"q": {"standup"}, "since": {"2026-01-02T00:00:00Z"}, "until": {"2026-01-01T00:00:00Z"}}, 400, "before until"},
		{url.Values{"q": {"standup"}, "cursor": {"xyz"}}, 400, "cursor"},
		{url.Values{"q": {"standup"}, "from": {strings.Repeat("a", 65)}}, 400, "from"},
		{url.Values{"q": {"standup"}, "room": {"nosuch"}}, 404, "nosuch"},
		{url.Values{"q": {"NEAR( standup"}}, 200, ""},
	} {
		code, _, body := n.search(nil, tc.query)
		if code != tc.code || !strings.Contains(string(body), tc.msg) {
			t.Errorf("search %s: %d %s, want %d mentioning %q", tc.query.Encode(), code, body, tc.code, tc.msg)
		}
	}

	// Paging through the API: every line once.
	seen := map[int64]bool{}
	q := url.Values{"q": {"standup"}, "limit": {"7"}}
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		code, a, body := n.search(nil, q)
		if code != 200 {
			t.Fatalf("page %d: %d %s", pages, code, body)
		}
		for _, r := range a.Results {
			if seen[r.Message.ID] {
				t.Fatalf("message %d on two pages", r.Message.ID)
			}
			seen[r.Message.ID] = true
		}
		if a.Next == "" {
			break
		}
		q.Set("cursor", a.Next)
	}
	if len(seen) != 30 {
		t.Errorf("paged through %d messages, want 30", len(seen))
	}
	// A cursor does not carry over to other words.
	_, a, _ := n.search(nil, url.Values{"q": {"standup"}, "limit": {"7"}})
	if code, _, body := n.search(nil, url.Values{"q": {"note"}, "cursor": {a.Next}}); code != 400 || !strings.Contains(string(body), "another query") {
		t.Errorf("cursor of another query: %d %s", code, body)
	}
}

func TestTranscriptEndpoint(t *testing.T) {
	n, ada, _, eve, _ := privateSetup(t)
	n.postAs(ada, "staff", "<script>alert(1)</script> & more")
	cases := []struct {
		format, ctype, ext string
	}{
		{"", "text/plain; charset=utf-8", "txt"},
		{"txt", "text/plain; charset=utf-8", "txt"},
		{"md", "text/markdown; charset=utf-8", "md"},
		{"json", "application/json; charset=utf-8", "json"},
		{"html", "text/html; charset=utf-8", "html"},
	}
	for _, tc := range cases {
		resp, body := n.do("GET", "/api/rooms/staff/transcript?format="+tc.format, "", ada...)
		if resp.StatusCode != 200 {
			t.Fatalf("transcript %q: %d %s", tc.format, resp.StatusCode, body)
		}
		if got := resp.Header.Get("Content-Type"); got != tc.ctype {
			t.Errorf("%s: Content-Type %q, want %q", tc.format, got, tc.ctype)
		}
		disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
		if err != nil || disp != "attachment" || params["filename"] != "parley-staff."+tc.ext {
			t.Errorf("%s: Content-Disposition %q", tc.format, resp.Header.Get("Content-Disposition"))
		}
		if !strings.Contains(string(body), "staff budget secret") {
			t.Errorf("%s: transcript lacks the message:\n%s", tc.format, body)
		}
		switch tc.ext {
		case "html":
			if strings.Contains(string(body), "<script>") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("html transcript: unescaped script or no CSP header (%q)", resp.Header.Get("Content-Security-Policy"))
			}
		case "json":
			var msgs []parley.Message
			if err := json.Unmarshal(body, &msgs); err != nil || len(msgs) < 2 {
				t.Errorf("json transcript: %v, %d messages", err, len(msgs))
			}
		}
	}
	for _, tc := range []struct {
		path string
		hdr  []string
		code int
	}{
		{"/api/rooms/staff/transcript", eve, 403},
		{"/api/rooms/staff/transcript", nil, 401},
		{"/api/rooms/" + url.PathEscape("@ada,bob") + "/transcript", eve, 403},
		{"/api/rooms/nosuch/transcript", ada, 404},
		{"/api/rooms/staff/transcript?format=pdf", ada, 400},
		{"/api/rooms/staff/transcript?since=last-week", ada, 400},
		{"/api/rooms/staff/transcript?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", ada, 400},
	} {
		resp, body := n.do("GET", tc.path, "", tc.hdr...)
		if resp.StatusCode != tc.code || !strings.Contains(resp.Header.Get("Content-Type"), "json") {
			t.Errorf("GET %s: %d %s (%s), want %d as a JSON error", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.code)
		}
		if resp.Header.Get("Content-Disposition") != "" {
			t.Errorf("GET %s: an error answer with Content-Disposition %q", tc.path, resp.Header.Get("Content-Disposition"))
		}
	}
	// A time range.
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	resp, body := n.do("GET", "/api/rooms/staff/transcript?format=json&since="+future, "", ada...)
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) != "[\n]" {
		t.Errorf("transcript since the future: %d %q", resp.StatusCode, body)
	}
	_, params, _ := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if !strings.HasPrefix(params["filename"], "parley-staff-20") {
		t.Errorf("filename with since = %q", params["filename"])
	}
	// The DM, by one of its two.
	resp, body = n.do("GET", "/api/rooms/"+url.PathEscape("@ada,bob")+"/transcript", "", ada...)
	_, params, _ = mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if resp.StatusCode != 200 || !strings.Contains(string(body), "ada-bob budget whisper") || params["filename"] != "parley-dm-ada-bob.txt" {
		t.Errorf("DM transcript: %d %q %s", resp.StatusCode, params["filename"], body)
	}
}

func TestRetentionEndpoint(t *testing.T) {
	n := peopleNode(t, server.Config{RetentionInterval: -1}, "ada", "bob")
	ada, bob := n.login("ada"), n.login("bob")
	if resp, body := n.do("POST", "/api/rooms", `{"name":"notes"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create room: %d %s", resp.StatusCode, body)
	}
	put := func(hdr []string, body string) (int, string) {
		resp, b := n.do("PUT", "/api/rooms/notes/retention", body, with(hdr, asJSON...)...)
		return resp.StatusCode, string(b)
	}
	for _, tc := range []struct {
		hdr  []string
		body string
		code int
	}{
		{nil, `{"days":1}`, 401},
		{bob, `{"days":1}`, 403},
		{ada, `{"days":1,"messages":2}`, 400},
		{ada, `{"days":-1}`, 400},
		{ada, `{"weeks":1}`, 400},
		{ada, `{"days":"1"}`, 400},
		{ada, `[]`, 400},
	} {
		if code, body := put(tc.hdr, tc.body); code != tc.code {
			t.Errorf("PUT retention %s: %d %s, want %d", tc.body, code, body, tc.code)
		}
	}
	if resp, _ := n.do("PUT", "/api/rooms/nosuch/retention", `{"days":1}`, with(ada, asJSON...)...); resp.StatusCode != 404 {
		t.Errorf("PUT retention of an unknown room: %d", resp.StatusCode)
	}
	if resp, _ := n.do("PUT", "/api/rooms/notes/retention", `{"days":1}`, ada...); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("PUT retention without JSON content type: %d", resp.StatusCode)
	}

	// Days, applied as of an injected time.
	if code, body := put(ada, `{"days":1}`); code != 200 || strings.TrimSpace(body) != `{"days":1}` {
		t.Fatalf("PUT days: %d %s", code, body)
	}
	if resp, body := n.do("GET", "/api/rooms/notes/retention", "", bob...); resp.StatusCode != 200 || strings.TrimSpace(string(body)) != `{"days":1}` {
		t.Errorf("GET retention: %d %s", resp.StatusCode, body)
	}
	n.postAs(bob, "notes", "minutes from the old meeting")
	deleted, err := n.srv.ApplyRetention(context.Background(), time.Now().Add(25*time.Hour))
	if err != nil || deleted < 2 { // the line and the retention notice
		t.Fatalf("ApplyRetention a day later = %d, %v", deleted, err)
	}
	if ids := historyIDs(t, n, "notes"); len(ids) != 0 {
		t.Errorf("history after retention: %v, want empty", ids)
	}
	if _, a, _ := n.search(bob, url.Values{"q": {"minutes"}}); len(a.Results) != 0 {
		t.Errorf("search after retention still finds %+v", a.Results)
	}

	// Messages.
	if code, body := put(ada, `{"messages":2}`); code != 200 || strings.TrimSpace(body) != `{"messages":2}` {
		t.Fatalf("PUT messages: %d %s", code, body)
	}
	var posted []parley.Message
	for i := range 5 {
		posted = append(posted, n.postAs(bob, "notes", fmt.Sprintf("note %d", i)))
	}
	if deleted, err := n.srv.ApplyRetention(context.Background(), time.Now()); err != nil || deleted != 4 { // 3 notes and the notice
		t.Errorf("ApplyRetention keeping 2 = %d, %v; want 4", deleted, err)
	}
	if ids := historyIDs(t, n, "notes"); !slices.Equal(ids, []int64{posted[3].ID, posted[4].ID}) {
		t.Errorf("history keeping 2 = %v, want %d and %d", ids, posted[3].ID, posted[4].ID)
	}
	// Forever again.
	if code, body := put(ada, `{}`); code != 200 || strings.TrimSpace(body) != `{}` {
		t.Fatalf("PUT forever: %d %s", code, body)
	}
	if deleted, err := n.srv.ApplyRetention(context.Background(), time.Now().Add(1000*time.Hour)); err != nil || deleted != 0 {
		t.Errorf("ApplyRetention with no retention = %d, %v", deleted, err)
	}
}

// The loop applies retention by itself.
func TestRetentionLoop(t *testing.T) {
	n := peopleNode(t, server.Config{RetentionInterval: 20 * time.Millisecond}, "ada")
	ada := n.login("ada")
	if resp, body := n.do("POST", "/api/rooms", `{"name":"notes"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create room: %d %s", resp.StatusCode, body)
	}
	for i := range 3 {
		n.postAs(ada, "notes", fmt.Sprintf("note %d", i))
	}
	if resp, body := n.do("PUT", "/api/rooms/notes/retention", `{"messages":1}`, with(ada, asJSON...)...); resp.StatusCode != 200 {
		t.Fatalf("PUT retention: %d %s", resp.StatusCode, body)
	}
	last := n.postAs(ada, "notes", "the one kept")
	waitFor(t, "the retention loop to keep one line", func() bool {
		ids := historyIDs(t, n, "notes")
		return len(ids) == 1 && ids[0] == last.ID
	})
}

func TestDeleteMessage(t *testing.T) {
	n, ada, bob, eve, root := privateSetup(t)
	if resp, body := n.do("POST", "/api/rooms", `{"name":"adas"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create room: %d %s", resp.StatusCode, body)
	}
	watch := n.subscribeWith("rooms=lobby", bob...)
	mine := n.postAs(bob, "lobby", "bob regrets this unique sentence")
	if ev := nextOf(t, watch, "message"); ev.id != mine.ID {
		t.Fatalf("stream: got %d, want the post %d", ev.id, mine.ID)
	}

	del := func(hdr []string, id int64) (int, []byte) {
		resp, body := n.do("DELETE", fmt.Sprintf("/api/messages/%d", id), "", hdr...)
		return resp.StatusCode, body
	}
	if code, body := del(nil, mine.ID); code != http.StatusUnauthorized {
		t.Errorf("anonymous delete: %d %s", code, body)
	}
	if code, body := del(eve, mine.ID); code != http.StatusForbidden {
		t.Errorf("someone else's delete: %d %s", code, body)
	}
	code, body := del(bob, mine.ID)
	if code != http.StatusOK {
		t.Fatalf("author's delete: %d %s", code, body)
	}
	var entry parley.Message
	json.Unmarshal(body, &entry)
	if entry.Kind != parley.KindDelete || entry.Text != fmt.Sprint(mine.ID) || entry.Room != "lobby" || entry.From != "bob" || entry.ID <= mine.ID {
		t.Errorf("delete answer = %+v", entry)
	}
	// Live: the stream gets the deletion.
	ev := nextOf(t, watch, parley.KindDelete)
	if m := ev.message(t); m.ID != entry.ID || m.Text != fmt.Sprint(mine.ID) {
		t.Errorf("delete event = %+v, want %+v", m, entry)
	}
	// Resume from before the message: the deletion, not the message.
	resumed := n.subscribeWith("rooms=lobby", "Last-Event-ID", itoa(mine.ID-1))
	if ev := nextOf(t, resumed, ""); ev.id != entry.ID || ev.event != parley.KindDelete {
		t.Errorf("resume after the deleted message: got %s %d, want the deletion %d", ev.event, ev.id, entry.ID)
	}
	// Gone from history and search.
	if ids := historyIDs(t, n, "lobby"); slices.Contains(ids, mine.ID) {
		t.Errorf("history still holds %d", mine.ID)
	}
	if _, a, _ := n.search(bob, url.Values{"q": {"regrets"}}); len(a.Results) != 0 {
		t.Errorf("search still finds the deleted message: %+v", a.Results)
	}
	if code, body := del(bob, mine.ID); code != http.StatusNotFound {
		t.Errorf("deleting again: %d %s", code, body)
	}
	if code, body := del(root, entry.ID); code != http.StatusBadRequest {
		t.Errorf("deleting a deletion: %d %s", code, body)
	}
	for _, bad := range []string{"abc", "0", "-1", "01", "99999999999999999999"} {
		if resp, body := n.do("DELETE", "/api/messages/"+bad, "", bob...); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("DELETE /api/messages/%s: %d %s", bad, resp.StatusCode, body)
		}
	}

	// An admin deletes anyone's; a room owner anything in their room.
	other := n.postAs(eve, "lobby", "eve's line")
	if code, body := del(root, other.ID); code != http.StatusOK {
		t.Errorf("admin's delete: %d %s", code, body)
	}
	inAdas := n.postAs(eve, "adas", "eve in ada's room")
	if code, body := del(bob, inAdas.ID); code != http.StatusForbidden {
		t.Errorf("non-owner delete in ada's room: %d %s", code, body)
	}
	if code, body := del(ada, inAdas.ID); code != http.StatusOK {
		t.Errorf("owner's delete in own room: %d %s", code, body)
	}
	// Private messages: to outsiders they do not exist.
	var staffMsg, dmMsg int64
	for _, r := range []string{"staff", "@ada,bob"} {
		_, b := n.do("GET", "/api/rooms/"+url.PathEscape(r)+"/messages", "", ada...)
		var page struct{ Messages []parley.Message }
		json.Unmarshal(b, &page)
		for _, m := range page.Messages {
			if m.Kind == parley.KindMessage {
				if r == "staff" {
					staffMsg = m.ID
				} else {
					dmMsg = m.ID
				}
			}
		}
	}
	for _, id := range []int64{staffMsg, dmMsg} {
		if code, body := del(eve, id); code != http.StatusNotFound {
			t.Errorf("outsider deleting private message %d: %d %s", id, code, body)
		}
	}
	// A DM deletion reaches the other user's streams too.
	bobDM := n.subscribeWith("rooms=lobby", bob...)
	if code, body := del(ada, dmMsg); code != http.StatusOK {
		t.Fatalf("ada deleting her DM: %d %s", code, body)
	}
	if ev := nextOf(t, bobDM, parley.KindDelete); ev.message(t).Text != fmt.Sprint(dmMsg) {
		t.Errorf("bob's stream got %s, want the DM's deletion", ev.data)
	}
}

// A guest's line, posted under a name before it was registered, is not
// the new account's to delete.
func TestDeleteGuestLineAfterRegistration(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada")
	guestLine := n.post("lobby", "carl", "posted as a guest")
	st, err := sqlite.Open(context.Background(), n.db)
	if err != nil {
		t.Fatal(err)
	}
	hash := mustHash(t)
	if err := st.CreateUser(context.Background(), parley.User{Name: "carl"}, hash); err != nil {
		t.Fatal(err)
	}
	st.Close()
	carl := n.login("carl")
	own := n.postAs(carl, "lobby", "posted as carl")
	if resp, body := n.do("DELETE", fmt.Sprintf("/api/messages/%d", guestLine.ID), "", carl...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("deleting the guest's line: %d %s, want 403", resp.StatusCode, body)
	}
	if resp, body := n.do("DELETE", fmt.Sprintf("/api/messages/%d", own.ID), "", carl...); resp.StatusCode != http.StatusOK {
		t.Errorf("deleting own line: %d %s", resp.StatusCode, body)
	}
}

// nextOf reads events until one of kind (any kind for ""), skipping
// presence notices.
func nextOf(t *testing.T, c *sseClient, kind string) sseEvent {
	t.Helper()
	for {
		ev := c.next(5 * time.Second)
		if ev.event == "members" || ev.event == parley.KindJoin || ev.event == parley.KindLeave {
			continue
		}
		if kind == "" || ev.event == kind {
			return ev
		}
	}
}

func mustHash(t *testing.T) string {
	t.Helper()
	h, err := auth.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// After a restart, direct conversations are readable by name: their
// history, transcript and search (the service knew "@a,b" rooms only
// from sending a DM, and refused their names after a restart).
func TestDirectConversationAfterRestart(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob")
	ada := n.login("ada")
	n.dm(ada, "bob", "before the restart")
	db := n.db
	n.stop()
	n = startNode(t, server.Config{DB: db})
	ada, bob := n.login("ada"), n.login("bob")
	if resp, body := n.do("GET", "/api/users/bob/messages", "", ada...); resp.StatusCode != 200 || !strings.Contains(string(body), "before the restart") {
		t.Errorf("DM history after restart: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("GET", "/api/rooms/"+url.PathEscape("@ada,bob")+"/transcript", "", bob...); resp.StatusCode != 200 || !strings.Contains(string(body), "before the restart") {
		t.Errorf("DM transcript after restart: %d %s", resp.StatusCode, body)
	}
	if code, a, body := n.search(bob, url.Values{"q": {"restart"}, "room": {"@ada,bob"}}); code != 200 || len(a.Results) != 1 {
		t.Errorf("DM search after restart: %d %s", code, body)
	}
	for _, bad := range []string{"@ada", "@,bob", "@ada,bob,eve", "@ada,b%20b"} {
		if resp, _ := n.do("GET", "/api/rooms/"+url.PathEscape(bad)+"/messages", "", ada...); resp.StatusCode != 400 && resp.StatusCode != 404 {
			t.Errorf("GET history of %q: %d, want 400 or 404", bad, resp.StatusCode)
		}
	}
}

// A notice an application publishes is found by search, like a chat line
// (issue 15: it was not).
func TestPublishedNoticesAreSearchable(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada")
	key := servicetest.CreateAPIKey(t, n.db, "the shop")
	app := []string{"Authorization", "Bearer " + key}
	if resp, body := n.do("POST", "/api/publish", `{"messages":[{"room":"lobby","text":"maintenance window tonight","kind":"notice"}]}`, with(app, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("publish: %d %s", resp.StatusCode, body)
	}
	status, body := n.get("/api/search?q=maintenance")
	if status != http.StatusOK || !strings.Contains(string(body), "maintenance window tonight") || !strings.Contains(string(body), `"kind":"notice"`) {
		t.Fatalf("search for the notice: %d %s", status, body)
	}
}
