package auth

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley"
)

var t0 = time.Date(2026, 11, 21, 19, 20, 0, 0, time.UTC)

var hsSecret = []byte("0123456789abcdef0123456789abcdef-test-secret")

// rsaTestKey is generated once: RSA key generation is slow under -race.
var rsaTestKey = sync.OnceValue(func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
})

func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func pkixPEM(t testing.TB, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("PUBLIC KEY", der)
}

// sign makes a token with the jwt library (signing is allowed in tests).
func sign(t testing.TB, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// craft builds a token by hand: header and claims as given, signature as
// given (already base64url).
func craft(t testing.TB, header, claims any, sig string) string {
	t.Helper()
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(header) + "." + enc(claims) + "." + sig
}

// baseClaims is a valid claim set at t0 for a verifier expecting
// audience "parley" and issuer "app".
func baseClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"sub": "ada",
		"aud": "parley",
		"iss": "app",
		"iat": t0.Add(-time.Minute).Unix(),
		"exp": t0.Add(4 * time.Minute).Unix(),
	}
}

func with(c jwt.MapClaims, kv ...any) jwt.MapClaims {
	out := jwt.MapClaims{}
	for k, v := range c {
		out[k] = v
	}
	for i := 0; i < len(kv); i += 2 {
		if kv[i+1] == nil {
			delete(out, kv[i].(string))
		} else {
			out[kv[i].(string)] = kv[i+1]
		}
	}
	return out
}

// null is a JSON null claim value, as opposed to a nil that deletes it.
var null = json.RawMessage("null")

func newVerifier(t testing.TB, cfg VerifierConfig) *Verifier {
	t.Helper()
	v, err := NewVerifier(cfg)
	if err != nil {
		t.Fatalf("NewVerifier(%s): %v", cfg.Algorithm, err)
	}
	return v
}

// checkRefused asserts that err is EUnauthorized, mentions want, and
// leaks no part of the token.
func checkRefused(t *testing.T, name, token string, err error, want string) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted; want refused with %q", name, want)
		return
	}
	if parley.ErrorCode(err) != parley.EUnauthorized {
		t.Errorf("%s: code %q (%v); want unauthorized", name, parley.ErrorCode(err), err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%s: error %q; want it to mention %q", name, err, want)
	}
	for _, part := range strings.Split(token, ".") {
		if len(part) >= 16 && strings.Contains(err.Error(), part) {
			t.Errorf("%s: error %q contains part of the token", name, err)
		}
	}
}

func TestVerifyAlgorithms(t *testing.T) {
	rk := rsaTestKey()
	epub, epriv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		alg    string
		key    []byte
		method jwt.SigningMethod
		sk     any
	}{
		{HS256, hsSecret, jwt.SigningMethodHS256, hsSecret},
		{RS256, pkixPEM(t, &rk.PublicKey), jwt.SigningMethodRS256, rk},
		{RS256, pemBlock("RSA PUBLIC KEY", x509.MarshalPKCS1PublicKey(&rk.PublicKey)), jwt.SigningMethodRS256, rk},
		{EdDSA, pkixPEM(t, epub), jwt.SigningMethodEdDSA, epriv},
	} {
		v := newVerifier(t, VerifierConfig{Algorithm: tc.alg, Key: tc.key, Audience: "parley", Issuer: "app"})
		if v.Algorithm() != tc.alg {
			t.Errorf("Algorithm() = %q; want %q", v.Algorithm(), tc.alg)
		}
		tok := sign(t, tc.method, tc.sk, with(baseClaims(), "rooms", []string{"lobby", "design"}, "admin", true))
		c, err := v.Verify(tok, t0, false)
		if err != nil {
			t.Errorf("%s: Verify: %v", tc.alg, err)
			continue
		}
		want := Claims{Subject: "ada", Rooms: []string{"lobby", "design"}, Admin: true,
			ExpiresAt: t0.Add(4 * time.Minute), IssuedAt: t0.Add(-time.Minute)}
		if c.Subject != want.Subject || !slices.Equal(c.Rooms, want.Rooms) || c.Admin != want.Admin ||
			c.Guest || !c.ExpiresAt.Equal(want.ExpiresAt) || !c.IssuedAt.Equal(want.IssuedAt) {
			t.Errorf("%s: claims %+v; want %+v", tc.alg, c, want)
		}
		// The same token tampered with: one claim changed, signature kept.
		parts := strings.Split(tok, ".")
		forged := craft(t, map[string]string{"alg": tc.alg, "typ": "JWT"}, with(baseClaims(), "sub", "mallory"), parts[2])
		_, err = v.Verify(forged, t0, false)
		checkRefused(t, tc.alg+" tampered", forged, err, "signature does not verify")
	}
}

// Every token below is presented to an HS256 verifier expecting audience
// "parley" and issuer "app", at t0.
func TestVerifyHS256(t *testing.T) {
	v := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret, Audience: "parley", Issuer: "app"})
	hs := func(c jwt.MapClaims) string { return sign(t, jwt.SigningMethodHS256, hsSecret, c) }
	base := baseClaims()

	good := []struct {
		name  string
		token string
		check func(Claims) bool
	}{
		{"minimal", hs(base), func(c Claims) bool { return c.Subject == "ada" && c.Rooms == nil && !c.Admin && !c.Guest }},
		{"no iat", hs(with(base, "iat", nil)), func(c Claims) bool { return c.IssuedAt.IsZero() }},
		{"rooms absent: no restriction", hs(base), func(c Claims) bool { return c.Rooms == nil && c.AllowsRoom("anything") }},
		{"rooms empty: none", hs(with(base, "rooms", []string{})), func(c Claims) bool { return c.Rooms != nil && len(c.Rooms) == 0 && !c.AllowsRoom("lobby") }},
		{"rooms listed", hs(with(base, "rooms", []string{"lobby", "@ada,bob"})), func(c Claims) bool {
			return c.AllowsRoom("lobby") && c.AllowsRoom("@ada,bob") && !c.AllowsRoom("design") && !c.AllowsRoom("Lobby")
		}},
		{"guest", hs(with(base, "guest", true, "sub", "Guest_42")), func(c Claims) bool { return c.Guest && c.Subject == "Guest_42" }},
		{"admin false", hs(with(base, "admin", false)), func(c Claims) bool { return !c.Admin }},
		{"unicode name", hs(with(base, "sub", "Zoë.ü-1")), func(c Claims) bool { return c.Subject == "Zoë.ü-1" }},
		{"32-character name", hs(with(base, "sub", strings.Repeat("é", 32))), func(c Claims) bool { return true }},
		{"aud in a list", hs(with(base, "aud", []string{"other", "parley"})), func(c Claims) bool { return true }},
		{"expired within leeway", hs(with(base, "exp", t0.Add(-20*time.Second).Unix())), func(c Claims) bool { return true }},
		{"nbf within leeway", hs(with(base, "nbf", t0.Add(20*time.Second).Unix())), func(c Claims) bool { return true }},
		{"nbf past", hs(with(base, "nbf", t0.Add(-time.Hour).Unix())), func(c Claims) bool { return true }},
		{"iat within leeway", hs(with(base, "iat", t0.Add(20*time.Second).Unix())), func(c Claims) bool { return true }},
		{"long lifetime outside a URL", hs(with(base, "exp", t0.Add(24*time.Hour).Unix())), func(c Claims) bool { return true }},
		{"unknown claims ignored", hs(with(base, "jti", "x1", "name", "Ada L.")), func(c Claims) bool { return true }},
		{"kid header ignored", func() string {
			tk := jwt.NewWithClaims(jwt.SigningMethodHS256, base)
			tk.Header["kid"] = "k1"
			s, _ := tk.SignedString(hsSecret)
			return s
		}(), func(c Claims) bool { return true }},
	}
	for _, tc := range good {
		c, err := v.Verify(tc.token, t0, false)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
		} else if !tc.check(c) {
			t.Errorf("%s: unexpected claims %+v", tc.name, c)
		}
	}

	noneHeader := map[string]string{"alg": "none", "typ": "JWT"}
	hmacSig := func(header map[string]string, claims jwt.MapClaims) string {
		tok := craft(t, header, claims, "")
		s, err := jwt.SigningMethodHS256.Sign(strings.TrimSuffix(tok, "."), hsSecret)
		if err != nil {
			t.Fatal(err)
		}
		return tok + base64.RawURLEncoding.EncodeToString(s)
	}
	bad := []struct {
		name  string
		token string
		want  string
	}{
		{"empty", "", "no connection token"},
		{"one part", "abc", "malformed"},
		{"two parts", "abc.def", "malformed"},
		{"four parts", hs(base) + ".x", "malformed"},
		{"garbage base64", "!!!.???.***", "malformed"},
		{"header not JSON", base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".e30.", "malformed"},
		{"padded base64", strings.Replace(hs(base), ".", "=.", 1), "malformed"},
		{"admin not a bool", hs(with(base, "admin", "yes")), "malformed"},
		{"exp a string", hs(with(base, "exp", "tomorrow")), "malformed"},
		{"sub a number", hs(with(base, "sub", 42)), "malformed"},
		{"alg none", craft(t, noneHeader, base, ""), `algorithm "none"`},
		{"alg none, signed anyway", craft(t, noneHeader, base, "c2ln"), `algorithm "none"`},
		{"alg None", craft(t, map[string]string{"alg": "None"}, base, ""), `algorithm "None"`},
		{"alg missing", craft(t, map[string]string{"typ": "JWT"}, base, ""), "names no algorithm (alg)"},
		{"alg not a string", craft(t, map[string]any{"alg": 256}, base, ""), "names no algorithm (alg)"},
		{"alg unknown", craft(t, map[string]string{"alg": "XS256"}, base, "c2ln"), `algorithm "XS256"`},
		{"alg HS384, same secret", sign(t, jwt.SigningMethodHS384, hsSecret, base), `algorithm "HS384"`},
		{"alg HS512, same secret", sign(t, jwt.SigningMethodHS512, hsSecret, base), `algorithm "HS512"`},
		{"alg RS256", sign(t, jwt.SigningMethodRS256, rsaTestKey(), base), `algorithm "RS256"`},
		{"wrong secret", sign(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-32b"), base), "signature does not verify"},
		{"no signature", craft(t, map[string]string{"alg": "HS256"}, base, ""), "signature does not verify"},
		{"crit header", hmacSig(map[string]string{"alg": "HS256", "crit": "exp"}, base), "crit"},
		{"expired", hs(with(base, "exp", t0.Add(-time.Minute).Unix())), "expired at 2026-11-21T19:19:00Z: ask the application for a new one"},
		{"expired long ago", hs(with(base, "exp", t0.Add(-48*time.Hour).Unix())), "expired at"},
		{"no exp", hs(with(base, "exp", nil)), "no expiry (exp)"},
		{"nbf in the future", hs(with(base, "nbf", t0.Add(5*time.Minute).Unix())), "not valid before 2026-11-21T19:25:00Z"},
		{"iat in the future", hs(with(base, "iat", t0.Add(5*time.Minute).Unix())), "issued in the future"},
		{"wrong audience", hs(with(base, "aud", "other-service")), `another audience: this server expects "parley"`},
		{"wrong audiences", hs(with(base, "aud", []string{"a", "b"})), "another audience"},
		{"no audience", hs(with(base, "aud", nil)), "no audience (aud)"},
		{"empty audience", hs(with(base, "aud", "")), "no audience (aud)"},
		{"wrong issuer", hs(with(base, "iss", "evil")), `issuer "evil": this server expects "app"`},
		{"no issuer", hs(with(base, "iss", nil)), "no issuer (iss)"},
		{"no sub", hs(with(base, "sub", nil)), "no subject (sub)"},
		{"empty sub", hs(with(base, "sub", "")), "no subject (sub)"},
		{"sub with a space", hs(with(base, "sub", "ada lovelace")), "not a valid user name"},
		{"sub with a slash", hs(with(base, "sub", "a/b")), "not a valid user name"},
		{"sub with a control", hs(with(base, "sub", "ada\n")), "not a valid user name"},
		{"sub with @", hs(with(base, "sub", "ada@example.com")), "not a valid user name"},
		{"sub too long", hs(with(base, "sub", strings.Repeat("a", 33))), "not a valid user name"},
		{"rooms null", hs(with(base, "rooms", null)), "rooms claim is null"},
		{"rooms a string", hs(with(base, "rooms", "lobby")), "rooms claim is not an array"},
		{"rooms numbers", hs(with(base, "rooms", []int{1})), "rooms claim is not an array"},
		{"rooms with empty name", hs(with(base, "rooms", []string{"lobby", ""})), "empty or over-long"},
		{"rooms with null entry", hs(with(base, "rooms", []any{"lobby", nil})), "empty or over-long"},
		{"rooms with long name", hs(with(base, "rooms", []string{strings.Repeat("r", MaxRoomClaimLen+1)})), "empty or over-long"},
		{"oversized", hs(with(base, "pad", strings.Repeat("x", MaxTokenLen))), "the limit is 4096"},
	}
	for _, tc := range bad {
		_, err := v.Verify(tc.token, t0, false)
		checkRefused(t, tc.name, tc.token, err, tc.want)
	}
}

// An HS256 token whose HMAC key is the RSA public key PEM — which an
// attacker can read — must not pass an RS256 verifier (algorithm
// confusion). Nor may tokens of other algorithms.
func TestVerifyAlgorithmConfusion(t *testing.T) {
	rk := rsaTestKey()
	pubPEM := pkixPEM(t, &rk.PublicKey)
	rs := newVerifier(t, VerifierConfig{Algorithm: RS256, Key: pubPEM})
	epub, epriv, _ := ed25519.GenerateKey(rand.Reader)
	ed := newVerifier(t, VerifierConfig{Algorithm: EdDSA, Key: pkixPEM(t, epub)})
	hs := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret})
	claims := with(baseClaims(), "aud", nil, "iss", nil)

	for _, tc := range []struct {
		name  string
		v     *Verifier
		token string
		want  string
	}{
		{"HS256 keyed with the RSA PEM", rs, sign(t, jwt.SigningMethodHS256, pubPEM, claims), `algorithm "HS256": this server accepts only RS256`},
		{"HS256 keyed with the RSA PEM, no newline", rs, sign(t, jwt.SigningMethodHS256, []byte(strings.TrimSpace(string(pubPEM))), claims), `algorithm "HS256"`},
		{"HS256 keyed with the DER key", rs, sign(t, jwt.SigningMethodHS256, x509.MarshalPKCS1PublicKey(&rk.PublicKey), claims), `algorithm "HS256"`},
		{"PS256 with the right key", rs, sign(t, jwt.SigningMethodPS256, rk, claims), `algorithm "PS256"`},
		{"RS512 with the right key", rs, sign(t, jwt.SigningMethodRS512, rk, claims), `algorithm "RS512"`},
		{"none to RS256", rs, craft(t, map[string]string{"alg": "none", "typ": "JWT"}, claims, ""), `algorithm "none"`},
		{"HS256 keyed with the Ed25519 PEM", ed, sign(t, jwt.SigningMethodHS256, pkixPEM(t, epub), claims), `algorithm "HS256"`},
		{"RS256 to EdDSA", ed, sign(t, jwt.SigningMethodRS256, rk, claims), `algorithm "RS256"`},
		{"none to EdDSA", ed, craft(t, map[string]string{"alg": "none"}, claims, ""), `algorithm "none"`},
		{"EdDSA to HS256", hs, sign(t, jwt.SigningMethodEdDSA, epriv, claims), `algorithm "EdDSA"`},
		{"RS256 to HS256", hs, sign(t, jwt.SigningMethodRS256, rk, claims), `algorithm "RS256"`},
	} {
		_, err := tc.v.Verify(tc.token, t0, false)
		checkRefused(t, tc.name, tc.token, err, tc.want)
	}
	// The right algorithm with another key fails on the signature.
	_, otherPriv, _ := ed25519.GenerateKey(rand.Reader)
	tok := sign(t, jwt.SigningMethodEdDSA, otherPriv, claims)
	_, err := ed.Verify(tok, t0, false)
	checkRefused(t, "EdDSA, other key", tok, err, "signature does not verify")
}

func TestVerifyQueryTokens(t *testing.T) {
	v := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret})
	hs := func(kv ...any) string {
		return sign(t, jwt.SigningMethodHS256, hsSecret, with(jwt.MapClaims{"sub": "ada"}, kv...))
	}
	iat := t0.Add(-time.Minute)
	for _, tc := range []struct {
		name  string
		token string
		want  string // "" when accepted
	}{
		{"5 min exactly", hs("iat", iat.Unix(), "exp", iat.Add(5*time.Minute).Unix()), ""},
		{"1 min", hs("iat", iat.Unix(), "exp", iat.Add(time.Minute).Unix()), ""},
		{"5 min 1 s", hs("iat", iat.Unix(), "exp", iat.Add(5*time.Minute+time.Second).Unix()), "lives 5m1s (iat to exp): at most 5m0s"},
		{"a day", hs("iat", iat.Unix(), "exp", iat.Add(24*time.Hour).Unix()), "at most 5m0s"},
		{"no iat", hs("exp", t0.Add(time.Minute).Unix()), "no issue time (iat)"},
		{"no exp", hs("iat", iat.Unix()), "no expiry"},
	} {
		_, err := v.Verify(tc.token, t0, true)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		checkRefused(t, tc.name, tc.token, err, tc.want)
	}
	// Outside a URL the lifetime and iat rules do not apply.
	if _, err := v.Verify(hs("exp", t0.Add(24*time.Hour).Unix()), t0, false); err != nil {
		t.Errorf("header token without iat: %v", err)
	}

	long := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret, MaxQueryLifetime: time.Hour})
	if _, err := long.Verify(hs("iat", iat.Unix(), "exp", iat.Add(time.Hour).Unix()), t0, true); err != nil {
		t.Errorf("MaxQueryLifetime 1h, 1h token: %v", err)
	}
	never := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret, MaxQueryLifetime: -1})
	tok := hs("iat", iat.Unix(), "exp", iat.Add(time.Minute).Unix())
	_, err := never.Verify(tok, t0, true)
	checkRefused(t, "MaxQueryLifetime < 0", tok, err, "not accepted in URLs")
	if _, err := never.Verify(tok, t0, false); err != nil {
		t.Errorf("MaxQueryLifetime < 0, header token: %v", err)
	}
}

func TestVerifyLeeway(t *testing.T) {
	tok := sign(t, jwt.SigningMethodHS256, hsSecret, jwt.MapClaims{"sub": "ada", "exp": t0.Unix()})
	for _, tc := range []struct {
		leeway time.Duration
		at     time.Duration // after exp
		ok     bool
	}{
		{0, 29 * time.Second, true}, // the default, 30 s
		{0, 31 * time.Second, false},
		{-1, -time.Second, true}, // no leeway
		{-1, 0, false},           // exp is exclusive
		{-1, time.Second, false},
		{2 * time.Minute, 119 * time.Second, true},
		{2 * time.Minute, 121 * time.Second, false},
	} {
		v := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret, Leeway: tc.leeway})
		_, err := v.Verify(tok, t0.Add(tc.at), false)
		if (err == nil) != tc.ok {
			t.Errorf("leeway %v, %v after exp: err %v; want ok=%v", tc.leeway, tc.at, err, tc.ok)
		}
	}
}

// The size limit is checked before anything is parsed.
func TestVerifyOversized(t *testing.T) {
	v := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret})
	tok := strings.Repeat("A", MaxTokenLen+1)
	_, err := v.Verify(tok, t0, false)
	checkRefused(t, "4097 bytes", tok, err, "4097 bytes: the limit is 4096")
	if strings.Contains(err.Error(), "AAAA") {
		t.Errorf("error %q quotes the token", err)
	}
	// Just under the limit, a valid token passes.
	claims := jwt.MapClaims{"sub": "ada", "exp": t0.Add(time.Minute).Unix(), "pad": ""}
	small := sign(t, jwt.SigningMethodHS256, hsSecret, claims)
	pad := (MaxTokenLen - len(small)) * 3 / 4
	for ; pad > 0; pad-- {
		claims["pad"] = strings.Repeat("x", pad)
		if tok = sign(t, jwt.SigningMethodHS256, hsSecret, claims); len(tok) <= MaxTokenLen {
			break
		}
	}
	if _, err := v.Verify(tok, t0, false); err != nil {
		t.Errorf("%d-byte token: %v", len(tok), err)
	}
}

func TestNewVerifierRefuses(t *testing.T) {
	rk := rsaTestKey()
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	epub, epriv, _ := ed25519.GenerateKey(rand.Reader)
	privDER, _ := x509.MarshalPKCS8PrivateKey(epriv)
	rsaPEM, edPEM := pkixPEM(t, &rk.PublicKey), pkixPEM(t, epub)
	for _, tc := range []struct {
		name string
		cfg  VerifierConfig
		want string
	}{
		{"no algorithm", VerifierConfig{Key: hsSecret}, "no connection token algorithm"},
		{"unknown algorithm", VerifierConfig{Algorithm: "ES256", Key: hsSecret}, "not supported"},
		{"lowercase algorithm", VerifierConfig{Algorithm: "hs256", Key: hsSecret}, "not supported"},
		{"none", VerifierConfig{Algorithm: "none"}, "not supported"},
		{"short secret", VerifierConfig{Algorithm: HS256, Key: []byte("secret")}, "at least 32"},
		{"no secret", VerifierConfig{Algorithm: HS256}, "at least 32"},
		{"PEM as secret", VerifierConfig{Algorithm: HS256, Key: rsaPEM}, "looks like a PEM key"},
		{"RS256 without key", VerifierConfig{Algorithm: RS256}, "no PEM block"},
		{"RS256 with garbage", VerifierConfig{Algorithm: RS256, Key: []byte("not a key")}, "no PEM block"},
		{"RS256 with Ed25519 key", VerifierConfig{Algorithm: RS256, Key: edPEM}, "needs an RSA public key"},
		{"RS256 with 1024 bits", VerifierConfig{Algorithm: RS256, Key: pkixPEM(t, &small.PublicKey)}, "1024 bits"},
		{"RS256 with private key", VerifierConfig{Algorithm: RS256, Key: pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(rk))}, "only the public key"},
		{"EdDSA with private key", VerifierConfig{Algorithm: EdDSA, Key: pemBlock("PRIVATE KEY", privDER)}, "only the public key"},
		{"EdDSA with RSA key", VerifierConfig{Algorithm: EdDSA, Key: rsaPEM}, "needs an Ed25519 public key"},
		{"EdDSA with bad DER", VerifierConfig{Algorithm: EdDSA, Key: pemBlock("PUBLIC KEY", []byte("junk"))}, "EdDSA key"},
		{"other PEM type", VerifierConfig{Algorithm: EdDSA, Key: pemBlock("CERTIFICATE REQUEST", []byte("x"))}, "not a public key"},
	} {
		v, err := NewVerifier(tc.cfg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewVerifier = %v, %v; want an error mentioning %q", tc.name, v, err, tc.want)
		}
	}
}

// A certificate holding the key is accepted too, and the caller's key
// bytes are not retained (changing them later changes nothing).
func TestNewVerifierKeyForms(t *testing.T) {
	epub, epriv, _ := ed25519.GenerateKey(rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "app"},
		NotBefore: t0.Add(-time.Hour), NotAfter: t0.Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, epub, epriv)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, VerifierConfig{Algorithm: EdDSA, Key: pemBlock("CERTIFICATE", der)})
	claims := jwt.MapClaims{"sub": "ada", "exp": t0.Add(time.Minute).Unix()}
	if _, err := v.Verify(sign(t, jwt.SigningMethodEdDSA, epriv, claims), t0, false); err != nil {
		t.Errorf("certificate key: %v", err)
	}

	secret := slices.Clone(hsSecret)
	hv := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: secret})
	secret[0] ^= 0xff
	if _, err := hv.Verify(sign(t, jwt.SigningMethodHS256, hsSecret, claims), t0, false); err != nil {
		t.Errorf("after the caller changed its key slice: %v", err)
	}
}

func TestLoadKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tc := range []struct {
		content, want string
	}{
		{"s3cret\n", "s3cret"},
		{"s3cret\r\n", "s3cret"},
		{"s3cret", "s3cret"},
		{"s3cret\n\n", "s3cret\n"}, // only one newline goes
		{" s3cret \n", " s3cret "},
	} {
		got, err := LoadKeyFile(write("k", []byte(tc.content)))
		if err != nil || string(got) != tc.want {
			t.Errorf("LoadKeyFile(%q) = %q, %v; want %q", tc.content, got, err, tc.want)
		}
	}
	if _, err := LoadKeyFile(write("big", make([]byte, maxKeyFile+1))); err == nil {
		t.Error("LoadKeyFile of a 64 KiB + 1 file: no error")
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("LoadKeyFile of a missing file: no error")
	}

	// A PEM file works as written by openssl, trailing newline and all.
	epub, epriv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := LoadKeyFile(write("pub.pem", pkixPEM(t, epub)))
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, VerifierConfig{Algorithm: EdDSA, Key: key})
	if _, err := v.Verify(sign(t, jwt.SigningMethodEdDSA, epriv, jwt.MapClaims{"sub": "ada", "exp": t0.Add(time.Minute).Unix()}), t0, false); err != nil {
		t.Errorf("key from file: %v", err)
	}
}

func TestVerifyConcurrent(t *testing.T) {
	v := newVerifier(t, VerifierConfig{Algorithm: HS256, Key: hsSecret, Audience: "parley", Issuer: "app"})
	tok := sign(t, jwt.SigningMethodHS256, hsSecret, baseClaims())
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 50 {
				if _, err := v.Verify(tok, t0, false); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

func BenchmarkVerifyHS256(b *testing.B) {
	v := newVerifier(b, VerifierConfig{Algorithm: HS256, Key: hsSecret, Audience: "parley", Issuer: "app"})
	tok := sign(b, jwt.SigningMethodHS256, hsSecret, with(baseClaims(), "rooms", []string{"lobby"}))
	for b.Loop() {
		if _, err := v.Verify(tok, t0, false); err != nil {
			b.Fatal(err)
		}
	}
}

// Verify refuses anything but a well-signed, unexpired token with a valid
// subject, with an unauthorized error; it never panics.
func FuzzVerify(f *testing.F) {
	v, err := NewVerifier(VerifierConfig{Algorithm: HS256, Key: hsSecret})
	if err != nil {
		f.Fatal(err)
	}
	now := time.Now()
	good := sign(f, jwt.SigningMethodHS256, hsSecret, jwt.MapClaims{"sub": "ada", "exp": now.Add(time.Hour).Unix(), "rooms": []string{"pub"}})
	for _, s := range []string{good, good + "x", "", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZGEifQ.", strings.Repeat(".", 3)} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, token string, inQuery bool) {
		c, err := v.Verify(token, now, inQuery)
		if err != nil {
			if parley.ErrorCode(err) != parley.EUnauthorized || parley.ErrorMessage(err) == "" {
				t.Fatalf("Verify(%q) = %v: want an unauthorized error with a message", token, err)
			}
			return
		}
		if c.Subject == "" || !c.ExpiresAt.After(now) {
			t.Fatalf("Verify(%q) accepted claims %+v", token, c)
		}
	})
}
