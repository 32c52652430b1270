package server_test

import (
	"context"
	"io"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/parley-chat/parley/server"
)

// One client address may hold only so many connections of a transport
// (issue 14): one more gets 429 with Retry-After in the API's error
// format, another address is unaffected, and a closed stream gives its
// place back.
func TestConnectionsPerClientAreCapped(t *testing.T) {
	n := startNode(t, server.Config{
		MaxConnsPerClient: 2,
		Heartbeat:         100 * time.Millisecond, // raw streams notice a closed peer at the next heartbeat
		TrustedProxies:    []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
	})
	first := n.subscribe("rooms=lobby", "")
	n.subscribe("rooms=lobby", "")

	resp, body := n.do("GET", "/api/events?rooms=lobby", "")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || apiErrorCode(body) != "rate_limited" {
		t.Fatalf("third stream: %d, Retry-After %q, %s; want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// Another client (behind the trusted proxy) is not affected.
	n.subscribeWith("rooms=lobby", "X-Forwarded-For", "192.0.2.9")

	if _, _, err := n.wsDial("rooms=lobby", nil); err != nil {
		t.Fatalf("a WebSocket counts apart from event streams: %v", err)
	}
	if _, _, err := n.wsDial("rooms=lobby", nil); err != nil {
		t.Fatal(err)
	}
	if _, resp, err := n.wsDial("rooms=lobby", nil); err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("third WebSocket: %v (%v), want 429", err, resp)
	}

	// A closed stream gives its place back (raw streams release when the
	// server notices the close).
	first.close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		req, _ := http.NewRequestWithContext(ctx, "GET", n.ts.URL+"/api/events?rooms=lobby", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		status := resp.StatusCode
		if status != http.StatusOK {
			io.Copy(io.Discard, resp.Body)
		}
		resp.Body.Close()
		cancel()
		if status == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("a closed stream never gave its place back")
		}
		time.Sleep(50 * time.Millisecond) // polling the server's view; it has no signal to wait on
	}
}
