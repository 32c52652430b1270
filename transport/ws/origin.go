package ws

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// originPolicy decides which browser pages may open a WebSocket. A browser
// sends the user's cookies with a WebSocket handshake whatever page starts
// it, and the same-origin policy does not apply to WebSockets, so the
// server checks the Origin header itself (cross-site WebSocket hijacking).
type originPolicy struct {
	any    bool
	listed map[string]bool // normalised: "https://app.example"
}

// newOriginPolicy parses allowed origins, scheme://host[:port] (as
// browsers send them: default ports may be written or not) or "*" for
// every origin. The page's own origin (the Origin's host is the request's
// Host) is always allowed.
func newOriginPolicy(allowed []string) (*originPolicy, error) {
	p := &originPolicy{listed: make(map[string]bool)}
	for _, o := range allowed {
		o = strings.TrimSpace(o)
		switch o {
		case "":
			continue
		case "*":
			p.any = true
			continue
		}
		n, ok := normalizeOrigin(o)
		if !ok {
			return nil, fmt.Errorf("allowed WebSocket origin %q: write it as scheme://host[:port], such as https://app.example", o)
		}
		p.listed[n] = true
	}
	return p, nil
}

// normalizeOrigin returns o as a browser sends it: lower case, without a
// path or a default port.
func normalizeOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" ||
		u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", false
	}
	host := strings.ToLower(u.Host)
	if port := u.Port(); (u.Scheme == "http" && port == "80") || (u.Scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return u.Scheme + "://" + host, true
}

// allow reports whether r may be upgraded. A request without an Origin
// header does not come from a browser page (browsers always send one with
// a WebSocket handshake) and is allowed.
func (p *originPolicy) allow(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" || p.any {
		return true
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false // includes the opaque origin "null"
	}
	if strings.EqualFold(u.Host, r.Host) {
		return true
	}
	n, ok := normalizeOrigin(origin)
	return ok && p.listed[n]
}
