package authn_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/store/sqlite"
)

var secret = []byte("0123456789abcdef0123456789abcdef")

func sign(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func setup(t *testing.T) (*authn.Resolver, string, string) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateUser(ctx, parley.User{Name: "Ada", Admin: true}, "x"); err != nil {
		t.Fatal(err)
	}
	token, hash, _ := auth.NewToken()
	now := time.Now()
	if err := st.CreateLoginSession(ctx, parley.LoginSession{TokenHash: hash, User: "Ada", Created: now, Expires: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	id, sec, key, _ := auth.NewAPIKey()
	if err := st.CreateAPIKey(ctx, parley.APIKey{ID: id, SecretHash: auth.HashSecret(sec), Label: "shop", Created: now}); err != nil {
		t.Fatal(err)
	}
	v, err := auth.NewVerifier(auth.VerifierConfig{Algorithm: auth.HS256, Key: secret})
	if err != nil {
		t.Fatal(err)
	}
	return &authn.Resolver{Users: st, Verifier: v, Guests: true}, token, key
}

func TestIdentify(t *testing.T) {
	r, session, apiKey := setup(t)
	now := time.Now()
	good := sign(t, jwt.MapClaims{"sub": "bob", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(), "rooms": []string{"lobby"}})
	short := sign(t, jwt.MapClaims{"sub": "bob", "exp": now.Add(time.Minute).Unix(), "iat": now.Unix()})
	expired := sign(t, jwt.MapClaims{"sub": "bob", "exp": now.Add(-time.Hour).Unix()})
	none := "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzdWIiOiJib2IiLCJleHAiOjk5OTk5OTk5OTl9."

	cases := []struct {
		name   string
		path   string
		header string
		cookie *http.Cookie
		want   parley.Identity
		code   parley.Code
	}{
		{"nothing", "/api/rooms", "", nil, parley.Identity{}, ""},
		{"login session header", "/api/rooms", "Bearer " + session, nil, parley.Identity{Name: "Ada", Kind: parley.Registered, Admin: true}, ""},
		{"login session cookie", "/api/rooms", "", &http.Cookie{Name: authn.SessionCookie, Value: session}, parley.Identity{Name: "Ada", Kind: parley.Registered, Admin: true}, ""},
		{"unknown session", "/api/rooms", "Bearer nope", nil, parley.Identity{}, parley.EUnauthorized},
		{"api key", "/api/publish", "Bearer " + apiKey, nil, parley.Identity{Name: "shop", Kind: parley.App}, ""},
		{"api key, wrong secret", "/api/publish", "Bearer " + apiKey[:len(apiKey)-2] + "AA", nil, parley.Identity{}, parley.EUnauthorized},
		{"connection token header", "/api/ws", "Bearer " + good, nil, parley.Identity{Name: "bob", Kind: parley.Registered, Rooms: []string{"lobby"}}, ""},
		{"connection token cookie", "/api/ws", "", &http.Cookie{Name: authn.TokenCookie, Value: good}, parley.Identity{Name: "bob", Kind: parley.Registered, Rooms: []string{"lobby"}}, ""},
		{"expired token", "/api/ws", "Bearer " + expired, nil, parley.Identity{}, parley.EUnauthorized},
		{"alg none", "/api/ws", "Bearer " + none, nil, parley.Identity{}, parley.EUnauthorized},
		{"basic auth", "/api/rooms", "Basic YWRhOng=", nil, parley.Identity{}, parley.EUnauthorized},
		{"token in query for EventSource", "/api/events?token=" + short, "", nil, parley.Identity{Name: "bob", Kind: parley.Registered}, ""},
		{"long-lived token in query", "/api/events?token=" + good, "", nil, parley.Identity{}, parley.EUnauthorized},
		{"token in query elsewhere", "/api/rooms?token=" + short, "", nil, parley.Identity{}, parley.EUnauthorized},
		{"JSONP ignores cookies", "/api/poll?callback=cb", "", &http.Cookie{Name: authn.SessionCookie, Value: session}, parley.Identity{}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", tc.path, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			if tc.cookie != nil {
				req.AddCookie(tc.cookie)
			}
			got, err := r.Identify(req)
			if code := parley.ErrorCode(err); code != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if err != nil {
				return
			}
			if got.Name != tc.want.Name || got.Kind != tc.want.Kind || got.Admin != tc.want.Admin || len(got.Rooms) != len(tc.want.Rooms) {
				t.Errorf("identity %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestGuest(t *testing.T) {
	r, _, _ := setup(t)
	ctx := context.Background()
	g, err := r.Guest(ctx, parley.Identity{}, "zoe", chat.ValidateName)
	if err != nil || g.Kind != parley.Guest || g.Name != "zoe" {
		t.Fatalf("guest = %+v, %v", g, err)
	}
	if _, err := r.Guest(ctx, parley.Identity{}, "ada", chat.ValidateName); parley.ErrorCode(err) != parley.EConflict {
		t.Errorf("guest taking a registered name (other case): %v, want conflict", err)
	}
	if _, err := r.Guest(ctx, parley.Identity{}, "<x>", chat.ValidateName); parley.ErrorCode(err) != parley.EInvalid {
		t.Errorf("bad guest name: %v", err)
	}
	user := parley.Identity{Name: "Ada", Kind: parley.Registered}
	if got, _ := r.Guest(ctx, user, "zoe", chat.ValidateName); got.Name != "Ada" {
		t.Errorf("a logged-in user became %+v by giving a name", got)
	}
	r.Guests = false
	if _, err := r.Guest(ctx, parley.Identity{}, "zoe", chat.ValidateName); parley.ErrorCode(err) != parley.EUnauthorized {
		t.Errorf("guests off: %v", err)
	}
}

func TestStaleCookieIsClearedNotFatal(t *testing.T) {
	r, _, _ := setup(t)
	var got parley.Identity
	h := r.Middleware(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) { got = authn.From(req.Context()) }),
		func(w http.ResponseWriter, _ *http.Request, err error) { http.Error(w, err.Error(), 401) })
	req := httptest.NewRequest("POST", "/api/session", nil)
	req.AddCookie(&http.Cookie{Name: authn.SessionCookie, Value: "ended-session"})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 200 || got.Kind != parley.Anonymous {
		t.Fatalf("stale cookie: status %d, identity %+v; want the request through as anonymous", rec.Code, got)
	}
	if c := rec.Header().Get("Set-Cookie"); !strings.Contains(c, authn.SessionCookie+"=;") || !strings.Contains(c, "Max-Age=0") {
		t.Errorf("Set-Cookie = %q, want the stale cookie cleared", c)
	}
	// A stale bearer token is still an error: the client sent it on purpose.
	req = httptest.NewRequest("GET", "/api/rooms", nil)
	req.Header.Set("Authorization", "Bearer ended-session")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Errorf("stale bearer: status %d, want 401", rec.Code)
	}
}
