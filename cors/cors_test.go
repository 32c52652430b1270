package cors_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/parley-chat/parley/cors"
)

func TestNormalize(t *testing.T) {
	good := map[string]string{
		"https://app.example":      "https://app.example",
		"https://App.Example/":     "https://app.example",
		"https://app.example:443":  "https://app.example",
		"http://app.example:80":    "http://app.example",
		"http://localhost:3000":    "http://localhost:3000",
		"https://app.example:8443": "https://app.example:8443",
		"http://[::1]:8080":        "http://[::1]:8080",
		"http://[::1]:80":          "http://[::1]",
		"HTTP://app.example":       "http://app.example",
	}
	for in, want := range good {
		got, err := cors.Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"app.example", "null", "ftp://x", "https://", "https://u@app.example", "https://app.example/p", "https://app.example?q", "https://app.example#f", "*.example"} {
		if got, err := cors.Normalize(in); err == nil {
			t.Errorf("Normalize(%q) = %q, want an error", in, got)
		}
	}
}

func TestTrustedExcludesWildcard(t *testing.T) {
	p, err := cors.New(cors.Config{Origins: []string{"*", " https://b.example ", "https://a.example:443", ""}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Trusted(), []string{"https://a.example", "https://b.example"}; !slices.Equal(got, want) {
		t.Errorf("Trusted = %v, want %v", got, want)
	}
}

func TestDisabledPolicyIsTransparent(t *testing.T) {
	p, err := cors.New(cors.Config{})
	if err != nil {
		t.Fatal(err)
	}
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("OPTIONS", "/api/poll", nil)
	req.Header.Set("Origin", "https://a.example")
	req.Header.Set("Access-Control-Request-Method", "GET")
	p.Handler(next).ServeHTTP(rec, req)
	if rec.Code != http.StatusForbidden || rec.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("disabled policy answered a preflight %d with %v, want 403 without CORS headers", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	req = httptest.NewRequest("GET", "/api/poll", nil)
	req.Header.Set("Origin", "https://a.example")
	p.Handler(next).ServeHTTP(rec, req)
	if rec.Code != 299 || len(rec.Header()) != 0 {
		t.Errorf("disabled policy answered a GET %d with %v, want it passed through untouched", rec.Code, rec.Header())
	}
}

func TestNonPreflightOptionsPassesThrough(t *testing.T) {
	p, _ := cors.New(cors.Config{Origins: []string{"https://a.example"}})
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(299) })
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("OPTIONS", "/api/poll", nil)
	req.Header.Set("Origin", "https://a.example")
	p.Handler(next).ServeHTTP(rec, req)
	if rec.Code != 299 || rec.Header().Get("Access-Control-Allow-Origin") != "https://a.example" {
		t.Errorf("plain OPTIONS answered %d with %v", rec.Code, rec.Header())
	}
}
