package ircmsg_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/irc/ircmsg"
)

func TestRoundTrip(t *testing.T) {
	fifteen := make([]string, 15)
	for i := range fifteen {
		fifteen[i] = fmt.Sprint(i + 1)
	}
	fifteen[14] = "last one"
	var allBytes strings.Builder
	for c := 1; c < 256; c++ {
		allBytes.WriteByte(byte(c))
	}
	msgs := []ircmsg.Message{
		{Command: "PING"},
		{Command: "PING", Params: params("")},
		{Command: "PRIVMSG", Params: params("#lobby", "hello")},
		{Command: "PRIVMSG", Params: params("#lobby", ":)")},
		{Command: "PRIVMSG", Params: params("#lobby", " leading and trailing ")},
		{Command: "PRIVMSG", Params: params("#lobby", "üñíçødé ✓ 👋🏽")},
		{Source: "ada!ada@parley", Command: "JOIN", Params: params("#lobby")},
		{Source: "irc.parley", Command: "005", Params: params("ada", "CHANTYPES=#", "UTF8ONLY", "are supported by this server")},
		{Command: "CMD", Params: fifteen},
		{Tags: tags("time", "2026-11-21T19:20:54.123Z", "msgid", "42", "+draft/reply", "41"), Source: "ada!ada@parley", Command: "PRIVMSG", Params: params("#lobby", "hi")},
		{Tags: tags("k", "; \\\r\n=+,:"), Command: "TAGMSG", Params: params("#lobby")},
		{Tags: tags("k", "trailing backslash\\"), Command: "TAGMSG", Params: params("#lobby")},
		{Tags: tags("all", allBytes.String()), Command: "TAGMSG", Params: params("#lobby")},
		{Tags: tags("flag", ""), Command: "TAGMSG", Params: params("#lobby")},
		{Command: "PRIVMSG", Params: params("#lobby", "\xff invalid UTF-8 is bytes")},
		ircmsg.Reply("irc.parley", "", ircmsg.ERR_NOTREGISTERED, "You have not registered"),
		{Command: "PRIVMSG", Params: params("#lobby", strings.Repeat("x", 510-len("PRIVMSG #lobby :")))},
		{Tags: tags("a", strings.Repeat("v", 8191-len("@a= "))), Command: "PING"},
	}
	for _, m := range msgs {
		if err := m.Validate(); err != nil {
			t.Errorf("Validate(%q): %v", m.String(), err)
			continue
		}
		line := m.String()
		got, err := ircmsg.Parse(line)
		if err != nil {
			t.Errorf("Parse(%q): %v", line, err)
			continue
		}
		if !equal(got, m) {
			t.Errorf("round trip of %q\n got %#v\nwant %#v", line, got, m)
		}
		if again := got.String(); again != line {
			t.Errorf("encoding is not stable: %q then %q", line, again)
		}
	}
}

func TestAppendAppends(t *testing.T) {
	m := ircmsg.Message{Command: "PING", Params: params("x")}
	buf := m.Append([]byte("prefix|"))
	buf = append(buf, "\r\n"...)
	if string(buf) != "prefix|PING x\r\n" {
		t.Errorf("Append = %q", buf)
	}
	allocs := testing.AllocsPerRun(100, func() { buf = m.Append(buf[:0]) })
	if allocs != 0 {
		t.Errorf("Append into a large enough buffer allocates %v times", allocs)
	}
}

func TestTagValueEscaping(t *testing.T) {
	cases := []struct{ value, wire string }{
		{"plain", "plain"},
		{"a;b", `a\:b`},
		{"a b", `a\sb`},
		{`a\b`, `a\\b`},
		{"a\rb", `a\rb`},
		{"a\nb", `a\nb`},
		{"raw+:=,escaped; \\", `raw+:=,escaped\:\s\\`}, // the message-tags specification's example
		{"ünï", "ünï"},
		{"a\x00b", `a\sb`}, // NUL cannot be escaped; Validate rejects it
	}
	for _, tc := range cases {
		m := ircmsg.Message{Tags: tags("k", tc.value), Command: "TAGMSG"}
		want := "@k=" + tc.wire + " TAGMSG"
		if got := m.String(); got != want {
			t.Errorf("tag value %q encodes as %q, want %q", tc.value, got, want)
		}
	}

	unescape := []struct{ wire, value string }{
		{`\:`, ";"}, {`\s`, " "}, {`\\`, `\`}, {`\r`, "\r"}, {`\n`, "\n"},
		{`\a\b\t\0`, "ab" + "t0"}, // unknown escapes: the character itself
		{`x\`, "x"},               // lone trailing backslash dropped
		{`\\\`, `\`},
		{`\\\\`, `\\`},
		{`\`, ""},
		{`\é`, "\xc3\xa9"}, // the escape takes one byte; the rest of the rune follows
	}
	for _, tc := range unescape {
		m, err := ircmsg.Parse("@k=" + tc.wire + " TAGMSG")
		if err != nil {
			t.Errorf("Parse tag %q: %v", tc.wire, err)
			continue
		}
		if got, _ := m.Tag("k"); got != tc.value {
			t.Errorf("tag %q unescapes to %q, want %q", tc.wire, got, tc.value)
		}
	}
}

func TestValidTagKey(t *testing.T) {
	good := []string{"a", "time", "msgid", "+typing", "draft/reply", "+draft/reply", "example.com/foo", "+example.com/foo-bar", "x--1", "a-b.c/D-9", "-"}
	bad := []string{"", "+", "/", "/a", "a/", "+/a", "a/b/c", "a b", "a;b", "a=b", "a.b", "a_b", "é", "+é/x", "a/b.c", "++a", "a\x00"}
	for _, k := range good {
		if !ircmsg.ValidTagKey(k) {
			t.Errorf("ValidTagKey(%q) = false", k)
		}
	}
	for _, k := range bad {
		if ircmsg.ValidTagKey(k) {
			t.Errorf("ValidTagKey(%q) = true", k)
		}
	}
}

func TestValidate(t *testing.T) {
	ok := ircmsg.Message{Command: "PRIVMSG", Params: params("#lobby", "hi")}
	with := func(f func(m *ircmsg.Message)) ircmsg.Message {
		m := ok.Clone()
		f(&m)
		return m
	}
	cases := []struct {
		name string
		msg  ircmsg.Message
		want error
	}{
		{"no command", with(func(m *ircmsg.Message) { m.Command = "" }), ircmsg.ErrBadCommand},
		{"lower-case command", with(func(m *ircmsg.Message) { m.Command = "privmsg" }), ircmsg.ErrBadCommand},
		{"two-digit numeric", with(func(m *ircmsg.Message) { m.Command = "01" }), ircmsg.ErrBadCommand},
		{"command with space", with(func(m *ircmsg.Message) { m.Command = "PRIV MSG" }), ircmsg.ErrBadCommand},
		{"source with space", with(func(m *ircmsg.Message) { m.Source = "ada !a@h" }), ircmsg.ErrBadSource},
		{"source with LF", with(func(m *ircmsg.Message) { m.Source = "ada\n" }), ircmsg.ErrBadByte},
		{"empty middle param", with(func(m *ircmsg.Message) { m.Params[0] = "" }), ircmsg.ErrBadParam},
		{"middle param with space", with(func(m *ircmsg.Message) { m.Params[0] = "#a b" }), ircmsg.ErrBadParam},
		{"middle param with colon", with(func(m *ircmsg.Message) { m.Params[0] = ":#a" }), ircmsg.ErrBadParam},
		{"param with CR", with(func(m *ircmsg.Message) { m.Params[1] = "a\rb" }), ircmsg.ErrBadByte},
		{"param with NUL", with(func(m *ircmsg.Message) { m.Params[1] = "a\x00b" }), ircmsg.ErrBadByte},
		{"16 params", with(func(m *ircmsg.Message) { m.Params = make([]string, 16) }), ircmsg.ErrTooManyParams},
		{"bad tag key", with(func(m *ircmsg.Message) { m.Tags = tags("a b", "") }), ircmsg.ErrBadTag},
		{"empty tag key", with(func(m *ircmsg.Message) { m.Tags = tags("", "x") }), ircmsg.ErrBadTag},
		{"duplicate tag", with(func(m *ircmsg.Message) { m.Tags = tags("a", "1", "b", "2", "a", "3") }), ircmsg.ErrBadTag},
		{"duplicate among many tags", with(func(m *ircmsg.Message) {
			for i := range 20 {
				m.SetTag(fmt.Sprint("k", i), "")
			}
			m.Tags = append(m.Tags, ircmsg.Tag{Key: "k7"})
		}), ircmsg.ErrBadTag},
		{"NUL in tag value", with(func(m *ircmsg.Message) { m.Tags = tags("a", "x\x00") }), ircmsg.ErrBadByte},
		{"body too long", with(func(m *ircmsg.Message) { m.Params[1] = strings.Repeat("x", 511-len("PRIVMSG #lobby ")) }), ircmsg.ErrBodyTooLong},
		{"body too long by the colon", with(func(m *ircmsg.Message) { m.Params[1] = " " + strings.Repeat("x", 510-len("PRIVMSG #lobby ")-1) }), ircmsg.ErrBodyTooLong},
		{"tags too long", with(func(m *ircmsg.Message) { m.Tags = tags("a", strings.Repeat("v", 8192-len("@a= "))) }), ircmsg.ErrTagsTooLong},
		{"tags too long once escaped", with(func(m *ircmsg.Message) { m.Tags = tags("a", strings.Repeat(";", 4094)) }), ircmsg.ErrTagsTooLong},
	}
	if err := ok.Validate(); err != nil {
		t.Fatalf("base message: %v", err)
	}
	for _, tc := range cases {
		err := tc.msg.Validate()
		var e *ircmsg.Error
		if !errors.Is(err, tc.want) || !errors.As(err, &e) {
			t.Errorf("%s: Validate() = %v, want %v as *ircmsg.Error", tc.name, err, tc.want)
		}
		// Whatever the message holds, Append writes one line.
		if line := tc.msg.String(); strings.ContainsAny(line, "\x00\r\n") {
			t.Errorf("%s: Append wrote %q", tc.name, line)
		}
	}
}

func TestAppendNeverBreaksTheLine(t *testing.T) {
	bad := "x\r\nQUIT :injected\x00"
	m := ircmsg.Message{
		Tags:    []ircmsg.Tag{{Key: bad, Value: bad}},
		Source:  bad,
		Command: bad,
		Params:  []string{bad, bad},
	}
	line := m.String()
	if strings.ContainsAny(line, "\x00\r\n") {
		t.Fatalf("Append wrote %q", line)
	}
	if m.Validate() == nil {
		t.Fatal("Validate accepted a message with CR, LF and NUL")
	}
}

func TestTagMethods(t *testing.T) {
	var m ircmsg.Message
	if _, ok := m.Tag("a"); ok {
		t.Fatal("tag on an empty message")
	}
	m.SetTag("a", "1")
	m.SetTag("b", "")
	m.SetTag("a", "2")
	if v, ok := m.Tag("a"); !ok || v != "2" {
		t.Errorf("Tag(a) = %q, %v", v, ok)
	}
	if v, ok := m.Tag("b"); !ok || v != "" {
		t.Errorf("Tag(b) = %q, %v", v, ok)
	}
	if want := tags("a", "2", "b", ""); !equal(m, ircmsg.Message{Tags: want}) {
		t.Errorf("Tags = %v, want %v", m.Tags, want)
	}

	c := m.Clone()
	c.Tags[0].Value = "changed"
	c.DeleteTag("b")
	if v, _ := m.Tag("a"); v != "2" || len(m.Tags) != 2 {
		t.Errorf("Clone shares tags with the original: %v", m.Tags)
	}

	m.DeleteTag("a")
	m.DeleteTag("missing")
	m.DeleteTag("b")
	if m.Tags != nil {
		t.Errorf("Tags after deleting all = %#v, want nil", m.Tags)
	}
}

func TestParam(t *testing.T) {
	m := ircmsg.Message{Command: "X", Params: params("a", "b")}
	for i, want := range []string{"a", "b", ""} {
		if got := m.Param(i); got != want {
			t.Errorf("Param(%d) = %q, want %q", i, got, want)
		}
	}
	if m.Param(-1) != "" {
		t.Error("Param(-1) is not empty")
	}
}

func TestValidUTF8(t *testing.T) {
	good := ircmsg.Message{Tags: tags("k", "ü"), Source: "ädä", Command: "PRIVMSG", Params: params("#lobby", "héllo 👋")}
	if !good.ValidUTF8() {
		t.Error("valid message reported invalid")
	}
	breakers := []func(m *ircmsg.Message){
		func(m *ircmsg.Message) { m.Params[1] = "\xff" },
		func(m *ircmsg.Message) { m.Params[0] = "#\xc3" },
		func(m *ircmsg.Message) { m.Source = "\xed\xa0\x80" }, // a surrogate
		func(m *ircmsg.Message) { m.Tags[0].Value = "\xfe" },
		func(m *ircmsg.Message) { m.Tags[0].Key = "\xfe" },
		func(m *ircmsg.Message) { m.Command = "\x80" },
	}
	for i, f := range breakers {
		m := good.Clone()
		f(&m)
		if m.ValidUTF8() {
			t.Errorf("case %d: invalid UTF-8 reported valid: %#v", i, m)
		}
	}
}

func TestReply(t *testing.T) {
	cases := []struct {
		msg  ircmsg.Message
		want string
	}{
		{ircmsg.Reply("irc.parley", "ada", ircmsg.RPL_WELCOME, "Welcome to Parley, ada"), ":irc.parley 001 ada :Welcome to Parley, ada"},
		{ircmsg.Reply("irc.parley", "", ircmsg.ERR_NOTREGISTERED, "You have not registered"), ":irc.parley 451 * :You have not registered"},
		{ircmsg.Reply("irc.parley", "ada", ircmsg.RPL_NAMREPLY, "=", "#lobby", "ada @bob"), ":irc.parley 353 ada = #lobby :ada @bob"},
		{ircmsg.Reply("irc.parley", "ada", ircmsg.RPL_ENDOFWHO, "#lobby", "End of WHO list"), ":irc.parley 315 ada #lobby :End of WHO list"},
		{ircmsg.Reply("irc.parley", "ada", ircmsg.RPL_UMODEIS, "+i"), ":irc.parley 221 ada +i"},
		{ircmsg.Reply("irc.parley", "ada", ircmsg.RPL_SASLMECHS, "PLAIN", "are available SASL mechanisms"), ":irc.parley 908 ada PLAIN :are available SASL mechanisms"},
	}
	for _, tc := range cases {
		if got := tc.msg.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
		if err := tc.msg.Validate(); err != nil {
			t.Errorf("%q: %v", tc.want, err)
		}
	}
}

func TestNumericsAreThreeDigits(t *testing.T) {
	all := []string{
		ircmsg.RPL_WELCOME, ircmsg.RPL_YOURHOST, ircmsg.RPL_CREATED, ircmsg.RPL_MYINFO, ircmsg.RPL_ISUPPORT,
		ircmsg.RPL_NAMREPLY, ircmsg.RPL_ENDOFNAMES, ircmsg.RPL_TOPIC, ircmsg.RPL_NOTOPIC, ircmsg.RPL_LIST,
		ircmsg.RPL_LISTEND, ircmsg.RPL_WHOREPLY, ircmsg.RPL_ENDOFWHO, ircmsg.RPL_WHOISUSER, ircmsg.RPL_ENDOFWHOIS,
		ircmsg.RPL_CHANNELMODEIS, ircmsg.RPL_UMODEIS, ircmsg.ERR_NOSUCHNICK, ircmsg.ERR_NOSUCHCHANNEL,
		ircmsg.ERR_CANNOTSENDTOCHAN, ircmsg.ERR_UNKNOWNCOMMAND, ircmsg.ERR_NONICKNAMEGIVEN, ircmsg.ERR_ERRONEUSNICKNAME,
		ircmsg.ERR_NICKNAMEINUSE, ircmsg.ERR_NOTONCHANNEL, ircmsg.ERR_NOTREGISTERED, ircmsg.ERR_NEEDMOREPARAMS,
		ircmsg.ERR_ALREADYREGISTERED, ircmsg.ERR_PASSWDMISMATCH, ircmsg.ERR_CHANOPRIVSNEEDED, ircmsg.ERR_INPUTTOOLONG,
		ircmsg.RPL_LOGGEDIN, ircmsg.RPL_SASLSUCCESS, ircmsg.ERR_SASLFAIL, ircmsg.ERR_SASLTOOLONG,
		ircmsg.ERR_SASLABORTED, ircmsg.RPL_SASLMECHS,
	}
	for _, n := range all {
		if err := (ircmsg.Message{Command: n}).Validate(); err != nil || len(n) != 3 {
			t.Errorf("numeric %q: %v", n, err)
		}
	}
}

func TestFormatTime(t *testing.T) {
	cases := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 11, 21, 19, 20, 54, 123456789, time.UTC), "2026-11-21T19:20:54.123Z"},
		{time.Date(2026, 11, 21, 19, 20, 54, 0, time.UTC), "2026-11-21T19:20:54.000Z"},
		{time.Date(2026, 11, 21, 19, 20, 54, 999999999, time.UTC), "2026-11-21T19:20:54.999Z"}, // truncated, not rounded
		{time.Date(2026, 11, 22, 1, 20, 54, 5e6, time.FixedZone("X", 6*3600)), "2026-11-21T19:20:54.005Z"},
	}
	for _, tc := range cases {
		if got := ircmsg.FormatTime(tc.in); got != tc.want {
			t.Errorf("FormatTime(%v) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := ircmsg.ParseTime(tc.want)
		if err != nil || !back.Equal(tc.in.Truncate(time.Millisecond)) || back.Location() != time.UTC {
			t.Errorf("ParseTime(%q) = %v, %v", tc.want, back, err)
		}
	}
	if got, err := ircmsg.ParseTime("2026-11-21T20:20:54+01:00"); err != nil || got.Format(time.RFC3339) != "2026-11-21T19:20:54Z" {
		t.Errorf("ParseTime with offset = %v, %v", got, err)
	}
	for _, bad := range []string{"", "yesterday", "2026-11-21", "2026-11-21 19:20:54Z", "1700000000"} {
		if _, err := ircmsg.ParseTime(bad); err == nil {
			t.Errorf("ParseTime(%q) accepted", bad)
		}
	}
}

func ExampleReply() {
	m := ircmsg.Reply("irc.parley.example", "ada", ircmsg.RPL_TOPIC, "#lobby", "Welcome to the lobby")
	m.SetTag(ircmsg.TimeTag, ircmsg.FormatTime(time.Date(2026, 11, 21, 19, 20, 54, 123e6, time.UTC)))
	line := append(m.Append(nil), "\r\n"...) // the writer adds CRLF
	fmt.Printf("%q\n", line)
	// Output: "@time=2026-11-21T19:20:54.123Z :irc.parley.example 332 ada #lobby :Welcome to the lobby\r\n"
}
