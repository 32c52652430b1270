package auth

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/parley-chat/parley"
)

// Password length rules, checked by ValidatePassword. MaxPasswordLen also
// bounds HashPassword, so a huge body cannot make hashing expensive.
const (
	MinPasswordLen = 8    // characters
	MaxPasswordLen = 1024 // bytes
)

// argonParams are the argon2id cost parameters of one hash.
type argonParams struct {
	memory  uint32 // KiB
	time    uint32 // passes
	threads uint8
	saltLen int // bytes
	keyLen  int // bytes
}

// passwordParams are the parameters of new hashes: OWASP's first
// recommendation for argon2id (m = 19 MiB, t = 2, p = 1), about 27 ms on
// one core of the build machine. Raise them here; old hashes stay valid
// because CheckPassword reads the parameters from the hash, and
// NeedsRehash reports hashes made with other parameters.
var passwordParams = argonParams{memory: 19 * 1024, time: 2, threads: 1, saltLen: 16, keyLen: 32}

// Limits on the parameters CheckPassword accepts from a stored hash, so
// that a corrupt hash cannot make one check take minutes or gigabytes.
const (
	maxMemory  = 1 << 20 // KiB (1 GiB)
	maxTime    = 64
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64
)

// ErrMalformedHash is returned (wrapped) by CheckPassword and NeedsRehash
// for a stored hash that is not a PHC argon2id string Parley can check.
// It is a server-side problem, so it is not a *parley.Error: callers map
// it to parley.EInternal and log it.
var ErrMalformedHash = errors.New("malformed password hash")

var b64 = base64.RawStdEncoding // PHC strings use standard base64 without padding

// dummyHash is a hash with the current parameters that no password
// matches (its key is all zeros), checked by DummyCheck.
var dummyHash = encodeHash(passwordParams, make([]byte, passwordParams.saltLen), make([]byte, passwordParams.keyLen))

// ValidatePassword checks a new password against the length rules: at
// least MinPasswordLen characters and at most MaxPasswordLen bytes of
// valid UTF-8. Any characters are allowed, spaces included.
func ValidatePassword(pw string) error {
	if !utf8.ValidString(pw) {
		return parley.Errorf(parley.EInvalid, "password is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(pw); n < MinPasswordLen {
		return parley.Errorf(parley.EInvalid, "password is too short: use at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return parley.Errorf(parley.ETooLarge, "password is too long: at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// HashPassword hashes pw with argon2id and a fresh 16-byte salt and
// returns the PHC string. It refuses an empty password and one longer
// than MaxPasswordLen (EInvalid, ETooLarge); other rules are
// ValidatePassword's.
func HashPassword(pw string) (string, error) {
	return hashPassword(pw, passwordParams)
}

func hashPassword(pw string, p argonParams) (string, error) {
	if pw == "" {
		return "", parley.Errorf(parley.EInvalid, "password is empty")
	}
	if len(pw) > MaxPasswordLen {
		return "", parley.Errorf(parley.ETooLarge, "password is too long: at most %d bytes", MaxPasswordLen)
	}
	salt := make([]byte, p.saltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(p.keyLen))
	return encodeHash(p, salt, key), nil
}

func encodeHash(p argonParams, salt, key []byte) string {
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.memory, p.time, p.threads, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether pw matches hash, a PHC argon2id string as
// made by HashPassword, using the parameters recorded in the hash. The
// final comparison is constant-time. A malformed hash is an error
// wrapping ErrMalformedHash; a wrong password is (false, nil). A password
// longer than MaxPasswordLen, which HashPassword never accepted, is
// wrong without being hashed.
func CheckPassword(hash, pw string) (bool, error) {
	p, salt, key, err := decodeHash(hash)
	if err != nil {
		return false, err
	}
	if len(pw) > MaxPasswordLen {
		return false, nil
	}
	got := argon2.IDKey([]byte(pw), salt, p.time, p.memory, p.threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1, nil
}

// DummyCheck does the work of CheckPassword against a hash with the
// current parameters that nothing matches. Call it when a login names an
// unknown user, so the answer takes as long as for a known one and its
// timing does not tell which user names exist.
func DummyCheck(pw string) {
	_, _ = CheckPassword(dummyHash, pw)
}

// NeedsRehash reports whether hash was made with parameters other than
// the current ones (or is malformed), so the caller should hash the
// password again after a successful login and store the new hash.
func NeedsRehash(hash string) bool {
	p, salt, key, err := decodeHash(hash)
	if err != nil {
		return true
	}
	cur := passwordParams
	return p.memory != cur.memory || p.time != cur.time || p.threads != cur.threads ||
		len(salt) != cur.saltLen || len(key) != cur.keyLen
}

// decodeHash parses "$argon2id$v=19$m=M,t=T,p=P$salt$key" strictly: the
// fields in this order, decimal numbers without signs or leading zeros,
// unpadded standard base64, and every value within limits.
func decodeHash(hash string) (p argonParams, salt, key []byte, err error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrMalformedHash, fmt.Sprintf(format, args...))
	}
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[0] != "" {
		return p, nil, nil, bad("want $argon2id$v=19$m=...,t=...,p=...$salt$hash")
	}
	if parts[1] != "argon2id" {
		return p, nil, nil, bad("algorithm %.20q is not argon2id", parts[1])
	}
	v, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		return p, nil, nil, bad("no version")
	}
	if n, ok := parseDecimal(v); !ok || n != argon2.Version {
		return p, nil, nil, bad("version %.20q is not %d", v, argon2.Version)
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, bad("want parameters m=...,t=...,p=...")
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return p, nil, nil, bad("parameter %d is not %s...", i+1, name)
		}
		if vals[i], ok = parseDecimal(s); !ok {
			return p, nil, nil, bad("parameter %s%.20q is not a number", name, s)
		}
	}
	m, t, threads := vals[0], vals[1], vals[2]
	switch {
	case threads < 1 || threads > 255:
		return p, nil, nil, bad("p=%d is out of range 1..255", threads)
	case m < 8*threads || m > maxMemory:
		return p, nil, nil, bad("m=%d is out of range %d..%d", m, 8*threads, maxMemory)
	case t < 1 || t > maxTime:
		return p, nil, nil, bad("t=%d is out of range 1..%d", t, maxTime)
	}
	p = argonParams{memory: uint32(m), time: uint32(t), threads: uint8(threads)}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, bad("salt is not base64")
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, bad("hash is not base64")
	}
	if len(salt) < minSaltLen || len(salt) > maxSaltLen {
		return p, nil, nil, bad("salt is %d bytes: want %d..%d", len(salt), minSaltLen, maxSaltLen)
	}
	if len(key) < minKeyLen || len(key) > maxKeyLen {
		return p, nil, nil, bad("hash is %d bytes: want %d..%d", len(key), minKeyLen, maxKeyLen)
	}
	p.saltLen, p.keyLen = len(salt), len(key)
	return p, salt, key, nil
}

// parseDecimal parses a canonical unsigned decimal: digits only, no sign,
// no leading zero (except "0"), at most 10 digits.
func parseDecimal(s string) (uint64, bool) {
	if s == "" || len(s) > 10 || (len(s) > 1 && s[0] == '0') {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}
