package chat

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley"
)

func TestValidateText(t *testing.T) {
	cases := []struct {
		name, text, want string
		code             parley.Code
	}{
		{"plain", "hello", "hello", ""},
		{"unicode", "héllo 世界 👋", "héllo 世界 👋", ""},
		{"html kept as text", "<b>x</b>", "<b>x</b>", ""},
		{"newline and tab", "a\n\tb", "a\n\tb", ""},
		{"crlf normalised", "a\r\nb", "a\nb", ""},
		{"empty", "", "", parley.EInvalid},
		{"whitespace only", " \n\t ", "", parley.EInvalid},
		{"invalid utf-8", "a\xffb", "", parley.EInvalid},
		{"nul", "a\x00b", "", parley.EInvalid},
		{"escape", "a\x1b[31mred", "", parley.EInvalid},
		{"lone CR", "a\rb", "", parley.EInvalid},
		{"line separator", "a\u2028b", "", parley.EInvalid},
		{"zero-width only", "\u200b\u200c\u200d\u2060", "", parley.EInvalid},
		{"BOMs only", "\ufeff\ufeff", "", parley.EInvalid},
		{"hangul fillers only", "\u3164 \u115f\u1160\uffa0", "", parley.EInvalid},
		{"variation selector only", "\ufe0f", "", parley.EInvalid},
		{"blank braille only", "\u2800\u2800", "", parley.EInvalid},
		{"zero-width around a letter", "\u200ba\u200b", "\u200ba\u200b", ""},
		{"emoji with selector", "\u2764\ufe0f", "\u2764\ufe0f", ""},
		{"right-to-left override", "see \u202etxt.exe", "", parley.EInvalid},
		{"left-to-right embedding", "a\u202ab", "", parley.EInvalid},
		{"first strong isolate", "a\u2068b\u2069", "", parley.EInvalid},
		{"right-to-left mark kept", "\u05e9\u05dc\u05d5\u05dd\u200f!", "\u05e9\u05dc\u05d5\u05dd\u200f!", ""},
		{"at the limit", strings.Repeat("é", 10), strings.Repeat("é", 10), ""},
		{"over the limit", strings.Repeat("é", 11), "", parley.ETooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := validateText(tc.text, 10)
			if code := parley.ErrorCode(err); code != tc.code {
				t.Fatalf("code = %q (%v), want %q", code, err, tc.code)
			}
			if err == nil && got != tc.want {
				t.Errorf("text = %q, want %q", got, tc.want)
			}
			if err != nil && parley.ErrorMessage(err) == "" {
				t.Error("error has no message")
			}
		})
	}
}

func TestValidateNames(t *testing.T) {
	rooms := map[string]bool{
		"lobby": true, "a": true, "design-review_2": true, "9lives": true,
		"": false, "Lobby": false, "-x": false, "_x": false, "a b": false, "a/b": false,
		"é": false, strings.Repeat("a", 32): true, strings.Repeat("a", 33): false,
	}
	for name, ok := range rooms {
		if err := ValidateRoomName(name); (err == nil) != ok {
			t.Errorf("ValidateRoomName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
	names := map[string]bool{
		"ada": true, "Ada.L": true, "zoë": true, "王小明": true, "a_b-c": true,
		"": false, "a b": false, "<b>": false, "a\x00": false, "\xff": false,
		strings.Repeat("x", 32): true, strings.Repeat("x", 33): false,
		// Lookalikes and blanks (issue 14): a Cyrillic "а", fullwidth
		// letters, an invisible Hangul filler, a name of fillers only.
		"\u0430lice": false, "\uff41lice": false, "alice\u3164": false, "\u3164\u3164": false,
		"\u115f": false, "a\u200db": false,
		"Алиса": true, "Ἀλέξανδρος": true, "山田たろう": true, "김민준": true, "user42": true, "ada-2.0": true,
	}
	for name, ok := range names {
		if err := ValidateName(name); (err == nil) != ok {
			t.Errorf("ValidateName(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}
