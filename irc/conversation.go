package irc

import (
	"strconv"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// IRCv3 client tags for Parley's conversation features (see docs/IRC.md).
// A client that negotiated message-tags gets them; others get readable
// plain lines, or nothing where a line would only be noise.
const (
	tagReply   = "+draft/reply"   // the msgid a line answers or a reaction is on
	tagReact   = "+draft/react"   // an emoji added (TAGMSG)
	tagUnreact = "+draft/unreact" // an emoji taken back (TAGMSG)
	tagTyping  = "+typing"        // active, paused or done (TAGMSG)
)

// changeLines renders the entries that change an earlier line (edit,
// react, unreact, delete) for variant v; nil when the client gets nothing.
func (s *Server) changeLines(m *parley.Message, src, target string, v variant) []ircmsg.Message {
	ref := strconv.FormatInt(m.Ref, 10)
	tagged := v&tagMsgID != 0
	switch m.Kind {
	case parley.KindEdit:
		msgs, _ := ircmsg.SplitMessage(s.cfg.ServerName, "NOTICE", target, m.From+" corrected: "+m.Text)
		if tagged && len(msgs) > 0 {
			msgs[0].SetTag(tagReply, ref)
		}
		return msgs
	case parley.KindReact, parley.KindUnreact:
		if tagged {
			key := tagReact
			if m.Kind == parley.KindUnreact {
				key = tagUnreact
			}
			t := ircmsg.Message{Source: src, Command: "TAGMSG", Params: []string{target}}
			t.SetTag(key, m.Text)
			t.SetTag(tagReply, ref)
			return []ircmsg.Message{t}
		}
		if m.Kind == parley.KindUnreact {
			return nil // taking a reaction back is no news worth a line
		}
		return []ircmsg.Message{{Source: s.cfg.ServerName, Command: "NOTICE", Params: []string{target, m.From + " reacted " + m.Text}}}
	case parley.KindDelete:
		if v&tagRedact == 0 {
			return nil // IRC without draft/message-redaction has no way to take a line back
		}
		return []ircmsg.Message{{Source: src, Command: "REDACT", Params: []string{target, ref}}}
	}
	return nil
}

// typingLine is a typing signal for a client with message-tags.
func (s *Server) typingLine(m *parley.Message) []byte {
	t := ircmsg.Message{Source: s.source(m.From), Command: "TAGMSG", Params: []string{targetOf(m)}}
	t.SetTag(tagTyping, "active")
	return append(t.Append(nil), '\r', '\n')
}

// signal delivers a typing signal: only to clients with message-tags,
// never their own.
func (c *conn) signal(ev *parley.Event) {
	m := &ev.Message
	if m.Kind != parley.KindTyping || c.caps.Load()&capMessageTags == 0 || strings.EqualFold(m.From, c.nick) {
		return
	}
	c.push(c.s.typingLine(m))
}

// cmdTagmsg carries client tags without text: typing, reactions.
func cmdTagmsg(c *conn, m ircmsg.Message) {
	target := m.Param(0)
	if target == "" {
		c.reply(ircmsg.ERR_NORECIPIENT, "No recipient given (TAGMSG)")
		return
	}
	room, ok := roomOf(target)
	if !ok {
		return // typing to a nick: direct conversations have no typing from IRC
	}
	if _, joined := c.channels[room]; !joined {
		c.reply(ircmsg.ERR_CANNOTSENDTOCHAN, cut(target, 40), "Join "+channel(room)+" first")
		return
	}
	ctx, cancel := c.call()
	defer cancel()
	if v, ok := m.Tag(tagTyping); ok {
		if v != "active" {
			return // paused, done: the signal lapses by itself
		}
		if err := c.s.cfg.Chat.Typing(ctx, c.id, room); err != nil {
			c.fail("TAGMSG", target, err) // a flood, say
		}
		return
	}
	emoji, on := m.Tag(tagReact)
	if !on {
		if emoji, ok = m.Tag(tagUnreact); !ok {
			return // other client tags: nothing for Parley
		}
	}
	ref, err := msgRef(m)
	if err != nil {
		c.fail("TAGMSG", target, err)
		return
	}
	if _, err := c.s.cfg.Chat.React(ctx, c.id, c.key, ref, emoji, on); err != nil {
		c.fail("TAGMSG", target, err)
	}
}

// cmdRedact deletes a line (draft/message-redaction): REDACT target msgid.
func cmdRedact(c *conn, m ircmsg.Message) {
	id, err := strconv.ParseInt(m.Params[1], 10, 64)
	if err != nil || id <= 0 {
		c.fail("REDACT", m.Params[0], parley.Errorf(parley.EInvalid, "%.24q is not a message ID", m.Params[1]))
		return
	}
	ctx, cancel := c.call()
	defer cancel()
	if _, err := c.s.cfg.Chat.DeleteMessage(ctx, c.id, id); err != nil {
		c.fail("REDACT", m.Params[0], err)
	}
}

// msgRef reads the +draft/reply tag: the msgid a reaction or a reply is
// about.
func msgRef(m ircmsg.Message) (int64, error) {
	v, ok := m.Tag(tagReply)
	if !ok {
		return 0, parley.Errorf(parley.EInvalid, "a reaction needs the %s tag: the msgid of the line", tagReply)
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, parley.Errorf(parley.EInvalid, "%s=%.24q is not a message ID", tagReply, v)
	}
	return id, nil
}

// replyLine is the chat.Line of a PRIVMSG to a room: with +draft/reply it
// answers that line.
func replyLine(m ircmsg.Message, room, text string) (chat.Line, error) {
	line := chat.Line{Room: room, Text: text}
	if _, ok := m.Tag(tagReply); ok {
		id, err := msgRef(m)
		if err != nil {
			return line, err
		}
		line.ReplyTo = id
	}
	return line, nil
}
