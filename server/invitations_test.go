package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/server"
)

// An invited user sees the invitation, accepts it by joining, and can
// leave again; the owner cannot leave; a guest has no invitations.
func TestInvitationsAndLeaving(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob")
	ada, bob := n.login("ada"), n.login("bob")
	steps := []struct {
		who          []string
		method, path string
		body         string
		want         int
		contains     string
	}{
		{ada, "POST", "/api/rooms", `{"name":"staff","visibility":"private"}`, http.StatusCreated, ""},
		{bob, "GET", "/api/invitations", "", http.StatusOK, `"invitations":[]`},
		{ada, "POST", "/api/rooms/staff/invites", `{"user":"bob"}`, http.StatusNoContent, ""},
		{bob, "GET", "/api/invitations", "", http.StatusOK, `"room":"staff","invited_by":"ada"`},
		{bob, "POST", "/api/rooms/staff/join", `{}`, http.StatusNoContent, ""},
		{bob, "GET", "/api/invitations", "", http.StatusOK, `"invitations":[]`},
		{bob, "GET", "/api/rooms/staff/messages?limit=5", "", http.StatusOK, ""},
		{bob, "DELETE", "/api/rooms/staff/members/bob", "", http.StatusNoContent, ""},
		{bob, "GET", "/api/rooms/staff/messages?limit=5", "", http.StatusForbidden, ""},
		{bob, "DELETE", "/api/rooms/staff/members/bob", "", http.StatusNotFound, "not a member"},
		{ada, "DELETE", "/api/rooms/staff/members/ada", "", http.StatusForbidden, "delete the room"},
		{nil, "GET", "/api/invitations", "", http.StatusUnauthorized, ""},
	}
	for i, s := range steps {
		resp, body := n.do(s.method, s.path, s.body, with(s.who, asJSON...)...)
		if resp.StatusCode != s.want || !strings.Contains(string(body), s.contains) {
			t.Fatalf("step %d: %s %s = %d %s; want %d with %q", i, s.method, s.path, resp.StatusCode, body, s.want, s.contains)
		}
	}
	// The room's history says bob left.
	_, body := n.do("GET", "/api/rooms/staff/messages?limit=5", "", ada...)
	if !strings.Contains(string(body), "bob left the room") {
		t.Errorf("staff history: %s, want the notice that bob left", body)
	}
}
