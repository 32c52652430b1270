package parley

import (
	"encoding/json"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendJSON appends m as a JSON object: exactly the bytes json.Marshal(m)
// gives (the wire format every transport shares), without reflection or
// allocation. Catch-up encodes every replayed message with it into one
// reused buffer, and Event.JSON uses it for live events.
func (m *Message) AppendJSON(b []byte) []byte {
	if len(m.Reactions) > 0 || !jsonTime(m.Time) || (!m.Edited.IsZero() && !jsonTime(m.Edited)) {
		// Reactions (set by reads for display, never by replay) and
		// times that encoding/json refuses: leave them to encoding/json,
		// which decides the bytes or the error.
		j, err := json.Marshal(m)
		if err != nil {
			// Message holds only strings, numbers and times: Marshal
			// fails only for a time outside years 0-9999, which no store
			// accepts.
			panic("parley: encoding message: " + err.Error())
		}
		return append(b, j...)
	}
	b = append(b, `{"id":`...)
	b = strconv.AppendInt(b, m.ID, 10)
	b = append(b, `,"room":`...)
	b = appendJSONString(b, m.Room)
	b = append(b, `,"kind":`...)
	b = appendJSONString(b, m.Kind)
	b = append(b, `,"from":`...)
	b = appendJSONString(b, m.From)
	b = append(b, `,"text":`...)
	b = appendJSONString(b, m.Text)
	b = append(b, `,"time":"`...)
	b = m.Time.AppendFormat(b, time.RFC3339Nano)
	b = append(b, '"')
	if m.Guest {
		b = append(b, `,"guest":true`...)
	}
	if m.Ref != 0 {
		b = append(b, `,"ref":`...)
		b = strconv.AppendInt(b, m.Ref, 10)
	}
	if m.ReplyTo != 0 {
		b = append(b, `,"reply_to":`...)
		b = strconv.AppendInt(b, m.ReplyTo, 10)
	}
	if !m.Edited.IsZero() {
		b = append(b, `,"edited":"`...)
		b = m.Edited.AppendFormat(b, time.RFC3339Nano)
		b = append(b, '"')
	}
	return append(b, '}')
}

// AppendSSE appends m's Server-Sent Events frame, the bytes
// NewEvent(*m).SSE() gives:
//
//	id: 42
//	event: message
//	data: {"id":42,...}
//
// m must be a stored message (ID > 0), not a signal.
func (m *Message) AppendSSE(b []byte) []byte {
	b = appendSSEHead(b, m.ID, m.Kind)
	b = m.AppendJSON(b)
	return append(b, "\n\n"...)
}

// appendSSEFrame appends an event's SSE frame around its JSON. A signal
// (id 0) has no id line, so that the browser's Last-Event-ID stays that of
// the last stored message.
func appendSSEFrame(b []byte, id int64, kind string, json []byte) []byte {
	b = appendSSEHead(b, id, kind)
	// The JSON never holds a raw newline (encoding/json and
	// appendJSONString escape it, and U+2028/U+2029), so it fits on one
	// data line.
	b = append(b, json...)
	return append(b, "\n\n"...)
}

func appendSSEHead(b []byte, id int64, kind string) []byte {
	if kind == "" {
		kind = KindMessage
	}
	if id != 0 {
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, id, 10)
		b = append(b, '\n')
	}
	b = append(b, "event: "...)
	b = append(b, kind...)
	return append(b, "\ndata: "...)
}

// jsonTime reports whether t is a time time.Time.MarshalJSON accepts (a
// four-digit year, a zone offset under 24 hours), which it then writes as
// RFC 3339 with nanoseconds, as AppendFormat does.
func jsonTime(t time.Time) bool {
	if y := t.Year(); y < 0 || y > 9999 {
		return false
	}
	_, off := t.Zone()
	return off > -24*3600 && off < 24*3600
}

// appendJSONString appends s as a JSON string the way encoding/json does
// by default: HTML-safe (<, > and & escaped), control characters escaped,
// invalid UTF-8 replaced by U+FFFD, U+2028 and U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
