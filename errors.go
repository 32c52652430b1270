package parley

import (
	"errors"
	"fmt"
)

// Code classifies an Error. Each transport maps codes to its own form:
// HTTP statuses in api, numerics in irc.
type Code string

const (
	EInvalid      Code = "invalid"      // the request is malformed or breaks a content rule
	ENotFound     Code = "not_found"    // the room, user or message does not exist
	EConflict     Code = "conflict"     // the thing already exists
	ETooLarge     Code = "too_large"    // the request or message is over a size limit
	EUnauthorized Code = "unauthorized" // no valid credentials
	EForbidden    Code = "forbidden"    // credentials are valid but not enough
	ERateLimited  Code = "rate_limited" // slow down
	EUnavailable  Code = "unavailable"  // shutting down or a dependency is down; retry
	ETimeout      Code = "timeout"      // the client took too long to send its request
	EInternal     Code = "internal"     // a bug or an unexpected failure
)

// Error is a domain error: a code for machines and a message for people.
// Messages say what went wrong and, where it helps, what to do instead.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of err, EInternal for errors that are not
// *Error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorMessage returns the human-readable message of err. Internal errors
// are not shown to clients; they get a generic message instead.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
