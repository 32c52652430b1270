package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/webhook"
)

func TestWebhooksAreSignedAndSent(t *testing.T) {
	secret := []byte("a webhook secret of some length")
	type hit struct {
		Type, Room, User string
		Message          *struct{ Text string }
		Deleted          int64
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

	n := peopleNode(t, server.Config{Webhook: &webhook.Config{URL: recv.URL, Secret: secret}}, "ada", "root")
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
	// The sender counts a payload once the receiver's answer is in.
	waitFor(t, "two webhooks counted as sent", func() bool {
		v, _ := metricstest.Scrape(t, n.srv.MetricsHandler()).Value("parley_webhooks_sent_total", nil)
		return v >= 2
	})
	if v, ok := metricstest.Scrape(t, n.srv.MetricsHandler()).Value("parley_webhook_failures_total", nil); !ok || v != 0 {
		t.Errorf("parley_webhook_failures_total = %v (%v), want 0", v, ok)
	}

	// A deletion (here by an admin) is forwarded too, naming the deleted
	// message.
	msg := n.post("lobby", "gus", "to be deleted")
	if resp, body := n.do("DELETE", "/api/messages/"+itoa(msg.ID), "", n.login("root")...); resp.StatusCode != http.StatusOK {
		t.Fatalf("admin deleting message %d: %d %s", msg.ID, resp.StatusCode, body)
	}
	for {
		select {
		case h := <-hits:
			if h.Type != "delete" {
				continue // the second message's own webhook
			}
			if h.Deleted != msg.ID || h.Room != "lobby" || h.User != "root" {
				t.Errorf("delete webhook = %+v, want message %d deleted by root in lobby", h, msg.ID)
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatal("no delete webhook within 10s")
		}
	}
}

// Edits and reactions reach a receiver that asks for them, as the change
// entries, naming the message changed.
func TestWebhooksForChanges(t *testing.T) {
	type hit struct {
		Type, User string
		Message    *struct {
			Kind, Text string
			Ref        int64
		}
	}
	hits := make(chan hit, 10)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var h hit
		body, _ := io.ReadAll(r.Body)
		json.Unmarshal(body, &h)
		hits <- h
	}))
	defer recv.Close()
	secret := []byte("a webhook secret of some length")
	n := peopleNode(t, server.Config{Webhook: &webhook.Config{URL: recv.URL, Secret: secret, Events: []string{"edit", "react"}}}, "ada")
	ada := n.login("ada")
	line := n.postAs(ada, "lobby", "teh line")
	if resp, body := n.do("PATCH", "/api/messages/"+itoa(line.ID), `{"text":"the line"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("PUT", "/api/messages/"+itoa(line.ID)+"/reactions/%F0%9F%91%8D", "", with(ada, asJSON...)...); resp.StatusCode != http.StatusOK {
		t.Fatalf("react: %d %s", resp.StatusCode, body)
	}
	for _, want := range []hit{{Type: "edit", User: "ada"}, {Type: "react", User: "ada"}} {
		select {
		case h := <-hits:
			if h.Type != want.Type || h.User != want.User || h.Message == nil || h.Message.Ref != line.ID || h.Message.Kind != want.Type {
				t.Errorf("webhook = %+v; want %s by ada of message %d", h, want.Type, line.ID)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s webhook within 10s", want.Type)
		}
	}
}
