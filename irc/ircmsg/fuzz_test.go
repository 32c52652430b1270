package ircmsg_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parley-chat/parley/irc/ircmsg"
)

// FuzzParse checks that Parse never panics, that it returns only
// well-formed messages, that their encoding is a single line that parses
// back to the same message, and that encoding is canonical.
func FuzzParse(f *testing.F) {
	for _, tc := range parseCases {
		f.Add(tc.line)
	}
	for _, s := range []string{
		"", "\r\n", " ", ":", "@", "@ ", "@;", "@=", ": x", "::", "@a :b",
		"PRIVMSG #a :b\x00c", "A\rB", "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
		`@a=\ X`, `@a=\\\ X`, `@+a/b=\s\:\r\n\\\x X`, "@a=1;a=2;a=3 X",
		"1234", "12", "PRIV-MSG", "x\xff y :\xfe",
		// At the body limit. Seeds at the 8 KB tag limit are left to
		// TestParseLimits: inputs grown from them make the fuzzer spend
		// its minimisation time (60s by default) on each new find.
		bodyOf(510), bodyOf(511), "@" + strings.Repeat("a=b;", 100) + " " + bodyOf(510),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, line string) {
		m, err := ircmsg.Parse(line)
		if err != nil {
			var e *ircmsg.Error
			if !errors.As(err, &e) || e.Err == nil {
				t.Fatalf("Parse(%q) error %#v is not an *ircmsg.Error with a reason", line, err)
			}
			return
		}
		if err := m.Validate(); err != nil {
			t.Fatalf("Parse(%q) = %#v, which does not validate: %v", line, m, err)
		}
		enc := m.String()
		if strings.ContainsAny(enc, "\x00\r\n") {
			t.Fatalf("Parse(%q) encodes as %q, with NUL, CR or LF", line, enc)
		}
		m2, err := ircmsg.Parse(enc)
		if err != nil {
			t.Fatalf("Parse(%q) = %#v encodes as %q, which does not parse: %v", line, m, enc, err)
		}
		if !equal(m, m2) {
			t.Fatalf("round trip of %q through %q:\n got %#v\nwant %#v", line, enc, m2, m)
		}
		if enc2 := m2.String(); enc2 != enc {
			t.Fatalf("encoding of %q is not canonical: %q then %q", line, enc, enc2)
		}
	})
}

// FuzzMessage builds messages from arbitrary parts: Append must always
// write one line, and every message that validates must survive a round
// trip.
func FuzzMessage(f *testing.F) {
	f.Add("time", "2026-11-21T19:20:54.123Z", "ada!a@h", "PRIVMSG", "#lobby", "hello world", uint8(2))
	f.Add("+x", "; \\\r\n", "", "001", "ada", "", uint8(3))
	f.Add("a b", "\x00", "s p", "CMD", ":x", "\r\n", uint8(1))
	f.Fuzz(func(t *testing.T, key, value, source, command, p1, p2 string, n uint8) {
		m := ircmsg.Message{Source: source, Command: command}
		if key != "" {
			m.SetTag(key, value)
		}
		for i := range int(n % 17) {
			if i%2 == 0 {
				m.Params = append(m.Params, p1)
			} else {
				m.Params = append(m.Params, p2)
			}
		}
		enc := m.String()
		if strings.ContainsAny(enc, "\x00\r\n") {
			t.Fatalf("%#v encodes as %q, with NUL, CR or LF", m, enc)
		}
		if m.Validate() != nil {
			return
		}
		got, err := ircmsg.Parse(enc)
		if err != nil {
			t.Fatalf("valid %#v encodes as %q, which does not parse: %v", m, enc, err)
		}
		if !equal(got, m) {
			t.Fatalf("round trip of %#v through %q gave %#v", m, enc, got)
		}
	})
}
