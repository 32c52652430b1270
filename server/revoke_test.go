package server_test

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/store/sqlite"
)

// sseDrain reads a stream until it ends and returns the texts of its
// messages and whether it said "revoked" before ending.
func sseDrain(c *sseClient) (texts []string, revoked bool) {
	for {
		ev, err := c.nextErr(5 * time.Second)
		if err != nil {
			return texts, revoked
		}
		switch ev.event {
		case "revoked":
			revoked = true
		case "message":
			texts = append(texts, ev.data)
		}
	}
}

// wsDrain reads a socket until it closes and returns the frames' raw
// text and the close status.
func wsDrain(c *wsClient) (frames []string, status websocket.StatusCode) {
	for {
		f, err := c.nextErr()
		if err != nil {
			return frames, websocket.CloseStatus(err)
		}
		frames = append(frames, string(f.raw))
	}
}

// Logging out ends the session's open connections on every transport at
// once (issue 14): the next direct message reaches none of them, the
// socket can no longer post, and a held poll is answered 401.
func TestLogoutEndsOpenConnections(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada", "bob")
	ada, bob := n.login("ada"), n.login("bob")
	stream := n.subscribeWith("rooms=lobby", ada...)
	sock, _, err := n.wsDial("rooms=lobby", http.Header{"Authorization": {ada[1]}})
	if err != nil {
		t.Fatal(err)
	}
	if f := sock.next(); f.Type != "ready" {
		t.Fatalf("first frame %s, want ready", f.raw)
	}
	first, err := n.pollGet("rooms=lobby", ada...)
	if err != nil {
		t.Fatal(err)
	}
	a, err := first.answer()
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan pollResp, 1)
	go func() {
		r, _ := n.pollGet("rooms=lobby&cursor="+itoa(a.Cursor)+"&session="+a.Session, ada...)
		held <- r
	}()
	n.awaitPollers(1)

	if resp, body := n.do("DELETE", "/api/session", "", ada...); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("logout: %d %s", resp.StatusCode, body)
	}
	if resp, body := n.do("POST", "/api/users/ada/messages", `{"text":"secret after logout"}`, with(bob, asJSON...)...); resp.StatusCode != http.StatusCreated {
		t.Fatalf("bob's DM: %d %s", resp.StatusCode, body)
	}

	texts, revoked := sseDrain(stream)
	if !revoked || strings.Contains(strings.Join(texts, "\n"), "secret after logout") {
		t.Errorf("event stream after logout: revoked=%v, messages %q; want it ended with a revoked event and no DM", revoked, texts)
	}
	// The socket tries to post as ada: refused, whichever comes first.
	_ = sock.c.Write(context.Background(), websocket.MessageText, []byte(`{"type":"send","room":"lobby","text":"as ada after logout"}`))
	frames, status := wsDrain(sock)
	if status != 4001 || strings.Contains(strings.Join(frames, "\n"), "secret after logout") {
		t.Errorf("socket after logout: close status %d, frames %q; want 4001 and no DM", status, frames)
	}
	if r := <-held; r.status != http.StatusUnauthorized || strings.Contains(string(r.body), "secret after logout") {
		t.Errorf("held poll after logout: %d %s, want 401", r.status, r.body)
	}
	_, body := n.do("GET", "/api/rooms/lobby/messages", "")
	if strings.Contains(string(body), "as ada after logout") {
		t.Errorf("the socket posted after logout: %s", body)
	}
}

// A session ended elsewhere (the command line, another node sharing the
// store) ends its connections within the revalidation interval.
func TestSessionEndedElsewhereEndsConnections(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, db, password, "ada")
	n := startNode(t, server.Config{DB: db, RevalidateInterval: 20 * time.Millisecond})
	ada := n.login("ada")
	stream := n.subscribeWith("rooms=lobby", ada...)

	other, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if k, err := other.DeleteUserLoginSessions(context.Background(), "ada"); err != nil || k != 1 {
		t.Fatalf("ending ada's sessions: %d, %v", k, err)
	}
	if _, revoked := sseDrain(stream); !revoked {
		t.Error("the stream did not end with a revoked event after its session was ended in the store")
	}
}

// A connection opened with a connection token ends when the token
// expires, and cannot post after.
func TestConnectionTokenExpiryEndsSocket(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	v, err := auth.NewVerifier(auth.VerifierConfig{Algorithm: auth.HS256, Key: secret})
	if err != nil {
		t.Fatal(err)
	}
	n := peopleNode(t, server.Config{Tokens: v, RevalidateInterval: 20 * time.Millisecond}, "ada")
	exp := time.Now().Add(2 * time.Second).Truncate(time.Second).Add(time.Second)
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ada", "exp": exp.Unix()}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	sock, _, err := n.wsDial("rooms=lobby", http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		t.Fatal(err)
	}
	if f := sock.next(); f.Type != "ready" {
		t.Fatalf("first frame %s, want ready", f.raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for err == nil {
		_, _, err = sock.c.Read(ctx) // her own join notice, then the close
	}
	if status := websocket.CloseStatus(err); status != 4001 {
		t.Fatalf("socket ended with %v (status %d), want close status 4001 at expiry", err, status)
	}
	if time.Now().Before(exp) {
		t.Errorf("socket closed at %v, before its token expired at %v", time.Now(), exp)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("socket still open long after its token expired")
	}
}

// Disabling an account (here from another process, as "parley user
// disable" does) ends its connections whatever opened them, a login
// session or a connection token, and refuses its logins.
func TestDisabledAccountConnectionsEnd(t *testing.T) {
	secret := make([]byte, 32)
	rand.Read(secret)
	v, err := auth.NewVerifier(auth.VerifierConfig{Algorithm: auth.HS256, Key: secret})
	if err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, db, password, "ada", "bob")
	n := startNode(t, server.Config{DB: db, Tokens: v, RevalidateInterval: 20 * time.Millisecond})
	bySession := n.subscribeWith("rooms=lobby", n.login("ada")...)
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "ada", "exp": time.Now().Add(time.Hour).Unix()}).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	byToken := n.subscribeWith("rooms=lobby", "Authorization", "Bearer "+token)
	bobs := n.subscribeWith("rooms=lobby", n.login("bob")...)

	other, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if err := other.SetDisabled(context.Background(), "ada", true); err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*sseClient{"login session": bySession, "connection token": byToken} {
		if _, revoked := sseDrain(s); !revoked {
			t.Errorf("ada's stream opened with a %s did not end when her account was disabled", name)
		}
	}
	if resp, body := n.do("POST", "/api/session", `{"name":"ada","password":"`+password+`"}`, asJSON...); resp.StatusCode != http.StatusForbidden {
		t.Errorf("logging in to a disabled account: %d %s, want 403", resp.StatusCode, body)
	}
	// bob's stream is untouched: a line still reaches it.
	n.post("lobby", "carol", "still here")
	for {
		ev := bobs.next(5 * time.Second)
		if ev.event == "message" && strings.Contains(ev.data, "still here") {
			break
		}
		if ev.event == "revoked" {
			t.Fatal("bob's stream was revoked too")
		}
	}
}
