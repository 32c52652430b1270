package server_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/server"
)

const (
	appOrigin   = "https://app.example"
	otherOrigin = "https://other.example"
)

// corsHeaders returns the Access-Control-* headers of h.
func corsHeaders(h http.Header) http.Header {
	out := http.Header{}
	for k, v := range h {
		if strings.HasPrefix(k, "Access-Control-") {
			out[k] = v
		}
	}
	return out
}

func preflight(n *node, path, origin, method string) *http.Response {
	resp, _ := n.do("OPTIONS", path, "",
		"Origin", origin,
		"Access-Control-Request-Method", method,
		"Access-Control-Request-Headers", "content-type")
	return resp
}

func TestCORSPreflight(t *testing.T) {
	listed := startNode(t, server.Config{CORSOrigins: []string{appOrigin}})
	any := startNode(t, server.Config{CORSOrigins: []string{"*", appOrigin + ":443/"}})
	cases := []struct {
		name        string
		n           *node
		origin      string
		allowOrigin string // "" for a refusal
		allowCreds  bool
		status      int
	}{
		{"listed origin", listed, appOrigin, appOrigin, true, 204},
		{"unlisted origin", listed, otherOrigin, "", false, 403},
		{"wildcard: any origin, no credentials", any, otherOrigin, "*", false, 204},
		{"wildcard: listed origin keeps credentials", any, appOrigin, appOrigin, true, 204},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/rooms/lobby/messages", "/api/poll", "/api/events"} {
				resp := preflight(tc.n, path, tc.origin, "POST")
				h := resp.Header
				if resp.StatusCode != tc.status {
					t.Errorf("%s: status %d, want %d", path, resp.StatusCode, tc.status)
				}
				if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
					t.Errorf("%s: no Vary: Origin", path)
				}
				if tc.allowOrigin == "" {
					if c := corsHeaders(h); len(c) != 0 {
						t.Errorf("%s: refused preflight has CORS headers %v", path, c)
					}
					continue
				}
				if got := h.Get("Access-Control-Allow-Origin"); got != tc.allowOrigin {
					t.Errorf("%s: Allow-Origin %q, want %q", path, got, tc.allowOrigin)
				}
				if got := h.Get("Access-Control-Allow-Credentials") == "true"; got != tc.allowCreds {
					t.Errorf("%s: Allow-Credentials %v, want %v", path, got, tc.allowCreds)
				}
				if h.Get("Access-Control-Allow-Methods") != "GET, POST, DELETE" ||
					h.Get("Access-Control-Allow-Headers") != "Content-Type, Authorization, Last-Event-ID" ||
					h.Get("Access-Control-Max-Age") == "" {
					t.Errorf("%s: preflight headers %v", path, corsHeaders(h))
				}
			}
		})
	}
}

// With no origins configured, no answer carries a CORS header.
func TestCORSOffByDefault(t *testing.T) {
	n := startNode(t, server.Config{})
	if r := preflight(n, "/api/poll", appOrigin, "GET"); r.StatusCode != http.StatusForbidden || len(corsHeaders(r.Header)) != 0 {
		t.Errorf("preflight answered %d with %v, want 403 without CORS headers (docs/API.md)", r.StatusCode, corsHeaders(r.Header))
	}
	r, err := n.pollGet("rooms=lobby", "Origin", appOrigin)
	if err != nil {
		t.Fatal(err)
	}
	if c := corsHeaders(r.header); len(c) != 0 || r.header.Get("Vary") != "" {
		t.Errorf("poll answered with CORS headers %v, Vary %q", c, r.header.Get("Vary"))
	}
}

// The headers reach answers of every kind: a poll, and an event stream
// served raw on a hijacked connection (which writes w.Header() itself).
func TestCORSHeadersOnPollAndStream(t *testing.T) {
	n := startNode(t, server.Config{CORSOrigins: []string{appOrigin}})
	for i, tc := range []struct {
		origin string
		allow  bool
	}{{appOrigin, true}, {otherOrigin, false}} {
		r, err := n.pollGet("rooms=lobby", "Origin", tc.origin)
		if err != nil || r.status != 200 {
			t.Fatalf("poll from %s: %v %d", tc.origin, err, r.status)
		}
		checkCORS(t, "poll from "+tc.origin, r.header, tc.origin, tc.allow)

		ctx, cancel := context.WithCancel(context.Background())
		req, _ := http.NewRequestWithContext(ctx, "GET", n.ts.URL+"/api/events?rooms=lobby", nil)
		req.Header.Set("Origin", tc.origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
			t.Fatalf("stream from %s: %d %v", tc.origin, resp.StatusCode, resp.Header)
		}
		if n.srv.Streams() != i+1 {
			t.Fatalf("stream is not in raw mode (%d raw streams)", n.srv.Streams())
		}
		checkCORS(t, "stream from "+tc.origin, resp.Header, tc.origin, tc.allow)
		cancel()
		resp.Body.Close()
	}
}

func checkCORS(t *testing.T, what string, h http.Header, origin string, allow bool) {
	t.Helper()
	if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
		t.Errorf("%s: no Vary: Origin in %v", what, h)
	}
	if !allow {
		if c := corsHeaders(h); len(c) != 0 {
			t.Errorf("%s: CORS headers %v for an origin not allowed", what, c)
		}
		return
	}
	if h.Get("Access-Control-Allow-Origin") != origin || h.Get("Access-Control-Allow-Credentials") != "true" ||
		!strings.Contains(h.Get("Access-Control-Expose-Headers"), "Retry-After") {
		t.Errorf("%s: CORS headers %v", what, corsHeaders(h))
	}
}

// A listed origin may post cross-origin (the CSRF check trusts it); any
// other origin is refused, including under "*", which only allows reading.
func TestCORSOriginsPassCSRF(t *testing.T) {
	listed := startNode(t, server.Config{CORSOrigins: []string{appOrigin}})
	any := startNode(t, server.Config{CORSOrigins: []string{"*"}})
	cases := []struct {
		name   string
		n      *node
		origin string
		status int
	}{
		{"listed origin", listed, appOrigin, 201},
		{"unlisted origin", listed, otherOrigin, 403},
		{"origin allowed only by *", any, otherOrigin, 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for _, fetchSite := range []string{"cross-site", ""} { // modern and older browsers
				hdr := []string{"Content-Type", "application/json", "Origin", tc.origin}
				if fetchSite != "" {
					hdr = append(hdr, "Sec-Fetch-Site", fetchSite)
				}
				resp, body := tc.n.do("POST", "/api/rooms/lobby/messages", `{"text":"hi","name":"ada"}`, hdr...)
				if resp.StatusCode != tc.status {
					t.Errorf("Sec-Fetch-Site %q: status %d, want %d: %s", fetchSite, resp.StatusCode, tc.status, body)
				}
				if tc.status == 403 && apiErrorCode(body) != "forbidden" {
					t.Errorf("refusal body %s", body)
				}
			}
		})
	}
}

func TestCORSBadOriginIsAConfigError(t *testing.T) {
	for _, o := range []string{"app.example", "ftp://app.example", "https://app.example/path", "null", "https://"} {
		_, err := server.New(context.Background(), server.Config{DB: t.TempDir() + "/x.db", CORSOrigins: []string{o}})
		if err == nil {
			t.Errorf("origin %q accepted", o)
		} else if !strings.Contains(err.Error(), "scheme://host") {
			t.Errorf("origin %q: error %q does not say what to write", o, err)
		}
	}
}
