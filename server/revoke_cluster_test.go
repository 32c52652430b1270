package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// A logout on one node of a cluster ends the session's streams on the
// others within the revalidation interval (issue 14): the nodes share the
// store, and each one's sweep finds the session gone.
func TestLogoutEndsStreamsOnOtherNodes(t *testing.T) {
	db, natsURL, cluster := servicetest.PostgresDB(t), servicetest.NATS(t), servicetest.Subject()
	start := func(name string) *node {
		return startNode(t, server.Config{
			DB: db, Broker: natsURL, Cluster: cluster, Node: name,
			Registration: true, RevalidateInterval: 50 * time.Millisecond,
		})
	}
	a, b := start("nodeA"), start("nodeB")
	for _, u := range []string{"ada"} {
		if resp, body := a.do("POST", "/api/users", `{"name":"`+u+`","password":"`+password+`"}`, asJSON...); resp.StatusCode != http.StatusCreated {
			t.Fatalf("registering %s: %d %s", u, resp.StatusCode, body)
		}
	}
	ada := a.login("ada")
	onB := b.subscribeWith("rooms=lobby", ada...)

	if resp, body := a.do("DELETE", "/api/session", "", ada...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout on A: %d %s", resp.StatusCode, body)
	}
	texts, revoked := sseDrain(onB)
	if !revoked {
		t.Fatalf("ada's stream on node B did not end after she logged out on node A (messages %q)", texts)
	}
	if resp, _ := b.do("GET", "/api/events?rooms=lobby", "", ada...); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("reconnecting on B with the old token: %d, want 401", resp.StatusCode)
	}
}
