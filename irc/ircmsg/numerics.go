package ircmsg

// Reply builds a numeric reply from the server to a client:
//
//	:server numeric nick params...
//
// An empty nick is sent as "*", as servers do before registration. The
// last parameter is usually the human-readable text.
func Reply(server, nick, numeric string, params ...string) Message {
	if nick == "" {
		nick = "*"
	}
	p := make([]string, 0, 1+len(params))
	p = append(p, nick)
	p = append(p, params...)
	return Message{Source: server, Command: numeric, Params: p}
}

// Numeric replies and errors, named as in the RFCs, the modern IRC client
// protocol document (modern.ircdocs.horse) and the IRCv3 specifications,
// so that the names can be searched for there. The comments give the
// parameters after the client's nick. The names break Go's naming style
// on purpose.
const (
	// Registration.
	RPL_WELCOME  = "001" // :Welcome to the <network> Network, <nick>
	RPL_YOURHOST = "002" // :Your host is <server>, running version <version>
	RPL_CREATED  = "003" // :This server was created <date>
	RPL_MYINFO   = "004" // <server> <version> <user modes> <channel modes>
	RPL_ISUPPORT = "005" // <token>... :are supported by this server (at most 13 tokens a line)

	RPL_UMODEIS = "221" // <user modes>

	RPL_LUSERCLIENT   = "251" // :There are <u> users and <i> invisible on <s> servers
	RPL_LUSEROP       = "252" // <ops> :operator(s) online
	RPL_LUSERUNKNOWN  = "253" // <connections> :unknown connection(s)
	RPL_LUSERCHANNELS = "254" // <channels> :channels formed
	RPL_LUSERME       = "255" // :I have <c> clients and <s> servers

	RPL_AWAY    = "301" // <nick> :<away message>
	RPL_UNAWAY  = "305" // :You are no longer marked as being away
	RPL_NOWAWAY = "306" // :You have been marked as being away

	// WHOIS and WHO.
	RPL_WHOISUSER     = "311" // <nick> <user> <host> * :<realname>
	RPL_WHOISSERVER   = "312" // <nick> <server> :<server info>
	RPL_ENDOFWHO      = "315" // <mask> :End of WHO list
	RPL_WHOISIDLE     = "317" // <nick> <secs> <signon> :seconds idle, signon time
	RPL_ENDOFWHOIS    = "318" // <nick> :End of /WHOIS list
	RPL_WHOISCHANNELS = "319" // <nick> :[prefix]<channel>...
	RPL_WHOISACCOUNT  = "330" // <nick> <account> :is logged in as
	RPL_WHOREPLY      = "352" // <channel> <user> <host> <server> <nick> <flags> :<hopcount> <realname>
	RPL_WHOSPCRPL     = "354" // WHOX: the requested fields

	// Channels.
	RPL_LISTSTART     = "321" // Channel :Users  Name
	RPL_LIST          = "322" // <channel> <visible> :<topic>
	RPL_LISTEND       = "323" // :End of /LIST
	RPL_CHANNELMODEIS = "324" // <channel> <modes> [<mode params>...]
	RPL_CREATIONTIME  = "329" // <channel> <unix time>
	RPL_NOTOPIC       = "331" // <channel> :No topic is set
	RPL_TOPIC         = "332" // <channel> :<topic>
	RPL_TOPICWHOTIME  = "333" // <channel> <setter> <unix time>
	RPL_INVITING      = "341" // <nick> <channel>
	RPL_NAMREPLY      = "353" // <symbol> <channel> :[prefix]<nick>... (symbol "=" public, "@" secret)
	RPL_ENDOFNAMES    = "366" // <channel> :End of /NAMES list

	// Message of the day.
	RPL_MOTD      = "372" // :<line>
	RPL_MOTDSTART = "375" // :- <server> Message of the day -
	RPL_ENDOFMOTD = "376" // :End of /MOTD command

	// Errors.
	ERR_UNKNOWNERROR      = "400" // <command> [<subcommand>] :<info>
	ERR_NOSUCHNICK        = "401" // <nick> :No such nick/channel
	ERR_NOSUCHSERVER      = "402" // <server> :No such server
	ERR_NOSUCHCHANNEL     = "403" // <channel> :No such channel
	ERR_CANNOTSENDTOCHAN  = "404" // <channel> :Cannot send to channel
	ERR_TOOMANYCHANNELS   = "405" // <channel> :You have joined too many channels
	ERR_NOORIGIN          = "409" // :No origin specified (PING without a token)
	ERR_NORECIPIENT       = "411" // :No recipient given (<command>)
	ERR_NOTEXTTOSEND      = "412" // :No text to send
	ERR_INPUTTOOLONG      = "417" // :Input line was too long
	ERR_UNKNOWNCOMMAND    = "421" // <command> :Unknown command
	ERR_NOMOTD            = "422" // :MOTD File is missing
	ERR_NONICKNAMEGIVEN   = "431" // :No nickname given
	ERR_ERRONEUSNICKNAME  = "432" // <nick> :Erroneous nickname
	ERR_NICKNAMEINUSE     = "433" // <nick> :Nickname is already in use
	ERR_USERNOTINCHANNEL  = "441" // <nick> <channel> :They aren't on that channel
	ERR_NOTONCHANNEL      = "442" // <channel> :You're not on that channel
	ERR_USERONCHANNEL     = "443" // <nick> <channel> :is already on channel
	ERR_NOTREGISTERED     = "451" // :You have not registered
	ERR_NEEDMOREPARAMS    = "461" // <command> :Not enough parameters
	ERR_ALREADYREGISTERED = "462" // :You may not reregister
	ERR_PASSWDMISMATCH    = "464" // :Password incorrect
	ERR_YOUREBANNEDCREEP  = "465" // :You are banned from this server
	ERR_CHANNELISFULL     = "471" // <channel> :Cannot join channel (+l)
	ERR_UNKNOWNMODE       = "472" // <modechar> :is unknown mode char to me
	ERR_INVITEONLYCHAN    = "473" // <channel> :Cannot join channel (+i)
	ERR_BANNEDFROMCHAN    = "474" // <channel> :Cannot join channel (+b)
	ERR_BADCHANNELKEY     = "475" // <channel> :Cannot join channel (+k)
	ERR_BADCHANMASK       = "476" // <channel> :Bad Channel Mask
	ERR_NOPRIVILEGES      = "481" // :Permission Denied- You're not an IRC operator
	ERR_CHANOPRIVSNEEDED  = "482" // <channel> :You're not channel operator
	ERR_UMODEUNKNOWNFLAG  = "501" // :Unknown MODE flag
	ERR_USERSDONTMATCH    = "502" // :Cant change mode for other users

	// SASL (IRCv3 sasl-3.1/3.2).
	RPL_LOGGEDIN    = "900" // <nick>!<user>@<host> <account> :You are now logged in as <account>
	RPL_LOGGEDOUT   = "901" // <nick>!<user>@<host> :You are now logged out
	ERR_NICKLOCKED  = "902" // :You must use a nick assigned to you
	RPL_SASLSUCCESS = "903" // :SASL authentication successful
	ERR_SASLFAIL    = "904" // :SASL authentication failed
	ERR_SASLTOOLONG = "905" // :SASL message too long
	ERR_SASLABORTED = "906" // :SASL authentication aborted
	ERR_SASLALREADY = "907" // :You have already authenticated using SASL
	RPL_SASLMECHS   = "908" // <mechanisms> :are available SASL mechanisms
)
