package irc

import (
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// Numerics used only here.
const (
	rplUserhost      = "302"
	rplWhowasUser    = "314"
	rplEndOfWhowas   = "369"
	rplWhoisOperator = "313"
	rplYoureOper     = "381"
	rplTime          = "391"
	rplLocalUsers    = "265"
	rplGlobalUsers   = "266"
	errWasNoSuchNick = "406"
	errNoOperHost    = "491"
	rplInfo          = "371"
	rplEndOfInfo     = "374"
)

// counts returns the registered and unregistered connections, and the
// most registered connections seen at once.
func (s *Server) counts() (users, unknown, most, opers int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.ending.Load() {
			continue
		}
		if c.isRegistered() {
			users++
			if c.oper.Load() {
				opers++
			}
		} else {
			unknown++
		}
	}
	s.mostUsers = max(s.mostUsers, users)
	return users, unknown, s.mostUsers, opers
}

// lusers answers LUSERS (and is part of the welcome): this gateway is one
// server, its IRC connections are its users.
func (c *conn) lusers() {
	users, unknown, most, opers := c.s.counts()
	n, m := strconv.Itoa(users), strconv.Itoa(most)
	c.reply(ircmsg.RPL_LUSERCLIENT, "There are "+n+" users and 0 invisible on 1 servers")
	c.reply(ircmsg.RPL_LUSEROP, strconv.Itoa(opers), "operator(s) online")
	c.reply(ircmsg.RPL_LUSERUNKNOWN, strconv.Itoa(unknown), "unknown connection(s)")
	c.reply(ircmsg.RPL_LUSERCHANNELS, strconv.Itoa(c.channelCount()), "channels formed")
	c.reply(ircmsg.RPL_LUSERME, "I have "+n+" clients and 0 servers")
	c.reply(rplLocalUsers, n, m, "Current local users "+n+", max "+m)
	c.reply(rplGlobalUsers, n, m, "Current global users "+n+", max "+m)
}

// channelCount counts the rooms (channels).
func (c *conn) channelCount() int {
	ctx, cancel := c.call()
	defer cancel()
	rooms, err := c.s.cfg.Store.Rooms(ctx)
	if err != nil {
		return 0
	}
	n := 0
	for _, r := range rooms {
		if !strings.HasPrefix(r.Name, "@") { // direct conversations are not channels
			n++
		}
	}
	return n
}

// cmdUserhost answers USERHOST nick...: nick[*]=+|-user@host for each
// connected nick (* for operators, - for away).
func cmdUserhost(c *conn, m ircmsg.Message) {
	var out []string
	for _, nick := range m.Params[:min(len(m.Params), 5)] {
		o := c.s.connByNick(nick)
		if o == nil {
			continue
		}
		entry := o.nick
		if o.oper.Load() {
			entry += "*"
		}
		if o.awayMessage() != "" {
			entry += "=-"
		} else {
			entry += "=+"
		}
		out = append(out, entry+o.userName()+"@"+c.s.cfg.ServerName)
	}
	c.reply(rplUserhost, strings.Join(out, " "))
}

func cmdTime(c *conn, m ircmsg.Message) {
	if t := m.Param(0); t != "" && !strings.EqualFold(t, c.s.cfg.ServerName) {
		c.reply(ircmsg.ERR_NOSUCHSERVER, cut(t, 64), "No such server")
		return
	}
	now := time.Now()
	c.reply(rplTime, c.s.cfg.ServerName, strconv.FormatInt(now.Unix(), 10), now.UTC().Format(time.RFC1123))
}

// whowasKept is how many ended connections WHOWAS remembers.
const whowasKept = 256

// whowasEntry is a connection that ended, as WHOWAS shows it.
type whowasEntry struct{ nick, user, real string }

// rememberGone records an ended, registered connection for WHOWAS.
// s.mu is held.
func (s *Server) rememberGone(c *conn) {
	e := whowasEntry{nick: c.nick, user: c.userName(), real: c.realname}
	if len(s.whowas) >= whowasKept {
		s.whowas = append(s.whowas[:0], s.whowas[1:]...)
	}
	s.whowas = append(s.whowas, e)
}

// gone returns the remembered connections of nick, newest first, at most
// count of them (count <= 0: all).
func (s *Server) gone(nick string, count int) []whowasEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []whowasEntry
	for i := len(s.whowas) - 1; i >= 0 && (count <= 0 || len(out) < count); i-- {
		if strings.EqualFold(s.whowas[i].nick, nick) {
			out = append(out, s.whowas[i])
		}
	}
	return out
}

// cmdWhowas answers WHOWAS nick[,nick] [count] from the IRC connections
// that ended since the server started (the last 256; nothing is stored).
func cmdWhowas(c *conn, m ircmsg.Message) {
	count, _ := strconv.Atoi(m.Param(1))
	srv := c.s.cfg.ServerName
	for _, nick := range splitTargets(m.Params[0], maxTargets) {
		nick = cut(nick, 40)
		entries := c.s.gone(nick, count)
		if len(entries) == 0 {
			c.reply(errWasNoSuchNick, nick, "There was no such nickname")
		}
		for _, e := range entries {
			c.reply(rplWhowasUser, e.nick, e.user, srv, "*", e.real)
			c.reply(ircmsg.RPL_WHOISSERVER, e.nick, srv, "Parley")
		}
		c.reply(rplEndOfWhowas, nick, "End of WHOWAS")
	}
}

// cmdOper makes the connection a server operator when the name and
// password are those of a server admin's account. It changes what the
// connection shows (WHO, WHOIS, USERHOST), not its Parley identity: the
// rights of an admin come with logging in as one (SASL or PASS).
func cmdOper(c *conn, m ircmsg.Message) {
	ctx, cancel := c.call()
	defer cancel()
	id, err := c.s.cfg.Login(ctx, m.Params[0], m.Params[1], c.key)
	if err != nil {
		c.reply(ircmsg.ERR_PASSWDMISMATCH, "Password incorrect: "+parley.ErrorMessage(err))
		return
	}
	if !id.Admin {
		c.reply(errNoOperHost, "No O-lines for your host: only server admins may OPER")
		return
	}
	c.oper.Store(true)
	c.reply(rplYoureOper, "You are now an IRC operator")
	c.send(ircmsg.Message{Source: c.s.cfg.ServerName, Command: "MODE", Params: []string{c.nick, "+o"}})
}

func cmdLusers(c *conn, _ ircmsg.Message) { c.lusers() }

// cmdInfo answers INFO with a few lines about the server.
func cmdInfo(c *conn, _ ircmsg.Message) {
	for _, line := range []string{
		"Parley: self-hosted real-time chat; this is its IRC gateway.",
		"Channels are Parley's rooms, shared with the web and its other transports.",
	} {
		c.reply(rplInfo, line)
	}
	c.reply(rplEndOfInfo, "End of INFO list")
}

// cmdKill: an IRC operator (OPER) may disconnect another IRC connection;
// it ends the connection only, not the account's other sessions.
func cmdKill(c *conn, m ircmsg.Message) {
	if !c.oper.Load() {
		c.reply(ircmsg.ERR_NOPRIVILEGES, "Permission Denied: you are not an IRC operator (OPER)")
		return
	}
	o := c.s.connByNick(m.Params[0])
	if o == nil {
		c.reply(ircmsg.ERR_NOSUCHNICK, cut(m.Params[0], 40), "No such nick: no IRC connection uses it")
		return
	}
	reason := "Killed by " + c.nick
	if r := m.Param(1); r != "" {
		reason += ": " + cut(r, 200)
	}
	o.quit(reason) // the writer sends ERROR, then closes; o's reader ends
}
