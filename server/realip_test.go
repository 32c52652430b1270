package server_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/parley-chat/parley/server"
)

// Behind a trusted load balancer, the rate limit applies per client (from
// X-Forwarded-For), not to the balancer as a whole; a client that is not
// a trusted proxy cannot pick its own address with the header.
func TestRateLimitPerClientBehindTrustedProxy(t *testing.T) {
	n := startNode(t, server.Config{
		RateLimit:      0.001,
		RateBurst:      1,
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
	})
	post := func(xff string) int {
		req, _ := http.NewRequest("POST", n.ts.URL+"/api/rooms/lobby/messages", strings.NewReader(`{"text":"hi","name":"ada"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post("198.51.100.1"); got != http.StatusCreated {
		t.Fatalf("first client's post: %d", got)
	}
	if got := post("198.51.100.2"); got != http.StatusCreated {
		t.Fatalf("second client's post: %d, want 201 (limits are per client)", got)
	}
	if got := post("198.51.100.1"); got != http.StatusTooManyRequests {
		t.Fatalf("first client's second post: %d, want 429", got)
	}

	direct := startNode(t, server.Config{RateLimit: 0.001, RateBurst: 1})
	for i, xff := range []string{"198.51.100.1", "198.51.100.2"} {
		req, _ := http.NewRequest("POST", direct.ts.URL+"/api/rooms/lobby/messages", strings.NewReader(`{"text":"hi","name":"ada"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", xff)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := []int{http.StatusCreated, http.StatusTooManyRequests}[i]; resp.StatusCode != want {
			t.Errorf("untrusted peer, post %d with X-Forwarded-For %s: %d, want %d", i, xff, resp.StatusCode, want)
		}
	}
}
