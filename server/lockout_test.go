package server_test

import (
	"net/http"
	"net/netip"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/server"
)

// Failed logins from one address lock that address out of the account,
// not the account's owner (issue 14): anyone who knows a name could
// otherwise keep its owner locked out. Unknown names answer alike.
func TestLockoutDoesNotLockTheOwnerOut(t *testing.T) {
	cfg := server.Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}
	cfg.DB = filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, cfg.DB, password, "ada")
	n := startNode(t, cfg)
	login := func(name, pw, from string) int {
		resp, _ := n.do("POST", "/api/session", `{"name":"`+name+`","password":"`+pw+`"}`, with(asJSON, "X-Forwarded-For", from)...)
		return resp.StatusCode
	}
	for _, name := range []string{"ada", "nobody"} {
		var last int
		for range 8 {
			last = login(name, "guess", "192.0.2.66")
		}
		if last != http.StatusTooManyRequests {
			t.Errorf("8 failures for %q from one address: last answer %d, want 429 (alike for known and unknown names)", name, last)
		}
	}
	if got := login("ada", password, "192.0.2.66"); got != http.StatusTooManyRequests {
		t.Errorf("the attacker's address with the right password: %d, want still locked (429)", got)
	}
	if got := login("ada", password, "198.51.100.1"); got != http.StatusOK {
		t.Errorf("the owner from her own address: %d, want 200: the attacker locked her out", got)
	}
}
