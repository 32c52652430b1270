// Package authn finds out who is behind an HTTP request and puts the
// answer, a parley.Identity, into the request's context.
//
// Credentials, in the order they are looked for:
//
//  1. Authorization: Bearer X, where X is an API key (pk_...), a connection
//     token signed by the application (a JWT), or a login session token.
//  2. The login session cookie (set by POST /api/session for the page).
//  3. The connection-token cookie (set by an application for its users).
//  4. For GET /api/events only (EventSource cannot set headers), a
//     connection token in the "token" query parameter; it must be short-lived.
//
// No credentials make an anonymous identity; a guest is an anonymous
// caller who gives a display name (see Guest). Credentials that are
// present but wrong are an error, never a silent downgrade to anonymous.
//
// Cookies are ignored on JSONP requests: a <script> tag on any site sends
// them, so honouring them would let other sites read a user's private rooms.
package authn

import (
	"context"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/chat"
)

// Cookie names.
const (
	SessionCookie = "parley_session" // login session token, HttpOnly
	TokenCookie   = "parley_token"   // application connection token
)

// Resolver identifies requests.
type Resolver struct {
	Users    parley.UserStore
	Verifier *auth.Verifier // nil: connection tokens are not accepted
	Guests   bool           // guests are admitted
	Now      func() time.Time
	// Lookalike returns the account whose name looks like name (the same
	// Unicode skeleton), "" if none; nil: names are compared exactly.
	Lookalike func(ctx context.Context, name string) (string, error)
	// GuestNameTaken reports whether a guest online goes by name from
	// another browser than the one with guest key key; nil: guest names
	// are not checked against the people online.
	GuestNameTaken func(name, key string) bool
}

type ctxKey struct{}

// errStaleCookie: the login session cookie names a session that has ended.
var errStaleCookie = errors.New("authn: login session cookie has expired")

// With returns ctx carrying id.
func With(ctx context.Context, id parley.Identity) context.Context {
	return context.WithValue(ctx, ctxKey{}, id)
}

// From returns the identity in ctx; anonymous when there is none.
func From(ctx context.Context) parley.Identity {
	id, _ := ctx.Value(ctxKey{}).(parley.Identity)
	return id
}

// Middleware identifies each request and stores the identity in its
// context; requests with bad credentials are answered through writeErr.
func (a *Resolver) Middleware(next http.Handler, writeErr func(http.ResponseWriter, *http.Request, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(WithGuestKey(r.Context(), guestKeyOf(r)))
		id, err := a.Identify(r)
		if errors.Is(err, errStaleCookie) {
			// The page cannot read its HttpOnly cookie, so it could never
			// recover from a 401: clear the cookie and carry on anonymous.
			http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			id, err = parley.Identity{}, nil
		}
		if err != nil {
			writeErr(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(With(r.Context(), id)))
	})
}

// Identify returns who is behind r.
func (a *Resolver) Identify(r *http.Request) (parley.Identity, error) {
	ctx := r.Context()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, cred, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || cred == "" {
			return parley.Identity{}, parley.Errorf(parley.EUnauthorized, "Authorization header must be \"Bearer TOKEN\"")
		}
		return a.bearer(ctx, strings.TrimSpace(cred))
	}
	if r.URL.Query().Get("callback") == "" { // not JSONP: see the package doc
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			id, err := a.loginSession(ctx, c.Value)
			if parley.ErrorCode(err) == parley.EUnauthorized {
				return id, errStaleCookie
			}
			return id, err
		}
		if c, err := r.Cookie(TokenCookie); err == nil && c.Value != "" {
			return a.connectionToken(c.Value, false)
		}
	}
	if name := r.URL.Query().Get("name"); name != "" && r.Method == http.MethodGet {
		// A guest's stream names its guest for presence.
		return a.Guest(ctx, parley.Identity{}, name, chat.ValidateName)
	}
	if t := r.URL.Query().Get("token"); t != "" {
		if r.Method != http.MethodGet || r.URL.Path != "/api/events" {
			return parley.Identity{}, parley.Errorf(parley.EUnauthorized,
				"a token in the URL is accepted only by GET /api/events: send it as \"Authorization: Bearer TOKEN\"")
		}
		return a.connectionToken(t, true)
	}
	return parley.Identity{}, nil
}

func (a *Resolver) now() time.Time {
	if a.Now != nil {
		return a.Now()
	}
	return time.Now()
}

// bearer tells the three kinds of bearer credential apart by their form.
func (a *Resolver) bearer(ctx context.Context, cred string) (parley.Identity, error) {
	switch {
	case strings.HasPrefix(cred, "pk_"):
		return a.apiKey(ctx, cred)
	case strings.Count(cred, ".") == 2:
		return a.connectionToken(cred, false)
	default:
		return a.loginSession(ctx, cred)
	}
}

func (a *Resolver) apiKey(ctx context.Context, full string) (parley.Identity, error) {
	bad := parley.Errorf(parley.EUnauthorized, "API key is not valid: create one with \"parley apikey create\"")
	id, secret, ok := auth.ParseAPIKey(full)
	if !ok {
		return parley.Identity{}, bad
	}
	k, err := a.Users.APIKeyByID(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Identity{}, bad
	}
	if err != nil {
		return parley.Identity{}, err
	}
	if !auth.CheckSecret(k.SecretHash, secret) {
		return parley.Identity{}, bad
	}
	return parley.Identity{Name: k.Label, Kind: parley.App, Key: k.ID}, nil
}

func (a *Resolver) loginSession(ctx context.Context, token string) (parley.Identity, error) {
	hash := auth.HashToken(token)
	s, err := a.Users.LoginSessionByHash(ctx, hash, a.now())
	if parley.ErrorCode(err) == parley.ENotFound {
		return parley.Identity{}, parley.Errorf(parley.EUnauthorized, "session has expired or ended: log in again")
	}
	if err != nil {
		return parley.Identity{}, err
	}
	u, _, err := a.Users.UserByName(ctx, s.User)
	if err != nil {
		return parley.Identity{}, err
	}
	if u.Disabled {
		return parley.Identity{}, errDisabled
	}
	return parley.Identity{Name: u.Name, Kind: parley.Registered, Admin: u.Admin, Session: hex.EncodeToString(hash), Expires: s.Expires}, nil
}

func (a *Resolver) connectionToken(token string, inQuery bool) (parley.Identity, error) {
	if a.Verifier == nil {
		return parley.Identity{}, parley.Errorf(parley.EUnauthorized, "this server accepts no connection tokens: configure --jwt-key")
	}
	c, err := a.Verifier.Verify(token, a.now(), inQuery)
	if err != nil {
		return parley.Identity{}, err
	}
	id := parley.Identity{Name: c.Subject, Kind: parley.Registered, Admin: c.Admin, Rooms: c.Rooms, Expires: c.ExpiresAt}
	if c.Guest {
		id.Kind, id.Admin = parley.Guest, false
	}
	return id, nil
}

// Guest returns the identity to act as when id gives the display name
// name: id itself when it already has a name, else a guest, if guests are
// admitted and the name is not a registered user's.
func (a *Resolver) Guest(ctx context.Context, id parley.Identity, name string, validate func(string) error) (parley.Identity, error) {
	if id.Kind != parley.Anonymous {
		return id, nil
	}
	if !a.Guests {
		return id, parley.Errorf(parley.EUnauthorized, "this server does not admit guests: log in")
	}
	if err := validate(name); err != nil {
		return id, err
	}
	_, _, err := a.Users.UserByName(ctx, name)
	switch parley.ErrorCode(err) {
	case parley.ENotFound:
		if a.Lookalike != nil {
			account, err := a.Lookalike(ctx, name)
			if err != nil {
				return id, err
			}
			if account != "" {
				return id, parley.Errorf(parley.EConflict, "the name %q looks like another person's: choose a name that does not", name)
			}
		}
		key := guestKey(ctx)
		if a.GuestNameTaken != nil && a.GuestNameTaken(name, key) {
			return id, parley.Errorf(parley.EConflict, "the name %q is in use by a guest who is online: choose another name", name)
		}
		return parley.Identity{Name: name, Kind: parley.Guest, GuestKey: key}, nil
	case "":
		return id, parley.Errorf(parley.EConflict, "the name %q is not available: choose another name, or log in if it is yours", name)
	default:
		return id, err
	}
}

var errDisabled = parley.Errorf(parley.EUnauthorized, "this account is disabled: ask an administrator")
