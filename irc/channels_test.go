package irc_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/server"
)

// names returns the entries of the NAMES reply lines in msgs.
func names(msgs []ircmsg.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.Command == ircmsg.RPL_NAMREPLY {
			out = append(out, strings.Fields(m.Params[len(m.Params)-1])...)
		}
	}
	return out
}

// JOIN of a channel that does not exist creates the room as the web
// would, owned by the registered user who joined; the owner is a channel
// operator, for IRC clients (@) as for the web (the room's owner).
func TestJoinCreatesARoomItsCreatorOperates(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	if got := names(ada.join("#Den")); !slices.Equal(got, []string{"@ada"}) {
		t.Fatalf("NAMES after creating #den = %v, want [@ada]", got)
	}
	status, body := g.do("GET", "/api/rooms", "")
	if status != http.StatusOK {
		t.Fatalf("GET /api/rooms: %d %s", status, body)
	}
	var list struct {
		Rooms []struct{ Name, Owner string }
	}
	json.Unmarshal(body, &list)
	if !slices.ContainsFunc(list.Rooms, func(r struct{ Name, Owner string }) bool { return r.Name == "den" && r.Owner == "ada" }) {
		t.Fatalf("rooms = %s, want den owned by ada", body)
	}

	// A guest sees the operator, with userhost-in-names the full source.
	carol := g.dial()
	carol.send("CAP REQ :multi-prefix userhost-in-names")
	carol.expect("CAP")
	carol.send("CAP END")
	carol.register("carol")
	got := names(carol.join("#den"))
	slices.Sort(got)
	if want := []string{"@ada!ada@parley", "carol!carol@parley"}; !slices.Equal(got, want) {
		t.Fatalf("NAMES with userhost-in-names = %v, want %v", got, want)
	}
	carol.send("WHO #den")
	_, before := carol.expect(ircmsg.RPL_ENDOFWHO)
	flags := map[string]string{}
	for _, m := range before {
		if m.Command == ircmsg.RPL_WHOREPLY {
			flags[m.Param(5)] = m.Param(6)
		}
	}
	if flags["ada"] != "H@" || flags["carol"] != "H" {
		t.Fatalf("WHO flags = %v, want ada H@ and carol H", flags)
	}
}

// Rooms made over IRC follow the web's creation policy.
func TestJoinRefusesWhatTheWebRefuses(t *testing.T) {
	g := startGateway(t, server.Config{RoomCreation: "admins"}, server.IRCConfig{}, "ada")
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	ada.send("JOIN #den")
	m, _ := ada.expect(ircmsg.ERR_NOSUCHCHANNEL)
	if !strings.Contains(m.Param(2), "admins") {
		t.Fatalf("refusal %v does not say who may create rooms", m)
	}
	if status, _ := g.do("GET", "/api/rooms/den/messages", ""); status != http.StatusNotFound {
		t.Fatalf("room den exists after a refused JOIN: GET messages = %d", status)
	}
}

// NAMES and WHO list the people present on the web too, and a channel
// that does not exist has only the end of the list.
func TestNamesListsWebUsers(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "bob")
	web := g.events("rooms=lobby", g.login("bob")...)
	_ = web
	carol := g.dial()
	carol.register("carol")
	got := names(carol.join("#lobby"))
	slices.Sort(got)
	if !slices.Equal(got, []string{"bob", "carol"}) {
		t.Fatalf("NAMES #lobby = %v, want the web user bob and carol", got)
	}
	carol.send("NAMES #nosuchroom")
	m, before := carol.expect(ircmsg.RPL_ENDOFNAMES)
	if len(names(before)) != 0 || m.Param(1) != "#nosuchroom" {
		t.Fatalf("NAMES of a missing channel: %v then %v", before, m)
	}
	carol.send("NAMES #lobby,#nosuchroom")
	m, before = carol.expect(ircmsg.RPL_ENDOFNAMES)
	if len(names(before)) != 2 || m.Param(1) != "#lobby,#nosuchroom" {
		t.Fatalf("NAMES of two channels: %v then %v, want lobby's names then one end naming both", before, m)
	}
}

// PART and QUIT reasons reach the web (the leave notice's text) and
// other IRC clients (PART reason, QUIT).
func TestPartAndQuitReasons(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	web := g.events("rooms=lobby")
	watcher := g.dial()
	watcher.register("watcher")
	watcher.join("#lobby")
	carol := g.dial()
	carol.register("carol")
	carol.join("#lobby")
	watcher.expect("JOIN")

	carol.send("PART #lobby :gone fishing")
	if m, _ := carol.expect("PART"); m.Param(1) != "gone fishing" {
		t.Fatalf("own PART = %v", m)
	}
	if m, _ := watcher.expect("PART"); m.Param(1) != "gone fishing" || !strings.HasPrefix(m.Source, "carol!") {
		t.Fatalf("watcher saw %v, want carol's PART with its reason", m)
	}
	web.message("carol's leave with the reason", func(m parley.Message) bool {
		return m.Kind == parley.KindLeave && m.Text == "carol has left: gone fishing"
	})

	carol.join("#lobby")
	watcher.expect("JOIN")
	carol.send("QUIT :see you")
	carol.expectClosed()
	if m, _ := watcher.expect("QUIT"); m.Param(0) != "Quit: see you" {
		t.Fatalf("watcher saw %v, want QUIT :Quit: see you", m)
	}
}

// TOPIC: 331 without one, 332 and 333 (who set it) with one; only
// operators set it (+t).
func TestTopicNumericsAndOperators(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	ada.join("#den")
	ada.send("TOPIC #den")
	ada.expect(ircmsg.RPL_NOTOPIC)
	ada.send("TOPIC #den :plans")
	if m, _ := ada.expect("TOPIC"); m.Param(1) != "plans" {
		t.Fatalf("TOPIC = %v", m)
	}
	carol := g.dial()
	carol.register("carol")
	before := carol.join("#den")
	var whoTime ircmsg.Message
	for _, m := range before {
		if m.Command == ircmsg.RPL_TOPICWHOTIME {
			whoTime = m
		}
	}
	if !strings.HasPrefix(whoTime.Param(2), "ada!") {
		t.Fatalf("RPL_TOPICWHOTIME = %v, want set by ada", whoTime)
	}
	carol.send("TOPIC #den :mine")
	carol.expect(ircmsg.ERR_CHANOPRIVSNEEDED)
	carol.send("MODE #den")
	if m, _ := carol.expect(ircmsg.RPL_CHANNELMODEIS); !strings.Contains(m.Param(2), "t") {
		t.Fatalf("modes %v, want +t", m)
	}
}

// KICK is Parley's kick: operators only; the kicked user leaves the
// channel and everyone sees KICK.
func TestKick(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	ada.join("#den")
	carol := g.dial()
	carol.register("carol")
	carol.join("#den")
	ada.expect("JOIN")

	carol.send("KICK #den ada")
	carol.expect(ircmsg.ERR_CHANOPRIVSNEEDED)
	web := g.events("rooms=den")
	ada.send("KICK #den carol :out you go")
	if m, _ := carol.expect("KICK"); m.Param(0) != "#den" || m.Param(1) != "carol" || m.Param(2) != "out you go" {
		t.Fatalf("carol got %v", m)
	}
	if m, _ := ada.expect("KICK"); m.Param(1) != "carol" || m.Param(2) != "out you go" {
		t.Fatalf("ada got %v", m)
	}
	web.message("the kick with its reason on the web", func(m parley.Message) bool {
		return m.Kind == parley.KindNotice && m.Text == "carol was removed by ada: out you go"
	})
	carol.send("PRIVMSG #den :still here?")
	carol.expect(ircmsg.ERR_CANNOTSENDTOCHAN)
}

// INVITE to a private room is Parley's invitation: the invitee is told
// and may then join.
func TestInviteToAPrivateRoom(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada", "bob")
	if status, body := g.do("POST", "/api/rooms", `{"name":"den","visibility":"private"}`, g.login("ada")...); status != http.StatusCreated {
		t.Fatalf("create den: %d %s", status, body)
	}
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	ada.join("#den")
	bob := g.dial()
	bob.register("bob", "PASS :"+password)
	bob.send("JOIN #den")
	bob.expect(ircmsg.ERR_INVITEONLYCHAN)
	ada.send("INVITE bob #den")
	ada.expect(ircmsg.RPL_INVITING)
	if m, _ := bob.expect("INVITE"); m.Param(1) != "#den" || !strings.HasPrefix(m.Source, "ada!") {
		t.Fatalf("bob got %v", m)
	}
	bob.join("#den")
}

// Private messages: 401 for nobody; a stored direct message to an account
// that is offline, with a NOTICE saying so; guests talk live; AWAY.
func TestPrivateMessages(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada", "bob")
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	ada.send("PRIVMSG nobody :hello")
	ada.expect(ircmsg.ERR_NOSUCHNICK)
	ada.send("PRIVMSG bob :read this later")
	if m, _ := ada.expect("NOTICE"); !strings.Contains(m.Param(1), "offline") {
		t.Fatalf("NOTICE = %v, want one saying bob is offline", m)
	}
	bob := g.dial()
	bob.register("bob", "PASS :"+password)
	bob.send("CHATHISTORY LATEST ada * 10")
	if m, _ := bob.expect("PRIVMSG"); m.Param(1) != "read this later" {
		t.Fatalf("bob's history = %v", m)
	}

	carol := g.dial()
	carol.register("carol")
	dave := g.dial()
	dave.register("dave")
	dave.send("AWAY :lunch")
	dave.expect(ircmsg.RPL_NOWAWAY)
	carol.send("PRIVMSG dave :psst")
	if m, _ := dave.expect("PRIVMSG"); m.Param(1) != "psst" || !strings.HasPrefix(m.Source, "carol!") {
		t.Fatalf("dave got %v", m)
	}
	if m, _ := carol.expect(ircmsg.RPL_AWAY); m.Param(2) != "lunch" {
		t.Fatalf("RPL_AWAY = %v", m)
	}
}

// The informational commands answer with their numerics.
func TestInformationalCommands(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{ServerName: "chat.example.org"}, "root")
	c := g.dial()
	c.send("NICK carol", "USER carol 0 * :Carol Real")
	if m, _ := c.expect(ircmsg.RPL_MYINFO); m.Param(1) != "chat.example.org" {
		t.Fatalf("RPL_MYINFO = %v, want the configured server name", m)
	}
	c.expect(ircmsg.RPL_ENDOFMOTD)
	c.send("USERHOST carol")
	if m, _ := c.expect("302"); m.Param(1) != "carol=+~carol@chat.example.org" {
		t.Fatalf("USERHOST = %v", m)
	}
	c.send("TIME")
	c.expect("391")
	c.send("WHOWAS carol")
	c.expect("406")
	c.expect("369")
	c.send("WHOIS carol")
	if m, _ := c.expect(ircmsg.RPL_WHOISUSER); m.Param(5) != "Carol Real" {
		t.Fatalf("WHOIS = %v, want the real name", m)
	}
	c.send("OPER root :" + password)
	c.expect("381")
	c.send("WHO carol")
	if m, _ := c.expect(ircmsg.RPL_WHOREPLY); m.Param(6) != "H*" {
		t.Fatalf("WHO after OPER = %v, want H*", m)
	}
}

// WHOWAS remembers connections that ended; KILL is for IRC operators;
// INFO answers.
func TestWhowasKillInfo(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "root")
	gone := g.dial()
	gone.send("NICK dave", "USER daveuser 0 * :Dave Real")
	gone.expect(ircmsg.RPL_ENDOFMOTD)
	gone.send("QUIT :bye")
	gone.expectClosed()
	c := g.dial()
	c.register("carol")
	deadline := time.Now().Add(wait)
	for g.srv.IRCConns() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // dave's connection is forgotten on its own goroutine
	}
	c.send("WHOWAS dave")
	if m, _ := c.expect("314"); m.Param(1) != "dave" || m.Param(2) != "~daveuser" || m.Param(5) != "Dave Real" {
		t.Fatalf("RPL_WHOWASUSER = %v", m)
	}
	c.expect("369")

	c.send("INFO")
	c.expect("374")

	victim := g.dial()
	victim.register("erin")
	c.send("KILL erin :enough")
	c.expect(ircmsg.ERR_NOPRIVILEGES)
	c.send("OPER root :" + password)
	c.expect("381")
	c.send("KILL erin :enough")
	if reason := victim.expectClosed(); !strings.Contains(reason, "Killed by carol: enough") {
		t.Fatalf("ERROR = %q", reason)
	}
}

// A private room is a secret, invite-only channel: NAMES says "@", MODE
// "+inst".
func TestPrivateRoomModes(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	if status, body := g.do("POST", "/api/rooms", `{"name":"den","visibility":"private"}`, g.login("ada")...); status != http.StatusCreated {
		t.Fatalf("create den: %d %s", status, body)
	}
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	for _, m := range ada.join("#den") {
		if m.Command == ircmsg.RPL_NAMREPLY && m.Param(1) != "@" {
			t.Fatalf("NAMES of a private room = %v, want the secret symbol @", m)
		}
	}
	ada.send("MODE #den")
	if m, _ := ada.expect(ircmsg.RPL_CHANNELMODEIS); m.Param(2) != "+inst" {
		t.Fatalf("MODE #den = %v, want +inst", m)
	}
}

// Client-only tags beyond 4094 bytes are refused, and nothing is posted.
func TestTooManyTagBytes(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	c := g.dial()
	c.register("carol")
	c.join("#lobby")
	c.send("@+big="+strings.Repeat("a", 4096)+" PRIVMSG #lobby :oversized-tags-line", "PING :after")
	c.expect(ircmsg.ERR_INPUTTOOLONG)
	c.expect("PONG")
	status, body := g.do("GET", "/api/rooms/lobby/messages", "")
	if status != http.StatusOK || strings.Contains(string(body), "oversized-tags-line") {
		t.Fatalf("history: %d %s; the refused line must not be stored", status, body)
	}
}

// User mode +i hides a user from WHO masks of people who share no channel
// with them; WHO of the exact nick still answers.
func TestInvisibleUserMode(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	evan := g.dial()
	evan.register("evan")
	evan.send("MODE evan +i")
	if m, _ := evan.expect("MODE"); m.Param(1) != "+i" {
		t.Fatalf("MODE = %v", m)
	}
	shiv := g.dial()
	shiv.register("shiv")
	count := func(mask string) int {
		shiv.send("WHO " + mask)
		_, before := shiv.expect(ircmsg.RPL_ENDOFWHO)
		n := 0
		for _, m := range before {
			if m.Command == ircmsg.RPL_WHOREPLY {
				n++
			}
		}
		return n
	}
	if n := count("eva*"); n != 0 {
		t.Fatalf("WHO eva* listed %d invisible users", n)
	}
	if n := count("evan"); n != 1 {
		t.Fatalf("WHO evan listed %d, want 1", n)
	}
	evan.join("#test")
	shiv.join("#test")
	if n := count("eva*"); n != 1 {
		t.Fatalf("WHO eva* with a shared channel listed %d, want 1", n)
	}
	evan.send("MODE evan +x")
	evan.expect(ircmsg.ERR_UMODEUNKNOWNFLAG)
}

// With echo-message the echo of a line comes before the answer to the
// next command (clients synchronise on PING), exactly once.
func TestEchoComesBeforeTheNextReply(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	c := g.dial()
	c.send("CAP REQ :echo-message")
	c.expect("CAP")
	c.send("CAP END")
	c.register("carol")
	c.join("#lobby")
	for i := range 6 { // within the flood burst (20 lines)
		text := "line " + strconv.Itoa(i)
		c.send("PRIVMSG #lobby :"+text, "PING :sync")
		_, before := c.expect("PONG")
		n := 0
		for _, m := range before {
			if m.Command == "PRIVMSG" && m.Param(1) == text {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("%q echoed %d times before PONG, want once: %v", text, n, before)
		}
	}
	c.send("PING :end")
	if _, before := c.expect("PONG"); len(before) != 0 {
		t.Fatalf("after the echoes, more came: %v", before)
	}
}

// A guest who creates a channel operates it while connected (topic, kick,
// @), and only that connection: a later guest with the same nick does not.
func TestGuestCreatorOperatesWhileConnected(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	gus := g.dial()
	gus.register("gus")
	if got := names(gus.join("#camp")); !slices.Equal(got, []string{"@gus"}) {
		t.Fatalf("NAMES = %v, want [@gus]", got)
	}
	gus.send("TOPIC #camp :tents")
	if m, _ := gus.expect("TOPIC"); m.Param(1) != "tents" {
		t.Fatalf("TOPIC = %v", m)
	}
	dan := g.dial()
	dan.register("dan")
	dan.join("#camp")
	gus.expect("JOIN")
	dan.send("TOPIC #camp :mine")
	dan.expect(ircmsg.ERR_CHANOPRIVSNEEDED)
	gus.send("KICK #camp dan")
	dan.expect("KICK")

	gus.send("QUIT")
	gus.expectClosed()
	deadline := time.Now().Add(wait)
	for g.srv.IRCConns() != 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // gus's connection is forgotten on its own goroutine
	}
	again := g.dial()
	again.register("gus")
	if got := names(again.join("#camp")); !slices.Equal(got, []string{"gus"}) {
		t.Fatalf("NAMES after the creator left = %v, want [gus] without @", got)
	}
	again.send("TOPIC #camp :taken over")
	again.expect(ircmsg.ERR_CHANOPRIVSNEEDED)
}
