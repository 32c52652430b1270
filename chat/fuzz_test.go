package chat

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/parley-chat/parley"
)

// Accepted room names are what the docs say; refusals are clear errors.
func FuzzValidateRoomName(f *testing.F) {
	for _, s := range []string{"lobby", "design-review_2", "", "-x", "Lobby", "a b", "é", strings.Repeat("a", 33)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if err := ValidateRoomName(name); err != nil {
			if parley.ErrorCode(err) != parley.EInvalid || parley.ErrorMessage(err) == "" {
				t.Fatalf("ValidateRoomName(%q) = %v", name, err)
			}
			return
		}
		if name == "" || len(name) > MaxRoomName || name[0] == '-' || name[0] == '_' {
			t.Fatalf("accepted room name %q", name)
		}
		for _, c := range name {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				t.Fatalf("accepted room name %q with %q", name, c)
			}
		}
	})
}

// Accepted display names are valid UTF-8, visible, single-script and
// short; refusals are clear errors.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"ada", "zoë", "王小明", "\u0430lice", "\uff41lice", "alice\u3164", "a b", "<b>", "\xff", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if err := ValidateName(name); err != nil {
			if parley.ErrorCode(err) != parley.EInvalid || parley.ErrorMessage(err) == "" {
				t.Fatalf("ValidateName(%q) = %v", name, err)
			}
			return
		}
		if !utf8.ValidString(name) || name == "" || utf8.RuneCountInString(name) > MaxName {
			t.Fatalf("accepted name %q", name)
		}
		for _, r := range name {
			if !isVisible(r) {
				t.Fatalf("accepted name %q with invisible %U", name, r)
			}
		}
		if _, _, mixed := mixedScripts(name); mixed {
			t.Fatalf("accepted mixed-script name %q", name)
		}
	})
}

// Accepted text is valid UTF-8, visible, free of control and bidi
// characters, and within the limit.
func FuzzValidateText(f *testing.F) {
	for _, s := range []string{"hello", "a\r\nb", "\u200b", "x\u202ey", "\x00", "\xff", strings.Repeat("é", 11)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := validateText(text, 10)
		if err != nil {
			if c := parley.ErrorCode(err); (c != parley.EInvalid && c != parley.ETooLarge) || parley.ErrorMessage(err) == "" {
				t.Fatalf("validateText(%q) = %v", text, err)
			}
			return
		}
		if !utf8.ValidString(got) || utf8.RuneCountInString(got) > 10 || strings.Contains(got, "\r\n") {
			t.Fatalf("accepted %q as %q", text, got)
		}
		visible := false
		for _, r := range got {
			if isBidiControl(r) {
				t.Fatalf("accepted %q with bidi control %U", text, r)
			}
			visible = visible || isVisible(r)
		}
		if !visible {
			t.Fatalf("accepted %q with nothing visible", text)
		}
	})
}
