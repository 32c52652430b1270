package server_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Logins, their failures, refusals by access rules and administrative
// actions are audited (issue 14): structured records, counted, and never
// a password or token.
func TestAuditLog(t *testing.T) {
	var logs syncBuffer
	cfg := server.Config{Logger: slog.New(slog.NewJSONHandler(&logs, nil))}
	cfg.DB = filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, cfg.DB, password, "ada", "bob")
	n := startNode(t, cfg)

	const wrong = "hunter2-not-the-password"
	if resp, _ := n.do("POST", "/api/session", `{"name":"ada","password":"`+wrong+`"}`, asJSON...); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	ada, bob := n.login("ada"), n.login("bob")
	if resp, body := n.do("POST", "/api/rooms", `{"name":"staff","visibility":"private"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("private room: %d %s", resp.StatusCode, body)
	}
	if resp, _ := n.do("GET", "/api/rooms/staff/messages", "", bob...); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("bob reading a private room: %d, want 403", resp.StatusCode)
	}
	if resp, body := n.do("DELETE", "/api/rooms/staff", "", ada...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("deleting the room: %d %s", resp.StatusCode, body)
	}

	type record struct {
		Audit                                  bool
		Action, Outcome, Actor, Target, Reason string
	}
	var records []record
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var r record
		if json.Unmarshal([]byte(line), &r) == nil && r.Audit {
			records = append(records, r)
		}
	}
	want := []record{
		{Action: "login", Outcome: audit.Failed, Actor: "ada"},
		{Action: "login", Outcome: audit.OK, Actor: "ada"},
		{Action: "access", Outcome: audit.Refused, Actor: "bob", Target: "GET /api/rooms/staff/messages"},
		{Action: "room.delete", Outcome: audit.OK, Actor: "ada", Target: "/api/rooms/staff"},
	}
	for _, w := range want {
		found := false
		for _, r := range records {
			if r.Action == w.Action && r.Outcome == w.Outcome && r.Actor == w.Actor && (w.Target == "" || r.Target == w.Target) {
				found = true
			}
		}
		if !found {
			t.Errorf("no audit record %+v among %+v", w, records)
		}
	}
	if all := logs.String(); strings.Contains(all, wrong) || strings.Contains(all, password) || strings.Contains(all, strings.TrimPrefix(ada[1], "Bearer ")) {
		t.Error("the log holds a password or a token")
	}
	counted := map[audit.Key]uint64{}
	for _, c := range n.srv.AuditCounts() {
		counted[c.Key] = c.N
	}
	if counted[audit.Key{Action: "login", Outcome: audit.Failed}] != 1 || counted[audit.Key{Action: "login", Outcome: audit.OK}] != 2 {
		t.Errorf("audit counts %v: want 1 failed and 2 good logins", counted)
	}
}
