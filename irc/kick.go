package irc

import (
	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// joinedRoom checks that the client is on a channel for cmd, answering
// 403 or 442 when not.
func (c *conn) joinedRoom(name string) (string, bool) {
	room, ok := roomOf(name)
	if !ok {
		c.badChannel(name)
		return "", false
	}
	if _, joined := c.channels[room]; joined {
		return room, true
	}
	ctx, cancel := c.call()
	err := c.s.cfg.Chat.CheckRoom(ctx, room)
	cancel()
	if err != nil {
		c.reply(ircmsg.ERR_NOSUCHCHANNEL, channel(room), "No such channel")
		return "", false
	}
	c.reply(ircmsg.ERR_NOTONCHANNEL, channel(room), "You're not on that channel")
	return "", false
}

// cmdKick is Parley's kick (owners, room admins and server admins): the
// user is removed from the room (and, for a private room, from its
// members), every client sees it (IRC clients as KICK), and the user's
// connections leave the channel. KICK #room nick[,nick] [:reason]; Parley
// records "nick was removed by op: reason".
func cmdKick(c *conn, m ircmsg.Message) {
	room, ok := c.joinedRoom(m.Params[0])
	if !ok {
		return
	}
	for _, nick := range splitTargets(m.Params[1], maxTargets) {
		p, here := c.s.present(room, nick)
		if !here {
			c.reply(ircmsg.ERR_USERNOTINCHANNEL, cut(nick, 40), channel(room), "They aren't on that channel")
			continue
		}
		ctx, cancel := c.call()
		err := c.s.cfg.Chat.KickWithReason(ctx, c.id, room, p.Name, m.Param(2))
		cancel()
		if err != nil {
			c.fail("KICK", channel(room), err)
		}
	}
}

// cmdInvite: INVITE nick #room. For a private room it is Parley's
// invitation (owners and admins invite accounts; the invitee accepts by
// joining); for a public room, which anyone may join, it only tells the
// user. Either way a connected IRC user gets the INVITE line.
func cmdInvite(c *conn, m ircmsg.Message) {
	nick := m.Params[0]
	room, ok := c.joinedRoom(m.Params[1])
	if !ok {
		return
	}
	to := c.s.connByNick(nick)
	ctx, cancel := c.call()
	defer cancel()
	if to == nil && !c.s.accountExists(ctx, nick) {
		c.reply(ircmsg.ERR_NOSUCHNICK, cut(nick, 40), "No such nick: no account or connected user has that name")
		return
	}
	if to != nil {
		nick = to.nick
	}
	if _, here := c.s.present(room, nick); here {
		c.reply(ircmsg.ERR_USERONCHANNEL, nick, channel(room), "is already on channel")
		return
	}
	if c.s.cfg.Rooms != nil {
		rs, err := c.s.cfg.Rooms.RoomSettings(ctx, room)
		if err != nil {
			c.fail("INVITE", channel(room), err)
			return
		}
		if rs.Visibility != parley.RoomPublic {
			if err := c.s.cfg.Chat.Invite(ctx, c.id, room, nick); err != nil {
				c.fail("INVITE", channel(room), err)
				return
			}
		}
	}
	c.reply(ircmsg.RPL_INVITING, nick, channel(room))
	if to != nil {
		to.send(ircmsg.Message{Source: c.source(), Command: "INVITE", Params: []string{to.nick, channel(room)}})
	}
}
