package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// TokenLen is the length of a token from NewToken and of an API key
// secret: 32 random bytes (256 bits), base64url without padding.
const TokenLen = 43

// NewToken returns a new random token for a login session and its
// SHA-256 hash. Give the token to the client and store only the hash.
func NewToken() (token string, hash []byte, err error) {
	token, err = random32()
	if err != nil {
		return "", nil, fmt.Errorf("new token: %w", err)
	}
	return token, HashToken(token), nil
}

// HashToken returns the SHA-256 of a token, for looking up the session it
// opens. Any string hashes; a token that was never issued simply finds
// nothing.
func HashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func random32() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// API key layout: "pk_" + id + "_" + secret.
const (
	apiKeyPrefix = "pk_"
	APIKeyIDLen  = 16 // 8 random bytes as lowercase hex
	// APIKeyLen is the length of a whole API key.
	APIKeyLen = len(apiKeyPrefix) + APIKeyIDLen + 1 + TokenLen
)

// NewAPIKey returns a new API key: its public id (16 lowercase hex
// digits), its secret (32 random bytes, base64url) and the whole key
// "pk_<id>_<secret>" to show the user once. Store the id and
// HashSecret(secret).
func NewAPIKey() (id, secret, full string, err error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", "", fmt.Errorf("new API key: %w", err)
	}
	if secret, err = random32(); err != nil {
		return "", "", "", fmt.Errorf("new API key: %w", err)
	}
	id = hex.EncodeToString(b[:])
	return id, secret, apiKeyPrefix + id + "_" + secret, nil
}

// ParseAPIKey splits a key made by NewAPIKey into its id and secret. It
// reports false for anything else: another prefix, wrong lengths,
// uppercase or non-hex id, or a secret that is not 32 bytes of base64url.
// The secret may itself contain '_', so the key is split by position.
func ParseAPIKey(full string) (id, secret string, ok bool) {
	if len(full) != APIKeyLen || !strings.HasPrefix(full, apiKeyPrefix) {
		return "", "", false
	}
	id = full[len(apiKeyPrefix) : len(apiKeyPrefix)+APIKeyIDLen]
	sep := full[len(apiKeyPrefix)+APIKeyIDLen]
	secret = full[len(apiKeyPrefix)+APIKeyIDLen+1:]
	if sep != '_' || !isLowerHex(id) {
		return "", "", false
	}
	if b, err := base64.RawURLEncoding.Strict().DecodeString(secret); err != nil || len(b) != 32 {
		return "", "", false
	}
	return id, secret, true
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// HashSecret returns the SHA-256 of an API key secret, the form stored in
// parley.APIKey.SecretHash.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CheckSecret reports whether secret hashes to hash, comparing in
// constant time.
func CheckSecret(hash []byte, secret string) bool {
	return subtle.ConstantTimeCompare(HashSecret(secret), hash) == 1
}
