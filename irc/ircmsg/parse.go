package ircmsg

import (
	"strconv"
	"strings"
)

// Parse parses one line, with or without its CRLF or LF terminator. The
// strings of the result are substrings of line (tag values with escapes
// excepted), so converting a Reader's []byte once to a string is the only
// copy. Errors are *Error; see the package documentation for the rules.
func Parse(line string) (Message, error) {
	var m Message

	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if strings.IndexByte(line, 0) >= 0 || strings.IndexByte(line, '\r') >= 0 || strings.IndexByte(line, '\n') >= 0 {
		return m, errorf(ErrBadByte, "", "at byte %d", badByte(line))
	}

	body := line
	hasTags := len(line) > 0 && line[0] == '@'
	if hasTags {
		end := strings.IndexByte(line, ' ')
		if end < 0 {
			if len(line)+1 > MaxTagsLen {
				return m, errorf(ErrTagsTooLong, "", "%d bytes", len(line)+1)
			}
			return m, errorf(ErrNoCommand, "", "only tags")
		}
		if end+1 > MaxTagsLen {
			return m, errorf(ErrTagsTooLong, "", "%d bytes", end+1)
		}
		m.Tags = parseTags(line[1:end])
		body = line[end+1:]
	}
	if len(body)+2 > MaxBodyLen {
		return m, errorf(ErrBodyTooLong, "", "%d bytes with CRLF", len(body)+2)
	}

	body = trimSpaces(body)
	if body == "" {
		if hasTags {
			return m, errorf(ErrNoCommand, "", "only tags")
		}
		return m, &Error{Err: ErrEmpty}
	}

	if body[0] == ':' {
		end := strings.IndexByte(body, ' ')
		if end < 0 {
			return m, errorf(ErrNoCommand, "", "only a source")
		}
		if end == 1 {
			return m, errorf(ErrBadSource, "", "':' with no source")
		}
		m.Source = body[1:end]
		body = trimSpaces(body[end:])
		if body == "" {
			return m, errorf(ErrNoCommand, "", "only a source")
		}
	}

	cmd, body, _ := strings.Cut(body, " ")
	if !validCommand(cmd, false) {
		return m, &Error{Err: ErrBadCommand, Command: cmd, Detail: quote(cmd)}
	}
	m.Command = upper(cmd)

	for {
		body = trimSpaces(body)
		if body == "" {
			break
		}
		if len(m.Params) == MaxParams {
			return m, errorf(ErrTooManyParams, m.Command, "%s has more", m.Command)
		}
		if body[0] == ':' {
			m.Params = append(m.Params, body[1:])
			break
		}
		var p string
		p, body, _ = strings.Cut(body, " ")
		if m.Params == nil {
			m.Params = make([]string, 0, 4)
		}
		m.Params = append(m.Params, p)
	}
	return m, nil
}

// trimSpaces removes leading spaces (only ' ': a tab is not a separator).
func trimSpaces(s string) string {
	for len(s) > 0 && s[0] == ' ' {
		s = s[1:]
	}
	return s
}

// validCommand reports whether c is ASCII letters or three digits. With
// upperOnly, letters must be upper case (the form Parse returns).
func validCommand(c string, upperOnly bool) bool {
	if len(c) == 3 && isDigit(c[0]) && isDigit(c[1]) && isDigit(c[2]) {
		return true
	}
	if c == "" {
		return false
	}
	for i := 0; i < len(c); i++ {
		b := c[i]
		if !('A' <= b && b <= 'Z') && (upperOnly || !('a' <= b && b <= 'z')) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// upper returns an ASCII-letter command in upper case, without allocating
// when it already is.
func upper(c string) string {
	for i := 0; i < len(c); i++ {
		if 'a' <= c[i] && c[i] <= 'z' {
			return strings.ToUpper(c)
		}
	}
	return c
}

// badByte returns the index of the first NUL, CR or LF in s.
func badByte(s string) int {
	return strings.IndexFunc(s, func(r rune) bool { return r == 0 || r == '\r' || r == '\n' })
}

// quote quotes an untrusted string for an error message, cut to 32 bytes.
func quote(s string) string {
	const limit = 32
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}
