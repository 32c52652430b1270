package irc

import (
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
)

// fail answers a command that Parley refused, with the numeric IRC
// clients expect for it and Parley's own explanation as the text.
func (c *conn) fail(command, target string, err error) {
	if parley.ErrorCode(err) == parley.EInternal {
		c.s.log.Error("irc: command failed", "command", command, "err", err)
	}
	c.send(errorReply(c.s.cfg.ServerName, c.nick, command, target, err))
}

// errorReply maps a Parley error (its code) to an IRC reply: one error
// model for every command. The table:
//
//	not_found            channel target: 403 ERR_NOSUCHCHANNEL; nick: 401 ERR_NOSUCHNICK
//	unauthorized,        JOIN: 473 ERR_INVITEONLYCHAN; TOPIC, MODE, KICK, INVITE: 482 ERR_CHANOPRIVSNEEDED;
//	forbidden            PRIVMSG, NOTICE: 404 ERR_CANNOTSENDTOCHAN
//	invalid, too_large,  PRIVMSG, NOTICE: 404 ERR_CANNOTSENDTOCHAN
//	rate_limited
//	anything else        400 ERR_UNKNOWNERROR <command>
func errorReply(server, nick, command, target string, err error) ircmsg.Message {
	code, text := parley.ErrorCode(err), parley.ErrorMessage(err)
	target = cut(target, 64)
	isChannel := strings.HasPrefix(target, "#")
	send := command == "PRIVMSG" || command == "NOTICE"
	r := func(numeric string, params ...string) ircmsg.Message {
		return ircmsg.Reply(server, nick, numeric, params...)
	}
	switch code {
	case parley.ENotFound:
		if isChannel {
			return r(ircmsg.ERR_NOSUCHCHANNEL, target, "No such channel: "+text)
		}
		if target != "" {
			return r(ircmsg.ERR_NOSUCHNICK, target, "No such nick: "+text)
		}
	case parley.EUnauthorized, parley.EForbidden:
		switch {
		case command == "JOIN":
			return r(ircmsg.ERR_INVITEONLYCHAN, target, "Cannot join channel: "+text)
		case command == "TOPIC" || command == "MODE" || command == "KICK" || command == "INVITE":
			return r(ircmsg.ERR_CHANOPRIVSNEEDED, target, "You're not channel operator: "+text)
		case send:
			return r(ircmsg.ERR_CANNOTSENDTOCHAN, target, "Cannot send to "+target+": "+text)
		}
	case parley.EInvalid, parley.ETooLarge, parley.ERateLimited:
		if send {
			return r(ircmsg.ERR_CANNOTSENDTOCHAN, target, "Cannot send to "+target+": "+text)
		}
	}
	return r(ircmsg.ERR_UNKNOWNERROR, command, text)
}
