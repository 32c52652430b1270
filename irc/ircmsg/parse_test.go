package ircmsg_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/irc/ircmsg"
)

// equal compares messages, treating nil and empty slices alike.
func equal(a, b ircmsg.Message) bool {
	return a.Source == b.Source && a.Command == b.Command &&
		slices.Equal(a.Params, b.Params) && slices.Equal(a.Tags, b.Tags)
}

func tags(kv ...string) []ircmsg.Tag {
	var t []ircmsg.Tag
	for i := 0; i < len(kv); i += 2 {
		t = append(t, ircmsg.Tag{Key: kv[i], Value: kv[i+1]})
	}
	return t
}

func params(p ...string) []string { return p }

// The cases of ircdocs/parser-tests msg-split.yaml, restated as a Go
// table (the commands in upper case, as Parse returns them), followed by
// cases of our own.
var parseCases = []struct {
	name string
	line string
	want ircmsg.Message
}{
	{"simple", "foo bar baz asdf", ircmsg.Message{Command: "FOO", Params: params("bar", "baz", "asdf")}},
	{"source", ":coolguy foo bar baz asdf", ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "asdf")}},
	{"trailing", "foo bar baz :asdf quux", ircmsg.Message{Command: "FOO", Params: params("bar", "baz", "asdf quux")}},
	{"empty trailing", "foo bar baz :", ircmsg.Message{Command: "FOO", Params: params("bar", "baz", "")}},
	{"trailing starting with colon", "foo bar baz ::asdf", ircmsg.Message{Command: "FOO", Params: params("bar", "baz", ":asdf")}},
	{"source and trailing", ":coolguy foo bar baz :asdf quux", ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "asdf quux")}},
	{"trailing with edge spaces", ":coolguy foo bar baz :  asdf quux ", ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "  asdf quux ")}},
	{"trailing with colon inside", ":coolguy PRIVMSG bar :lol :) ", ircmsg.Message{Source: "coolguy", Command: "PRIVMSG", Params: params("bar", "lol :) ")}},
	{"source and empty trailing", ":coolguy foo bar baz :", ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "")}},
	{"trailing of spaces", ":coolguy foo bar baz :  ", ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "  ")}},
	{"tags", "@a=b;c=32;k;rt=ql7 foo", ircmsg.Message{Tags: tags("a", "b", "c", "32", "k", "", "rt", "ql7"), Command: "FOO"}},
	{"escaped tags", `@a=b\\and\nk;c=72\s45;d=gh\:764 foo`, ircmsg.Message{Tags: tags("a", "b\\and\nk", "c", "72 45", "d", "gh;764"), Command: "FOO"}},
	{"tags and source", "@c;h=;a=b :quux ab cd", ircmsg.Message{Tags: tags("c", "", "h", "", "a", "b"), Source: "quux", Command: "AB", Params: params("cd")}},
	{"last param plain", ":src JOIN #chan", ircmsg.Message{Source: "src", Command: "JOIN", Params: params("#chan")}},
	{"last param trailing", ":src JOIN :#chan", ircmsg.Message{Source: "src", Command: "JOIN", Params: params("#chan")}},
	{"no params", ":src AWAY", ircmsg.Message{Source: "src", Command: "AWAY"}},
	{"no params, trailing space", ":src AWAY ", ircmsg.Message{Source: "src", Command: "AWAY"}},
	{"tab is not a space", ":cool\tguy foo bar baz", ircmsg.Message{Source: "cool\tguy", Command: "FOO", Params: params("bar", "baz")}},
	{"control codes in source", ":coolguy!ag@net\x035w\x03ork.admin PRIVMSG foo :bar baz", ircmsg.Message{Source: "coolguy!ag@net\x035w\x03ork.admin", Command: "PRIVMSG", Params: params("foo", "bar baz")}},
	{"more control codes in source", ":coolguy!~ag@n\x02et\x0305w\x0fork.admin PRIVMSG foo :bar baz", ircmsg.Message{Source: "coolguy!~ag@n\x02et\x0305w\x0fork.admin", Command: "PRIVMSG", Params: params("foo", "bar baz")}},
	{"vendor tags and source", "@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4= :irc.example.com COMMAND param1 param2 :param3 param3",
		ircmsg.Message{Tags: tags("tag1", "value1", "tag2", "", "vendor1/tag3", "value2", "vendor2/tag4", ""), Source: "irc.example.com", Command: "COMMAND", Params: params("param1", "param2", "param3 param3")}},
	{"server source", ":irc.example.com COMMAND param1 param2 :param3 param3", ircmsg.Message{Source: "irc.example.com", Command: "COMMAND", Params: params("param1", "param2", "param3 param3")}},
	{"vendor tags, no source", "@tag1=value1;tag2;vendor1/tag3=value2;vendor2/tag4 COMMAND param1 param2 :param3 param3",
		ircmsg.Message{Tags: tags("tag1", "value1", "tag2", "", "vendor1/tag3", "value2", "vendor2/tag4", ""), Command: "COMMAND", Params: params("param1", "param2", "param3 param3")}},
	{"command only", "COMMAND", ircmsg.Message{Command: "COMMAND"}},
	{"every escape", `@foo=\\\\\:\\s\s\r\n COMMAND`, ircmsg.Message{Tags: tags("foo", "\\\\;\\s \r\n"), Command: "COMMAND"}},
	{"double space before param", ":gravel.mozilla.org 432  #momo :Erroneous Nickname: Illegal characters", ircmsg.Message{Source: "gravel.mozilla.org", Command: "432", Params: params("#momo", "Erroneous Nickname: Illegal characters")}},
	{"trailing space after params", ":gravel.mozilla.org MODE #tckk +n ", ircmsg.Message{Source: "gravel.mozilla.org", Command: "MODE", Params: params("#tckk", "+n")}},
	{"two trailing spaces", ":services.esper.net MODE #foo-bar +o foobar  ", ircmsg.Message{Source: "services.esper.net", Command: "MODE", Params: params("#foo-bar", "+o", "foobar")}},
	{"escapes char by char", `@tag1=value\\ntest COMMAND`, ircmsg.Message{Tags: tags("tag1", `value\ntest`), Command: "COMMAND"}},
	{"unknown escape", `@tag1=value\1 COMMAND`, ircmsg.Message{Tags: tags("tag1", "value1"), Command: "COMMAND"}},
	{"lone trailing backslash", `@tag1=value1\ COMMAND`, ircmsg.Message{Tags: tags("tag1", "value1"), Command: "COMMAND"}},
	{"duplicate tag: last wins", "@tag1=1;tag2=3;tag3=4;tag1=5 COMMAND", ircmsg.Message{Tags: tags("tag1", "5", "tag2", "3", "tag3", "4"), Command: "COMMAND"}},
	{"vendor tag beside plain", "@tag1=1;tag2=3;tag3=4;tag1=5;vendor/tag2=8 COMMAND", ircmsg.Message{Tags: tags("tag1", "5", "tag2", "3", "tag3", "4", "vendor/tag2", "8"), Command: "COMMAND"}},
	{"mode trailing", ":SomeOp MODE #channel :+i", ircmsg.Message{Source: "SomeOp", Command: "MODE", Params: params("#channel", "+i")}},
	{"mode several", ":SomeOp MODE #channel +oo SomeUser :AnotherUser", ircmsg.Message{Source: "SomeOp", Command: "MODE", Params: params("#channel", "+oo", "SomeUser", "AnotherUser")}},

	// Our own.
	{"CRLF stripped", "PING :x\r\n", ircmsg.Message{Command: "PING", Params: params("x")}},
	{"LF stripped", "PING x\n", ircmsg.Message{Command: "PING", Params: params("x")}},
	{"CR stripped", "PING x\r", ircmsg.Message{Command: "PING", Params: params("x")}},
	{"lower-case command", "privmsg #lobby :hi", ircmsg.Message{Command: "PRIVMSG", Params: params("#lobby", "hi")}},
	{"mixed-case command", "PrivMsg #lobby hi", ircmsg.Message{Command: "PRIVMSG", Params: params("#lobby", "hi")}},
	{"numeric", ":irc.example 001 ada :Welcome", ircmsg.Message{Source: "irc.example", Command: "001", Params: params("ada", "Welcome")}},
	{"spaces everywhere", "@a=1   :src   CMD   x   y   :z ", ircmsg.Message{Tags: tags("a", "1"), Source: "src", Command: "CMD", Params: params("x", "y", "z ")}},
	{"leading spaces", "   PING x", ircmsg.Message{Command: "PING", Params: params("x")}},
	{"client-only tag", "@+draft/reply=42;+typing=active TAGMSG #lobby", ircmsg.Message{Tags: tags("+draft/reply", "42", "+typing", "active"), Command: "TAGMSG", Params: params("#lobby")}},
	{"invalid tag keys dropped", "@a=1;=x;;b,c;+;/k=v;v/=w;a.b=1;ok/k-1=2;x/y/z=3;é=4 CMD", ircmsg.Message{Tags: tags("a", "1", "ok/k-1", "2"), Command: "CMD"}},
	{"empty tag section", "@ CMD", ircmsg.Message{Command: "CMD"}},
	{"value with '='", "@a=b=c CMD", ircmsg.Message{Tags: tags("a", "b=c"), Command: "CMD"}},
	{"15 params", "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15", ircmsg.Message{Command: "CMD", Params: params("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15")}},
	{"15 params, trailing", "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 :15 and more", ircmsg.Message{Command: "CMD", Params: params("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15 and more")}},
	{"15 params, trailing spaces", "CMD 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15   ", ircmsg.Message{Command: "CMD", Params: params("1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12", "13", "14", "15")}},
	{"invalid UTF-8 is not an error", "PRIVMSG #lobby :\xff\xfe", ircmsg.Message{Command: "PRIVMSG", Params: params("#lobby", "\xff\xfe")}},
	{"source with colon", "::odd CMD", ircmsg.Message{Source: ":odd", Command: "CMD"}},
	{"UTF-8 text", ":ada PRIVMSG #lobby :héllo wörld 👋", ircmsg.Message{Source: "ada", Command: "PRIVMSG", Params: params("#lobby", "héllo wörld 👋")}},
}

func TestParse(t *testing.T) {
	for _, tc := range parseCases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ircmsg.Parse(tc.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.line, err)
			}
			if !equal(got, tc.want) {
				t.Fatalf("Parse(%q)\n got %#v\nwant %#v", tc.line, got, tc.want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("parsed message does not validate: %v", err)
			}
		})
	}
}

func TestParseLeavesNilSlices(t *testing.T) {
	m, err := ircmsg.Parse("@;; PING")
	if err != nil {
		t.Fatal(err)
	}
	if m.Tags != nil || m.Params != nil {
		t.Errorf("Parse gave non-nil empty slices: %#v", m)
	}
}

// The cases of ircdocs/parser-tests msg-join.yaml, restated: the message
// must encode to the first form, and every form must parse to it.
func TestEncodeJoinVectors(t *testing.T) {
	cases := []struct {
		msg   ircmsg.Message
		forms []string
	}{
		{ircmsg.Message{Command: "FOO", Params: params("bar", "baz", "asdf")}, []string{"FOO bar baz asdf", "foo bar baz :asdf"}},
		{ircmsg.Message{Source: "src", Command: "AWAY"}, []string{":src AWAY"}},
		{ircmsg.Message{Source: "src", Command: "AWAY", Params: params("")}, []string{":src AWAY :"}},
		{ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "asdf")}, []string{":coolguy FOO bar baz asdf", ":coolguy foo bar baz :asdf"}},
		{ircmsg.Message{Command: "FOO", Params: params("bar", "baz", "asdf quux")}, []string{"FOO bar baz :asdf quux"}},
		{ircmsg.Message{Command: "FOO", Params: params("bar", "baz", "")}, []string{"FOO bar baz :"}},
		{ircmsg.Message{Command: "FOO", Params: params("bar", "baz", ":asdf")}, []string{"FOO bar baz ::asdf"}},
		{ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "asdf quux")}, []string{":coolguy FOO bar baz :asdf quux"}},
		{ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "  asdf quux ")}, []string{":coolguy FOO bar baz :  asdf quux "}},
		{ircmsg.Message{Source: "coolguy", Command: "PRIVMSG", Params: params("bar", "lol :) ")}, []string{":coolguy PRIVMSG bar :lol :) "}},
		{ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "  ")}, []string{":coolguy FOO bar baz :  "}},
		{ircmsg.Message{Source: "coolguy", Command: "FOO", Params: params("b\tar", "baz")}, []string{":coolguy FOO b\tar baz", ":coolguy foo b\tar :baz"}},
		{ircmsg.Message{Tags: tags("asd", ""), Source: "coolguy", Command: "FOO", Params: params("bar", "baz", "  ")}, []string{"@asd :coolguy FOO bar baz :  ", "@asd= :coolguy foo bar baz :  "}},
		{ircmsg.Message{Tags: tags("a", "b\\and\nk", "d", "gh;764"), Command: "FOO"}, []string{`@a=b\\and\nk;d=gh\:764 FOO`}},
		{ircmsg.Message{Tags: tags("d", "gh;764", "a", "b\\and\nk"), Command: "FOO"}, []string{`@d=gh\:764;a=b\\and\nk FOO`}},
		{ircmsg.Message{Tags: tags("a", "b\\and\nk", "d", "gh;764"), Command: "FOO", Params: params("par1", "par2")}, []string{`@a=b\\and\nk;d=gh\:764 FOO par1 par2`, `@a=b\\and\nk;d=gh\:764 foo par1 :par2`}},
		{ircmsg.Message{Tags: tags("foo", "\\\\;\\s \r\n"), Command: "COMMAND"}, []string{`@foo=\\\\\:\\s\s\r\n COMMAND`}},
	}
	for _, tc := range cases {
		if err := tc.msg.Validate(); err != nil {
			t.Errorf("%#v does not validate: %v", tc.msg, err)
		}
		if got := tc.msg.String(); got != tc.forms[0] {
			t.Errorf("String() = %q, want %q", got, tc.forms[0])
		}
		for _, f := range tc.forms {
			got, err := ircmsg.Parse(f)
			if err != nil || !equal(got, tc.msg) {
				t.Errorf("Parse(%q) = %#v, %v; want %#v", f, got, err, tc.msg)
			}
		}
	}
}

func TestParseErrors(t *testing.T) {
	many := "CMD" + strings.Repeat(" p", 16)
	cases := []struct {
		line    string
		want    error
		command string // Error.Command
	}{
		{"", ircmsg.ErrEmpty, ""},
		{"\r\n", ircmsg.ErrEmpty, ""},
		{"\n", ircmsg.ErrEmpty, ""},
		{"    ", ircmsg.ErrEmpty, ""},
		{"PRIVMSG #a :b\x00c", ircmsg.ErrBadByte, ""},
		{"PRIVMSG #a :b\rc", ircmsg.ErrBadByte, ""},
		{"PRIVMSG #a :b\nc", ircmsg.ErrBadByte, ""},
		{"PING x\r\n\r\n", ircmsg.ErrBadByte, ""},
		{"PING x\n\r", ircmsg.ErrBadByte, ""},
		{"@a=\x00 PING", ircmsg.ErrBadByte, ""},
		{"@a=b", ircmsg.ErrNoCommand, ""},
		{"@a=b    ", ircmsg.ErrNoCommand, ""},
		{":src", ircmsg.ErrNoCommand, ""},
		{":src    ", ircmsg.ErrNoCommand, ""},
		{"@a :src", ircmsg.ErrNoCommand, ""},
		{": PRIVMSG #a b", ircmsg.ErrBadSource, ""},
		{":", ircmsg.ErrNoCommand, ""},
		{"PRIV-MSG #a b", ircmsg.ErrBadCommand, "PRIV-MSG"},
		{"PRIVMSG1 #a", ircmsg.ErrBadCommand, "PRIVMSG1"},
		{"12 x", ircmsg.ErrBadCommand, "12"},
		{"1234 x", ircmsg.ErrBadCommand, "1234"},
		{"10a", ircmsg.ErrBadCommand, "10a"},
		{"@t :src PRÏVMSG", ircmsg.ErrBadCommand, "PRÏVMSG"},
		{"#lobby", ircmsg.ErrBadCommand, "#lobby"},
		{"P\tING", ircmsg.ErrBadCommand, "P\tING"},
		{many, ircmsg.ErrTooManyParams, "CMD"},
		{"cmd 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 :16", ircmsg.ErrTooManyParams, "CMD"},
	}
	for _, tc := range cases {
		m, err := ircmsg.Parse(tc.line)
		if !errors.Is(err, tc.want) {
			t.Errorf("Parse(%q) = %#v, %v; want %v", tc.line, m, err, tc.want)
			continue
		}
		var e *ircmsg.Error
		if !errors.As(err, &e) {
			t.Errorf("Parse(%q) error %T is not *ircmsg.Error", tc.line, err)
			continue
		}
		if e.Command != tc.command {
			t.Errorf("Parse(%q) error Command = %q, want %q", tc.line, e.Command, tc.command)
		}
		if !strings.HasPrefix(err.Error(), "ircmsg: ") {
			t.Errorf("error %q lacks the package prefix", err)
		}
	}
}

// bodyOf returns a line of n bytes without tags: a PRIVMSG padded with x.
func bodyOf(n int) string {
	const head = "PRIVMSG #lobby :"
	return head + strings.Repeat("x", n-len(head))
}

// tagsOf returns a tag section of n bytes, '@' and trailing space included.
func tagsOf(n int) string {
	return "@a=" + strings.Repeat("v", n-4) + " "
}

func TestParseLimits(t *testing.T) {
	cases := []struct {
		name string
		line string
		want error // nil: parses
	}{
		{"body 510", bodyOf(510), nil},
		{"body 510 with CRLF", bodyOf(510) + "\r\n", nil},
		{"body 511", bodyOf(511), ircmsg.ErrBodyTooLong},
		{"body 511 with CRLF", bodyOf(511) + "\r\n", ircmsg.ErrBodyTooLong},
		{"padding spaces count", "PING" + strings.Repeat(" ", 507) + "x", ircmsg.ErrBodyTooLong},
		{"tags 8191", tagsOf(8191) + "PING", nil},
		{"tags 8192", tagsOf(8192) + "PING", ircmsg.ErrTagsTooLong},
		{"tags 8192 alone", tagsOf(8192)[:8191], ircmsg.ErrTagsTooLong},
		{"both at the limit", tagsOf(ircmsg.MaxTagsLen) + bodyOf(ircmsg.MaxBodyLen-2) + "\r\n", nil},
		{"both at the limit, body over", tagsOf(ircmsg.MaxTagsLen) + bodyOf(ircmsg.MaxBodyLen-1), ircmsg.ErrBodyTooLong},
		{"huge", strings.Repeat("a", 1<<20), ircmsg.ErrBodyTooLong},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := ircmsg.Parse(tc.line)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("Parse: %v", err)
				}
				if err := m.Validate(); err != nil {
					t.Fatalf("parsed message at the limit does not validate: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) || !errors.Is(err, ircmsg.ErrInputTooLong) {
				t.Fatalf("Parse = %v; want %v wrapping ErrInputTooLong", err, tc.want)
			}
		})
	}
}

func TestParseSharesLine(t *testing.T) {
	// Parsing allocates the params slice, but not the strings.
	line := "@a=1;b=2 :ada!a@h PRIVMSG #lobby :hello world"
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := ircmsg.Parse(line); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 2 {
		t.Errorf("Parse allocates %v times, want at most 2 (tags and params)", allocs)
	}
}

func ExampleParse() {
	m, err := ircmsg.Parse("@+draft/reply=7;time=2026-11-21T19:20:54.123Z :ada!ada@web privmsg #lobby :hello, world\r\n")
	if err != nil {
		fmt.Println(err)
		return
	}
	reply, _ := m.Tag("+draft/reply")
	fmt.Println(m.Source, m.Command, m.Param(0), m.Param(1), reply)
	// Output: ada!ada@web PRIVMSG #lobby hello, world 7
}
