package irc

import (
	"strings"

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
		if err := c.sendTo(target, text); err != nil && !notice {
			c.fail(m.Command, target, err)
		}
	}
}

// sendTo posts text to a channel the client has joined, or sends it to a
// user as a direct message.
func (c *conn) sendTo(target, text string) error {
	ctx, cancel := c.call()
	defer cancel()
	ch := c.s.cfg.Chat
	if !strings.HasPrefix(target, "#") {
		return c.post(func() (parley.Message, error) { return ch.Direct(ctx, c.id, c.key, target, text) })
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
	return c.post(func() (parley.Message, error) { return ch.PostAs(ctx, c.id, c.key, room, text) })
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
