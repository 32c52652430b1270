package poll

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley"
)

// An accepted callback is a dotted JavaScript identifier path: nothing a
// page could be made to run beyond a call of that name.
func FuzzCheckCallback(f *testing.F) {
	for _, s := range []string{"cb", "app.onPoll", "$x._y", "", "a..b", "alert(1)", "a.delete", "x;y", strings.Repeat("a", 70)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, cb string) {
		err := checkCallback(cb)
		if err != nil {
			if parley.ErrorCode(err) != parley.EInvalid || parley.ErrorMessage(err) == "" {
				t.Fatalf("checkCallback(%q) = %v: want an invalid error with a message", cb, err)
			}
			return
		}
		if cb == "" || len(cb) > MaxCallbackLen {
			t.Fatalf("accepted %q of length %d", cb, len(cb))
		}
		for _, part := range strings.Split(cb, ".") {
			if part == "" || part[0] >= '0' && part[0] <= '9' {
				t.Fatalf("accepted %q: part %q is not an identifier", cb, part)
			}
			for _, c := range part {
				if !(c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
					t.Fatalf("accepted %q with %q", cb, c)
				}
			}
		}
	})
}
