package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/store/sqlite"
)

// history reads a room's newest page through the API, as hdr.
func (n *node) history(hdr []string, room string) []parley.Message {
	n.t.Helper()
	resp, b := n.do("GET", "/api/rooms/"+url.PathEscape(room)+"/messages?limit=500", "", hdr...)
	if resp.StatusCode != http.StatusOK {
		n.t.Fatalf("history %s: %d %s", room, resp.StatusCode, b)
	}
	var page struct{ Messages []parley.Message }
	if err := json.Unmarshal(b, &page); err != nil {
		n.t.Fatal(err)
	}
	return page.Messages
}

// lastID returns the ID of the newest entry of room, 0 if none.
func (n *node) lastID(hdr []string, room string) int64 {
	n.t.Helper()
	h := n.history(hdr, room)
	if len(h) == 0 {
		return 0
	}
	return h[len(h)-1].ID
}

// find returns the entry id of msgs.
func find(t *testing.T, msgs []parley.Message, id int64) parley.Message {
	t.Helper()
	for _, m := range msgs {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("message %d is not in %d messages", id, len(msgs))
	return parley.Message{}
}

// wantRefused checks that a request answered status with a message
// containing say, and that it stored nothing in room.
// It reads the room as the server admin "root".
func wantRefused(t *testing.T, n *node, room string, what string, status int, say string, do func() (*http.Response, []byte)) {
	t.Helper()
	reader := n.login("root")
	before := n.lastID(reader, room)
	resp, body := do()
	if resp.StatusCode != status || !strings.Contains(string(body), say) {
		t.Errorf("%s: %d %s; want %d saying %q", what, resp.StatusCode, body, status, say)
	}
	if after := n.lastID(reader, room); after != before {
		t.Errorf("%s stored entry %d", what, after)
	}
}

// oldLine stores, straight into the database, a line by a user whose
// account is older still, posted long before any edit window.
func oldLine(t *testing.T, n *node, user, text string) parley.Message {
	t.Helper()
	st, err := sqlite.Open(context.Background(), n.db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	long := time.Now().Add(-72 * time.Hour)
	if err := st.CreateUser(context.Background(), parley.User{Name: user, Created: long}, mustHash(t)); err != nil {
		t.Fatal(err)
	}
	m := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: user, Text: text, Time: long.Add(time.Hour)}
	if err := st.Append(context.Background(), []*parley.Message{m}); err != nil {
		t.Fatal(err)
	}
	return *m
}

func TestEditMessage(t *testing.T) {
	n, ada, bob, eve, _ := privateSetup(t)
	watch := n.subscribeWith("rooms=lobby", bob...)
	line := n.postAs(ada, "lobby", "teh harbour plan")
	nextOf(t, watch, parley.KindMessage)
	edit := func(hdr []string, id int64, body string) func() (*http.Response, []byte) {
		return func() (*http.Response, []byte) {
			return n.do("PATCH", fmt.Sprintf("/api/messages/%d", id), body, with(hdr, asJSON...)...)
		}
	}

	resp, body := edit(ada, line.ID, `{"text":"the station plan"}`)()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("author's edit: %d %s", resp.StatusCode, body)
	}
	var entry parley.Message
	json.Unmarshal(body, &entry)
	if entry.Kind != parley.KindEdit || entry.Ref != line.ID || entry.Text != "the station plan" || entry.From != "ada" || entry.ID <= line.ID {
		t.Errorf("edit answer = %+v", entry)
	}
	// Live: the entry itself, for the page to apply.
	if m := nextOf(t, watch, parley.KindEdit).message(t); m.ID != entry.ID || m.Ref != line.ID || m.Text != entry.Text {
		t.Errorf("edit event = %+v, want %+v", m, entry)
	}
	// Resume from before the line: the line (already in its current
	// state), then the edit entry itself, in ID order.
	resumed := n.subscribeWith("rooms=lobby", with(bob, "Last-Event-ID", itoa(line.ID-1))...)
	if m := nextOf(t, resumed, "").message(t); m.ID != line.ID || m.Text != "the station plan" || m.Edited.IsZero() {
		t.Errorf("resume: first %+v; want the line, edited", m)
	}
	if m := nextOf(t, resumed, "").message(t); m.ID != entry.ID || m.Kind != parley.KindEdit {
		t.Errorf("resume: second %+v; want the edit entry %d", m, entry.ID)
	}
	// History: the line in its current state, and the entry after it.
	h := n.history(bob, "lobby")
	if got := find(t, h, line.ID); got.Text != "the station plan" || got.Edited.IsZero() || !got.Edited.Equal(entry.Time) {
		t.Errorf("history shows the line as %q edited %v; want the new text edited %v", got.Text, got.Edited, entry.Time)
	}
	if got := find(t, h, entry.ID); got.Kind != parley.KindEdit {
		t.Errorf("history shows the edit entry as %+v", got)
	}
	// Search: the edited text, not the old one.
	if _, a, _ := n.search(bob, url.Values{"q": {"harbour"}}); len(a.Results) != 0 {
		t.Errorf("search finds the text before the edit: %+v", a.Results)
	}
	if _, a, _ := n.search(bob, url.Values{"q": {"station"}}); len(a.Results) != 1 || a.Results[0].Message.ID != line.ID || a.Results[0].Message.Edited.IsZero() {
		t.Errorf("search for the edited text = %+v; want the line, marked edited", a.Results)
	}

	// Transcripts: the current text, marked.
	if resp, body := n.do("GET", "/api/rooms/lobby/transcript?format=txt", "", bob...); resp.StatusCode != http.StatusOK ||
		!strings.Contains(string(body), "<ada> the station plan (edited)") || strings.Contains(string(body), "harbour") {
		t.Errorf("transcript: %d\n%s\nwant the edited line marked, and not the old text", resp.StatusCode, body)
	}

	wantRefused(t, n, "lobby", "someone else's edit", http.StatusForbidden, "only its author", edit(bob, line.ID, `{"text":"bob was here"}`))
	wantRefused(t, n, "lobby", "anonymous edit", http.StatusUnauthorized, "log in", edit(nil, line.ID, `{"text":"x"}`))
	wantRefused(t, n, "lobby", "empty edit", http.StatusBadRequest, "empty", edit(ada, line.ID, `{"text":"  "}`))
	wantRefused(t, n, "lobby", "edit without text", http.StatusBadRequest, "text", edit(ada, line.ID, `{}`))
	wantRefused(t, n, "lobby", "edit of an edit entry", http.StatusBadRequest, "only chat lines", edit(ada, entry.ID, `{"text":"x"}`))
	wantRefused(t, n, "lobby", "edit of an unknown message", http.StatusNotFound, "does not exist", edit(ada, 999999, `{"text":"x"}`))
	wantRefused(t, n, "lobby", "edit with a bad ID", http.StatusBadRequest, "not valid", edit(ada, -3, `{"text":"x"}`))
	staff := n.history(ada, "staff")[0]
	wantRefused(t, n, "staff", "outsider's edit in a private room", http.StatusNotFound, "does not exist", edit(eve, staff.ID, `{"text":"x"}`))

	old := oldLine(t, n, "olga", "said long ago")
	olga := n.login("olga")
	wantRefused(t, n, "lobby", "edit past the window", http.StatusForbidden, "within 24h", edit(olga, old.ID, `{"text":"rewritten"}`))
}

func TestDeleteWithinTheEditWindow(t *testing.T) {
	n := peopleNode(t, server.Config{EditWindow: 2 * time.Hour}, "ada", "root")
	ada, root := n.login("ada"), n.login("root")
	line := n.postAs(ada, "lobby", "soon regretted")
	if resp, body := n.do("PATCH", fmt.Sprintf("/api/messages/%d", line.ID), `{"text":"regretted"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("PUT", fmt.Sprintf("/api/messages/%d/reactions/%s", line.ID, url.PathEscape("😮")), "", with(root, asJSON...)...); resp.StatusCode != http.StatusOK {
		t.Fatalf("react: %d %s", resp.StatusCode, body)
	}
	resp, body := n.do("DELETE", fmt.Sprintf("/api/messages/%d", line.ID), "", ada...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("author's delete within the window: %d %s", resp.StatusCode, body)
	}
	var del parley.Message
	json.Unmarshal(body, &del)
	if del.Ref != line.ID || del.Text != fmt.Sprint(line.ID) {
		t.Errorf("delete entry = %+v; want ref and text %d", del, line.ID)
	}
	// The line's edit and reaction leave the log with it.
	for _, m := range n.history(root, "lobby") {
		if m.ID == line.ID || (m.Ref == line.ID && m.Kind != parley.KindDelete) {
			t.Errorf("history still holds %s %d of the deleted line", m.Kind, m.ID)
		}
	}

	old := oldLine(t, n, "olga", "said long ago")
	olga := n.login("olga")
	wantRefused(t, n, "lobby", "author's delete past the window", http.StatusForbidden, "within 2h", func() (*http.Response, []byte) {
		return n.do("DELETE", fmt.Sprintf("/api/messages/%d", old.ID), "", olga...)
	})
	if resp, body := n.do("DELETE", fmt.Sprintf("/api/messages/%d", old.ID), "", root...); resp.StatusCode != http.StatusOK {
		t.Errorf("admin's delete of an old line: %d %s", resp.StatusCode, body)
	}
}

func TestReplies(t *testing.T) {
	n, ada, bob, eve, _ := privateSetup(t)
	createRoom(t, n, "other")
	question := n.postAs(bob, "lobby", "who has the keys?")
	elsewhere := n.postAs(bob, "other", "in another room")
	staff := n.history(ada, "staff")[0]
	reply := func(hdr []string, room string, to int64) func() (*http.Response, []byte) {
		return func() (*http.Response, []byte) {
			return n.do("POST", "/api/rooms/"+room+"/messages", fmt.Sprintf(`{"text":"I do","reply_to":%d}`, to), with(hdr, asJSON...)...)
		}
	}
	resp, body := reply(ada, "lobby", question.ID)()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("reply: %d %s", resp.StatusCode, body)
	}
	var m parley.Message
	json.Unmarshal(body, &m)
	if m.ReplyTo != question.ID || !strings.Contains(string(body), fmt.Sprintf(`"reply_to":%d`, question.ID)) {
		t.Errorf("reply answer %s; want reply_to %d", body, question.ID)
	}
	if got := find(t, n.history(bob, "lobby"), m.ID); got.ReplyTo != question.ID {
		t.Errorf("history shows the reply with reply_to %d", got.ReplyTo)
	}
	if strings.Contains(string(body), "reactions") || strings.Contains(string(body), "edited") {
		t.Errorf("a fresh line carries empty fields: %s", body)
	}

	wantRefused(t, n, "lobby", "reply to another room's line", http.StatusBadRequest, "another room", reply(ada, "lobby", elsewhere.ID))
	wantRefused(t, n, "lobby", "reply to an unknown line", http.StatusNotFound, "does not exist", reply(ada, "lobby", 999999))
	wantRefused(t, n, "lobby", "reply to a private line by an outsider", http.StatusNotFound, "does not exist", reply(eve, "lobby", staff.ID))
	wantRefused(t, n, "lobby", "reply to a negative ID", http.StatusBadRequest, "reply_to", reply(ada, "lobby", -1))
}

// reactionsAnswer is the answer of PUT and DELETE .../reactions/{emoji}.
type reactionsAnswer struct {
	ID        int64             `json:"id"`
	Reactions []parley.Reaction `json:"reactions"`
}

func TestReactions(t *testing.T) {
	n, ada, bob, eve, _ := privateSetup(t)
	watch := n.subscribeWith("rooms=lobby", eve...)
	line := n.postAs(bob, "lobby", "lunch at noon?")
	nextOf(t, watch, parley.KindMessage)
	react := func(method string, hdr []string, id int64, emoji string) func() (*http.Response, []byte) {
		return func() (*http.Response, []byte) {
			return n.do(method, fmt.Sprintf("/api/messages/%d/reactions/%s", id, url.PathEscape(emoji)), "", with(hdr, asJSON...)...)
		}
	}
	want := func(what string, do func() (*http.Response, []byte), reactions []parley.Reaction) {
		t.Helper()
		resp, body := do()
		var a reactionsAnswer
		if err := json.Unmarshal(body, &a); resp.StatusCode != http.StatusOK || err != nil || a.ID != line.ID || !reflect.DeepEqual(a.Reactions, reactions) {
			t.Fatalf("%s: %d %s; want 200 with %+v", what, resp.StatusCode, body, reactions)
		}
	}
	thumbs := func(by ...string) parley.Reaction { return parley.Reaction{Emoji: "👍", Count: len(by), By: by} }

	want("ada's 👍", react("PUT", ada, line.ID, "👍"), []parley.Reaction{thumbs("ada")})
	if m := nextOf(t, watch, parley.KindReact).message(t); m.Ref != line.ID || m.Text != "👍" || m.From != "ada" {
		t.Errorf("react event = %+v", m)
	}
	last := n.lastID(nil, "lobby")
	want("ada's 👍 again", react("PUT", ada, line.ID, "👍"), []parley.Reaction{thumbs("ada")})
	if got := n.lastID(nil, "lobby"); got != last {
		t.Errorf("a second identical reaction stored entry %d", got)
	}
	want("bob's 👍", react("PUT", bob, line.ID, "👍"), []parley.Reaction{thumbs("ada", "bob")})
	want("ada's 🎉", react("PUT", ada, line.ID, "🎉"), []parley.Reaction{thumbs("ada", "bob"), {Emoji: "🎉", Count: 1, By: []string{"ada"}}})
	want("ada takes back 🎉", react("DELETE", ada, line.ID, "🎉"), []parley.Reaction{thumbs("ada", "bob")})
	if m := nextOf(t, watch, parley.KindUnreact).message(t); m.Ref != line.ID || m.Text != "🎉" {
		t.Errorf("unreact event = %+v", m)
	}
	last = n.lastID(nil, "lobby")
	want("ada takes back 🎉 again", react("DELETE", ada, line.ID, "🎉"), []parley.Reaction{thumbs("ada", "bob")})
	if got := n.lastID(nil, "lobby"); got != last {
		t.Errorf("taking back a reaction twice stored entry %d", got)
	}
	// History and search show the counts on the line.
	if got := find(t, n.history(eve, "lobby"), line.ID); !reflect.DeepEqual(got.Reactions, []parley.Reaction{thumbs("ada", "bob")}) {
		t.Errorf("history shows reactions %+v", got.Reactions)
	}
	resp, body := n.do("GET", "/api/rooms/lobby/messages?after="+itoa(line.ID-1)+"&limit=1", "", eve...)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"reactions":[{"emoji":"👍","count":2,"by":["ada","bob"]}]`) {
		t.Errorf("history read forward: %d %s; want the reactions", resp.StatusCode, body)
	}
	if _, a, _ := n.search(eve, url.Values{"q": {"lunch"}}); len(a.Results) != 1 || len(a.Results[0].Message.Reactions) != 1 {
		t.Errorf("search result = %+v; want the line with its reactions", a.Results)
	}

	staff := n.history(ada, "staff")[0]
	reactEntry := n.history(ada, "lobby")
	wantRefused(t, n, "lobby", "anonymous reaction", http.StatusUnauthorized, "log in", react("PUT", nil, line.ID, "👍"))
	wantRefused(t, n, "lobby", "over-long reaction", http.StatusBadRequest, "at most 8", react("PUT", ada, line.ID, strings.Repeat("👍", 9)))
	wantRefused(t, n, "lobby", "words as a reaction", http.StatusBadRequest, "not one emoji", react("PUT", ada, line.ID, "yes"))
	wantRefused(t, n, "lobby", "bidi trick as a reaction", http.StatusBadRequest, "bidirectional", react("PUT", ada, line.ID, "👍\u202e"))
	wantRefused(t, n, "lobby", "reaction to an unknown line", http.StatusNotFound, "does not exist", react("PUT", ada, 999999, "👍"))
	wantRefused(t, n, "lobby", "reaction to a reaction", http.StatusBadRequest, "chat lines and notices", react("PUT", ada, reactEntry[len(reactEntry)-1].ID, "👍"))
	wantRefused(t, n, "staff", "reaction in a room one cannot read", http.StatusNotFound, "does not exist", react("PUT", eve, staff.ID, "👍"))
}

// readAnswer is GET /api/read.
type readAnswer struct {
	Rooms    map[string]parley.ReadPosition `json:"rooms"`
	MaxCount int                            `json:"max_count"`
}

func TestReadPositionsAcrossDevices(t *testing.T) {
	n, ada, bob, eve, _ := privateSetup(t)
	phone := n.login("ada") // a second login: another device
	read := func(hdr []string) readAnswer {
		t.Helper()
		resp, body := n.do("GET", "/api/read", "", hdr...)
		var a readAnswer
		if err := json.Unmarshal(body, &a); resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("GET /api/read: %d %s", resp.StatusCode, body)
		}
		return a
	}
	set := func(hdr []string, room string, id int64) (*http.Response, []byte) {
		return n.do("PUT", "/api/rooms/"+url.PathEscape(room)+"/read", fmt.Sprintf(`{"id":%d}`, id), with(hdr, asJSON...)...)
	}

	first := n.postAs(bob, "lobby", "morning all")
	n.postAs(bob, "lobby", "@ada can you look at the build?")
	n.postAs(ada, "lobby", "on it")        // her own line: never unread
	n.postAs(bob, "lobby", "thanks @adam") // someone else
	if resp, body := set(ada, "lobby", first.ID); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"read":%d`, first.ID)) {
		t.Fatalf("set read position: %d %s", resp.StatusCode, body)
	}
	// The phone sees what the laptop read.
	got := read(phone)
	if got.Rooms["lobby"] != (parley.ReadPosition{Read: first.ID, Unread: 2, Mentions: 1}) || got.MaxCount != parley.MaxUnread {
		t.Errorf("read positions on the second device = %+v", got)
	}
	if _, ok := got.Rooms["staff"]; !ok {
		t.Errorf("ada's private room is missing from her read positions: %+v", got.Rooms)
	}
	if _, ok := read(eve).Rooms["staff"]; ok {
		t.Errorf("eve's read positions list a room she cannot read")
	}
	if _, ok := read(phone).Rooms["@ada,bob"]; !ok {
		t.Errorf("ada's direct conversation with bob is missing from her read positions")
	}
	if got := read(bob).Rooms["@ada,bob"]; got.Unread != 1 {
		t.Errorf("bob's direct conversation with ada: %+v; want ada's line unread", got)
	}
	if _, ok := read(n.login("root")).Rooms["@ada,bob"]; ok {
		t.Errorf("an admin's read positions list other people's direct conversations")
	}
	// Only forward: an older position leaves it.
	if resp, body := set(phone, "lobby", first.ID-1); resp.StatusCode != http.StatusOK || !strings.Contains(string(body), fmt.Sprintf(`"read":%d`, first.ID)) {
		t.Errorf("moving back: %d %s; want the stored position kept", resp.StatusCode, body)
	}
	last := n.lastID(nil, "lobby")
	if resp, body := set(phone, "lobby", last); resp.StatusCode != http.StatusOK {
		t.Fatalf("read to the end: %d %s", resp.StatusCode, body)
	}
	if got := read(ada).Rooms["lobby"]; got != (parley.ReadPosition{Read: last}) {
		t.Errorf("after reading everything: %+v", got)
	}

	staff := n.history(ada, "staff")[0]
	if resp, body := set(eve, "staff", staff.ID); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusForbidden {
		t.Errorf("read position in a room eve cannot read: %d %s", resp.StatusCode, body)
	}
	if resp, body := set(nil, "lobby", 1); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous read position: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("GET", "/api/read", ""); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET /api/read: %d %s", resp.StatusCode, body)
	}
	if resp, body := set(ada, "lobby", last+1000); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a position past the log: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("PUT", "/api/rooms/lobby/read", `{}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("no id: %d %s", resp.StatusCode, body)
	}
	if resp, body := set(ada, "nowhere", 1); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown room: %d %s", resp.StatusCode, body)
	}
	if got := read(ada).Rooms["lobby"]; got.Read != last {
		t.Errorf("refused requests moved the position to %d", got.Read)
	}
}
