package irc

import (
	"context"
	"path"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/presence"
)

// whoEntry is what WHO and WHOIS tell of a person: an IRC connection's
// own USER name, real name, away and operator state, or for people on
// other transports their name.
type whoEntry struct {
	nick, user, real string
	away, oper       bool
}

func (s *Server) whoOf(name string) whoEntry {
	if o := s.connByNick(name); o != nil {
		return whoEntry{nick: o.nick, user: o.userName(), real: o.realname, away: o.awayMessage() != "", oper: o.oper.Load()}
	}
	return whoEntry{nick: name, user: name, real: name}
}

func (c *conn) whoReply(ch string, e whoEntry, chanOp bool) {
	flags := "H"
	if e.away {
		flags = "G"
	}
	if e.oper {
		flags += "*"
	}
	if chanOp {
		flags += "@"
	}
	real := e.real
	if real == "" {
		real = e.nick
	}
	srv := c.s.cfg.ServerName
	c.reply(ircmsg.RPL_WHOREPLY, ch, e.user, srv, srv, e.nick, flags, "0 "+real)
}

// cmdWho answers WHO #channel (everyone present, on every transport) and
// WHO nick or mask (connected IRC users whose nick matches; * and ? are
// wildcards).
func cmdWho(c *conn, m ircmsg.Message) {
	mask := m.Param(0)
	if mask == "" {
		mask = "*"
	}
	end := cut(mask, 40)
	ctx, cancel := c.call()
	defer cancel()
	if strings.HasPrefix(mask, "#") {
		if room, ok := roomOf(mask); ok && c.mayLook(ctx, room) {
			ops := c.s.operators(ctx, room)
			for _, p := range c.s.cfg.Members(room) {
				c.whoReply(channel(room), c.s.whoOf(p.Name), ops.is(ctx, p))
			}
		}
		c.reply(ircmsg.RPL_ENDOFWHO, end, "End of WHO list")
		return
	}
	pattern := strings.ToLower(mask)
	for _, o := range c.s.registeredConns() {
		if strings.EqualFold(o.nick, mask) {
			c.whoReply("*", c.s.whoOf(o.nick), false)
			continue
		}
		if ok, _ := path.Match(pattern, strings.ToLower(o.nick)); ok && (o == c || !o.invisible.Load() || c.sharesChannel(o)) {
			c.whoReply("*", c.s.whoOf(o.nick), false)
		}
	}
	c.reply(ircmsg.RPL_ENDOFWHO, end, "End of WHO list")
}

// userMode answers MODE nick [changes]. The one user mode is +i
// (invisible: WHO with a mask does not list you to people who share no
// channel with you); +o comes with OPER. Other letters are 501.
func (c *conn) userMode(target, changes string) {
	if !strings.EqualFold(target, c.nick) {
		c.reply(ircmsg.ERR_USERSDONTMATCH, "Can't change mode for other users")
		return
	}
	if changes == "" {
		modes := "+"
		if c.invisible.Load() {
			modes += "i"
		}
		if c.oper.Load() {
			modes += "o"
		}
		c.reply(ircmsg.RPL_UMODEIS, modes)
		return
	}
	var applied strings.Builder // the changes made, e.g. "+i" or "-io"
	on, sign, unknown := true, byte(0), false
	apply := func(letter byte) {
		want := byte('-')
		if on {
			want = '+'
		}
		if sign != want {
			applied.WriteByte(want)
			sign = want
		}
		applied.WriteByte(letter)
	}
	for i := 0; i < len(changes); i++ {
		switch changes[i] {
		case '+', '-':
			on = changes[i] == '+'
		case 'i':
			if c.invisible.Swap(on) != on {
				apply('i')
			}
		case 'o': // only dropped here; OPER grants it
			if !on && c.oper.Swap(false) {
				apply('o')
			}
		default:
			unknown = true
		}
	}
	if unknown {
		c.reply(ircmsg.ERR_UMODEUNKNOWNFLAG, "Unknown MODE flag: the user modes are +i and -o")
	}
	if applied.Len() > 0 {
		c.send(ircmsg.Message{Source: c.source(), Command: "MODE", Params: []string{c.nick, applied.String()}})
	}
}

// sharesChannel reports whether the client and o are present in a common
// room (a guess from presence: the same name anywhere counts).
func (c *conn) sharesChannel(o *conn) bool {
	for _, room := range c.rooms() {
		if _, ok := c.s.present(room, o.nick); ok {
			return true
		}
	}
	return false
}

// mayLook reports whether the client may see who is in room: it exists
// and the client may read it.
func (c *conn) mayLook(ctx context.Context, room string) bool {
	if _, joined := c.channels[room]; joined {
		return true
	}
	return c.s.cfg.Chat.CanRead(ctx, c.id, room) == nil
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
	o := c.s.connByNick(nick)
	if account == "" && o == nil {
		c.reply(ircmsg.ERR_NOSUCHNICK, cut(nick, 40), "No such nick: no account or connected guest has that name")
		c.reply(ircmsg.RPL_ENDOFWHOIS, cut(nick, 40), "End of /WHOIS list")
		return
	}
	if o != nil && o.id.Kind != parley.Registered {
		account = "" // a guest using a name that an account shares cannot happen; be safe
	}
	e := c.s.whoOf(nick)
	nick = e.nick
	real := e.real
	if real == "" {
		real = nick
	}
	c.reply(ircmsg.RPL_WHOISUSER, nick, e.user, srv, "*", real)
	c.reply(ircmsg.RPL_WHOISSERVER, nick, srv, "Parley")
	if e.oper {
		c.reply(rplWhoisOperator, nick, "is an IRC operator")
	}
	if o != nil {
		if msg := o.awayMessage(); msg != "" {
			c.reply(ircmsg.RPL_AWAY, nick, msg)
		}
	}
	if account != "" {
		c.reply(ircmsg.RPL_WHOISACCOUNT, nick, account, "is logged in as")
	}
	c.reply(ircmsg.RPL_ENDOFWHOIS, nick, "End of /WHOIS list")
}

// present reports whether name is in room.
func (s *Server) present(room, name string) (presence.Person, bool) {
	for _, p := range s.cfg.Members(room) {
		if strings.EqualFold(p.Name, name) {
			return p, true
		}
	}
	return presence.Person{}, false
}
