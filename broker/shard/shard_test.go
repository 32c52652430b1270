package shard

import (
	"slices"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

func TestOfIsStableAndSpreads(t *testing.T) {
	// The shard is part of the wire protocol between nodes: it must not
	// change between releases.
	if got := Of("lobby"); got != 3795 {
		t.Fatalf("Of(lobby) = %d, want 3795 (FNV-1a, low 16 bits)", got)
	}
	seen := make(map[ID]bool)
	for i := range 1000 {
		seen[Of("room-"+string(rune('a'+i%26))+string(rune('a'+i/26)))] = true
	}
	if len(seen) < 990 {
		t.Errorf("1000 rooms fall in %d shards, want nearly 1000", len(seen))
	}
}

func TestRoutedLeavesCredentialTopicsOut(t *testing.T) {
	id := parley.Identity{Name: "ada", Session: "h", Key: "k", Expires: time.Unix(1e9, 0), PasswordStamp: "s"}
	for _, topic := range id.CredentialTopics() {
		if Routed(topic) {
			t.Errorf("credential topic %q is routed", topic)
		}
	}
	for _, topic := range []string{"lobby", parley.UserTopic("ada"), "@ada,bob", parley.TypingTopic("lobby"), parley.RoomListTopic} {
		if !Routed(topic) {
			t.Errorf("topic %q is not routed", topic)
		}
	}
}

func TestOfEventCoversRoomAndAlsoOnce(t *testing.T) {
	ev := parley.EventFor(parley.Message{ID: 1, Room: "@ada,bob"})
	want := []ID{Of("@ada,bob"), Of("@ada"), Of("@bob")}
	if got := OfEvent(ev); !slices.Equal(got, want) {
		t.Errorf("OfEvent(direct message) = %v, want %v", got, want)
	}
	ev.Also = append(ev.Also, "@ada")
	if got := OfEvent(ev); len(got) != 3 {
		t.Errorf("a repeated topic gives %v, want each shard once", got)
	}
	sig := parley.NewSignal(parley.TypingTopic("lobby"), parley.Message{Room: "lobby"})
	if got := OfEvent(sig); !slices.Equal(got, []ID{Of(parley.TypingTopic("lobby"))}) {
		t.Errorf("OfEvent(signal) = %v, want its topic's shard only", got)
	}
}
