package chat_test

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/access"
	"github.com/parley-chat/parley/broker/mem"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/store/sqlite"
)

// The edit window is measured from the line's time with the service's
// clock: an edit at its last instant is taken, one a nanosecond later is
// refused, and so is the author's deletion; an admin still deletes.
func TestEditWindowFollowsTheClock(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "chat.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []parley.User{{Name: "ada", Created: time.Now().Add(-time.Hour)}, {Name: "root", Admin: true}} {
		if err := st.CreateUser(ctx, u, "hash"); err != nil {
			t.Fatal(err)
		}
	}
	h := hub.New()
	var now time.Time
	svc := chat.New(st, mem.New(h), chat.Config{
		Access: &access.Checker{Policy: access.Policy{Guests: true}, Store: st}, Users: st, RoomAccess: st,
		EditWindow: time.Hour, Now: func() time.Time { return now },
	})
	t.Cleanup(func() {
		svc.Close()
		h.Close()
		st.Close()
	})
	ada := parley.Identity{Name: "ada", Kind: parley.Registered}
	line, err := svc.PostAs(ctx, ada, "test", "lobby", "teh line")
	if err != nil {
		t.Fatal(err)
	}
	now = line.Time.Add(time.Hour)
	if _, err := svc.EditMessage(ctx, ada, "test", line.ID, "the line"); err != nil {
		t.Fatalf("edit at the window's last instant: %v", err)
	}
	now = now.Add(time.Nanosecond)
	_, err = svc.EditMessage(ctx, ada, "test", line.ID, "the line!")
	if parley.ErrorCode(err) != parley.EForbidden || !strings.Contains(parley.ErrorMessage(err), "within 1h") {
		t.Errorf("edit past the window: %v; want forbidden, naming the window", err)
	}
	_, err = svc.DeleteMessage(ctx, ada, line.ID)
	if parley.ErrorCode(err) != parley.EForbidden || !strings.Contains(parley.ErrorMessage(err), "within 1h") {
		t.Errorf("author's delete past the window: %v; want forbidden, naming the window", err)
	}
	if _, err := svc.DeleteMessage(ctx, parley.Identity{Name: "root", Kind: parley.Registered, Admin: true}, line.ID); err != nil {
		t.Errorf("admin's delete past the window: %v", err)
	}
}
