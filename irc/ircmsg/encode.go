package ircmsg

import "strings"

// Append appends m as one IRC line, without the CRLF, to dst. The writer
// adds "\r\n".
//
// Tag values are escaped; the last parameter gets a ':' when it is empty,
// holds a space or starts with ':'. Append does not check m (Validate
// does), but the line it writes never holds NUL, CR or LF: such bytes are
// written as spaces (in tag values, as escaped spaces), so even a bad
// message stays one line.
func (m Message) Append(dst []byte) []byte {
	if len(m.Tags) > 0 {
		dst = append(dst, '@')
		for i, t := range m.Tags {
			if i > 0 {
				dst = append(dst, ';')
			}
			dst = appendSafe(dst, t.Key)
			if t.Value != "" {
				dst = append(dst, '=')
				dst = appendTagValue(dst, t.Value)
			}
		}
		dst = append(dst, ' ')
	}
	if m.Source != "" {
		dst = append(dst, ':')
		dst = appendSafe(dst, m.Source)
		dst = append(dst, ' ')
	}
	dst = appendSafe(dst, m.Command)
	for i, p := range m.Params {
		dst = append(dst, ' ')
		if i == len(m.Params)-1 && needsColon(p) {
			dst = append(dst, ':')
		}
		dst = appendSafe(dst, p)
	}
	return dst
}

// String returns the line Append writes, without CRLF.
func (m Message) String() string { return string(m.Append(nil)) }

// Validate reports whether m is a well-formed message that fits the size
// limits; when it returns nil, Parse(m.String()) returns a message equal
// to m (nil and empty slices aside). Errors are *Error.
//
// It checks that the command is upper-case letters or a three-digit
// numeric; that no part holds NUL, CR or LF (tag values may hold CR and
// LF, which are escaped); that the source has no space; that there are at
// most MaxParams parameters and that every parameter but the last is
// non-empty, has no space and does not start with ':'; that tag keys
// follow the grammar (ValidTagKey) and occur once; and that the tag
// section and the rest of the line are within MaxTagsLen and MaxBodyLen.
func (m Message) Validate() error {
	if !validCommand(m.Command, true) {
		return &Error{Err: ErrBadCommand, Command: m.Command, Detail: quote(m.Command)}
	}
	if hasBadByte(m.Source) {
		return errorf(ErrBadByte, m.Command, "in the source")
	}
	if strings.IndexByte(m.Source, ' ') >= 0 {
		return errorf(ErrBadSource, m.Command, "source %s has a space", quote(m.Source))
	}
	if len(m.Params) > MaxParams {
		return errorf(ErrTooManyParams, m.Command, "%d parameters", len(m.Params))
	}
	body := len(m.Command) + 2 // CRLF
	if m.Source != "" {
		body += len(m.Source) + 2
	}
	for i, p := range m.Params {
		if hasBadByte(p) {
			return errorf(ErrBadByte, m.Command, "in parameter %d", i+1)
		}
		last := i == len(m.Params)-1
		if !last && needsColon(p) {
			return errorf(ErrBadParam, m.Command, "parameter %d of %d is %s", i+1, len(m.Params), quote(p))
		}
		body += 1 + len(p)
		if last && needsColon(p) {
			body++
		}
	}
	if err := validateTags(m.Tags, m.Command); err != nil {
		return err
	}
	if n := tagsLen(m.Tags); n > MaxTagsLen {
		return errorf(ErrTagsTooLong, m.Command, "%d bytes", n)
	}
	if body > MaxBodyLen {
		return errorf(ErrBodyTooLong, m.Command, "%d bytes with CRLF", body)
	}
	return nil
}

func validateTags(tags []Tag, command string) error {
	var seen map[string]bool
	if len(tags) > 8 {
		seen = make(map[string]bool, len(tags))
	}
	for i, t := range tags {
		if !ValidTagKey(t.Key) {
			return errorf(ErrBadTag, command, "key %s", quote(t.Key))
		}
		if strings.IndexByte(t.Value, 0) >= 0 {
			return errorf(ErrBadByte, command, "NUL in the value of tag %s", t.Key)
		}
		dup := false
		if seen != nil {
			dup = seen[t.Key]
			seen[t.Key] = true
		} else {
			for _, u := range tags[:i] {
				dup = dup || u.Key == t.Key
			}
		}
		if dup {
			return errorf(ErrBadTag, command, "key %s occurs twice", t.Key)
		}
	}
	return nil
}

// tagsLen returns the length of the tag section Append writes, 0 for none.
func tagsLen(tags []Tag) int {
	if len(tags) == 0 {
		return 0
	}
	n := 1 + len(tags) // '@', the ';' separators and the final space
	for _, t := range tags {
		n += len(t.Key)
		if t.Value != "" {
			n += 1 + escapedLen(t.Value)
		}
	}
	return n
}

// needsColon reports whether p can only be sent as a ':' trailing
// parameter.
func needsColon(p string) bool {
	return p == "" || p[0] == ':' || strings.IndexByte(p, ' ') >= 0
}

func hasBadByte(s string) bool {
	return strings.IndexByte(s, 0) >= 0 || strings.IndexByte(s, '\r') >= 0 || strings.IndexByte(s, '\n') >= 0
}

// appendSafe appends s with NUL, CR and LF replaced by spaces.
func appendSafe(dst []byte, s string) []byte {
	if !hasBadByte(s) {
		return append(dst, s...)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 || c == '\r' || c == '\n' {
			c = ' '
		}
		dst = append(dst, c)
	}
	return dst
}
