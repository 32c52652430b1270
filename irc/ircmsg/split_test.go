package ircmsg_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-chat/parley/irc/ircmsg"
)

func TestSplitTextCases(t *testing.T) {
	cases := []struct {
		text string
		max  int
		want []string
	}{
		{"", 10, nil},
		{"short", 10, []string{"short"}},
		{"exactly10!", 10, []string{"exactly10!"}},
		{"abcdefghijk", 10, []string{"abcdefghij", "k"}},
		{"hello world again", 10, []string{"hello ", "world ", "again"}},
		{"hi abcdefghijklmnop", 10, []string{"hi abcdefg", "hijklmnop"}}, // space too early to use
		{"ééééé", 5, []string{"éé", "éé", "é"}},                          // 2-byte runes, odd limit
		{"€€€", 5, []string{"€", "€", "€"}},                              // 3-byte runes
		{"👋👋", 5, []string{"👋", "👋"}},                                    // 4-byte runes
		{"👋👋", 1, []string{"👋", "👋"}},                                    // limit raised to 4
		{"a👋", 4, []string{"a", "👋"}},
		{"\xff\xff\xff\xff\xff", 4, []string{"\xff\xff\xff\xff", "\xff"}},         // invalid bytes count one each
		{"abc\xe2\x82", 4, []string{"abc\xe2", "\x82"}},                           // a truncated sequence is not a rune
		{"\x80\x80\x80\x80\x80\x80", 4, []string{"\x80\x80\x80\x80", "\x80\x80"}}, // stray continuation bytes
	}
	for _, tc := range cases {
		got := ircmsg.SplitText(tc.text, tc.max)
		if !slices.Equal(got, tc.want) {
			t.Errorf("SplitText(%q, %d) = %q, want %q", tc.text, tc.max, got, tc.want)
		}
	}
}

// checkSplit checks the properties every split has.
func checkSplit(t *testing.T, text string, maxLen int) {
	t.Helper()
	parts := ircmsg.SplitText(text, maxLen)
	if got := strings.Join(parts, ""); got != text {
		t.Fatalf("SplitText(%q, %d): parts %q do not join to the text", text, maxLen, parts)
	}
	limit := max(maxLen, utf8.UTFMax)
	boundaries := runeStarts(text)
	at := 0
	for _, p := range parts {
		if p == "" || len(p) > limit {
			t.Fatalf("SplitText(%q, %d): part %q of %d bytes (limit %d)", text, maxLen, p, len(p), limit)
		}
		if utf8.ValidString(text) && !utf8.ValidString(p) {
			t.Fatalf("SplitText(%q, %d): part %q is not valid UTF-8", text, maxLen, p)
		}
		if !boundaries[at] {
			t.Fatalf("SplitText(%q, %d): cut at byte %d, inside a rune", text, maxLen, at)
		}
		at += len(p)
	}
}

// runeStarts returns the offsets at which decoding s from the start begins
// a rune, and len(s).
func runeStarts(s string) map[int]bool {
	starts := map[int]bool{len(s): true}
	for i := 0; i < len(s); {
		starts[i] = true
		_, w := utf8.DecodeRuneInString(s[i:])
		i += w
	}
	return starts
}

func TestSplitTextProperties(t *testing.T) {
	alphabet := []string{"a", "b", " ", "  ", "é", "€", "👋", "\u0301", "\xff", "\x80", "\xe2\x82", "\t"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 3000 {
		var b strings.Builder
		for n := rng.IntN(300); n > 0; n-- {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		checkSplit(t, b.String(), rng.IntN(40))
	}
}

func FuzzSplitText(f *testing.F) {
	f.Add("hello world, this is a long line", 7)
	f.Add("ééé€€€👋👋👋", 5)
	f.Add("\xff\x80\xe2\x82\xac\xe2\x82", 4)
	f.Fuzz(func(t *testing.T, text string, maxLen int) {
		checkSplit(t, text, maxLen%1024)
	})
}

func TestSplitMessage(t *testing.T) {
	const source = "ada!ada@web.parley"
	long := strings.Repeat("Parley carries every word, ünïcödé and emoji 👋🏽, whole. ", 40)
	texts := []string{
		"hi",
		long,
		strings.Repeat("x", 5000),
		strings.Repeat("👋", 700),
		"first line\nsecond line\r\nthird\rfourth\n\n\nafter blank lines\n",
		"line one\n" + long,
		"   indented",
		":starts with a colon",
	}
	for _, target := range []string{"#lobby", "#" + strings.Repeat("r", 32), "bob"} {
		for _, text := range texts {
			msgs, err := ircmsg.SplitMessage(source, "PRIVMSG", target, text)
			if err != nil {
				t.Fatalf("SplitMessage: %v", err)
			}
			var lines []string // the text lines, rebuilt from the pieces
			for _, l := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' }) {
				lines = append(lines, l)
			}
			var rebuilt []string
			cur := ""
			for _, m := range msgs {
				if err := m.Validate(); err != nil {
					t.Fatalf("piece does not validate: %v", err)
				}
				if n := len(m.Append(nil)) + 2; n > ircmsg.MaxBodyLen {
					t.Fatalf("line of %d bytes: %q", n, m.String())
				}
				if m.Source != source || m.Command != "PRIVMSG" || m.Param(0) != target || len(m.Params) != 2 {
					t.Fatalf("bad message %#v", m)
				}
				if !utf8.ValidString(m.Param(1)) || m.Param(1) == "" {
					t.Fatalf("bad piece %q", m.Param(1))
				}
				cur += m.Param(1)
				if len(rebuilt) < len(lines) && cur == lines[len(rebuilt)] {
					rebuilt = append(rebuilt, cur)
					cur = ""
				}
			}
			if cur != "" || !slices.Equal(rebuilt, lines) {
				t.Fatalf("pieces do not rebuild the lines %q: got %q, left %q", lines, rebuilt, cur)
			}
		}
	}

	// Unbroken text fills the line; the budget keeps a byte for a ':'
	// that this piece does not need.
	msgs, _ := ircmsg.SplitMessage(source, "PRIVMSG", "#lobby", strings.Repeat("x", 5000))
	if n := len(msgs[0].Append(nil)) + 2; n != ircmsg.MaxBodyLen-1 {
		t.Errorf("first line of unbroken text is %d bytes, want %d", n, ircmsg.MaxBodyLen-1)
	}

	msgs, _ = ircmsg.SplitMessage("", "NOTICE", "ada", "from the server")
	if len(msgs) != 1 || msgs[0].String() != "NOTICE ada :from the server" {
		t.Errorf("server notice = %v", msgs)
	}
	msgs, _ = ircmsg.SplitMessage(source, "PRIVMSG", "#lobby", "nul\x00byte")
	if len(msgs) != 1 || msgs[0].Param(1) != "nul\uFFFDbyte" {
		t.Errorf("NUL not replaced: %v", msgs)
	}
	if msgs, err := ircmsg.SplitMessage(source, "PRIVMSG", "#lobby", "\n\r\n"); msgs != nil || err != nil {
		t.Errorf("blank text = %v, %v; want nil, nil", msgs, err)
	}
}

func TestSplitMessageErrors(t *testing.T) {
	cases := []struct {
		source, command, target string
		want                    error
	}{
		{"ada", "PRIVMSG", "", ircmsg.ErrBadParam},
		{"ada", "PRIVMSG", "#a b", ircmsg.ErrBadParam},
		{"ada", "PRIVMSG", ":x", ircmsg.ErrBadParam},
		{"ada", "PRIVMSG", "#a\r\n", ircmsg.ErrBadByte},
		{"ada", "privmsg", "#a", ircmsg.ErrBadCommand},
		{"a da", "PRIVMSG", "#a", ircmsg.ErrBadSource},
		{strings.Repeat("s", 480), "PRIVMSG", "#" + strings.Repeat("t", 20), ircmsg.ErrBodyTooLong},
	}
	for _, tc := range cases {
		msgs, err := ircmsg.SplitMessage(tc.source, tc.command, tc.target, "text")
		if !errors.Is(err, tc.want) || msgs != nil {
			t.Errorf("SplitMessage(%q, %q, %q) = %v, %v; want %v", tc.source, tc.command, tc.target, msgs, err, tc.want)
		}
	}
}

func ExampleSplitMessage() {
	text := strings.Repeat("All work and no play makes Jack a dull boy. ", 15) + "\nThe end."
	msgs, err := ircmsg.SplitMessage("jack!jack@parley", "PRIVMSG", "#lobby", text)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range msgs {
		fmt.Println(len(m.Append(nil))+2, "bytes:", m.String()[:40]+"...")
	}
	// Output:
	// 510 bytes: :jack!jack@parley PRIVMSG #lobby :All wo...
	// 222 bytes: :jack!jack@parley PRIVMSG #lobby :dull b...
	// 44 bytes: :jack!jack@parley PRIVMSG #lobby :The en...
}
