package irc_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/server"
)

// Every error a client can provoke has its standard numeric, with a text
// that says what to do. Each case runs on a fresh connection: registered
// as the guest "carol" (and joined to #lobby) unless it says otherwise.
// Only registered users may create rooms here.
func TestErrorNumerics(t *testing.T) {
	g := startGateway(t, server.Config{RoomCreation: "users"}, server.IRCConfig{}, "ada")
	g.do("POST", "/api/rooms", `{"name":"private","visibility":"private"}`, g.login("ada")...)
	cases := []struct {
		name       string
		unregister bool     // do not register first
		send       []string // lines to send
		want       string   // the numeric (or command) expected
		param      string   // its second parameter (after the nick), if checked
	}{
		{"not registered", true, []string{"JOIN #lobby"}, ircmsg.ERR_NOTREGISTERED, ""},
		{"unknown command", false, []string{"FROB x"}, ircmsg.ERR_UNKNOWNCOMMAND, "FROB"},
		{"need more params", false, []string{"JOIN"}, ircmsg.ERR_NEEDMOREPARAMS, "JOIN"},
		{"user needs four params", true, []string{"USER carol"}, ircmsg.ERR_NEEDMOREPARAMS, "USER"},
		{"no such channel, and guests may not create one", false, []string{"JOIN #nowhere"}, ircmsg.ERR_NOSUCHCHANNEL, "#nowhere"},
		{"bad channel name", false, []string{"JOIN #no/such"}, ircmsg.ERR_NOSUCHCHANNEL, "#no/such"},
		{"private channel", false, []string{"JOIN #private"}, ircmsg.ERR_INVITEONLYCHAN, "#private"},
		{"nick of a registered user", true, []string{"NICK ada", "USER ada 0 * :Ada"}, ircmsg.ERR_NICKNAMEINUSE, "ada"},
		{"erroneous nickname", true, []string{"NICK bad!nick"}, ircmsg.ERR_ERRONEUSNICKNAME, "bad!nick"},
		{"no nickname", true, []string{"NICK"}, ircmsg.ERR_NONICKNAMEGIVEN, ""},
		{"password mismatch", true, []string{"PASS :wrong password", "NICK ada", "USER ada 0 * :Ada"}, ircmsg.ERR_PASSWDMISMATCH, ""},
		{"already registered", false, []string{"USER carol 0 * :Carol"}, ircmsg.ERR_ALREADYREGISTERED, ""},
		{"cannot send before joining", false, []string{"PRIVMSG #lobby :hi"}, ircmsg.ERR_CANNOTSENDTOCHAN, "#lobby"},
		{"send to a channel that does not exist", false, []string{"PRIVMSG #nowhere :hi"}, ircmsg.ERR_NOSUCHCHANNEL, "#nowhere"},
		{"guests cannot send direct messages", false, []string{"PRIVMSG ada :hi"}, ircmsg.ERR_CANNOTSENDTOCHAN, "ada"},
		{"message to an unknown nick", false, []string{"PRIVMSG nobody :hi"}, ircmsg.ERR_NOSUCHNICK, "nobody"},
		{"kick on a channel not joined", false, []string{"KICK #lobby ada"}, ircmsg.ERR_NOTONCHANNEL, "#lobby"},
		{"kick someone not there", false, []string{"JOIN #lobby", "KICK #lobby nobody"}, ircmsg.ERR_USERNOTINCHANNEL, "nobody"},
		{"kick without a nick", false, []string{"KICK #lobby"}, ircmsg.ERR_NEEDMOREPARAMS, "KICK"},
		{"invite nobody", false, []string{"JOIN #lobby", "INVITE nobody #lobby"}, ircmsg.ERR_NOSUCHNICK, "nobody"},
		{"invite to a channel not joined", false, []string{"INVITE ada #lobby"}, ircmsg.ERR_NOTONCHANNEL, "#lobby"},
		{"oper needs a server admin", false, []string{"OPER ada :" + password}, "491", ""},
		{"oper without a password", false, []string{"OPER ada"}, ircmsg.ERR_NEEDMOREPARAMS, "OPER"},
		{"whowas keeps no history", false, []string{"WHOWAS nobody"}, "406", "nobody"},
		{"userhost without a nick", false, []string{"USERHOST"}, ircmsg.ERR_NEEDMOREPARAMS, "USERHOST"},
		{"time of another server", false, []string{"TIME elsewhere.example"}, ircmsg.ERR_NOSUCHSERVER, "elsewhere.example"},
		{"no recipient", false, []string{"PRIVMSG"}, ircmsg.ERR_NORECIPIENT, ""},
		{"no text", false, []string{"PRIVMSG #lobby"}, ircmsg.ERR_NOTEXTTOSEND, ""},
		{"not on channel", false, []string{"PART #lobby", "PART #lobby"}, ircmsg.ERR_NOTONCHANNEL, "#lobby"},
		{"topic needs an owner", false, []string{"JOIN #lobby", "TOPIC #lobby :mine"}, ircmsg.ERR_CHANOPRIVSNEEDED, "#lobby"},
		{"channel modes", false, []string{"MODE #lobby +m"}, ircmsg.ERR_CHANOPRIVSNEEDED, "#lobby"},
		{"other users' modes", false, []string{"MODE ada +i"}, ircmsg.ERR_USERSDONTMATCH, ""},
		{"whois nobody", false, []string{"WHOIS nobody"}, ircmsg.ERR_NOSUCHNICK, "nobody"},
		{"ping without token", false, []string{"PING"}, ircmsg.ERR_NOORIGIN, ""},
		{"line too long", false, []string{"PRIVMSG #lobby :" + strings.Repeat("x", 600)}, ircmsg.ERR_INPUTTOOLONG, ""},
		{"invalid UTF-8", false, []string{"PRIVMSG #lobby :caf\xe9"}, "FAIL", "INVALID_UTF8"},
		{"SASL with a wrong password", true, []string{"AUTHENTICATE PLAIN", "AUTHENTICATE YWRhAGFkYQB3cm9uZw=="}, ircmsg.ERR_SASLFAIL, ""},
		{"unknown SASL mechanism", true, []string{"AUTHENTICATE SCRAM-SHA-256"}, ircmsg.RPL_SASLMECHS, ""},
		{"bad CAP subcommand", true, []string{"CAP FROB"}, "410", "FROB"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := g.dial()
			c.t = t
			if !tc.unregister {
				c.register("carol" + strconv.Itoa(i))
			}
			c.send(tc.send...)
			m, _ := c.expect(tc.want)
			if tc.param != "" && m.Param(1) != tc.param {
				t.Errorf("%s: got %v, want %s about %s", tc.name, m, tc.want, tc.param)
			}
			if text := m.Params[len(m.Params)-1]; len(text) < 10 {
				t.Errorf("%s: reply text %q does not explain", tc.name, text)
			}
			if tc.want == ircmsg.ERR_PASSWDMISMATCH {
				if reason := c.expectClosed(); reason == "" {
					t.Error("a wrong password must close the connection with ERROR")
				}
			}
		})
	}
}

// After an error the connection stays usable: a too-long line and an
// unknown command are answered and the next line works.
func TestErrorsLeaveTheConnectionUsable(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	c := g.dial()
	c.register("carol")
	c.send("PRIVMSG #lobby :"+strings.Repeat("x", 9000), "FROB")
	c.expect(ircmsg.ERR_INPUTTOOLONG)
	c.expect(ircmsg.ERR_UNKNOWNCOMMAND)
	c.send("PING :still-here")
	if m, _ := c.expect("PONG"); m.Param(1) != "still-here" {
		t.Fatalf("PONG = %v", m)
	}
}
