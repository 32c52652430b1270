package chat

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley"
)

func TestValidateEmoji(t *testing.T) {
	for _, ok := range []string{"👍", "❤️", "🎉", "🇫🇷", "1️⃣", "👍🏽", "🧑🏽‍💻", "👨‍👩‍👧‍👦", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "✔"} {
		if err := ValidateEmoji(ok); err != nil {
			t.Errorf("ValidateEmoji(%q) = %v; want nil", ok, err)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"", "empty"},
		{"+1", "'+'"},
		{"1", "no emoji"},
		{"lol", "letters"},
		{"👍 ", "space"},
		{"👍\u202E", "bidirectional"},
		{"👍\u200B", "invisible"},
		{"👍\x00", "control"},
		{strings.Repeat("👍", 9), "at most 8"},
		{"\xff", "UTF-8"},
		{"é", "letters"},
		{"👍<", "'<'"},
	} {
		err := ValidateEmoji(c.in)
		if parley.ErrorCode(err) != parley.EInvalid || !strings.Contains(parley.ErrorMessage(err), c.want) {
			t.Errorf("ValidateEmoji(%q) = %v; want EInvalid saying %q", c.in, err, c.want)
		}
	}
}
