package irc

import (
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
)

func cmdWho(c *conn, m ircmsg.Message) {
	mask := m.Param(0)
	if mask == "" {
		mask = "*"
	}
	srv := c.s.cfg.ServerName
	who := func(ch, nick string) {
		c.reply(ircmsg.RPL_WHOREPLY, ch, nick, srv, srv, nick, "H", "0 "+nick)
	}
	switch {
	case strings.HasPrefix(mask, "#"):
		room, ok := c.readable("WHO", mask)
		if !ok {
			return
		}
		for _, p := range c.s.cfg.Members(room) {
			who(channel(room), p.Name)
		}
		mask = channel(room)
	case strings.EqualFold(mask, c.nick):
		who("*", c.nick)
	case c.s.online(mask):
		who("*", mask)
	}
	c.reply(ircmsg.RPL_ENDOFWHO, cut(mask, 40), "End of WHO list")
}

func cmdWhois(c *conn, m ircmsg.Message) {
	nick := m.Params[len(m.Params)-1] // WHOIS [server] nick
	srv := c.s.cfg.ServerName
	account := ""
	if c.s.cfg.Users != nil {
		ctx, cancel := c.call()
		u, _, err := c.s.cfg.Users.UserByName(ctx, nick)
		cancel()
		switch parley.ErrorCode(err) {
		case "":
			nick, account = u.Name, u.Name
		case parley.ENotFound:
		default:
			c.fail("WHOIS", nick, err)
			return
		}
	}
	if account == "" && !c.s.online(nick) {
		c.reply(ircmsg.ERR_NOSUCHNICK, cut(nick, 40), "No such nick: no account or connected guest has that name")
		c.reply(ircmsg.RPL_ENDOFWHOIS, cut(nick, 40), "End of /WHOIS list")
		return
	}
	c.reply(ircmsg.RPL_WHOISUSER, nick, nick, srv, "*", nick)
	c.reply(ircmsg.RPL_WHOISSERVER, nick, srv, "Parley")
	if account != "" {
		c.reply(ircmsg.RPL_WHOISACCOUNT, nick, account, "is logged in as")
	}
	c.reply(ircmsg.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
}
