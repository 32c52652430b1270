package irc

import (
	"strconv"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// cmdChathistory answers the IRCv3 CHATHISTORY subcommands LATEST, BEFORE
// and AFTER, selecting by msgid (Parley message IDs, the same cursors as
// every other transport) or "*" (LATEST only):
//
//	CHATHISTORY BEFORE #lobby msgid=120 50
//
// Messages come as played-back lines with their time and msgid tags, as
// the client's capabilities allow.
func cmdChathistory(c *conn, m ircmsg.Message) {
	sub := strings.ToUpper(m.Params[0])
	fail := func(code, text string) {
		c.send(ircmsg.Message{Source: c.s.cfg.ServerName, Command: "FAIL", Params: []string{"CHATHISTORY", code, text}})
	}
	target, sel := m.Params[1], m.Params[2]
	limit, err := strconv.Atoi(m.Param(3))
	if err != nil || limit < 1 {
		fail("INVALID_PARAMS", "give a limit from 1 to "+strconv.Itoa(chat.MaxHistory))
		return
	}
	limit = min(limit, chat.MaxHistory)
	var page chat.Page
	page.Limit = limit
	switch {
	case sel == "*" && sub == "LATEST":
	case strings.HasPrefix(sel, "msgid="):
		id, ok, err := parley.ParseCursor(strings.TrimPrefix(sel, "msgid="))
		if err != nil || !ok {
			fail("INVALID_PARAMS", "msgid must be a Parley message ID")
			return
		}
		switch sub {
		case "BEFORE":
			page.Before = id
		case "AFTER":
			page.After, page.HasAfter = id, true
		case "LATEST":
			// LATEST msgid=N: the newest messages after N.
			page.After, page.HasAfter = id, true
		default:
			fail("INVALID_PARAMS", "supported subcommands: LATEST, BEFORE, AFTER")
			return
		}
	default:
		fail("INVALID_PARAMS", "select messages with msgid=ID (timestamps are not supported) or * for LATEST")
		return
	}
	room := ""
	if strings.HasPrefix(target, "#") {
		var ok bool
		if room, ok = c.readable("CHATHISTORY", target); !ok {
			return
		}
	} else {
		room = parley.DirectRoomName(c.nick, target)
	}
	ctx, cancel := c.call()
	defer cancel()
	if err := c.s.cfg.Chat.CanRead(ctx, c.id, room); err != nil {
		fail("INVALID_TARGET", parley.ErrorMessage(err))
		return
	}
	var msgs []parley.Message
	if sub == "LATEST" && page.HasAfter {
		// The newest messages, stopping at the client's cursor.
		msgs, err = c.s.cfg.Store.Before(ctx, room, 0, limit)
		for len(msgs) > 0 && msgs[0].ID <= page.After {
			msgs = msgs[1:]
		}
	} else {
		msgs, err = c.s.cfg.Store.Before(ctx, room, page.Before, limit)
		if page.HasAfter {
			msgs, err = c.s.cfg.Store.After(ctx, []string{room}, page.After, limit)
		}
	}
	if err != nil {
		c.fail("CHATHISTORY", target, err)
		return
	}
	c.playback(msgs)
}
