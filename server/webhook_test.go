package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/webhook"
)

func TestWebhooksAreSignedAndSent(t *testing.T) {
	secret := []byte("a webhook secret of some length")
	type hit struct {
		Type, Room, User string
		Message          *struct{ Text string }
	}
	hits := make(chan hit, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 0); err != nil {
			t.Errorf("webhook signature: %v", err)
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		var h hit
		json.Unmarshal(body, &h)
		hits <- h
	}))
	defer recv.Close()

	n := peopleNode(t, server.Config{Webhook: &webhook.Config{URL: recv.URL, Secret: secret}}, "ada")
	n.subscribeWith("rooms=lobby", n.login("ada")...)
	n.post("lobby", "gus", "hello hooks")
	got := map[string]hit{}
	for len(got) < 2 {
		select {
		case h := <-hits:
			got[h.Type] = h
		case <-time.After(10 * time.Second):
			t.Fatalf("webhooks received: %+v; want a join and a message", got)
		}
	}
	if j := got["join"]; j.User != "ada" || j.Room != "lobby" {
		t.Errorf("join webhook = %+v", j)
	}
	if m := got["message"]; m.Message == nil || m.Message.Text != "hello hooks" {
		t.Errorf("message webhook = %+v", m)
	}
}
