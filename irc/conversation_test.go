package irc_test

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/server"
)

// expectWith reads lines until one with command cmd that match accepts.
func (c *raw) expectWith(cmd string, match func(ircmsg.Message) bool) ircmsg.Message {
	c.t.Helper()
	for {
		if m, _ := c.expect(cmd); match(m) {
			return m
		}
	}
}

func tag(m ircmsg.Message, key string) string {
	v, _ := m.Tag(key)
	return v
}

// Replies, reactions, typing, edits and deletions reach IRC as IRCv3 tags
// and redaction where the client negotiated them, and as readable plain
// lines (or nothing) where it did not; IRC clients react, reply, type and
// redact with the same tags (issue 13).
func TestConversationFeaturesOverIRC(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada", "bob")
	tagged := g.dial()
	tagged.register("ada", "CAP REQ :message-tags draft/message-redaction", "PASS :"+password, "CAP END")
	tagged.join("#lobby")
	plain := g.dial()
	plain.register("guest1")
	plain.join("#lobby")
	bob := g.login("bob")

	line := g.post("lobby", "", "helo all", bob...)
	got := tagged.expectWith("PRIVMSG", func(m ircmsg.Message) bool { return m.Param(1) == "helo all" })
	if tag(got, "msgid") != strconv.FormatInt(line.ID, 10) {
		t.Fatalf("msgid %q, want %d", tag(got, "msgid"), line.ID)
	}
	plain.expectWith("PRIVMSG", func(m ircmsg.Message) bool { return m.Param(1) == "helo all" })

	// An edit from the web: a readable NOTICE for both; the tagged client
	// also learns which line it corrects.
	if status, body := g.do("PATCH", "/api/messages/"+strconv.FormatInt(line.ID, 10), `{"text":"hello all"}`, bob...); status != http.StatusOK {
		t.Fatalf("edit: %d %s", status, body)
	}
	edit := tagged.expectWith("NOTICE", func(m ircmsg.Message) bool { return m.Param(1) == "bob corrected: hello all" })
	if tag(edit, "+draft/reply") != strconv.FormatInt(line.ID, 10) {
		t.Errorf("the edit NOTICE has +draft/reply=%q, want %d", tag(edit, "+draft/reply"), line.ID)
	}
	if m := plain.expectWith("NOTICE", func(m ircmsg.Message) bool { return strings.Contains(m.Param(1), "corrected") }); m.Param(1) != "bob corrected: hello all" || len(m.Tags) != 0 {
		t.Errorf("plain client got %v, want the NOTICE without tags", m)
	}

	// A reply from the web carries +draft/reply.
	status, body := g.do("POST", "/api/rooms/lobby/messages", `{"text":"and welcome","reply_to":`+strconv.FormatInt(line.ID, 10)+`}`, bob...)
	if status != http.StatusCreated {
		t.Fatalf("reply: %d %s", status, body)
	}
	reply := tagged.expectWith("PRIVMSG", func(m ircmsg.Message) bool { return m.Param(1) == "and welcome" })
	if tag(reply, "+draft/reply") != strconv.FormatInt(line.ID, 10) {
		t.Errorf("reply tags %v, want +draft/reply=%d", reply.Tags, line.ID)
	}

	// ada reacts from IRC: stored, seen by the web and as a line by the
	// plain client.
	tagged.send("@+draft/react=👍;+draft/reply=" + strconv.FormatInt(line.ID, 10) + " TAGMSG #lobby")
	plain.expectWith("NOTICE", func(m ircmsg.Message) bool { return m.Param(1) == "ada reacted 👍" })
	if rs := reactionsOf(t, g, line.ID); rs != "👍:ada" {
		t.Errorf("stored reactions %q, want 👍:ada", rs)
	}
	react := tagged.expectWith("TAGMSG", func(m ircmsg.Message) bool { return tag(m, "+draft/react") == "👍" })
	if tag(react, "+draft/reply") != strconv.FormatInt(line.ID, 10) {
		t.Errorf("the reaction's tags %v", react.Tags)
	}

	// Typing from the web reaches the tagged client as +typing; the plain
	// client gets nothing (its next line is the next message).
	if status, body := g.do("POST", "/api/rooms/lobby/typing", `{}`, bob...); status != http.StatusNoContent {
		t.Fatalf("typing: %d %s", status, body)
	}
	typing := tagged.expectWith("TAGMSG", func(m ircmsg.Message) bool { _, ok := m.Tag("+typing"); return ok })
	if tag(typing, "+typing") != "active" || !strings.HasPrefix(typing.Source, "bob!") {
		t.Errorf("typing line %v", typing)
	}
	// Typing from IRC reaches web streams that watch it.
	events := g.events("rooms=lobby&watch=typing", bob...)
	tagged.send("@+typing=active TAGMSG #lobby")
	deadline := 0
	for line := range events.lines {
		var m parley.Message
		if json.Unmarshal([]byte(line), &m) == nil && m.Kind == parley.KindTyping {
			if m.From != "ada" {
				t.Errorf("typing signal from %q, want ada", m.From)
			}
			break
		}
		if deadline++; deadline > 100 {
			t.Fatal("no typing signal from the IRC client")
		}
	}

	// A reply from IRC is stored with its reference.
	tagged.send("@+draft/reply=" + strconv.FormatInt(line.ID, 10) + " PRIVMSG #lobby :agreed")
	stored := events.message("ada's reply", func(m parley.Message) bool { return m.Text == "agreed" })
	if stored.ReplyTo != line.ID {
		t.Errorf("ada's reply has reply_to %d, want %d", stored.ReplyTo, line.ID)
	}
	plain.expectWith("PRIVMSG", func(m ircmsg.Message) bool { return m.Param(1) == "agreed" })

	// ada may not redact bob's line: an error, nothing deleted.
	tagged.send("REDACT #lobby " + strconv.FormatInt(line.ID, 10))
	if m, _ := tagged.expect(ircmsg.ERR_UNKNOWNERROR); m.Param(1) != "REDACT" {
		t.Errorf("REDACT of another's line answered %v", m)
	}
	// bob deletes it on the web: REDACT for the client that asked for it;
	// the plain client gets nothing (its next line is the next message).
	if status, body := g.do("DELETE", "/api/messages/"+strconv.FormatInt(line.ID, 10), "", bob...); status != http.StatusOK {
		t.Fatalf("delete: %d %s", status, body)
	}
	redact, _ := tagged.expect("REDACT")
	if redact.Param(0) != "#lobby" || redact.Param(1) != strconv.FormatInt(line.ID, 10) {
		t.Errorf("REDACT %v, want #lobby %d", redact.Params, line.ID)
	}
	g.post("lobby", "", "after the deletion", bob...)
	next, before := plain.expect("PRIVMSG")
	for _, m := range append(before, next) {
		if m.Command == "REDACT" || (m.Command == "PRIVMSG" && m.Param(1) != "after the deletion") {
			t.Errorf("plain client got %v before the next line", m)
		}
	}

	// A typing flood is refused with an error.
	for range 6 {
		tagged.send("@+typing=active TAGMSG #lobby")
	}
	if m, _ := tagged.expect(ircmsg.ERR_UNKNOWNERROR); m.Param(1) != "TAGMSG" || !strings.Contains(m.Param(2), "typing") {
		t.Errorf("a typing flood: %v", m)
	}

	// Bad input: a reaction without the line it is on, or not an emoji.
	// (The flood's other refusals are skipped.)
	tagged.send("@+draft/react=👍 TAGMSG #lobby")
	tagged.expectWith(ircmsg.ERR_UNKNOWNERROR, func(m ircmsg.Message) bool { return strings.Contains(m.Param(2), "+draft/reply") })
	tagged.send("@+draft/react=abc;+draft/reply=" + tag(reply, "msgid") + " TAGMSG #lobby")
	tagged.expectWith(ircmsg.ERR_UNKNOWNERROR, func(m ircmsg.Message) bool { return strings.Contains(m.Param(2), "emoji") })
	replyID, _ := strconv.ParseInt(tag(reply, "msgid"), 10, 64)
	if rs := reactionsOf(t, g, replyID); rs != "" {
		t.Errorf("after the refused reactions the reply has %q", rs)
	}
}

// reactionsOf reads a line's reactions from the history API, as
// "emoji:names;…".
func reactionsOf(t *testing.T, g *gateway, id int64) string {
	t.Helper()
	status, body := g.do("GET", "/api/rooms/lobby/messages?limit=50", "")
	if status != http.StatusOK {
		t.Fatalf("history: %d %s", status, body)
	}
	var page struct{ Messages []parley.Message }
	json.Unmarshal(body, &page)
	for _, m := range page.Messages {
		if m.ID != id {
			continue
		}
		var parts []string
		for _, r := range m.Reactions {
			parts = append(parts, r.Emoji+":"+strings.Join(r.By, ","))
		}
		return strings.Join(parts, ";")
	}
	return ""
}
