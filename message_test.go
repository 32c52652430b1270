package parley_test

import (
	"strconv"
	"testing"

	"github.com/parley-chat/parley"
)

func TestParseCursor(t *testing.T) {
	cases := []struct {
		in     string
		id     int64
		ok     bool
		errors bool
	}{
		{"", 0, false, false},
		{"0", 0, true, false},
		{"1", 1, true, false},
		{"9223372036854775807", 9223372036854775807, true, false},
		{"9223372036854775808", 0, false, true}, // overflows int64
		{"99999999999999999999", 0, false, true},
		{"-1", 0, false, true},
		{"+1", 0, false, true},
		{"01", 0, false, true},
		{"1.5", 0, false, true},
		{"1e3", 0, false, true},
		{"abc", 0, false, true},
		{" 1", 0, false, true},
		{"1 ", 0, false, true},
		{"0x10", 0, false, true},
	}
	for _, tc := range cases {
		id, ok, err := parley.ParseCursor(tc.in)
		if id != tc.id || ok != tc.ok || (err != nil) != tc.errors {
			t.Errorf("ParseCursor(%q) = %d, %v, %v; want %d, %v, error %v", tc.in, id, ok, err, tc.id, tc.ok, tc.errors)
		}
		if err != nil && parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("ParseCursor(%q) error code %q, want invalid", tc.in, parley.ErrorCode(err))
		}
	}
}

func TestEventEncodesOnceAsSSE(t *testing.T) {
	ev := parley.NewEvent(parley.Message{ID: 7, Room: "lobby", Kind: parley.KindJoin, From: "ada", Text: "line1\nline2 \u2028"})
	got := string(ev.SSE())
	want := "id: 7\nevent: join\ndata: " + string(ev.JSON()) + "\n\n"
	if got != want {
		t.Fatalf("SSE frame = %q, want %q", got, want)
	}
	if &ev.SSE()[0] != &ev.SSE()[0] {
		t.Error("SSE frame re-encoded on each call")
	}
	for _, b := range ev.JSON() {
		if b == '\n' || b == '\r' {
			t.Fatalf("JSON holds a raw line break, which would split the data: line: %q", ev.JSON())
		}
	}
}

// A cursor (Last-Event-ID, cursor=, lastEventId=) is a canonical
// non-negative integer or refused with a clear error; never a panic.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "0", "42", "007", "-1", "+1", "9223372036854775807", "9223372036854775808", "1e3", " 1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, ok, err := parley.ParseCursor(s)
		switch {
		case err != nil:
			if parley.ErrorCode(err) != parley.EInvalid || parley.ErrorMessage(err) == "" || ok {
				t.Fatalf("ParseCursor(%q) = %d, %v, %v", s, id, ok, err)
			}
		case s == "":
			if ok {
				t.Fatalf("empty cursor reported ok")
			}
		default:
			if !ok || id < 0 || strconv.FormatInt(id, 10) != s {
				t.Fatalf("ParseCursor(%q) = %d, %v: not the canonical form", s, id, ok)
			}
		}
	})
}
