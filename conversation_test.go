package parley_test

import (
	"reflect"
	"testing"

	"github.com/parley-chat/parley"
)

func TestMentions(t *testing.T) {
	for _, c := range []struct {
		text string
		want bool
	}{
		{"@ada hi", true},
		{"hi @ada", true},
		{"hi @ADA!", true},
		{"thanks @ada.", true},
		{"(@ada)", true},
		{"@ada, @bob", true},
		{"@adam", false},
		{"@ada_b", false},
		{"@ada-b", false},
		{"@ada.b", false},
		{"ada@example.com", false},
		{"x@ada", false},
		{"ada", false},
		{"@ad", false},
		{"@adam and then @ada", true},
		{"@Àda", false},
		{"@adaé", false},
	} {
		if got := parley.Mentions(c.text, "ada"); got != c.want {
			t.Errorf("Mentions(%q, ada) = %v, want %v", c.text, got, c.want)
		}
	}
	if parley.Mentions("@ hello", "") {
		t.Error("an empty name is mentioned")
	}
}

func TestFoldReactions(t *testing.T) {
	e := func(id, ref int64, kind, from, emoji string) parley.Message {
		return parley.Message{ID: id, Ref: ref, Kind: kind, From: from, Text: emoji}
	}
	got := parley.FoldReactions([]parley.Message{
		e(1, 10, parley.KindReact, "ada", "👍"),
		e(2, 10, parley.KindReact, "bob", "🎉"),
		e(3, 10, parley.KindReact, "Bob", "👍"),
		e(4, 10, parley.KindReact, "ADA", "👍"), // the same person again
		e(5, 10, parley.KindUnreact, "bob", "🎉"),
		e(6, 11, parley.KindUnreact, "cy", "👍"), // nothing to take back
		e(7, 12, parley.KindReact, "cy", "👍"),
		e(8, 12, parley.KindUnreact, "cy", "👍"),
		e(9, 13, parley.KindMessage, "cy", "not a reaction"),
		e(10, 10, parley.KindReact, "cy", "🎉"), // 🎉 again, now after 👍
	})
	want := map[int64][]parley.Reaction{
		10: {{Emoji: "👍", Count: 2, By: []string{"ada", "Bob"}}, {Emoji: "🎉", Count: 1, By: []string{"cy"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("FoldReactions = %+v\nwant %+v", got, want)
	}
}
