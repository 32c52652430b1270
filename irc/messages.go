package irc

import (
	"context"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// maxTargets bounds the targets of one PRIVMSG or NOTICE (TARGMAX).
const maxTargets = 4

func cmdPrivmsg(c *conn, m ircmsg.Message) { c.message(m, false) }

// NOTICE posts like PRIVMSG (Parley has no per-user notices) but, as RFC
// 1459 asks, is never answered with an error.
func cmdNotice(c *conn, m ircmsg.Message) { c.message(m, true) }

func (c *conn) message(m ircmsg.Message, notice bool) {
	if m.Param(0) == "" {
		if !notice {
			c.reply(ircmsg.ERR_NORECIPIENT, "No recipient given ("+m.Command+")")
		}
		return
	}
	if m.Param(1) == "" {
		if !notice {
			c.reply(ircmsg.ERR_NOTEXTTOSEND, "No text to send")
		}
		return
	}
	text, ok := fromCTCP(m.Params[1])
	if !ok || (notice && text != m.Params[1]) {
		return // other CTCP requests, and every CTCP in a NOTICE, are dropped
	}
	for _, target := range splitTargets(m.Params[0], maxTargets) {
		if err := c.sendTo(m, target, text, notice); err != nil && !notice {
			c.fail(m.Command, target, err)
		}
	}
}

// sendTo posts text to a channel the client has joined (a reply with
// m's +draft/reply tag), or sends it to a user as a direct message.
func (c *conn) sendTo(m ircmsg.Message, target, text string, notice bool) error {
	ctx, cancel := c.call()
	defer cancel()
	ch := c.s.cfg.Chat
	if !strings.HasPrefix(target, "#") {
		return c.sendToNick(ctx, target, text, notice)
	}
	room, ok := roomOf(target)
	if !ok {
		return parley.Errorf(parley.ENotFound, "%s is not a room name", cut(target, 40))
	}
	if _, joined := c.channels[room]; !joined {
		if err := ch.CheckRoom(ctx, room); err != nil {
			return err
		}
		return parley.Errorf(parley.EForbidden, "join %s first (/join %s)", channel(room), channel(room))
	}
	line, err := replyLine(m, room, text)
	if err != nil {
		return err
	}
	return c.post(func() (parley.Message, error) { return ch.PostLine(ctx, c.id, c.key, line, nil) })
}

// sendToNick sends text to a user. Between two accounts it is a direct
// message, stored (a user who is offline reads it later, and the sender
// is told so with a NOTICE). A guest has no direct conversations: lines
// to or from a guest are relayed live to a connected IRC user and not
// stored, after the same text checks, word filter and rate limit.
func (c *conn) sendToNick(ctx context.Context, target, text string, notice bool) error {
	to := c.s.connByNick(target)
	if to != nil && to != c && (c.id.Kind != parley.Registered || to.id.Kind != parley.Registered) {
		line, err := c.s.cfg.Chat.CheckLive(c.id, c.key, text)
		if err != nil {
			return err
		}
		cmd := "PRIVMSG"
		if notice {
			cmd = "NOTICE"
		}
		to.sendLive(c.source(), cmd, to.nick, line)
		if c.caps.Load()&capEcho != 0 {
			c.sendLive(c.source(), cmd, to.nick, line)
		}
		if !notice {
			c.tellAway(to)
		}
		return nil
	}
	if to == c && c.id.Kind != parley.Registered {
		c.sendLive(c.source(), "PRIVMSG", c.nick, text)
		return nil
	}
	if to == nil && !c.s.accountExists(ctx, target) {
		return parley.Errorf(parley.ENotFound, "no account or connected user has that name")
	}
	err := c.post(func() (parley.Message, error) { return c.s.cfg.Chat.Direct(ctx, c.id, c.key, target, text) })
	if err != nil {
		return err
	}
	switch {
	case to != nil:
		if !notice {
			c.tellAway(to)
		}
	case !notice && !c.s.cfg.Online(target):
		c.send(ircmsg.Message{Source: c.s.cfg.ServerName, Command: "NOTICE", Params: []string{c.nick,
			target + " is offline: your message is stored, and they will see it when they come back"}})
	}
	return nil
}

// sendLive sends a line that is not stored, with the time tag the client
// asked for. Like other IRC servers' relays, and unlike stored messages,
// a line that the sender's longer source pushes past 512 bytes is cut
// rather than split.
func (c *conn) sendLive(source, command, target, text string) {
	msgs, err := ircmsg.SplitMessage(source, command, target, text)
	if err != nil || len(msgs) == 0 {
		return
	}
	m := msgs[0]
	if c.caps.Load()&capServerTime != 0 {
		m.SetTag(ircmsg.TimeTag, ircmsg.FormatTime(time.Now()))
	}
	c.send(m)
}

// tellAway answers a private message to an away user with RPL_AWAY.
func (c *conn) tellAway(to *conn) {
	if msg := to.awayMessage(); msg != "" {
		c.reply(ircmsg.RPL_AWAY, to.nick, msg)
	}
}

// fromCTCP turns a CTCP ACTION into Parley's "/me ..." line. ok is false
// for other CTCP requests (VERSION, PING, ...), which the gateway ignores.
func fromCTCP(text string) (string, bool) {
	if !strings.HasPrefix(text, "\x01") {
		return text, true
	}
	inner := strings.TrimSuffix(text[1:], "\x01")
	cmd, rest, _ := strings.Cut(inner, " ")
	if cmd != "ACTION" || strings.TrimSpace(rest) == "" {
		return "", false
	}
	return actionPrefix + rest, true
}
