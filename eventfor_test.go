package parley

import (
	"slices"
	"testing"
)

func TestEventForDerivesTopics(t *testing.T) {
	cases := []struct {
		room string
		want []string
	}{
		{"lobby", nil},
		{DirectRoomName("bob", "Ada"), []string{"@Ada", "@bob"}},
		{"@nocomma", nil},
	}
	for _, c := range cases {
		ev := EventFor(Message{ID: 1, Room: c.room})
		if !slices.Equal(ev.Also, c.want) {
			t.Errorf("EventFor(room %q).Also = %q, want %q", c.room, ev.Also, c.want)
		}
	}
}
