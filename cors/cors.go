// Package cors lets pages on other origins use the API (REST, event
// streams, long-polls) from a browser, under a policy of allowed origins.
//
// With no origins configured (the default) the policy is off: no CORS
// header is ever sent, and browsers keep other sites' scripts from reading
// any answer. Otherwise, for a request with an Origin header:
//
//   - A preflight (OPTIONS with Access-Control-Request-Method) from an
//     allowed origin is answered here, 204, with the allowed methods and
//     headers and a Max-Age; from any other origin it is refused, 403,
//     without CORS headers, so the browser blocks the real request.
//   - Any other request goes on to the API. From an allowed origin the
//     answer carries Access-Control-Allow-Origin (and Expose-Headers);
//     from others it carries none, and the browser hides it.
//
// Origins are listed explicitly (https://app.example) or as "*", any
// origin. Only an explicitly listed origin gets
// Access-Control-Allow-Credentials: true (its exact value is echoed); "*"
// answers with a literal "*" and never with credentials, as browsers
// require. Every answer of an enabled policy varies by Origin.
//
// CORS only decides what a browser lets a page read. Whether a
// cross-origin POST is accepted is the CSRF check's decision (package
// api): the server wires the explicitly listed origins (Trusted) into it,
// so that a listed origin can post and "*" still cannot.
package cors

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
)

// What a preflight allows, and what answers expose.
const (
	AllowMethods  = "GET, POST, DELETE"
	AllowHeaders  = "Content-Type, Authorization, Last-Event-ID"
	ExposeHeaders = "Retry-After"
	DefaultMaxAge = 10 * time.Minute
)

// ErrorWriter answers a refused preflight in the API's error format.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Config configures a Policy.
type Config struct {
	// Origins are the allowed origins, scheme://host[:port], or "*".
	Origins []string
	// MaxAge is how long a browser may cache a preflight answer.
	MaxAge time.Duration
	// Deny answers refused preflights; nil answers a bare 403.
	Deny ErrorWriter
}

// Policy is a parsed set of allowed origins.
type Policy struct {
	any    bool            // "*" was listed
	listed map[string]bool // normalised explicit origins
	maxAge string
	deny   ErrorWriter
}

// New checks and normalises the origins.
func New(cfg Config) (*Policy, error) {
	p := &Policy{listed: map[string]bool{}, deny: cfg.Deny}
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultMaxAge
	}
	p.maxAge = strconv.Itoa(int(cfg.MaxAge / time.Second))
	for _, o := range cfg.Origins {
		o = strings.TrimSpace(o)
		switch o {
		case "":
			continue
		case "*":
			p.any = true
			continue
		}
		n, err := Normalize(o)
		if err != nil {
			return nil, err
		}
		p.listed[n] = true
	}
	return p, nil
}

// Normalize checks that o is an origin, scheme://host[:port] with an http
// or https scheme and nothing else, and returns it as browsers send it:
// lower case, without a trailing slash or a default port.
func Normalize(o string) (string, error) {
	bad := func(why string) error {
		return fmt.Errorf("CORS origin %q %s: write it as scheme://host[:port], such as https://app.example or http://localhost:3000", o, why)
	}
	if o == "null" {
		return "", bad(`cannot be allowed by name (sandboxed pages and files all send "null")`)
	}
	u, err := url.Parse(o)
	if err != nil {
		return "", bad("is not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", bad("needs an http:// or https:// scheme")
	case u.Host == "" || u.Hostname() == "":
		return "", bad("has no host")
	case u.User != nil:
		return "", bad("has a user name")
	case u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "", u.ForceQuery:
		return "", bad("has a path, query or fragment")
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		host = strings.ToLower(u.Hostname())
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // IPv6
		}
	}
	return u.Scheme + "://" + host, nil
}

// Enabled reports whether any origin is allowed.
func (p *Policy) Enabled() bool { return p.any || len(p.listed) > 0 }

// Trusted returns the explicitly listed origins, normalised and sorted:
// the ones the CSRF check must also accept. "*" is never among them.
func (p *Policy) Trusted() []string {
	out := make([]string, 0, len(p.listed))
	for o := range p.listed {
		out = append(out, o)
	}
	slices.Sort(out)
	return out
}

// allow says how to answer origin: allowed at all, and with credentials.
func (p *Policy) allow(origin string) (ok, credentials bool) {
	if p.listed[strings.ToLower(origin)] {
		return true, true
	}
	return p.any, false
}

// Handler applies the policy in front of next. With the policy off it
// adds no headers and refuses every preflight with 403, as it refuses a
// foreign origin's when it is on.
func (p *Policy) Handler(next http.Handler) http.Handler {
	if !p.Enabled() {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if origin := r.Header.Get("Origin"); origin != "" && isPreflight(r) {
				p.refuse(w, r, origin)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Add("Vary", "Origin")
		origin := r.Header.Get("Origin")
		if origin == "" {
			next.ServeHTTP(w, r) // same-origin or not a browser
			return
		}
		ok, creds := p.allow(origin)
		if isPreflight(r) {
			if !ok {
				p.refuse(w, r, origin)
				return
			}
			p.allowOrigin(h, origin, creds)
			h.Set("Access-Control-Allow-Methods", AllowMethods)
			h.Set("Access-Control-Allow-Headers", AllowHeaders)
			h.Set("Access-Control-Max-Age", p.maxAge)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if ok {
			p.allowOrigin(h, origin, creds)
			h.Set("Access-Control-Expose-Headers", ExposeHeaders)
		}
		next.ServeHTTP(w, r)
	})
}

// isPreflight tells a CORS preflight from any other OPTIONS request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

func (p *Policy) allowOrigin(h http.Header, origin string, creds bool) {
	if creds {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
		return
	}
	h.Set("Access-Control-Allow-Origin", "*")
}

func (p *Policy) refuse(w http.ResponseWriter, r *http.Request, origin string) {
	err := parley.Errorf(parley.EForbidden, "origin %.80q may not use this API from a browser: add it to the server's allowed CORS origins (--cors-origins)", origin)
	if p.deny != nil {
		p.deny(w, r, err)
		return
	}
	http.Error(w, err.Error(), http.StatusForbidden)
}
