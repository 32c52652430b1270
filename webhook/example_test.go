package webhook_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/parley-chat/parley/webhook"
)

// A receiver: check the signature on the raw body, dedupe on the ID,
// answer 2xx at once and do the slow work afterwards.
func ExampleVerify() {
	secret := []byte("the-secret-shared-with-parley")
	seen := map[string]bool{} // in a real receiver: a store with expiry, safe for concurrent use

	receiver := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
			return
		}
		if err := webhook.Verify(secret, r.Header.Get(webhook.HeaderSignature), body, time.Now(), 5*time.Minute); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized) // 4xx: Parley does not retry
			return
		}
		var p webhook.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(w, "bad payload", http.StatusBadRequest)
			return
		}
		if seen[p.ID] {
			w.WriteHeader(http.StatusNoContent) // a retry of one already handled
			return
		}
		seen[p.ID] = true
		fmt.Printf("%s in %s by %s\n", p.Type, p.Room, p.User)
		w.WriteHeader(http.StatusNoContent)
	})

	// What Parley sends, twice (a retry), and a forgery.
	body := []byte(`{"id":"msg-42","type":"message","time":"2026-11-21T19:20:54Z","room":"lobby","user":"ada",` +
		`"message":{"id":42,"room":"lobby","kind":"message","from":"ada","text":"hello","time":"2026-11-21T19:20:54Z"}}`)
	send := func(sig string) int {
		r := httptest.NewRequest(http.MethodPost, "/parley-hook", bytes.NewReader(body))
		r.Header.Set(webhook.HeaderSignature, sig)
		w := httptest.NewRecorder()
		receiver.ServeHTTP(w, r)
		return w.Code
	}
	fmt.Println(send(webhook.Sign(secret, time.Now(), body)))
	fmt.Println(send(webhook.Sign(secret, time.Now(), body)))
	fmt.Println(send(webhook.Sign([]byte("a-guess-at-the-secret"), time.Now(), body)))
	// Output:
	// message in lobby by ada
	// 204
	// 204
	// 401
}
