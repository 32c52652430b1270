package parley_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

func TestParseSearch(t *testing.T) {
	type term = parley.SearchTerm
	w := func(words ...string) term { return term{Words: words, Text: strings.Join(words, " ")} }
	cases := []struct {
		in   string
		want []term
	}{
		{"budget", []term{w("budget")}},
		{"  budget   review ", []term{w("budget"), w("review")}},
		{`"budget review"`, []term{w("budget", "review")}},
		{`"budget,  review"`, []term{{Words: []string{"budget", "review"}, Text: "budget,  review"}}},
		{"budget*", []term{{Words: []string{"budget"}, Text: "budget", Prefix: true}}},
		{"b*", []term{w("b")}}, // too short for a prefix
		{"東*", []term{w("東")}},
		{"東京*", []term{{Words: []string{"東京"}, Text: "東京", Prefix: true}}},
		{"e-mail", []term{{Words: []string{"e", "mail"}, Text: "e-mail"}}},
		{"e-ma*", []term{{Words: []string{"e", "ma"}, Text: "e-ma", Prefix: true}}},
		{"don't", []term{{Words: []string{"don", "t"}, Text: "don't"}}},
		{"NEAR(a b)", []term{{Words: []string{"NEAR", "a"}, Text: "NEAR(a"}, w("b")}},
		{"a AND b OR c", []term{w("a"), w("AND"), w("b"), w("OR"), w("c")}},
		{"-a", []term{w("a")}},
		{`"unclosed budget`, []term{w("unclosed"), w("budget")}},
		{`"a b" "c`, []term{w("a", "b"), w("c")}},
		{`"a b"*`, []term{w("a", "b")}}, // no prefix after a phrase
		{`"ab*"`, []term{w("ab")}},      // nor inside one
		{"*", nil},
		{"café crème", []term{w("café"), w("crème")}},
		{"cafe\u0301", []term{w("cafe\u0301")}}, // a combining mark is part of the word
		{"x²", []term{w("x²")}},
		{"🎉party🎉", []term{{Words: []string{"party"}, Text: "party"}}},
	}
	for _, tc := range cases {
		got, err := parley.ParseSearch(tc.in)
		if tc.want == nil {
			if parley.ErrorCode(err) != parley.EInvalid {
				t.Errorf("ParseSearch(%q) = %+v, %v; want invalid", tc.in, got, err)
			}
			continue
		}
		if err != nil || !slices.EqualFunc(got, tc.want, func(a, b term) bool {
			return slices.Equal(a.Words, b.Words) && a.Text == b.Text && a.Prefix == b.Prefix
		}) {
			t.Errorf("ParseSearch(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", " ", `""`, "()", "\xff", strings.Repeat("a ", parley.MaxSearchWords+1), strings.Repeat("a", parley.MaxSearchQueryLen+1)} {
		if _, err := parley.ParseSearch(bad); parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("ParseSearch(%.30q): %v, want invalid", bad, err)
		}
	}
}

// FuzzParseSearch checks that parsed words never hold anything but
// letters, digits and marks: they are quoted into engine syntax.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{`"a b" c*`, `NEAR(x, 3)`, `a:b -c ^d`, "\"\\\"", "東京*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		terms, err := parley.ParseSearch(s)
		if err != nil {
			return
		}
		for _, term := range terms {
			if len(term.Words) == 0 {
				t.Fatalf("empty term from %q", s)
			}
			for _, w := range term.Words {
				if w == "" || strings.ContainsAny(w, "\"'*():^-\\ \t\n{}") {
					t.Fatalf("word %q from %q", w, s)
				}
			}
		}
	})
}

func TestSplitSnippet(t *testing.T) {
	o, c := parley.SnippetOpen, parley.SnippetClose
	cases := []struct {
		in   string
		want []parley.SnippetPart
	}{
		{"plain", []parley.SnippetPart{{Text: "plain"}}},
		{"a " + o + "b" + c + " c", []parley.SnippetPart{{Text: "a "}, {Text: "b", Match: true}, {Text: " c"}}},
		{o + "a" + c + o + "b" + c, []parley.SnippetPart{{Text: "ab", Match: true}}},
		{o + "a" + c + " " + o + "b" + c, []parley.SnippetPart{{Text: "a", Match: true}, {Text: " "}, {Text: "b", Match: true}}},
		{"x" + c + "y", []parley.SnippetPart{{Text: "xy"}}},
		{"", []parley.SnippetPart{}},
	}
	for _, tc := range cases {
		if got := parley.SplitSnippet(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("SplitSnippet(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
	}
}

func TestSearchCursor(t *testing.T) {
	q := parley.SearchQuery{Text: "a b", Rooms: []string{"x", "y"}, From: "ada", Since: time.Unix(100, 0)}
	c := parley.SearchCursor{Snapshot: 99, Score: -1.25, ID: 42}
	q.Cursor = c.Encode(q)
	got, ok, err := parley.DecodeSearchCursor(q)
	if err != nil || !ok || got != c {
		t.Fatalf("round trip = %+v, %v, %v; want %+v", got, ok, err, c)
	}
	q.Limit = 50 // the limit may change
	if _, _, err := parley.DecodeSearchCursor(q); err != nil {
		t.Errorf("cursor with another limit: %v", err)
	}
	other := q
	other.Rooms = []string{"xy"} // not the same as x, y
	if _, _, err := parley.DecodeSearchCursor(other); parley.ErrorCode(err) != parley.EInvalid {
		t.Errorf("cursor with other rooms: %v", err)
	}
	if _, ok, err := parley.DecodeSearchCursor(parley.SearchQuery{}); ok || err != nil {
		t.Errorf("no cursor = %v, %v", ok, err)
	}
}

func TestRetentionValidate(t *testing.T) {
	for _, tc := range []struct {
		r  parley.Retention
		ok bool
	}{
		{parley.Retention{}, true},
		{parley.Retention{Days: 1}, true},
		{parley.Retention{Messages: 1}, true},
		{parley.Retention{Days: 1, Messages: 1}, false},
		{parley.Retention{Days: -1}, false},
		{parley.Retention{Messages: -1}, false},
		{parley.Retention{Days: parley.MaxRetentionDays + 1}, false},
	} {
		if err := tc.r.Validate(); (err == nil) != tc.ok {
			t.Errorf("%+v.Validate() = %v", tc.r, err)
		}
	}

}
