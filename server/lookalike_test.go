package server_test

import (
	"net/http"
	"testing"

	"github.com/parley-chat/parley/server"
)

// A guest cannot take a name that looks like an account's, whatever the
// script (issue 14): same TR39 skeleton, compared case-insensitively.
func TestGuestNameCannotLookLikeAnAccount(t *testing.T) {
	n := peopleNode(t, server.Config{Registration: true}, "coe", "bill", "amy")
	for _, name := range []string{"\u0441\u043e\u0435" /* Cyrillic "сое" */, "bi11", "BILL", "arny"} {
		resp, body := n.do("POST", "/api/rooms/lobby/messages", `{"text":"hi","name":"`+name+`"}`, asJSON...)
		if resp.StatusCode != http.StatusConflict {
			t.Errorf("guest %q: %d %s, want 409", name, resp.StatusCode, body)
		}
	}
	if resp, body := n.do("POST", "/api/rooms/lobby/messages", `{"text":"hi","name":"zoe"}`, asJSON...); resp.StatusCode != http.StatusCreated {
		t.Errorf("an unlike name: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("POST", "/api/users", `{"name":"bi1l","password":"a long enough password"}`, asJSON...); resp.StatusCode != http.StatusConflict {
		t.Errorf("registering a lookalike of bill: %d %s, want 409", resp.StatusCode, body)
	}
}
