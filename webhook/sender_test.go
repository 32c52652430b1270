package webhook

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// These tests run over real HTTP to an httptest server; the timing tests,
// in delivery_test.go, run in a synctest bubble.

// waitReal bounds how long a test over the network waits for a request.
const waitReal = 10 * time.Second

func TestDeliversSignedMessage(t *testing.T) {
	rc := newReceiver(nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, stop := start(t, Config{URL: srv.URL + "/hook", Secret: testSecret})

	m := parley.Message{ID: 42, Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "hello",
		Time: time.Date(2026, 11, 21, 19, 20, 54, 123456789, time.UTC)}
	if !s.Enqueue(MessagePayload(m)) {
		t.Fatal("Enqueue = false")
	}
	r := rc.within(t, waitReal)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}

	if r.contentType != "application/json" {
		t.Errorf("Content-Type = %q", r.contentType)
	}
	if r.id != "msg-42" || r.attempt != "1" {
		t.Errorf("%s = %q, %s = %q; want msg-42 and 1", HeaderID, r.id, HeaderAttempt, r.attempt)
	}
	if err := Verify(testSecret, r.signature, r.body, time.Now(), time.Minute); err != nil {
		t.Errorf("Verify: %v", err)
	}
	tampered := bytes.Replace(r.body, []byte("hello"), []byte("jello"), 1)
	if err := Verify(testSecret, r.signature, tampered, time.Now(), time.Minute); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("Verify(tampered body) = %v, want %v", err, ErrSignatureMismatch)
	}
	if err := Verify([]byte("not-the-secret-at-all"), r.signature, r.body, time.Now(), time.Minute); !errors.Is(err, ErrSignatureMismatch) {
		t.Errorf("Verify(wrong secret) = %v, want %v", err, ErrSignatureMismatch)
	}
	if err := Verify(testSecret, r.signature, r.body, time.Now().Add(time.Hour), time.Minute); !errors.Is(err, ErrSignatureExpired) {
		t.Errorf("Verify(an hour later) = %v, want %v", err, ErrSignatureExpired)
	}

	want := `{"id":"msg-42","type":"message","time":"2026-11-21T19:20:54.123456789Z","room":"lobby","user":"ada",` +
		`"message":{"id":42,"room":"lobby","kind":"message","from":"ada","text":"hello","time":"2026-11-21T19:20:54.123456789Z"}}`
	if string(r.body) != want {
		t.Errorf("body:\n got %s\nwant %s", r.body, want)
	}
	if st := s.Stats(); st != (Stats{Delivered: 1}) {
		t.Errorf("Stats = %+v", st)
	}
}

func TestPresencePayloads(t *testing.T) {
	rc := newReceiver(nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, stop := start(t, Config{URL: srv.URL, Secret: testSecret, Workers: 1})
	defer stop()

	at := time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CET", 3600))
	s.Enqueue(JoinPayload("lobby", "ada", at))
	s.Enqueue(LeavePayload("lobby", "ada", at))
	for _, typ := range []string{TypeJoin, TypeLeave} {
		r := rc.within(t, waitReal)
		var p map[string]any
		if err := json.Unmarshal(r.body, &p); err != nil {
			t.Fatal(err)
		}
		id, _ := p["id"].(string)
		if len(id) != len(typ)+1+26 || id[:len(typ)+1] != typ+"-" || r.id != id {
			t.Errorf("id = %q (header %q), want %s-<26 random characters>", id, r.id, typ)
		}
		if p["type"] != typ || p["room"] != "lobby" || p["user"] != "ada" || p["time"] != "2026-01-02T02:04:05.000000006Z" {
			t.Errorf("payload = %v", p)
		}
		if _, ok := p["message"]; ok {
			t.Errorf("a %s payload has a message: %s", typ, r.body)
		}
	}
}

func TestRetriesOn500ThenSucceeds(t *testing.T) {
	rc := newReceiver(failFirst(1, http.StatusInternalServerError))
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, stop := start(t, Config{URL: srv.URL, Secret: testSecret, Backoff: tinyBackoff})

	s.Enqueue(MessagePayload(parley.Message{ID: 7, Room: "lobby", From: "ada", Text: "hi", Time: time.Now()}))
	first, second := rc.within(t, waitReal), rc.within(t, waitReal)
	if err := stop(); err != nil {
		t.Fatalf("Run = %v", err)
	}
	if first.id != "msg-7" || second.id != "msg-7" {
		t.Errorf("ids = %q, %q; want msg-7 twice", first.id, second.id)
	}
	if first.attempt != "1" || second.attempt != "2" {
		t.Errorf("attempts = %q, %q; want 1, 2", first.attempt, second.attempt)
	}
	if !bytes.Equal(first.body, second.body) {
		t.Errorf("the retry's body differs:\n%s\n%s", first.body, second.body)
	}
	for _, r := range []request{first, second} {
		if err := Verify(testSecret, r.signature, r.body, time.Now(), time.Minute); err != nil {
			t.Errorf("attempt %s: Verify: %v", r.attempt, err)
		}
	}
	if st := s.Stats(); st != (Stats{Delivered: 1, FailedAttempts: 1, Retries: 1}) {
		t.Errorf("Stats = %+v", st)
	}
}

// A redirect is not followed: a POST redirected by 301-303 would arrive as a
// GET without its body, so the answer counts as a refusal.
func TestRedirectNotFollowed(t *testing.T) {
	rc := newReceiver(func(_ int, w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	})
	srv := httptest.NewServer(rc)
	defer srv.Close()
	s, stop := start(t, Config{URL: srv.URL, Secret: testSecret, Backoff: tinyBackoff})
	s.Enqueue(JoinPayload("lobby", "ada", time.Now()))
	rc.within(t, waitReal)
	stop()
	if st := s.Stats(); st != (Stats{FailedAttempts: 1, DroppedRejected: 1}) {
		t.Errorf("Stats = %+v", st)
	}
	if n := rc.count(); n != 1 {
		t.Errorf("receiver got %d requests, want 1", n)
	}
}

// Nothing logged, at any level, shows the secret or the URL's token.
func TestLogsHideSecrets(t *testing.T) {
	rc := newReceiver(status(http.StatusUnauthorized))
	srv := httptest.NewServer(rc)
	defer srv.Close()
	logs := &logRecorder{}
	s, stop := start(t, Config{URL: srv.URL + "/hook?token=hunter2", Secret: testSecret, Logger: slog.New(logs)})
	s.Enqueue(JoinPayload("lobby", "ada", time.Now()))
	rc.within(t, waitReal)
	stop()

	// And a network error, whose text would name the URL.
	s, stop = start(t, Config{URL: "http://127.0.0.1:1/hook?token=hunter2", Secret: testSecret, MaxAttempts: 1, Logger: slog.New(logs)})
	s.Enqueue(JoinPayload("lobby", "ada", time.Now()))
	stop()

	text := logs.text()
	if text == "" {
		t.Fatal("nothing was logged")
	}
	for _, secret := range []string{string(testSecret), "hunter2"} {
		if bytes.Contains([]byte(text), []byte(secret)) {
			t.Errorf("the log shows %q:\n%s", secret, text)
		}
	}
}
