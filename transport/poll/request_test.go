package poll

import (
	"strings"
	"testing"
	"time"
)

func TestCheckCallback(t *testing.T) {
	good := []string{"cb", "handlePoll", "_", "$", "$jq_1", "jQuery123_456", "Parley._jsonp.c1", "a.b.c", "A9.$._", strings.Repeat("a", MaxCallbackLen)}
	for _, cb := range good {
		if err := checkCallback(cb); err != nil {
			t.Errorf("checkCallback(%q): %v", cb, err)
		}
	}
	bad := []string{"", "alert(1)", "a b", "a..b", ".a", "a.", "1abc", "a.1b", "function", "a.return", "eval",
		strings.Repeat("a", MaxCallbackLen+1), "a-b", "a[0]", "a\nb", "é", "a;b", "<script>", "a/**/"}
	for _, cb := range bad {
		err := checkCallback(cb)
		if err == nil {
			t.Errorf("checkCallback(%q) accepted", cb)
			continue
		}
		if !strings.Contains(err.Error(), "use a JavaScript function name") {
			t.Errorf("checkCallback(%q): %q does not say what to do", cb, err)
		}
	}
}

func TestParseTimeout(t *testing.T) {
	const def, max = 25 * time.Second, 60 * time.Second
	good := map[string]time.Duration{
		"": def, "0": 0, "25": 25 * time.Second, "60": max, "0.05": 50 * time.Millisecond,
		"0.5": 500 * time.Millisecond, "1.25": 1250 * time.Millisecond, "007": 7 * time.Second, "60.000": max,
	}
	for s, want := range good {
		got, err := parseTimeout(s, def, max)
		if err != nil || got != want {
			t.Errorf("parseTimeout(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"60.001", "61", "-1", "+1", "1e1", "0x10", "NaN", "Inf", "1.", ".5", "1.2345", "5s", " 5", "9999999999"} {
		if d, err := parseTimeout(s, def, max); err == nil {
			t.Errorf("parseTimeout(%q) = %v, want an error", s, d)
		}
	}
}

func TestAppendAnswerAndJSONP(t *testing.T) {
	b := appendAnswer(nil, nil, 42, "AAAAAAAAAAAAAAAAAAAAAA")
	if got, want := string(b), `{"events":[],"cursor":42,"session":"AAAAAAAAAAAAAAAAAAAAAA"}`; got != want {
		t.Errorf("answer = %s, want %s", got, want)
	}
	if got, want := string(appendJSONP(nil, "a.b", []byte(`{}`))), "/**/a.b({});\n"; got != want {
		t.Errorf("JSONP = %q, want %q", got, want)
	}
}
