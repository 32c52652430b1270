// Package web serves Parley's browser chat page: a static HTML page, its
// script and style sheet, and parley.js, a small client library for the
// HTTP API. Everything is embedded in the binary; there is no build step.
//
// The lead mounts Handler at "/" with the API under "/api/", so only the
// exact asset paths below are answered here and everything else is 404.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"maps"
	"net/http"
	"path"
	"time"
)

//go:embed static
var static embed.FS

// CSP is the Content-Security-Policy of every answer. The page loads only
// its own script and style files (no inline code), talks only to its own
// origin, and cannot be framed.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'"

// asset is one embedded file, read once at start.
type asset struct {
	name  string // for http.ServeContent; only its extension would matter
	ctype string
	etag  string
	body  []byte
}

// javascript is the Content-Type of scripts and modules.
const javascript = "text/javascript; charset=utf-8"

// routes maps request paths to embedded files and their Content-Type. The
// type is set explicitly so it never depends on the host's mime tables.
// The page's ES modules, static/js/*.js, are added as /js/NAME.js.
var routes = map[string]struct{ file, ctype string }{
	"/":          {"static/index.html", "text/html; charset=utf-8"},
	"/parley.js": {"static/parley.js", javascript},
	"/style.css": {"static/style.css", "text/css; charset=utf-8"},
	"/admin":     {"static/admin.html", "text/html; charset=utf-8"},
	"/admin.css": {"static/admin.css", "text/css; charset=utf-8"},
}

// modules lists the page's ES modules: request path to embedded file.
func modules() map[string]string {
	files, err := fs.Glob(static, "static/js/*.js")
	if err != nil {
		panic("web: " + err.Error()) // only a malformed pattern fails
	}
	m := make(map[string]string, len(files))
	for _, f := range files {
		m["/js/"+path.Base(f)] = f
	}
	return m
}

// Handler returns the handler of the chat page and its assets. It answers
// GET and HEAD on "/", "/admin" (the admin console), "/parley.js",
// "/style.css", "/admin.css" and the pages' modules
// "/js/NAME.js", 405 for other methods on those paths, and 404 for every
// other path.
func Handler() http.Handler {
	all := maps.Clone(routes)
	for p, f := range modules() {
		all[p] = struct{ file, ctype string }{f, javascript}
	}
	assets := make(map[string]*asset, len(all))
	for p, r := range all {
		b, err := fs.ReadFile(static, r.file)
		if err != nil {
			// The files are embedded at build time: a missing one is a bug.
			panic("web: " + err.Error())
		}
		sum := sha256.Sum256(b)
		assets[p] = &asset{
			name:  r.file,
			ctype: r.ctype,
			etag:  `"` + hex.EncodeToString(sum[:8]) + `"`,
			body:  b,
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a, ok := assets[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", a.ctype)
		// no-cache: the browser revalidates every time (cheap, thanks to
		// the ETag), so a new binary's page is picked up at once.
		h.Set("Cache-Control", "no-cache")
		h.Set("ETag", a.etag)
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		// ServeContent handles HEAD, If-None-Match and Range.
		http.ServeContent(w, r, a.name, time.Time{}, bytes.NewReader(a.body))
	})
}
