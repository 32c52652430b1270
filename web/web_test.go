package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parley-chat/parley/web"
)

func TestHandlerAssets(t *testing.T) {
	h := web.Handler()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script src="/app.js"`},
		{"/app.js", "text/javascript; charset=utf-8", "Parley.Client"},
		{"/parley.js", "text/javascript; charset=utf-8", "window.Parley"},
		{"/style.css", "text/css; charset=utf-8", ".msg"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tc.path, nil))
			res := rec.Result()
			body, _ := io.ReadAll(res.Body)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: status %d, want 200", tc.path, res.StatusCode)
			}
			want := map[string]string{
				"Content-Type":            tc.ctype,
				"Cache-Control":           "no-cache",
				"X-Content-Type-Options":  "nosniff",
				"Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
			}
			for k, v := range want {
				if got := res.Header.Get(k); got != v {
					t.Errorf("GET %s: %s = %q, want %q", tc.path, k, got, v)
				}
			}
			if !strings.Contains(string(body), tc.contains) {
				t.Errorf("GET %s: body does not contain %q", tc.path, tc.contains)
			}

			// Revalidation with the ETag costs no body.
			etag := res.Header.Get("ETag")
			if etag == "" {
				t.Fatalf("GET %s: no ETag", tc.path)
			}
			req := httptest.NewRequest("GET", tc.path, nil)
			req.Header.Set("If-None-Match", etag)
			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusNotModified {
				t.Errorf("GET %s with If-None-Match: status %d, want 304", tc.path, rec.Code)
			}

			rec = httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("HEAD", tc.path, nil))
			if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
				t.Errorf("HEAD %s: status %d, %d body bytes; want 200 and none", tc.path, rec.Code, rec.Body.Len())
			}
		})
	}
}

func TestHandlerNotFound(t *testing.T) {
	h := web.Handler()
	for _, path := range []string{
		"/index.html", "/static/app.js", "/app.js/", "/nope", "/favicon.ico",
		"/api/rooms", "/../web.go", "/web.go", "/static/",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, rec.Code)
		}
	}
}

func TestHandlerMethod(t *testing.T) {
	rec := httptest.NewRecorder()
	web.Handler().ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader("x")))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /: status %d, want 405", rec.Code)
	}
	if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
		t.Errorf("POST /: Allow = %q, want %q", got, "GET, HEAD")
	}
}

// The page must never put message data into the DOM as HTML.
func TestNoHTMLSinks(t *testing.T) {
	h := web.Handler()
	for _, path := range []string{"/app.js", "/parley.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(rec.Body.String(), sink) {
				t.Errorf("%s uses %s", path, sink)
			}
		}
	}
}
