package chat

import (
	"strings"
	"testing"

	"github.com/parley-chat/parley"
)

func TestWordFilterMask(t *testing.T) {
	f := NewWordFilter(FilterMask, []string{"darn", "Heck", "späť"})
	cases := map[string]string{
		"darn":                 "****",
		"Darn it, HECK!":       "**** it, ****!",
		"darned darnit":        "darned darnit", // whole words only
		"oh späť, darn":        "oh ****, ****",
		"nothing to see":       "nothing to see",
		"x-darn-y":             "x-****-y",
		"":                     "",
		"ünïcödé darn ünïcödé": "ünïcödé **** ünïcödé",
	}
	for in, want := range cases {
		got, err := f.Apply(in)
		if err != nil || got != want {
			t.Errorf("Apply(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestWordFilterRejectAndOff(t *testing.T) {
	reject := NewWordFilter(FilterReject, []string{"darn"})
	if _, err := reject.Apply("well DARN."); parley.ErrorCode(err) != parley.EInvalid {
		t.Errorf("reject mode: err = %v, want invalid", err)
	}
	if got, err := reject.Apply("darning"); err != nil || got != "darning" {
		t.Errorf("reject mode on a longer word: %q, %v", got, err)
	}
	off := NewWordFilter(FilterOff, []string{"darn"})
	if got, _ := off.Apply("darn"); got != "darn" {
		t.Errorf("off mode changed the text: %q", got)
	}
	var none *WordFilter
	if got, _ := none.Apply("darn"); got != "darn" {
		t.Errorf("nil filter changed the text: %q", got)
	}
}

func TestReadWordList(t *testing.T) {
	words, err := readWordList(strings.NewReader("# comment\n\n darn \nheck\n"))
	if err != nil || len(words) != 2 || words[0] != "darn" || words[1] != "heck" {
		t.Fatalf("readWordList = %q, %v", words, err)
	}
	if _, err := ParseFilterMode("strict"); err == nil {
		t.Error("ParseFilterMode accepted an unknown mode")
	}
}
