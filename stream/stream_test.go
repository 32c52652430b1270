package stream_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/store/sqlite"
	"github.com/parley-chat/parley/stream"
)

// Context stops at the stream's cursor: a message committed after the
// cursor was read comes with the stream, and must not come twice.
func TestRecentStopsAtTheCursor(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if err := st.CreateRoom(ctx, &parley.Room{Name: "b"}); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i, room := range []string{"lobby", "b", "lobby", "b", "lobby"} {
		m := &parley.Message{Room: room, Kind: parley.KindMessage, From: "ada", Text: string(rune('a' + i))}
		if err := st.Append(ctx, []*parley.Message{m}); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	cases := []struct {
		n    int
		upTo int64
		want []int64
	}{
		{3, ids[4], ids[2:]},
		{3, ids[3], ids[1:4]}, // ids[4] committed after the cursor
		{10, ids[1], ids[:2]},
		{2, 0, nil}, // an empty log: nothing before the cursor
		{0, ids[4], nil},
	}
	for _, c := range cases {
		got, err := stream.Recent(ctx, st, []string{"lobby", "b"}, c.n, c.upTo)
		if err != nil {
			t.Fatal(err)
		}
		var gotIDs []int64
		for _, m := range got {
			gotIDs = append(gotIDs, m.ID)
		}
		if !slices.Equal(gotIDs, c.want) {
			t.Errorf("Recent(n=%d, upTo=%d) = %v, want %v", c.n, c.upTo, gotIDs, c.want)
		}
	}
}
