package ircmsg

import (
	"strings"
	"unicode/utf8"
)

// SplitText cuts text into pieces of at most maxLen bytes whose
// concatenation is text. It never cuts inside a UTF-8 sequence (a byte
// that is not part of valid UTF-8 counts as a one-byte rune), so the
// pieces of valid UTF-8 are valid UTF-8. It prefers to cut just after the
// last space of a piece when that space lies in the piece's second half,
// so that words stay whole; the space stays at the end of the piece. It
// does not know about grapheme clusters: a combining mark may start a
// piece.
//
// A maxLen below utf8.UTFMax is raised to it, so that every rune fits.
// SplitText returns nil for "".
func SplitText(text string, maxLen int) []string {
	maxLen = max(maxLen, utf8.UTFMax)
	var parts []string
	for len(text) > maxLen {
		cut := runeBoundary(text, maxLen)
		if sp := strings.LastIndexByte(text[:cut], ' '); sp >= cut/2 {
			cut = sp + 1
		}
		parts = append(parts, text[:cut])
		text = text[cut:]
	}
	if text != "" {
		parts = append(parts, text)
	}
	return parts
}

// runeBoundary returns the largest i <= n (n < len(s), n >= utf8.UTFMax)
// at which decoding s from the start would begin a rune: text[:i] ends
// with a whole rune or a lone invalid byte.
func runeBoundary(s string, n int) int {
	// Only a sequence whose first byte lies within the UTFMax-1 bytes
	// before n can straddle n. A byte that is not a continuation byte
	// always begins a rune when decoding from the start.
	for i := n; i > n-utf8.UTFMax && i >= 0; i-- {
		if utf8.RuneStart(s[i]) {
			if _, w := utf8.DecodeRuneInString(s[i:]); i+w > n {
				return i
			}
			return n
		}
	}
	return n // n is inside a run of stray continuation bytes
}

// SplitMessage builds the messages that carry text from source to target
// as command (PRIVMSG or NOTICE), each of which encodes, without tags, to
// a line of at most MaxBodyLen bytes with its CRLF:
//
//	:source PRIVMSG target :piece
//
// Tags have their own budget (MaxTagsLen), so the gateway may add
// server-time, msgid and the like to each message afterwards.
//
// IRC lines cannot hold line breaks, so each line of text (split at LF,
// CRLF or CR) becomes its own messages; empty lines are skipped. A line
// too long for one message is cut by SplitText. NUL, which IRC cannot
// carry, becomes U+FFFD. The result is nil when text has no non-empty
// line.
//
// SplitMessage fails with an *Error when source, command or target could
// not be sent (Validate's rules), or leave too little room for text.
func SplitMessage(source, command, target, text string) ([]Message, error) {
	probe := Message{Source: source, Command: command, Params: []string{target, ""}}
	if target == "" {
		return nil, errorf(ErrBadParam, command, "empty target")
	}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	// ":source " command " " target " :" piece CRLF
	room := MaxBodyLen - 2 - len(command) - 1 - len(target) - 2
	if source != "" {
		room -= len(source) + 2
	}
	if room < utf8.UTFMax {
		return nil, errorf(ErrBodyTooLong, command, "source and target leave %d bytes for text", room)
	}

	if strings.IndexByte(text, 0) >= 0 {
		text = strings.ReplaceAll(text, "\x00", "\uFFFD")
	}
	var msgs []Message
	for line := range strings.FieldsFuncSeq(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
		for _, piece := range SplitText(line, room) {
			msgs = append(msgs, Message{Source: source, Command: command, Params: []string{target, piece}})
		}
	}
	return msgs, nil
}
