package ircmsg

import (
	"errors"
	"fmt"
)

// Size limits, in bytes.
const (
	// MaxTagsLen bounds the tag section: '@', the tag data and the space
	// that ends it.
	MaxTagsLen = 8191
	// MaxBodyLen bounds the rest of a line, from the source or command to
	// the CRLF included: 510 bytes of content.
	MaxBodyLen = 512
	// MaxLineLen is the longest line, terminator included, that the
	// Reader returns.
	MaxLineLen = MaxTagsLen + MaxBodyLen
	// MaxClientTagData is the most tag data (the tag section without '@'
	// and the space) that a client may send, by the message-tags
	// specification. Parse does not enforce it; the gateway may.
	MaxClientTagData = 4094
	// MaxParams is the most parameters a message may have.
	MaxParams = 15
)

// ErrInputTooLong is wrapped by every error about a line over a size
// limit (ErrTagsTooLong, ErrBodyTooLong, ErrLineTooLong), so that
//
//	errors.Is(err, ErrInputTooLong)
//
// picks out the lines that the gateway answers with ERR_INPUTTOOLONG.
var ErrInputTooLong = errors.New("input line too long")

// The reasons a line or a message is rejected. Parse and Validate return
// them wrapped in an *Error, so test with errors.Is.
var (
	// ErrEmpty: the line is empty or only spaces. Servers ignore such
	// lines without replying.
	ErrEmpty = errors.New("empty line")
	// ErrBadByte: NUL, CR or LF inside the line, or (Validate) inside a
	// part of a message.
	ErrBadByte = errors.New("line contains NUL, CR or LF")
	// ErrTagsTooLong: the tag section is over MaxTagsLen bytes.
	ErrTagsTooLong = fmt.Errorf("tag section over %d bytes: %w", MaxTagsLen, ErrInputTooLong)
	// ErrBodyTooLong: the line after the tags is over MaxBodyLen bytes
	// (CRLF included).
	ErrBodyTooLong = fmt.Errorf("line over %d bytes without tags: %w", MaxBodyLen, ErrInputTooLong)
	// ErrNoCommand: tags or a source but no command.
	ErrNoCommand = errors.New("no command")
	// ErrBadCommand: the command is neither letters nor a three-digit
	// numeric (or, for Validate, has lower-case letters).
	ErrBadCommand = errors.New("command is not letters or a three-digit numeric")
	// ErrBadSource: an empty source (a lone ':'), or (Validate) a source
	// with a space.
	ErrBadSource = errors.New("bad source")
	// ErrTooManyParams: more than MaxParams parameters.
	ErrTooManyParams = fmt.Errorf("more than %d parameters", MaxParams)
	// ErrBadParam (Validate only): a parameter other than the last is
	// empty, holds a space or starts with ':'.
	ErrBadParam = errors.New("bad parameter: only the last may be empty, hold spaces or start with ':'")
	// ErrBadTag (Validate only): a tag key breaks the IRCv3 grammar or
	// occurs twice.
	ErrBadTag = errors.New("bad tag")
)

// Error is the error Parse and Validate return. Its Err is one of the
// reasons above; errors.Is and errors.As see through it.
type Error struct {
	// Err is the reason: one of the Err variables of this package.
	Err error
	// Command is the command, when the line got that far, so that the
	// gateway can name it in ERR_UNKNOWNCOMMAND or FAIL: in upper case
	// when valid, as sent when it is ErrBadCommand. It has no space, CR,
	// LF or NUL, but is otherwise untrusted and may be up to 510 bytes
	// long; cut it before echoing it.
	Command string
	// Detail says more for logs: which part, how long.
	Detail string
}

func (e *Error) Error() string {
	s := "ircmsg: " + e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Err }

func errorf(reason error, command, format string, args ...any) *Error {
	return &Error{Err: reason, Command: command, Detail: fmt.Sprintf(format, args...)}
}
