// Package ircmsg reads, parses and encodes IRC protocol lines: the message
// format of RFC 1459 and RFC 2812 as modern clients speak it, extended by
// IRCv3 message tags. It does no networking and holds no state; the IRC
// gateway builds on it.
//
// The flow of a line through the gateway:
//
//	conn -> Reader.ReadLine (bounded, CRLF or LF) -> Parse -> Message
//	     -> command table -> Reply / SplitMessage / Message literal
//	     -> Message.Append (+ "\r\n" by the writer) -> conn
//
// # Wire format
//
//	['@' tags SPACE] [':' source SPACE] command [SPACE param]* [SPACE ':' trailing]
//
// Parse is lenient where real clients are sloppy and strict where leniency
// would be a hazard:
//
//   - Parts may be separated by several spaces, and trailing spaces after
//     the last parameter are ignored (but kept inside a ':' trailing one).
//   - The command is letters (returned in upper case) or a three-digit
//     numeric. Anything else is ErrBadCommand.
//   - At most 15 parameters (MaxParams). A 16th is ErrTooManyParams rather
//     than being glued onto the 15th as some servers do: the gateway has no
//     command that takes more, and rejecting keeps Parse and Append exact
//     inverses.
//   - A tag whose key breaks the IRCv3 grammar (ValidTagKey) is dropped
//     rather than failing the line, so that junk is never relayed; when a
//     key occurs twice the last value wins, at the first occurrence's
//     position, as the message-tags specification asks.
//     Tag values are unescaped (\: \s \\ \r \n; a lone trailing backslash
//     is dropped; any other escaped character stands for itself).
//   - NUL, CR and LF anywhere in the line are ErrBadByte; one trailing
//     CRLF, LF or CR is stripped first, so Parse accepts a line with or
//     without its terminator.
//
// # Limits
//
// The tag section ('@', tag data and the space after it) may be
// MaxTagsLen (8191) bytes; the rest of the line, any extra spaces after
// the tags included, MaxBodyLen (512) bytes with the CRLF, so 510 bytes of
// content. Longer lines are ErrTagsTooLong or ErrBodyTooLong; the Reader
// bounds a whole line at MaxLineLen (ErrLineTooLong), so that a client
// cannot make the server buffer more. All three wrap ErrInputTooLong,
// which the gateway answers with ERR_INPUTTOOLONG.
//
// The tighter client budget of the message-tags specification (4094 bytes
// of tag data, MaxClientTagData) is left to the gateway, which knows
// whether a line came from a client.
//
// # Text encoding
//
// IRC is a byte protocol, and Parse accepts any bytes other than NUL, CR
// and LF. Parley stores only UTF-8, so the gateway checks
// Message.ValidUTF8 before any text enters Parley, and answers a line that
// fails with the standard reply "FAIL <command> INVALID_UTF8 :..."
// (advertising UTF8ONLY in RPL_ISUPPORT). The check is left out of Parse so
// that the gateway can still name the command in that reply.
//
// # Encoding
//
// Message.Append writes one line without its CRLF; the connection writer
// adds "\r\n", so that one encoding can be framed or measured as the
// writer needs. Append never writes NUL, CR or LF, whatever the message
// holds, so a bad message can garble a line but cannot inject a second one.
// Message.Validate reports whether a message is well formed; for every
// message that passes, Parse(m.String()) returns m again. Parse only
// returns messages that pass Validate.
//
// Tags are an ordered slice, not a map, so that encoding is deterministic
// (encode once, write many) and server tags can be placed before client
// tags, as the specification asks.
package ircmsg
