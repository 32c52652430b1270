package web_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/parley-chat/parley/web"
)

func TestHandlerAssets(t *testing.T) {
	h := web.Handler()
	for _, tc := range []struct {
		path, ctype, contains string
	}{
		{"/", "text/html; charset=utf-8", `<script type="module" src="/js/main.js"`},
		{"/js/main.js", "text/javascript; charset=utf-8", "Parley.Client"},
		{"/js/state.js", "text/javascript; charset=utf-8", "export const state"},
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
		"/index.html", "/static/js/main.js", "/js/main.js/", "/js/", "/js/nope.js", "/app.js", "/nope", "/favicon.ico",
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
	paths := []string{"/parley.js"}
	for _, m := range pageModules(t) {
		paths = append(paths, "/js/"+m)
	}
	for _, path := range paths {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("} {
			if strings.Contains(rec.Body.String(), sink) {
				t.Errorf("%s uses %s", path, sink)
			}
		}
	}
}

// pageModules lists the page's ES modules, as the source tree has them.
func pageModules(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("static/js/*.js")
	if err != nil || len(files) == 0 {
		t.Fatalf("no modules in static/js: %v", err)
	}
	for i, f := range files {
		files[i] = filepath.Base(f)
	}
	return files
}

// Every module the page imports is served, so that no import fails in the
// browser: each import of each module names a module that exists.
func TestModuleImportsResolve(t *testing.T) {
	h := web.Handler()
	importRE := regexp.MustCompile(`(?m)^import\s[^;]*?from\s+'([^']+)';`)
	for _, m := range pageModules(t) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/js/"+m, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /js/%s: status %d", m, rec.Code)
		}
		for _, imp := range importRE.FindAllStringSubmatch(rec.Body.String(), -1) {
			target := path.Join("/js", imp[1])
			r2 := httptest.NewRecorder()
			h.ServeHTTP(r2, httptest.NewRequest("GET", target, nil))
			if r2.Code != http.StatusOK {
				t.Errorf("/js/%s imports %s: GET %s answers %d", m, imp[1], target, r2.Code)
			}
		}
	}
}
