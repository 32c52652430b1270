package irc

import (
	"strings"

	"github.com/parley-chat/parley/irc/ircmsg"
)

// command is one entry of the command table.
type command struct {
	run    func(c *conn, m ircmsg.Message)
	params int  // parameters required (ERR_NEEDMOREPARAMS below that)
	before bool // allowed before registration
	after  bool // allowed after registration (else ERR_ALREADYREGISTERED)
}

var commands map[string]command

func init() {
	commands = map[string]command{
		"CAP":          {run: cmdCap, params: 1, before: true, after: true},
		"PASS":         {run: cmdPass, params: 1, before: true},
		"NICK":         {run: cmdNick, before: true, after: true},
		"USER":         {run: cmdUser, params: 4, before: true},
		"AUTHENTICATE": {run: cmdAuthenticate, params: 1, before: true, after: true},
		"PING":         {run: cmdPing, before: true, after: true},
		"PONG":         {run: func(*conn, ircmsg.Message) {}, before: true, after: true},
		"QUIT":         {run: cmdQuit, before: true, after: true},

		"JOIN":        {run: cmdJoin, params: 1, after: true},
		"PART":        {run: cmdPart, params: 1, after: true},
		"PRIVMSG":     {run: cmdPrivmsg, after: true},
		"TAGMSG":      {run: cmdTagmsg, after: true},
		"REDACT":      {run: cmdRedact, params: 2, after: true},
		"NOTICE":      {run: cmdNotice, after: true},
		"TOPIC":       {run: cmdTopic, params: 1, after: true},
		"NAMES":       {run: cmdNames, after: true},
		"LIST":        {run: cmdList, after: true},
		"WHO":         {run: cmdWho, after: true},
		"WHOIS":       {run: cmdWhois, params: 1, after: true},
		"MODE":        {run: cmdMode, params: 1, after: true},
		"MOTD":        {run: func(c *conn, _ ircmsg.Message) { c.motd() }, after: true},
		"AWAY":        {run: cmdAway, after: true},
		"CHATHISTORY": {run: cmdChathistory, params: 3, after: true},
		"USERHOST":    {run: cmdUserhost, params: 1, after: true},
		"TIME":        {run: cmdTime, after: true},
		"WHOWAS":      {run: cmdWhowas, params: 1, after: true},
		"OPER":        {run: cmdOper, params: 2, after: true},
		"LUSERS":      {run: cmdLusers, after: true},
		"INFO":        {run: cmdInfo, after: true},
		"KILL":        {run: cmdKill, params: 2, after: true},
		"KICK":        {run: cmdKick, params: 2, after: true},
		"INVITE":      {run: cmdInvite, params: 2, after: true},
	}
}

// dispatch runs a parsed, UTF-8-checked message.
func (c *conn) dispatch(m ircmsg.Message) {
	cmd, ok := commands[m.Command]
	registered := c.registered.Load()
	switch {
	case !ok:
		if registered {
			c.reply(ircmsg.ERR_UNKNOWNCOMMAND, cut(m.Command, 32), "Unknown command")
		} else {
			c.reply(ircmsg.ERR_NOTREGISTERED, "You have not registered: send NICK and USER first")
		}
	case !registered && !cmd.before:
		c.reply(ircmsg.ERR_NOTREGISTERED, "You have not registered: send NICK and USER first")
	case registered && !cmd.after:
		c.reply(ircmsg.ERR_ALREADYREGISTERED, "You may not reregister")
	case len(m.Params) < cmd.params:
		c.reply(ircmsg.ERR_NEEDMOREPARAMS, m.Command, "Not enough parameters")
	default:
		cmd.run(c, m)
	}
}

func cmdPing(c *conn, m ircmsg.Message) {
	if len(m.Params) == 0 || m.Params[0] == "" {
		c.reply(ircmsg.ERR_NOORIGIN, "No origin specified")
		return
	}
	c.send(ircmsg.Message{Source: c.s.cfg.ServerName, Command: "PONG", Params: []string{c.s.cfg.ServerName, m.Params[0]}})
}

func cmdQuit(c *conn, m ircmsg.Message) {
	reason := "Client quit"
	c.quitMsg = "Client quit"
	if msg := m.Param(0); msg != "" {
		c.quitMsg = cut(msg, 200)
		reason = quitPrefix + c.quitMsg
	}
	c.quitting = true
	c.leavePresence() // before the socket closes: see reasonedSession
	c.quit(reason)
}

func cmdAway(c *conn, m ircmsg.Message) {
	if m.Param(0) == "" {
		c.away.Store(nil)
		c.reply(ircmsg.RPL_UNAWAY, "You are no longer marked as being away")
		return
	}
	msg := cut(m.Params[0], 200)
	c.away.Store(&msg)
	c.reply(ircmsg.RPL_NOWAWAY, "You have been marked as being away")
}

// splitTargets splits a comma-separated list of targets, at most max.
func splitTargets(list string, max int) []string {
	parts := strings.Split(list, ",")
	out := parts[:0]
	for _, p := range parts {
		if p != "" && len(out) < max {
			out = append(out, p)
		}
	}
	return out
}
