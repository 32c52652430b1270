package server_test

import (
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/server"
)

// A connection token limited to rooms gets exactly them (issue 14): not
// the user's direct messages, on a stream or through the API, and no new
// rooms.
func TestScopedTokenGetsExactlyItsRooms(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	v, err := auth.NewVerifier(auth.VerifierConfig{Algorithm: auth.HS256, Key: secret})
	if err != nil {
		t.Fatal(err)
	}
	n := peopleNode(t, server.Config{Tokens: v}, "ada", "bob")
	createRoom(t, n, "pub")
	scoped, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"sub": "ada", "rooms": []string{"pub"}, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	asScoped := []string{"Authorization", "Bearer " + scoped}
	bob := n.login("bob")

	stream := n.subscribeWith("rooms=pub", asScoped...)
	if resp, body := n.do("POST", "/api/users/ada/messages", `{"text":"for ada only"}`, with(bob, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("bob's DM: %d %s", resp.StatusCode, body)
	}
	n.post("pub", "carol", "public line")
	for {
		ev := stream.next(5 * time.Second)
		if ev.event != "message" {
			continue
		}
		if m := ev.message(t); m.Text != "public line" {
			t.Fatalf("the scoped stream got %q (room %s) before the public line: its scope leaked", m.Text, m.Room)
		}
		break
	}

	refused := []struct{ name, method, path, body string }{
		{"send a DM", "POST", "/api/users/bob/messages", `{"text":"hi"}`},
		{"read DMs", "GET", "/api/users/bob/messages", ""},
		{"create a room", "POST", "/api/rooms", `{"name":"mine"}`},
		{"read another room", "GET", "/api/rooms/lobby/messages", ""},
	}
	for _, r := range refused {
		hdr := asScoped
		if r.body != "" {
			hdr = with(asScoped, asJSON...)
		}
		resp, body := n.do(r.method, r.path, r.body, hdr...)
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s with a scoped token: %d %s, want 403", r.name, resp.StatusCode, body)
		}
	}
	if _, body := n.do("GET", "/api/rooms", "", asScoped...); strings.Contains(string(body), `"lobby"`) || !strings.Contains(string(body), `"pub"`) {
		t.Errorf("the scoped room list is %s, want pub only", body)
	}
	if resp, _ := n.do("GET", "/api/rooms/mine/messages", "", asScoped...); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the refused room was created anyway")
	}
}
