package server_test

import (
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// A post or publish retried with the same Idempotency-Key is stored once
// and answered with the first answer, also after a restart; the key used
// for another request is refused (issue 14).
func TestIdempotencyKeyPreventsDuplicates(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	key := servicetest.CreateAPIKey(t, db, "shop")
	n := startNode(t, server.Config{DB: db})

	post := func(n *node, body, idemKey string) (int, parley.Message, http.Header) {
		resp, out := n.do("POST", "/api/rooms/lobby/messages", body, with(asJSON, "Idempotency-Key", idemKey)...)
		var m parley.Message
		json.Unmarshal(out, &m)
		return resp.StatusCode, m, resp.Header
	}
	status, first, _ := post(n, `{"text":"pay 10","name":"ada"}`, "k-1")
	if status != http.StatusCreated {
		t.Fatalf("first post: %d", status)
	}
	status, again, hdr := post(n, `{"text":"pay 10","name":"ada"}`, "k-1")
	if status != http.StatusCreated || again.ID != first.ID || hdr.Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d, id %d (first %d), replayed %q; want the first answer", status, again.ID, first.ID, hdr.Get("Idempotent-Replayed"))
	}
	if status, _, _ := post(n, `{"text":"pay 20","name":"ada"}`, "k-1"); status != http.StatusConflict {
		t.Errorf("the key for another request: %d, want 409", status)
	}
	if status, other, _ := post(n, `{"text":"pay 10","name":"bob"}`, "k-1"); status != http.StatusCreated || other.ID == first.ID {
		t.Errorf("another caller's same key: %d, id %d: keys are per caller", status, other.ID)
	}
	if status, _, _ := post(n, `{"text":"x","name":"ada"}`, "has space"); status != http.StatusBadRequest {
		t.Errorf("a malformed key: %d, want 400", status)
	}

	app := []string{"Authorization", "Bearer " + key, "Content-Type", "application/json", "Idempotency-Key", "order-7"}
	body := `{"messages":[{"room":"lobby","text":"shipped"},{"room":"lobby","text":"invoiced"}]}`
	resp, out := n.do("POST", "/api/publish", body, app...)
	var pub1 struct{ Messages []parley.Message }
	json.Unmarshal(out, &pub1)
	if resp.StatusCode != http.StatusCreated || len(pub1.Messages) != 2 {
		t.Fatalf("publish: %d %s", resp.StatusCode, out)
	}

	// After a restart, on the same database file, retries still find them.
	n.stop()
	n = startNode(t, server.Config{DB: db})
	if status, again, _ := post(n, `{"text":"pay 10","name":"ada"}`, "k-1"); status != http.StatusCreated || again.ID != first.ID {
		t.Errorf("retry after a restart: %d, id %d, want %d", status, again.ID, first.ID)
	}
	resp, out = n.do("POST", "/api/publish", body, app...)
	var pub2 struct{ Messages []parley.Message }
	json.Unmarshal(out, &pub2)
	if resp.StatusCode != http.StatusCreated || len(pub2.Messages) != 2 || pub2.Messages[0].ID != pub1.Messages[0].ID || pub2.Messages[1].ID != pub1.Messages[1].ID {
		t.Errorf("publish retried after a restart: %d %s, want the first answer", resp.StatusCode, out)
	}
	if ids := historyIDs(t, n, "lobby"); len(ids) != 4 {
		t.Errorf("lobby holds %d messages, want 4 (two posts, two published): retries duplicated", len(ids))
	}
}
