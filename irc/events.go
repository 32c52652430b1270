package irc

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// maxBuffered bounds the events a joining channel holds while its history
// is read; a client whose channel overflows it is disconnected.
const maxBuffered = 1024

// sink is the hub subscriber of one joined channel (or of the user's
// direct messages). While the channel is joining it buffers; after that
// it hands each event newer than the history to the connection. Deliver
// never blocks.
type sink struct {
	c    *conn
	sub  *hub.Subscription
	room string // the channel's room; a UserTopic for direct messages

	// kicked is set when the user was removed from the room: the sink
	// is cancelled and the reader drops the channel (dropKicked).
	kicked atomic.Bool

	mu        sync.Mutex
	buffering bool
	buf       []*parley.Event
	floor     int64 // events at or below it were played back already
}

// subscribe subscribes a new sink to topic (and the signal topics also
// given); a buffering sink holds events until release.
func (c *conn) subscribe(topic string, buffering bool, also ...string) *sink {
	sk := &sink{c: c, room: topic, buffering: buffering}
	sk.sub = c.s.cfg.Hub.Subscribe(sk, append([]string{topic}, also...))
	return sk
}

// Deliver implements hub.Subscriber.
func (s *sink) Deliver(ev *parley.Event) {
	if ev.Signal() { // typing: not stored, no ID, never held
		s.c.signal(ev)
		return
	}
	if ev.Revoke != "" && strings.EqualFold(ev.Revoke, s.c.nick) {
		if ev.Message.Room == s.room {
			s.kick(ev)
		}
		return // the removal reaches the user's direct sink too: KICK once
	}
	s.mu.Lock()
	if s.buffering {
		if len(s.buf) >= maxBuffered {
			s.mu.Unlock()
			s.c.kill()
			return
		}
		s.buf = append(s.buf, ev)
		s.mu.Unlock()
		return
	}
	skip := ev.ID() <= s.floor
	s.mu.Unlock()
	if !skip {
		s.c.deliver(ev)
	}
}

// kick ends the channel for a user removed from its room: no more of its
// events, and a KICK line that clients understand.
func (s *sink) kick(ev *parley.Event) {
	if s.kicked.Swap(true) {
		return
	}
	s.sub.Cancel()
	go s.c.leftRoom(s.room) // not on the hub's goroutine: it records a leave
	s.c.send(ircmsg.Message{
		Source:  s.c.s.source(ev.Message.From),
		Command: "KICK",
		Params:  []string{channel(s.room), s.c.nick, kickReason(&ev.Message)},
	})
}

// dropKicked forgets the channels the user was removed from (reader
// goroutine).
func (c *conn) dropKicked() {
	changed := false
	for room, sk := range c.channels {
		if sk.kicked.Load() {
			delete(c.channels, room)
			changed = true
		}
	}
	if changed {
		c.movePresence()
	}
}

// release sends the buffered events newer than floor and goes live.
func (s *sink) release(floor int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, ev := range s.buf {
		if ev.ID() > floor {
			s.c.deliver(ev)
		}
	}
	s.buf, s.buffering, s.floor = nil, false, floor
}

// deliver sends a live event to the client, unless it is the client's own
// join or leave (JOIN and PART answer those at once) or, without
// echo-message, a line this connection posted itself.
func (c *conn) deliver(ev *parley.Event) {
	m := &ev.Message
	switch m.Kind {
	case parley.KindJoin, parley.KindLeave:
		if strings.EqualFold(m.From, c.nick) {
			return
		}
	case parley.KindMessage:
		if strings.EqualFold(m.From, c.nick) && c.ownLine(ev) {
			return
		}
	}
	c.s.cfg.Counters.Delivered(1)
	c.push(c.s.lines(ev, c.variant()))
}

// ownLine reports whether ev is (or, while a post is in progress, may be)
// this connection's own post, holding it in the second case.
func (c *conn) ownLine(ev *parley.Event) bool {
	c.ownMu.Lock()
	defer c.ownMu.Unlock()
	if c.posting && len(c.held) < 16 {
		c.held = append(c.held, ev)
		return true
	}
	for _, id := range c.own {
		if id == ev.ID() {
			return true
		}
	}
	return false
}

// post runs one post and keeps the hub's copy of it off the client's
// stream: the hub may deliver the message before post returns, so lines
// from the user meanwhile are held until its ID is known, then the others
// are sent. With echo-message the stored message is sent from here, once
// stored, before the next command is read: a client that sends PING after
// its line gets the echo before the PONG.
func (c *conn) post(f func() (parley.Message, error)) error {
	c.ownMu.Lock()
	c.posting = true
	c.ownMu.Unlock()
	m, err := f()
	c.ownMu.Lock()
	c.posting = false
	if err == nil {
		c.own[c.ownNext%len(c.own)] = m.ID
		c.ownNext++
	}
	held := c.held
	c.held = nil
	c.ownMu.Unlock()
	if err == nil && c.caps.Load()&capEcho != 0 {
		c.push(c.s.render(&m, c.variant(), false))
	}
	for _, ev := range held {
		if err != nil || ev.ID() != m.ID {
			c.push(c.s.lines(ev, c.variant()))
		}
	}
	return err
}

// variant is which tags a client gets on messages.
type variant uint8

const (
	tagTime   variant = 1 << iota // server-time
	tagMsgID                      // msgid (message-tags)
	tagRedact                     // REDACT for deletions (draft/message-redaction)
	variants  = 8
)

func (c *conn) variant() variant {
	caps := c.caps.Load()
	var v variant
	if caps&capServerTime != 0 {
		v |= tagTime
	}
	if caps&capMessageTags != 0 {
		v |= tagMsgID
	}
	if caps&capRedact != 0 {
		v |= tagRedact
	}
	return v
}

// lineCache holds the lines of recent live events, per tag variant: the
// hub delivers an event to all of a partition's subscribers in a row, so a
// small cache indexed by ID means each event is encoded about once per
// variant (encode once, write many).
type lineCache struct {
	slots [64]atomic.Pointer[cachedLines]
}

type cachedLines struct {
	ev   *parley.Event
	once [variants]sync.Once
	b    [variants][]byte
}

// lines returns ev's IRC lines, CRLF-terminated, for variant v. The slice
// must not be modified.
func (s *Server) lines(ev *parley.Event, v variant) []byte {
	slot := &s.cache.slots[uint64(ev.ID())%uint64(len(s.cache.slots))]
	cl := slot.Load()
	if cl == nil || cl.ev != ev {
		cl = &cachedLines{ev: ev}
		slot.Store(cl)
	}
	cl.once[v].Do(func() { cl.b[v] = s.render(&ev.Message, v, false) })
	return cl.b[v]
}

// source is the prefix of a Parley user.
func (s *Server) source(nick string) string { return nick + "!" + nick + "@" + s.cfg.ServerName }

// channel returns the IRC channel of a room.
func channel(room string) string { return "#" + room }

// targetOf is the IRC target of m: its room's channel, or for a direct
// message the other user.
func targetOf(m *parley.Message) string {
	if strings.HasPrefix(m.Room, "@") {
		return peer(m.Room, m.From)
	}
	return channel(m.Room)
}

// peer returns the other user of a direct conversation.
func peer(room, from string) string {
	a, b, _ := strings.Cut(strings.TrimPrefix(room, "@"), ",")
	if strings.EqualFold(a, from) {
		return b
	}
	return a
}

// actionPrefix marks a Parley line that IRC shows as a CTCP ACTION (/me).
const actionPrefix = "/me "

// render encodes a message as IRC lines (see docs/IRC.md for the
// mapping). playback renders history: topic changes stay notices there,
// so that old topics do not replace the current one.
func (s *Server) render(m *parley.Message, v variant, playback bool) []byte {
	src := s.source(m.From)
	target := targetOf(m)
	var msgs []ircmsg.Message
	switch m.Kind {
	case parley.KindMessage:
		msgs = split(src, "PRIVMSG", target, m.Text)
		if msgs == nil { // a name IRC cannot carry: from the server
			msgs = split(s.cfg.ServerName, "PRIVMSG", target, "<"+m.From+"> "+m.Text)
		}
	case parley.KindNotice:
		prefix := m.From + " set the topic: "
		kicked, reason, removed := kickOf(m)
		switch {
		case playback || strings.HasPrefix(m.Room, "@"):
			msgs, _ = ircmsg.SplitMessage(s.cfg.ServerName, "NOTICE", target, m.Text)
		case strings.HasPrefix(m.Text, prefix):
			msgs = []ircmsg.Message{{Source: src, Command: "TOPIC", Params: []string{target, strings.TrimPrefix(m.Text, prefix)}}}
		case removed:
			msgs = []ircmsg.Message{{Source: src, Command: "KICK", Params: []string{target, kicked, reason}}}
		default:
			msgs, _ = ircmsg.SplitMessage(s.cfg.ServerName, "NOTICE", target, m.Text)
		}
	case parley.KindJoin:
		msgs = []ircmsg.Message{{Source: src, Command: "JOIN", Params: []string{target}}}
	case parley.KindLeave:
		msgs = []ircmsg.Message{leaveLine(src, target, m)}
	default: // edit, react, unreact, delete: see conversation.go
		if msgs = s.changeLines(m, src, target, v); msgs == nil {
			return nil
		}
	}
	if m.ReplyTo != 0 && v&tagMsgID != 0 && len(msgs) > 0 {
		msgs[0].SetTag(tagReply, strconv.FormatInt(m.ReplyTo, 10))
	}
	var b []byte
	for i, msg := range msgs {
		if v&tagMsgID != 0 && i == 0 {
			msg.SetTag("msgid", strconv.FormatInt(m.ID, 10))
		}
		if v&tagTime != 0 && !m.Time.IsZero() {
			msg.SetTag(ircmsg.TimeTag, ircmsg.FormatTime(m.Time))
		}
		b = append(msg.Append(b), '\r', '\n')
	}
	return b
}

// kickOf reads a kick notice, "ada was removed by bob[: reason]": who
// was removed and the KICK comment (the reason, else the remover's nick,
// as IRC servers do).
func kickOf(m *parley.Message) (kicked, reason string, ok bool) {
	kicked, rest, ok := strings.Cut(m.Text, " was removed by "+m.From)
	if !ok || kicked == "" || strings.Contains(kicked, " ") {
		return "", "", false
	}
	if rest == "" {
		return kicked, m.From, true
	}
	reason, ok = strings.CutPrefix(rest, ": ")
	return kicked, reason, ok && reason != ""
}

// kickReason is the KICK comment of a kick notice, its text if it is not
// one.
func kickReason(m *parley.Message) string {
	if _, reason, ok := kickOf(m); ok {
		return reason
	}
	return m.Text
}

// leaveLine is a leave notice as IRC sees it: a QUIT when the person
// quit IRC, else a PART with the reason they gave ("X has left: reason").
func leaveLine(src, target string, m *parley.Message) ircmsg.Message {
	reason, _ := strings.CutPrefix(m.Text, m.From+" has left")
	reason, given := strings.CutPrefix(reason, ": ")
	if quit, ok := strings.CutPrefix(reason, quitPrefix); ok && given {
		return ircmsg.Message{Source: src, Command: "QUIT", Params: []string{quitPrefix + quit}}
	}
	if !given || reason == "" {
		return ircmsg.Message{Source: src, Command: "PART", Params: []string{target}}
	}
	return ircmsg.Message{Source: src, Command: "PART", Params: []string{target, reason}}
}

// split builds PRIVMSG lines for text, turning "/me ..." into CTCP
// ACTIONs; nil when source or target cannot be sent.
func split(source, command, target, text string) []ircmsg.Message {
	action := strings.HasPrefix(text, actionPrefix)
	if !action {
		msgs, err := ircmsg.SplitMessage(source, command, target, text)
		if err != nil {
			return nil
		}
		return msgs
	}
	// Measure with a target longer by the 9 bytes that "\x01ACTION " and
	// "\x01" add, so that every wrapped line still fits.
	msgs, err := ircmsg.SplitMessage(source, command, target+"123456789", strings.TrimPrefix(text, actionPrefix))
	if err != nil {
		return nil
	}
	for i := range msgs {
		msgs[i].Params[0] = target
		msgs[i].Params[1] = "\x01ACTION " + msgs[i].Params[1] + "\x01"
	}
	return msgs
}

// credentials follows the credential topics of a logged-in connection
// (its account and password, see parley.Identity.CredentialTopics): when
// they are revoked, a password change say, the connection is closed with
// an ERROR that says why. They carry no events.
type credentials struct{ c *conn }

// Deliver implements hub.Subscriber; credential topics carry no events.
func (credentials) Deliver(*parley.Event) {}

// Revoke implements hub.Revocable.
func (cr credentials) Revoke(reason string) {
	cr.c.s.log.Info("irc: credentials revoked; disconnecting", "nick", cr.c.name())
	cr.c.quit("Credentials revoked: " + reason + "; log in again")
}
