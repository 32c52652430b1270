package authn

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
)

// GuestCookie names the browser a guest is in: a random value the server
// gives every browser on its first API request (HttpOnly, a year). A guest
// name in use by someone online cannot be taken from another browser,
// while tabs and reloads of the same browser keep it. It is no credential
// for anything else.
const GuestCookie = "parley_guest"

const guestCookieAge = 365 * 24 * 3600 // seconds

type guestKeyCtx struct{}

// guestKeyOf returns the guest key of the request's browser: the hash of
// its guest cookie, "" without one. JSONP requests (a script tag on any
// site) do not read it, as with every cookie.
func guestKeyOf(r *http.Request) string {
	if r.URL.Query().Get("callback") != "" {
		return ""
	}
	if c, err := r.Cookie(GuestCookie); err == nil && validGuestCookie(c.Value) {
		return hashGuestCookie(c.Value)
	}
	return ""
}

// EnsureGuestCookie gives the browser a guest cookie when it has none
// (GET /api/session does, which a page asks first). A client without
// one has no guest key: it never holds a name against others, and one
// that keeps no cookies is not taken for a new browser at each request.
func EnsureGuestCookie(w http.ResponseWriter, r *http.Request, secure bool) {
	if c, err := r.Cookie(GuestCookie); err == nil && validGuestCookie(c.Value) {
		return
	}
	b := make([]byte, 16)
	rand.Read(b) // never fails (crypto/rand)
	http.SetCookie(w, &http.Cookie{
		Name: GuestCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/", MaxAge: guestCookieAge,
		HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: secure,
	})
}

func validGuestCookie(v string) bool {
	b, err := base64.RawURLEncoding.DecodeString(v)
	return err == nil && len(b) == 16
}

// hashGuestCookie is what the server keeps of a guest cookie: its hash,
// so that a presence listing or a log never holds the cookie itself.
func hashGuestCookie(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:12])
}

// WithGuestKey returns ctx carrying the browser's guest key, which Guest
// gives the identities it makes.
func WithGuestKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, guestKeyCtx{}, key)
}

// GuestKeyFrom returns the guest key in ctx, "" when there is none.
func GuestKeyFrom(ctx context.Context) string { return guestKey(ctx) }

func guestKey(ctx context.Context) string {
	k, _ := ctx.Value(guestKeyCtx{}).(string)
	return k
}
