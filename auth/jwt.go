package auth

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"

	"github.com/parley-chat/parley"
)

// Connection token algorithms a Verifier can be configured with.
const (
	HS256 = "HS256" // HMAC-SHA256 with a shared secret of at least 32 bytes
	RS256 = "RS256" // RSA PKCS #1 v1.5 with SHA-256, keys of at least 2048 bits
	EdDSA = "EdDSA" // Ed25519
)

// Defaults and limits for connection tokens.
const (
	DefaultLeeway           = 30 * time.Second
	DefaultMaxQueryLifetime = 5 * time.Minute
	MaxTokenLen             = 4096 // bytes of the encoded token
	MinSecretLen            = 32   // bytes of an HS256 secret (RFC 7518 §3.2)
	MaxSubjectLen           = 32   // characters of the sub claim
	MaxRoomClaimLen         = 256  // bytes of one entry of the rooms claim
)

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Algorithm is HS256, RS256 or EdDSA. Tokens signed with any other
	// algorithm, "none" included, are refused.
	Algorithm string
	// Key is, for HS256, the shared secret itself (at least 32 bytes);
	// for RS256 and EdDSA, the application's public key in PEM: a
	// "PUBLIC KEY" (PKIX), an "RSA PUBLIC KEY" (PKCS #1) or a
	// "CERTIFICATE" holding it. LoadKeyFile reads either from a file.
	Key []byte
	// Audience, if set, must be in the token's aud claim (which is then
	// required). Recommended, so that tokens the application makes for
	// other services are not accepted here.
	Audience string
	// Issuer, if set, must equal the token's iss claim.
	Issuer string
	// Leeway is the clock skew tolerated on exp, nbf and iat. Zero means
	// DefaultLeeway; a negative value means none.
	Leeway time.Duration
	// MaxQueryLifetime bounds exp - iat for tokens passed in a URL query
	// (which end up in logs and browser history); such tokens must carry
	// iat. Zero means DefaultMaxQueryLifetime; a negative value refuses
	// tokens in URLs altogether.
	MaxQueryLifetime time.Duration
}

// Verifier checks connection tokens: JWTs that an application signs to
// let one of its users connect. It holds no mutable state and is safe for
// concurrent use.
type Verifier struct {
	alg      string
	key      any // []byte, *rsa.PublicKey or ed25519.PublicKey
	audience string
	issuer   string
	leeway   time.Duration
	maxQuery time.Duration // < 0: tokens in URLs refused
}

// Claims are what a verified connection token says.
type Claims struct {
	// Subject is the user name (claim "sub"), valid by the display-name
	// rule: 1–32 letters, digits, '-', '_' and '.'.
	Subject string
	// Rooms (claim "rooms") restricts the rooms the connection may use.
	// nil, when the claim is absent, means no restriction beyond the
	// server's own rules; an empty, non-nil slice (the claim is []) means
	// no rooms at all. A JSON null is refused as ambiguous. Use AllowsRoom.
	Rooms []string
	// Admin (claim "admin") asks for server-administrator rights. Whether
	// the server honours it is the server's decision.
	Admin bool
	// Guest (claim "guest") says the user is not a registered account of
	// this server but a guest the application vouches for.
	Guest bool
	// ExpiresAt is the exp claim, always present.
	ExpiresAt time.Time
	// IssuedAt is the iat claim, or the zero time when absent.
	IssuedAt time.Time
}

// AllowsRoom reports whether the token lets its holder use room: always
// when the token has no rooms claim, otherwise when room is listed
// (exactly; room names are case-sensitive).
func (c Claims) AllowsRoom(room string) bool {
	return c.Rooms == nil || slices.Contains(c.Rooms, room)
}

// tokenClaims is the JSON payload of a connection token. Mistyped claims
// ("admin": "yes") fail to decode, and the token is refused as malformed.
type tokenClaims struct {
	jwt.RegisteredClaims
	Rooms json.RawMessage `json:"rooms"` // raw, to tell absent from null from []
	Admin bool            `json:"admin"`
	Guest bool            `json:"guest"`
}

// NewVerifier checks cfg and returns a Verifier.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	v := &Verifier{alg: cfg.Algorithm, audience: cfg.Audience, issuer: cfg.Issuer}
	var err error
	switch cfg.Algorithm {
	case HS256:
		if len(cfg.Key) < MinSecretLen {
			return nil, fmt.Errorf("HS256 secret is %d bytes: at least %d are needed (for example 32 random bytes, base64-encoded)", len(cfg.Key), MinSecretLen)
		}
		if bytes.Contains(cfg.Key, []byte("-----BEGIN")) {
			return nil, errors.New("HS256 secret looks like a PEM key: for a public key, use RS256 or EdDSA")
		}
		v.key = bytes.Clone(cfg.Key)
	case RS256:
		v.key, err = rsaPublicKey(cfg.Key)
	case EdDSA:
		v.key, err = ed25519PublicKey(cfg.Key)
	case "":
		return nil, errors.New("no connection token algorithm: choose HS256, RS256 or EdDSA")
	default:
		return nil, fmt.Errorf("connection token algorithm %q is not supported: choose HS256, RS256 or EdDSA", cfg.Algorithm)
	}
	if err != nil {
		return nil, fmt.Errorf("%s key: %w", cfg.Algorithm, err)
	}
	switch {
	case cfg.Leeway == 0:
		v.leeway = DefaultLeeway
	case cfg.Leeway > 0:
		v.leeway = cfg.Leeway
	}
	switch {
	case cfg.MaxQueryLifetime == 0:
		v.maxQuery = DefaultMaxQueryLifetime
	case cfg.MaxQueryLifetime > 0:
		v.maxQuery = cfg.MaxQueryLifetime
	default:
		v.maxQuery = -1
	}
	return v, nil
}

// Algorithm returns the algorithm the Verifier accepts.
func (v *Verifier) Algorithm() string { return v.alg }

// Verify checks a connection token at time now and returns its claims.
// inQuery says the token came in a URL query rather than a header or
// body; such tokens must carry iat and live at most MaxQueryLifetime.
//
// A token is refused when it is longer than MaxTokenLen, malformed, signed
// with another algorithm than the configured one (alg "none" included) or
// with another key, has no exp or has expired, is not valid yet (nbf) or
// issued in the future (iat), names another audience or issuer, has no
// sub or an invalid one, or has a null or invalid rooms claim. All errors
// are *parley.Error with code EUnauthorized; their messages never contain
// the token.
func (v *Verifier) Verify(token string, now time.Time, inQuery bool) (Claims, error) {
	if token == "" {
		return Claims{}, unauthorized("no connection token")
	}
	if len(token) > MaxTokenLen {
		return Claims{}, unauthorized("connection token is %d bytes: the limit is %d; put less in it (long room lists belong in the server's memberships)", len(token), MaxTokenLen)
	}
	if inQuery && v.maxQuery < 0 {
		return Claims{}, unauthorized("connection tokens are not accepted in URLs here: send it in the Authorization header")
	}
	opts := []jwt.ParserOption{
		jwt.WithValidMethods([]string{v.alg}),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(v.leeway),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithStrictDecoding(),
	}
	if v.audience != "" {
		opts = append(opts, jwt.WithAudience(v.audience))
	}
	if v.issuer != "" {
		opts = append(opts, jwt.WithIssuer(v.issuer))
	}
	var tc tokenClaims
	tok, err := jwt.NewParser(opts...).ParseWithClaims(token, &tc, v.keyFor)
	if err != nil {
		return Claims{}, v.explain(err, tok, &tc)
	}
	if _, ok := tok.Header["crit"]; ok {
		return Claims{}, unauthorized("connection token has critical header extensions (crit) that Parley does not understand")
	}
	c := Claims{Subject: tc.Subject, Admin: tc.Admin, Guest: tc.Guest, ExpiresAt: tc.ExpiresAt.Time}
	if tc.IssuedAt != nil {
		c.IssuedAt = tc.IssuedAt.Time
	}
	if err := checkSubject(tc.Subject); err != nil {
		return Claims{}, err
	}
	if c.Rooms, err = decodeRooms(tc.Rooms); err != nil {
		return Claims{}, err
	}
	if inQuery {
		if tc.IssuedAt == nil {
			return Claims{}, unauthorized("connection token in a URL has no issue time (iat): the application must set iat, and exp at most %v later", v.maxQuery)
		}
		if life := c.ExpiresAt.Sub(c.IssuedAt); life > v.maxQuery {
			return Claims{}, unauthorized("connection token in a URL lives %v (iat to exp): at most %v is allowed; ask the application for a shorter-lived one, or send it in the Authorization header", life, v.maxQuery)
		}
	}
	return c, nil
}

// keyFor is the jwt.Keyfunc: the configured key, only for the configured
// algorithm (the parser has checked that already; this is a second lock).
func (v *Verifier) keyFor(t *jwt.Token) (any, error) {
	if t.Method == nil || t.Method.Alg() != v.alg {
		return nil, errors.New("unexpected signing method")
	}
	return v.key, nil
}

// explain turns a jwt error into a *parley.Error saying what is wrong
// with the token. tc may hold claims only when the signature verified
// (errors.Is ErrTokenInvalidClaims); it is not read otherwise.
func (v *Verifier) explain(err error, tok *jwt.Token, tc *tokenClaims) error {
	if errors.Is(err, jwt.ErrTokenMalformed) {
		return unauthorized("connection token is malformed: want a JWT (three base64url parts separated by dots) with a JSON header and claims of the right types")
	}
	if tok != nil && tok.Header != nil {
		alg, _ := tok.Header["alg"].(string)
		if alg == "" {
			return unauthorized("connection token names no algorithm (alg): this server accepts only %s", v.alg)
		}
		if alg != v.alg {
			return unauthorized("connection token is signed with algorithm %.20q: this server accepts only %s", alg, v.alg)
		}
	}
	if !errors.Is(err, jwt.ErrTokenInvalidClaims) {
		// ErrTokenSignatureInvalid, ErrTokenUnverifiable.
		return unauthorized("connection token signature does not verify: the application must sign with the key this server is configured with")
	}
	// The signature is good: the claims can be quoted.
	switch {
	case tc.ExpiresAt == nil:
		return unauthorized("connection token has no expiry (exp): the application must set one")
	case errors.Is(err, jwt.ErrTokenExpired):
		return unauthorized("connection token expired at %s: ask the application for a new one", stamp(tc.ExpiresAt.Time))
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return unauthorized("connection token is not valid before %s: wait, or check the clocks of the application and the server", stamp(tc.NotBefore.Time))
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return unauthorized("connection token was issued in the future (%s): check the clocks of the application and the server", stamp(tc.IssuedAt.Time))
	case v.audience != "" && !slices.ContainsFunc(tc.Audience, func(a string) bool { return a != "" }):
		return unauthorized("connection token has no audience (aud): this server expects %q", v.audience)
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return unauthorized("connection token is meant for another audience: this server expects %q", v.audience)
	case v.issuer != "" && tc.Issuer == "":
		return unauthorized("connection token has no issuer (iss): this server expects %q", v.issuer)
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return unauthorized("connection token is from issuer %.64q: this server expects %q", tc.Issuer, v.issuer)
	default:
		return unauthorized("connection token claims are invalid: check exp, nbf, iat, aud and iss")
	}
}

func checkSubject(sub string) error {
	if sub == "" {
		return unauthorized("connection token has no subject (sub): the application must name the user")
	}
	if !utf8.ValidString(sub) || utf8.RuneCountInString(sub) > MaxSubjectLen {
		return unauthorized("connection token subject is not a valid user name: at most %d characters", MaxSubjectLen)
	}
	for _, r := range sub {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' {
			return unauthorized("connection token subject %q is not a valid user name: use letters, digits, '-', '_' and '.'", sub)
		}
	}
	return nil
}

// decodeRooms decodes the rooms claim: absent gives nil, [] gives an
// empty non-nil slice, null and anything but an array of short, non-empty
// strings are refused.
func decodeRooms(raw json.RawMessage) ([]string, error) {
	if raw == nil {
		return nil, nil
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return nil, unauthorized(`connection token rooms claim is null: omit it to allow every room, or send [] for none`)
	}
	rooms := []string{}
	if err := json.Unmarshal(raw, &rooms); err != nil {
		return nil, unauthorized("connection token rooms claim is not an array of room names")
	}
	for _, r := range rooms {
		if r == "" || len(r) > MaxRoomClaimLen {
			return nil, unauthorized("connection token rooms claim holds an empty or over-long room name")
		}
	}
	return rooms, nil
}

func unauthorized(format string, args ...any) error {
	return parley.Errorf(parley.EUnauthorized, format, args...)
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
