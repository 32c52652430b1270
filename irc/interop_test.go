package irc_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	ergomsg "github.com/ergochat/irc-go/ircmsg"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/server"
)

// An IRC client (a real client library) logs in with SASL, joins #lobby
// and chats with the web: its line reaches an SSE stream, a web line
// reaches it with the Parley message ID as msgid and the stored time as
// server-time, and echo-message echoes its own line with its ID.
func TestIRCClientChatsWithWeb(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	web := g.events("rooms=lobby")

	ada := g.connect("ada", "ada", "server-time", "message-tags", "echo-message")
	if acked := ada.conn.AcknowledgedCaps(); len(acked) != 4 { // sasl too
		t.Fatalf("acknowledged caps = %v, want sasl, server-time, message-tags, echo-message", acked)
	}
	ada.join("#lobby")

	if err := ada.conn.Privmsg("#lobby", "hello from IRC"); err != nil {
		t.Fatal(err)
	}
	got := web.message("the IRC line on the web stream", func(m parley.Message) bool { return m.Kind == parley.KindMessage })
	if got.From != "ada" || got.Text != "hello from IRC" || got.Room != parley.DefaultRoom {
		t.Fatalf("web stream got %+v, want ada's line in the lobby", got)
	}
	echo := ada.expect("the echo of ada's own line", privmsg("#lobby", "hello from IRC"))
	if _, id := echo.GetTag("msgid"); id != strconv.FormatInt(got.ID, 10) {
		t.Errorf("echo msgid = %q, want the message ID %d", id, got.ID)
	}

	sent := g.post("lobby", "webby", "hello from the web")
	m := ada.expect("the web line", privmsg("#lobby", "hello from the web"))
	if nickOf(m) != "webby" {
		t.Errorf("web line from %q, want webby", m.Source)
	}
	if _, id := m.GetTag("msgid"); id != strconv.FormatInt(sent.ID, 10) {
		t.Errorf("msgid = %q, want %d", id, sent.ID)
	}
	if _, ts := m.GetTag("time"); ts != ircmsg.FormatTime(sent.Time) {
		t.Errorf("server-time = %q, want %q", ts, ircmsg.FormatTime(sent.Time))
	}

	// A multi-line web message becomes one PRIVMSG per line, msgid on the first.
	g.post("lobby", "webby", "one\ntwo")
	first := ada.expect("first line", privmsg("#lobby", "one"))
	second := ada.expect("second line", privmsg("#lobby", "two"))
	if ok, _ := first.GetTag("msgid"); !ok {
		t.Error("first line of a multi-line message has no msgid")
	}
	if ok, _ := second.GetTag("msgid"); ok {
		t.Error("second line repeats the msgid")
	}
}

// Without echo-message a client does not get its own lines back, but does
// get the same user's lines from the web.
func TestOwnLinesWithoutEchoMessage(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	ada := g.connect("ada", "ada")
	ada.join("#lobby")
	ada.conn.Privmsg("#lobby", "from IRC")
	g.post("lobby", "", "from ada's browser", g.login("ada")...)
	m := ada.expect("ada's web line", func(m ergomsg.Message) bool { return m.Command == "PRIVMSG" })
	if m.Params[1] != "from ada's browser" {
		t.Fatalf("first PRIVMSG = %q, want ada's web line (not the IRC line echoed)", m.Params[1])
	}
}

// A web user's direct message reaches an IRC user, and the IRC user's
// reply reaches the web user's conversation.
func TestDirectMessagesBetweenWebAndIRC(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada", "bob")
	ada := g.connect("ada", "ada", "echo-message")
	bob := g.login("bob")
	bobStream := g.events("rooms=lobby", bob...)

	status, body := g.do("POST", "/api/users/ada/messages", `{"text":"psst, ada"}`, bob...)
	if status != http.StatusCreated {
		t.Fatalf("direct message: %d %s", status, body)
	}
	m := ada.expect("bob's direct message", privmsg("ada", "psst, ada"))
	if nickOf(m) != "bob" {
		t.Fatalf("direct message from %q, want bob", m.Source)
	}

	ada.conn.Privmsg("bob", "hi bob")
	ada.expect("the echo of ada's reply", privmsg("bob", "hi bob"))
	got := bobStream.message("ada's reply on bob's stream", func(m parley.Message) bool { return m.Text == "hi bob" })
	if got.From != "ada" || got.Room != parley.DirectRoomName("ada", "bob") {
		t.Fatalf("bob's stream got %+v", got)
	}
}

// Presence is shared: an IRC guest in #lobby is a member on the web, a
// web guest's stream shows up as a JOIN on IRC and in NAMES, and leaving
// on IRC is a leave notice on the web.
func TestPresenceIsShared(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	web := g.events("rooms=lobby")
	carol := g.dial()
	carol.register("carol")
	carol.join("#lobby")
	web.message("carol's join notice", func(m parley.Message) bool { return m.Kind == parley.KindJoin && m.From == "carol" })

	status, body := g.do("GET", "/api/rooms/lobby/members", "")
	var members struct{ Members []struct{ Name string } }
	json.Unmarshal(body, &members)
	if status != 200 || !slices.ContainsFunc(members.Members, func(p struct{ Name string }) bool { return p.Name == "carol" }) {
		t.Fatalf("web members = %d %s, want carol listed", status, body)
	}

	g.events("rooms=lobby&name=dave") // a web guest named dave enters
	if m, _ := carol.expect("JOIN"); m.Source != "dave!dave@parley" || m.Param(0) != "#lobby" {
		t.Fatalf("JOIN = %v, want dave joining #lobby", m)
	}
	carol.send("NAMES #lobby")
	names, _ := carol.expect(ircmsg.RPL_NAMREPLY)
	if got := strings.Fields(names.Param(3)); !slices.Contains(got, "carol") || !slices.Contains(got, "dave") {
		t.Fatalf("NAMES = %q, want carol and dave", names.Param(3))
	}

	carol.send("PART #lobby :bye")
	if m, _ := carol.expect("PART"); m.Param(0) != "#lobby" {
		t.Fatalf("PART answer %v", m)
	}
	web.message("carol's leave notice", func(m parley.Message) bool { return m.Kind == parley.KindLeave && m.From == "carol" })
}

// JOIN plays back recent history with msgids and server-time, then goes
// live without a gap or a duplicate; CHATHISTORY pages by the same IDs.
func TestHistoryOnJoinAndChathistory(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{History: 3}, "ada")
	var ids []string
	for i := range 5 {
		ids = append(ids, strconv.FormatInt(g.post("lobby", "webby", "old "+strconv.Itoa(i)).ID, 10))
	}
	c := g.dial()
	c.send("CAP LS 302", "CAP REQ :server-time message-tags", "CAP END")
	c.register("carol")
	c.send("JOIN #lobby")
	var got []string
	for len(got) < 3 {
		m, _ := c.expect("PRIVMSG")
		id, _ := m.Tag("msgid")
		if _, ok := m.Tag("time"); !ok {
			t.Errorf("played-back line %v has no server-time", m)
		}
		got = append(got, id)
	}
	if !slices.Equal(got, ids[2:]) {
		t.Fatalf("played back msgids %v, want the newest three %v", got, ids[2:])
	}
	live := g.post("lobby", "webby", "new")
	if m, _ := c.expect("PRIVMSG"); m.Param(1) != "new" {
		t.Fatalf("after playback got %v, want the live line %d", m, live.ID)
	}

	c.send("CHATHISTORY BEFORE #lobby msgid=" + ids[2] + " 10")
	var before []string
	for len(before) < 2 {
		m, _ := c.expect("PRIVMSG")
		before = append(before, m.Param(1))
	}
	if !slices.Equal(before, []string{"old 0", "old 1"}) {
		t.Fatalf("CHATHISTORY BEFORE = %v, want old 0, old 1", before)
	}
}

// The topic is shared: set on IRC by the room's owner, it is the room's
// topic on the web, and JOIN shows it.
func TestTopic(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	ada := g.login("ada")
	if status, body := g.do("POST", "/api/rooms", `{"name":"dev"}`, ada...); status != http.StatusCreated {
		t.Fatalf("create room: %d %s", status, body)
	}
	c := g.dial()
	c.register("ada", "PASS :"+password)
	c.join("#dev")
	c.send("TOPIC #dev :release on Friday")
	if m, _ := c.expect("TOPIC"); m.Param(1) != "release on Friday" || !strings.HasPrefix(m.Source, "ada!") {
		t.Fatalf("TOPIC = %v", m)
	}
	_, body := g.do("GET", "/api/rooms", "")
	if !strings.Contains(string(body), "release on Friday") {
		t.Fatalf("rooms on the web: %s, want the new topic", body)
	}
	other := g.dial()
	other.register("carol")
	other.send("JOIN #dev")
	if m, _ := other.expect(ircmsg.RPL_TOPIC); m.Param(2) != "release on Friday" {
		t.Fatalf("RPL_TOPIC = %v", m)
	}
	// A guest cannot set it.
	other.send("TOPIC #dev :mine now")
	if m, _ := other.expect(ircmsg.ERR_CHANOPRIVSNEEDED); m.Param(1) != "#dev" {
		t.Fatalf("guest setting the topic: %v", m)
	}
}

// A member removed from a private room on the web is kicked from its
// channel on IRC at once, and gets none of the room's later lines.
func TestKickOnTheWebKicksOnIRC(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada", "bob")
	ada := g.login("ada")
	asJSON := []string{"Content-Type", "application/json"}
	for _, step := range [][2]string{
		{"/api/rooms", `{"name":"staff","visibility":"private"}`},
		{"/api/rooms/staff/invites", `{"user":"bob"}`},
	} {
		if status, body := g.do("POST", step[0], step[1], append(append([]string(nil), ada...), asJSON...)...); status/100 != 2 {
			t.Fatalf("POST %s: %d %s", step[0], status, body)
		}
	}
	bob := g.dial()
	bob.register("bob", "PASS :"+password)
	bob.join("#staff")
	bob.join("#lobby")

	if status, body := g.do("DELETE", "/api/rooms/staff/members/bob", "", ada...); status/100 != 2 {
		t.Fatalf("kick: %d %s", status, body)
	}
	kick, _ := bob.expect("KICK")
	if kick.Param(0) != "#staff" || kick.Param(1) != "bob" || !strings.HasPrefix(kick.Source, "ada!") {
		t.Errorf("KICK line %v, want ada kicking bob from #staff", kick)
	}
	g.post("staff", "", "after the kick", ada...)
	g.post("lobby", "gus", "marker")
	for {
		m, _ := bob.expect("PRIVMSG")
		if m.Param(0) == "#staff" {
			t.Fatalf("bob got %v after he was kicked", m)
		}
		if m.Param(1) == "marker" {
			break
		}
	}
	// The channel is gone: posting there is refused.
	bob.send("PRIVMSG #staff :still here?")
	bob.expect(ircmsg.ERR_CANNOTSENDTOCHAN)
}
