package irc_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/store/sqlite"
)

// A password change (here from another process on the same database, as
// "parley user passwd" does) ends IRC connections that logged in with the
// old password, with an ERROR that says why (issue 14).
func TestPasswordChangeEndsIRCConnection(t *testing.T) {
	g := startGateway(t, server.Config{RevalidateInterval: 20 * time.Millisecond}, server.IRCConfig{}, "ada", "bob")
	ada := g.dial()
	ada.register("ada", "PASS :"+password)
	bob := g.dial()
	bob.register("bob", "PASS :"+password)

	db, err := sqlite.Open(context.Background(), g.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	hash, err := auth.HashPassword("a brand new password")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetPassword(context.Background(), "ada", hash); err != nil {
		t.Fatal(err)
	}
	if reason := ada.expectClosed(); !strings.Contains(reason, "password was changed") {
		t.Errorf("ERROR reason %q, want it to say the password was changed", reason)
	}
	// bob's password did not change: his connection stays.
	bob.send("PING :still-here")
	if m, _ := bob.expect("PONG"); !strings.Contains(strings.Join(m.Params, " "), "still-here") {
		t.Errorf("bob's PONG = %v", m.Params)
	}
}

// CTCP requests other than ACTION are ignored, as docs/IRC.md says: no
// error numeric, nothing stored (issue 14).
func TestCTCPOtherThanActionIsIgnored(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	c := g.dial()
	c.register("ada")
	c.join("#lobby")
	for _, line := range []string{"PRIVMSG #lobby :\x01VERSION\x01", "PRIVMSG #lobby :\x01PING 123\x01", "PRIVMSG ada :\x01TIME\x01", "PRIVMSG #lobby :\x01version\x01", "PRIVMSG #lobby :\x01ACTION\x01"} {
		c.send(line, "PING :after")
		m, skipped := c.expect("PONG")
		if len(skipped) != 0 || !strings.Contains(strings.Join(m.Params, " "), "after") {
			t.Errorf("%q was answered with %v before the PONG", line, skipped)
		}
	}
	if status, body := g.do("GET", "/api/rooms/lobby/messages", ""); status != 200 || strings.Contains(string(body), `"kind":"message"`) {
		t.Errorf("history after CTCP requests: %d %s, want no chat line", status, body)
	}
}
