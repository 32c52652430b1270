package irc

import (
	"strconv"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/stream"
)

// roomOf maps a channel name to its room: "#Lobby" is room "lobby".
// Channel names compare case-insensitively, as IRC users expect.
func roomOf(name string) (string, bool) {
	if !strings.HasPrefix(name, "#") {
		return "", false
	}
	room := strings.ToLower(name[1:])
	return room, chat.ValidateRoomName(room) == nil
}

// badChannel answers a name that cannot be a room.
func (c *conn) badChannel(name string) {
	c.reply(ircmsg.ERR_NOSUCHCHANNEL, cut(name, 40),
		"No such channel: channels are # and a room name of lowercase letters, digits, - and _ (e.g. #lobby)")
}

func cmdJoin(c *conn, m ircmsg.Message) {
	if m.Params[0] == "0" {
		for _, room := range c.rooms() {
			c.part(room, "Left all channels")
		}
		return
	}
	for _, name := range splitTargets(m.Params[0], stream.MaxRooms) {
		c.join(name)
	}
}

// join joins one channel: subscribe (buffering), enter presence, answer
// JOIN, TOPIC and NAMES, play back recent history, then go live with the
// events newer than the history (see package stream).
func (c *conn) join(name string) {
	room, ok := roomOf(name)
	if !ok {
		c.badChannel(name)
		return
	}
	if _, joined := c.channels[room]; joined {
		return
	}
	if len(c.channels) >= stream.MaxRooms {
		c.reply(ircmsg.ERR_TOOMANYCHANNELS, channel(room), "You have joined too many channels: at most "+strconv.Itoa(stream.MaxRooms))
		return
	}
	ctx, cancel := c.call()
	defer cancel()
	ch := c.s.cfg.Chat
	err := ch.CanRead(ctx, c.id, room)
	if parley.ErrorCode(err) == parley.ENotFound {
		// A new channel is a new room, made as the web makes one (same
		// policy and limits); a registered creator owns it.
		_, err = ch.CreateRoomAs(ctx, c.id, c.key, room, parley.RoomPublic)
		switch {
		case err == nil && c.id.Kind == parley.Guest:
			// A guest has no account to own the room: this connection
			// manages it while it lasts (parley.Identity.Manages).
			c.id.Manages = append(c.id.Manages, room)
			c.s.setGuestOp(room, c)
		case err != nil && parley.ErrorCode(err) != parley.EConflict:
			c.reply(ircmsg.ERR_NOSUCHCHANNEL, channel(room), "Cannot create "+channel(room)+": "+parley.ErrorMessage(err))
			return
		}
		err = ch.CanRead(ctx, c.id, room)
	}
	if parley.ErrorCode(err) == parley.EForbidden && c.id.Kind == parley.Registered {
		// A private room: accept an invitation, if there is one.
		if err = ch.Join(ctx, c.id, room); err == nil {
			err = ch.CanRead(ctx, c.id, room)
		}
	}
	if err != nil {
		c.fail("JOIN", channel(room), err)
		return
	}
	// The room's typing signals come along; only clients with
	// message-tags are sent them.
	sk := c.subscribe(room, true, parley.TypingTopic(room))
	c.channels[room] = sk
	// History is read before entering presence, so that it holds the
	// last lines rather than this client's own join notice.
	var history []parley.Message
	var floor int64
	if c.s.cfg.History > 0 {
		if history, err = c.s.cfg.Store.Before(ctx, room, 0, c.s.cfg.History); err != nil {
			c.s.log.Warn("irc: reading history for JOIN", "room", room, "err", err)
		}
		if len(history) > 0 {
			floor = history[len(history)-1].ID
		}
	}
	c.movePresence()
	c.send(ircmsg.Message{Source: c.source(), Command: "JOIN", Params: []string{channel(room)}})
	if r, err := c.s.cfg.Store.Room(ctx, room); err == nil && r.Topic != "" {
		c.sendTopic(ctx, r)
	}
	c.names(room)
	c.playback(history)
	sk.release(floor)
}

// playback sends stored messages and notices (not joins, leaves or
// deletions) with their original time and msgid, as the client's tags
// allow.
func (c *conn) playback(msgs []parley.Message) {
	v := c.variant()
	for i := range msgs {
		if k := msgs[i].Kind; k == parley.KindMessage || k == parley.KindNotice {
			c.push(c.s.render(&msgs[i], v, true))
		}
	}
}

func cmdPart(c *conn, m ircmsg.Message) {
	reason := m.Param(1)
	for _, name := range splitTargets(m.Params[0], stream.MaxRooms) {
		room, ok := roomOf(name)
		if _, joined := c.channels[room]; !ok || !joined {
			c.reply(ircmsg.ERR_NOTONCHANNEL, cut(name, 40), "You're not on that channel")
			continue
		}
		c.part(room, reason)
	}
}

func (c *conn) part(room, reason string) {
	sk := c.channels[room]
	sk.sub.Cancel()
	delete(c.channels, room)
	c.movePresenceReason(cut(reason, 200))
	params := []string{channel(room)}
	if reason != "" {
		params = append(params, cut(reason, 200))
	}
	c.send(ircmsg.Message{Source: c.source(), Command: "PART", Params: params})
}

// readable checks that the client may look at a room it has not joined.
func (c *conn) readable(cmd, name string) (string, bool) {
	room, ok := roomOf(name)
	if !ok {
		c.badChannel(name)
		return "", false
	}
	if _, joined := c.channels[room]; joined {
		return room, true
	}
	ctx, cancel := c.call()
	defer cancel()
	if err := c.s.cfg.Chat.CanRead(ctx, c.id, room); err != nil {
		c.fail(cmd, channel(room), err)
		return "", false
	}
	return room, true
}

func cmdTopic(c *conn, m ircmsg.Message) {
	room, ok := c.readable("TOPIC", m.Params[0])
	if !ok {
		return
	}
	ctx, cancel := c.call()
	defer cancel()
	if len(m.Params) > 1 {
		// The topic notice comes back through the hub as a TOPIC line.
		if err := c.s.cfg.Chat.SetTopic(ctx, c.id, room, m.Params[1]); err != nil {
			c.fail("TOPIC", channel(room), err)
		}
		return
	}
	r, err := c.s.cfg.Store.Room(ctx, room)
	if err != nil {
		c.fail("TOPIC", channel(room), err)
		return
	}
	if r.Topic == "" {
		c.reply(ircmsg.RPL_NOTOPIC, channel(room), "No topic is set")
		return
	}
	c.sendTopic(ctx, r)
}

func cmdNames(c *conn, m ircmsg.Message) {
	if m.Param(0) == "" {
		c.reply(ircmsg.RPL_ENDOFNAMES, "*", "End of /NAMES list")
		return
	}
	// Every channel's names, then one RPL_ENDOFNAMES naming the list as
	// given (Modern). A channel that does not exist, or that the client
	// may not see, has no names.
	targets := splitTargets(m.Params[0], stream.MaxRooms)
	for _, name := range targets {
		room, ok := roomOf(name)
		if !ok {
			continue
		}
		if _, joined := c.channels[room]; !joined {
			ctx, cancel := c.call()
			err := c.s.cfg.Chat.CanRead(ctx, c.id, room)
			cancel()
			if err != nil {
				continue
			}
		}
		c.nameReplies(room)
	}
	end := cut(m.Params[0], 200)
	if len(targets) == 1 {
		if room, ok := roomOf(targets[0]); ok {
			end = channel(room)
		}
	}
	c.reply(ircmsg.RPL_ENDOFNAMES, end, "End of /NAMES list")
}

// names sends the names of room and RPL_ENDOFNAMES.
func (c *conn) names(room string) {
	c.nameReplies(room)
	c.reply(ircmsg.RPL_ENDOFNAMES, channel(room), "End of /NAMES list")
}

// nameReplies sends RPL_NAMREPLY lines of the people present in room,
// with their channel prefix (@ for operators) and, with
// userhost-in-names, their nick!user@host.
func (c *conn) nameReplies(room string) {
	ctx, cancel := c.call()
	defer cancel()
	symbol := "=" // public
	if c.s.private(ctx, room) {
		symbol = "@" // secret
	}
	var line []string
	size := 0
	flush := func() {
		if len(line) > 0 {
			c.reply(ircmsg.RPL_NAMREPLY, symbol, channel(room), strings.Join(line, " "))
			line, size = line[:0], 0
		}
	}
	ops := c.s.operators(ctx, room)
	long := c.caps.Load()&capUserhostInNames != 0
	for _, p := range c.s.cfg.Members(room) {
		entry := p.Name
		if long {
			entry = c.s.source(p.Name)
		}
		if ops.is(ctx, p) {
			entry = "@" + entry
		}
		if size+len(entry)+1 > 400 {
			flush()
		}
		line = append(line, entry)
		size += len(entry) + 1
	}
	flush()
}

func cmdList(c *conn, m ircmsg.Message) {
	ctx, cancel := c.call()
	defer cancel()
	rooms, err := c.s.cfg.Chat.ReadableRooms(ctx, c.id)
	if err != nil {
		c.fail("LIST", "", err)
		return
	}
	var only map[string]bool
	if f := m.Param(0); f != "" && !strings.ContainsAny(f[:1], "<>") {
		only = make(map[string]bool)
		for _, name := range splitTargets(f, stream.MaxRooms) {
			if room, ok := roomOf(name); ok {
				only[room] = true
			}
		}
	}
	c.reply(ircmsg.RPL_LISTSTART, "Channel", "Users  Name")
	for _, r := range rooms {
		if strings.HasPrefix(r.Name, "@") || (only != nil && !only[r.Name]) {
			continue
		}
		c.reply(ircmsg.RPL_LIST, channel(r.Name), strconv.Itoa(len(c.s.cfg.Members(r.Name))), r.Topic)
	}
	c.reply(ircmsg.RPL_LISTEND, "End of /LIST")
}

func cmdMode(c *conn, m ircmsg.Message) {
	target := m.Params[0]
	if !strings.HasPrefix(target, "#") {
		c.userMode(target, m.Param(1))
		return
	}
	room, ok := c.readable("MODE", target)
	if !ok {
		return
	}
	if len(m.Params) == 1 {
		ctx, cancel := c.call()
		defer cancel()
		modes := "+nt"
		if c.s.private(ctx, room) {
			modes = "+inst" // only members and invitees; not listed to others
		}
		c.reply(ircmsg.RPL_CHANNELMODEIS, channel(room), modes)
		if r, err := c.s.cfg.Store.Room(ctx, room); err == nil {
			c.reply(ircmsg.RPL_CREATIONTIME, channel(room), strconv.FormatInt(r.Created.Unix(), 10))
		}
		return
	}
	if modes := strings.TrimLeft(m.Params[1], "+"); modes == "b" && len(m.Params) == 2 {
		c.reply("368", channel(room), "End of channel ban list")
		return
	}
	c.reply(ircmsg.ERR_CHANOPRIVSNEEDED, channel(room), "Channel modes cannot be changed over IRC: room settings are managed on the web")
}
