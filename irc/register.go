package irc

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/stream"
)

// Capabilities, as bits of conn.caps.
const (
	capServerTime uint32 = 1 << iota
	capMessageTags
	capEcho
	capSASL
	capMultiPrefix
	capUserhostInNames
	capRedact
)

// capList is what CAP LS offers, in order.
var capList = []struct {
	name  string
	bit   uint32
	value string // CAP LS 302 value
}{
	{"draft/message-redaction", capRedact, ""},
	{"echo-message", capEcho, ""},
	{"message-tags", capMessageTags, ""},
	{"multi-prefix", capMultiPrefix, ""},
	{"sasl", capSASL, "PLAIN"},
	{"server-time", capServerTime, ""},
	{"userhost-in-names", capUserhostInNames, ""},
}

func capBit(name string) uint32 {
	for _, c := range capList {
		if c.name == name {
			return c.bit
		}
	}
	return 0
}

func (c *conn) nickOrStar() string {
	if c.nick == "" {
		return "*"
	}
	return c.nick
}

func (c *conn) capReply(sub, list string) {
	c.send(ircmsg.Message{Source: c.s.cfg.ServerName, Command: "CAP", Params: []string{c.nickOrStar(), sub, list}})
}

func cmdCap(c *conn, m ircmsg.Message) {
	registered := c.registered.Load()
	switch sub := strings.ToUpper(m.Params[0]); sub {
	case "LS":
		if !registered {
			c.capNeg = true
		}
		v, _ := strconv.Atoi(m.Param(1))
		names := make([]string, 0, len(capList))
		for _, cp := range capList {
			if v >= 302 && cp.value != "" {
				names = append(names, cp.name+"="+cp.value)
			} else {
				names = append(names, cp.name)
			}
		}
		c.capReply("LS", strings.Join(names, " "))
	case "LIST":
		var names []string
		caps := c.caps.Load()
		for _, cp := range capList {
			if caps&cp.bit != 0 {
				names = append(names, cp.name)
			}
		}
		c.capReply("LIST", strings.Join(names, " "))
	case "REQ":
		if !registered {
			c.capNeg = true
		}
		req := m.Param(1)
		caps := c.caps.Load()
		for _, name := range strings.Fields(req) {
			off := strings.HasPrefix(name, "-")
			bit := capBit(strings.TrimPrefix(name, "-"))
			if bit == 0 {
				c.capReply("NAK", req)
				return
			}
			if off {
				caps &^= bit
			} else {
				caps |= bit
			}
		}
		c.caps.Store(caps)
		c.capReply("ACK", req)
	case "END":
		if !registered {
			c.capNeg = false
			c.tryRegister()
		}
	default:
		c.reply("410", cut(sub, 32), "Invalid CAP command: use LS, LIST, REQ or END")
	}
}

func cmdPass(c *conn, m ircmsg.Message) { c.pass = m.Params[0] }

func cmdNick(c *conn, m ircmsg.Message) {
	nick := m.Param(0)
	if nick == "" {
		c.reply(ircmsg.ERR_NONICKNAMEGIVEN, "No nickname given")
		return
	}
	if err := chat.ValidateName(nick); err != nil {
		c.reply(ircmsg.ERR_ERRONEUSNICKNAME, cut(nick, 40), "Erroneous nickname: "+parley.ErrorMessage(err))
		return
	}
	if c.registered.Load() {
		if nick != c.nick {
			c.reply(ircmsg.ERR_UNKNOWNERROR, "NICK", "Names cannot be changed while connected: reconnect with the new nick")
		}
		return
	}
	c.nick = nick
	c.tryRegister()
}

func cmdUser(c *conn, m ircmsg.Message) {
	if m.Params[0] == "" || m.Params[3] == "" {
		c.reply(ircmsg.ERR_NEEDMOREPARAMS, "USER", "Not enough parameters: USER name 0 * :real name")
		return
	}
	c.user, c.realname, c.userSet = m.Params[0], cut(m.Params[3], 100), true
	c.tryRegister()
}

// saslState is an AUTHENTICATE exchange in progress.
type saslState struct {
	mech string // "PLAIN" once chosen
	buf  string // base64 received so far
}

// maxSASL bounds the base64 of one SASL response.
const maxSASL = 1200

func cmdAuthenticate(c *conn, m ircmsg.Message) {
	if c.authed || c.registered.Load() {
		c.reply(ircmsg.ERR_SASLALREADY, "You have already authenticated using SASL")
		return
	}
	arg := m.Params[0]
	if arg == "*" {
		c.sasl = saslState{}
		c.reply(ircmsg.ERR_SASLABORTED, "SASL authentication aborted")
		return
	}
	if c.sasl.mech == "" {
		if !strings.EqualFold(arg, "PLAIN") {
			c.reply(ircmsg.RPL_SASLMECHS, "PLAIN", "are available SASL mechanisms")
			c.reply(ircmsg.ERR_SASLFAIL, "SASL authentication failed: only PLAIN is supported")
			return
		}
		c.sasl.mech = "PLAIN"
		c.send(ircmsg.Message{Command: "AUTHENTICATE", Params: []string{"+"}})
		return
	}
	if arg != "+" {
		c.sasl.buf += arg
	}
	if len(c.sasl.buf) > maxSASL {
		c.sasl = saslState{}
		c.reply(ircmsg.ERR_SASLTOOLONG, "SASL message too long")
		return
	}
	if len(arg) == 400 {
		return // more chunks follow
	}
	data, err := base64.StdEncoding.DecodeString(c.sasl.buf)
	c.sasl = saslState{}
	parts := strings.Split(string(data), "\x00")
	if err != nil || len(parts) != 3 || (parts[0] != "" && !strings.EqualFold(parts[0], parts[1])) {
		c.reply(ircmsg.ERR_SASLFAIL, "SASL authentication failed: send authzid NUL account NUL password, in base64")
		return
	}
	ctx, cancel := c.call()
	id, err := c.s.cfg.Login(ctx, parts[1], parts[2], c.key)
	cancel()
	if err != nil {
		c.reply(ircmsg.ERR_SASLFAIL, "SASL authentication failed: "+parley.ErrorMessage(err))
		return
	}
	c.id, c.authed = id, true
	c.reply(ircmsg.RPL_LOGGEDIN, c.s.source(c.nickOrStar()), id.Name, "You are now logged in as "+id.Name)
	c.reply(ircmsg.RPL_SASLSUCCESS, "SASL authentication successful")
	c.tryRegister()
}

// tryRegister completes registration once NICK and USER are in, CAP
// negotiation and SASL are over: it establishes the identity (SASL, PASS
// or a guest), then welcomes the client.
func (c *conn) tryRegister() {
	if c.registered.Load() || c.nick == "" || !c.userSet || c.capNeg || c.sasl.mech != "" {
		return
	}
	ctx, cancel := c.call()
	defer cancel()
	id := c.id
	switch {
	case c.authed:
	case c.pass != "":
		account, pw := c.nick, c.pass
		if a, p, ok := strings.Cut(c.pass, ":"); ok && chat.ValidateName(a) == nil {
			account, pw = a, p
		}
		c.pass = ""
		var err error
		if id, err = c.s.cfg.Login(ctx, account, pw, c.key); err != nil {
			c.reply(ircmsg.ERR_PASSWDMISMATCH, "Password incorrect: "+parley.ErrorMessage(err))
			c.quitting = true
			c.quit("Bad password")
			return
		}
	default:
		var err error
		id, err = c.s.cfg.Guest(ctx, c.nick)
		switch parley.ErrorCode(err) {
		case "":
		case parley.EConflict:
			c.reply(ircmsg.ERR_NICKNAMEINUSE, c.nick, "Nickname is already in use: "+parley.ErrorMessage(err)+" (PASS or SASL)")
			return
		case parley.EInvalid:
			c.reply(ircmsg.ERR_ERRONEUSNICKNAME, c.nick, "Erroneous nickname: "+parley.ErrorMessage(err))
			return
		case parley.EUnauthorized:
			c.reply(ircmsg.ERR_PASSWDMISMATCH, "Password required: "+parley.ErrorMessage(err)+" with SASL PLAIN or PASS")
			c.quitting = true
			c.quit("Guests are not admitted: log in")
			return
		default:
			c.s.log.Warn("irc: admitting a guest failed", "err", err)
			c.quitting = true
			c.quit(parley.ErrorMessage(err))
			return
		}
	}
	if id.Kind == parley.Guest && !c.s.reserveGuest(c, id.Name) {
		c.reply(ircmsg.ERR_NICKNAMEINUSE, c.nick, "Nickname is already in use: another guest is connected with it; choose another")
		return
	}
	c.id, c.nick = id, id.Name
	c.registered.Store(true)
	c.regTimer.Stop()
	c.welcome()
	if id.Kind == parley.Registered {
		c.dm = c.subscribe(parley.UserTopic(id.Name), false)
	}
	if topics := id.CredentialTopics(); len(topics) > 0 {
		c.creds = c.s.cfg.Hub.Subscribe(credentials{c}, topics)
	}
	if p := c.s.cfg.Presence; p != nil {
		c.here = p.Enter(id, nil)
	}
}

// isupport are the RPL_ISUPPORT tokens.
func (s *Server) isupport() []string {
	return []string{
		"CASEMAPPING=ascii",
		"CHANLIMIT=#:" + strconv.Itoa(stream.MaxRooms),
		"CHANMODES=b,,,inst",
		"CHANNELLEN=" + strconv.Itoa(chat.MaxRoomName+1),
		"CHANTYPES=#",
		"CHATHISTORY=" + strconv.Itoa(chat.MaxHistory),
		"MSGREFTYPES=msgid",
		"NETWORK=" + s.cfg.Network,
		"NICKLEN=" + strconv.Itoa(chat.MaxName),
		"PREFIX=(o)@",
		"TARGMAX=JOIN:,PART:,PRIVMSG:4,NOTICE:4,NAMES:",
		"TOPICLEN=" + strconv.Itoa(chat.MaxTopic),
		"UTF8ONLY",
	}
}

var started = time.Now()

func (c *conn) welcome() {
	srv := c.s.cfg.ServerName
	c.reply(ircmsg.RPL_WELCOME, "Welcome to the "+c.s.cfg.Network+" IRC gateway, "+c.nick)
	c.reply(ircmsg.RPL_YOURHOST, "Your host is "+srv+", running Parley")
	c.reply(ircmsg.RPL_CREATED, "This server was created "+started.UTC().Format(time.RFC1123))
	c.reply(ircmsg.RPL_MYINFO, srv, "parley", "i", "binst")
	tokens := c.s.isupport()
	for len(tokens) > 0 {
		n := min(len(tokens), 12)
		c.reply(ircmsg.RPL_ISUPPORT, append(tokens[:n:n], "are supported by this server")...)
		tokens = tokens[n:]
	}
	c.lusers()
	if c.id.Kind == parley.Registered && !c.authed {
		c.reply(ircmsg.RPL_LOGGEDIN, c.source(), c.id.Name, "You are now logged in as "+c.id.Name)
	}
	c.motd()
}

func (c *conn) motd() {
	c.reply(ircmsg.RPL_MOTDSTART, "- "+c.s.cfg.ServerName+" Message of the day -")
	for _, line := range []string{
		"- Rooms are channels: /join #lobby. /list shows the rooms you can read.",
		"- Direct messages (/msg nick) need an account: log in with SASL PLAIN or PASS.",
		"- Use a client with server-time for the right timestamps on history.",
	} {
		c.reply(ircmsg.RPL_MOTD, line)
	}
	c.reply(ircmsg.RPL_ENDOFMOTD, "End of /MOTD command")
}
