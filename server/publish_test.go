package server_test

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// A publish request commits wholly or not at all (issue 14): one over the
// rate limit, or with one bad item, stores nothing and says so.
func TestPublishIsAllOrNothing(t *testing.T) {
	cfg := server.Config{DB: filepath.Join(t.TempDir(), "parley.db"), RateLimit: 10, RateBurst: 20, RoomCreationBurst: 40}
	key := servicetest.CreateAPIKey(t, cfg.DB, "shop")
	n := startNode(t, cfg)
	app := []string{"Authorization", "Bearer " + key, "Content-Type", "application/json"}
	var rooms []string
	for i := range 40 {
		name := fmt.Sprintf("r%d", i)
		createRoom(t, n, name)
		rooms = append(rooms, `"`+name+`"`)
	}

	resp, body := n.do("POST", "/api/publish", `{"messages":[{"rooms":[`+strings.Join(rooms, ",")+`],"text":"sale!"}]}`, app...)
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(string(body), "nothing was published") {
		t.Errorf("40 rooms over a burst of 20: %d %s, want 429 saying nothing was published", resp.StatusCode, body)
	}
	resp, body = n.do("POST", "/api/publish", `{"messages":[{"room":"r1","text":"first"},{"room":"nope","text":"second"}]}`, app...)
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), "message 1") || !strings.Contains(string(body), "nothing was published") {
		t.Errorf("second item to an unknown room: %d %s, want 404 naming it and saying nothing was published", resp.StatusCode, body)
	}
	for i := range 40 {
		if ids := historyIDs(t, n, fmt.Sprintf("r%d", i)); len(ids) != 0 {
			t.Fatalf("room r%d holds %v after refused publishes", i, ids)
		}
	}
	// Within the limit it all goes through, in order.
	resp, body = n.do("POST", "/api/publish", `{"messages":[{"rooms":[`+strings.Join(rooms[:15], ",")+`],"text":"sale!"}]}`, app...)
	if resp.StatusCode != http.StatusCreated || strings.Count(string(body), `"sale!"`) != 15 {
		t.Errorf("15 rooms: %d %s", resp.StatusCode, body)
	}
}
