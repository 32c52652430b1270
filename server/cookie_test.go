package server_test

import (
	"net/http"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// Behind a TLS-terminating proxy the login cookie is Secure (issue 14):
// from a trusted proxy's X-Forwarded-Proto, or the --secure-cookies
// setting; a client cannot get it by sending the header itself.
func TestLoginCookieSecureBehindProxy(t *testing.T) {
	start := func(cfg server.Config) *node {
		cfg.DB = filepath.Join(t.TempDir(), "parley.db")
		servicetest.CreateUsers(t, cfg.DB, password, "ada")
		return startNode(t, cfg)
	}
	cookie := func(n *node, hdr ...string) string {
		resp, body := n.do("POST", "/api/session", `{"name":"ada","password":"`+password+`"}`, with(asJSON, hdr...)...)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("login: %d %s", resp.StatusCode, body)
		}
		return resp.Header.Get("Set-Cookie")
	}
	proxied := start(server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	if c := cookie(proxied, "X-Forwarded-Proto", "https", "X-Forwarded-For", "192.0.2.1"); !strings.Contains(c, "; Secure") {
		t.Errorf("behind a trusted proxy saying https: cookie %q, want Secure", c)
	}
	if c := cookie(proxied); strings.Contains(c, "Secure") {
		t.Errorf("plain HTTP through the proxy: cookie %q, want no Secure", c)
	}
	direct := start(server.Config{})
	if c := cookie(direct, "X-Forwarded-Proto", "https"); strings.Contains(c, "Secure") {
		t.Errorf("a client claiming https without a trusted proxy: cookie %q, want no Secure", c)
	}
	forced := start(server.Config{SecureCookies: true})
	if c := cookie(forced); !strings.Contains(c, "; Secure") {
		t.Errorf("with SecureCookies: cookie %q, want Secure", c)
	}
}
