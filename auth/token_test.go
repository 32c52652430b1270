package auth

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
)

var (
	tokenRE  = regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`)
	apiKeyRE = regexp.MustCompile(`^pk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$`)
)

func TestNewToken(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		tok, hash, err := NewToken()
		if err != nil {
			t.Fatal(err)
		}
		if !tokenRE.MatchString(tok) || len(tok) != TokenLen {
			t.Fatalf("token %q is not 43 base64url characters", tok)
		}
		if b, err := base64.RawURLEncoding.Strict().DecodeString(tok); err != nil || len(b) != 32 {
			t.Fatalf("token %q does not decode to 32 bytes: %v", tok, err)
		}
		want := sha256.Sum256([]byte(tok))
		if !bytes.Equal(hash, want[:]) || !bytes.Equal(HashToken(tok), hash) {
			t.Fatalf("hash of %q is not its SHA-256", tok)
		}
		if seen[tok] {
			t.Fatalf("token %q repeated", tok)
		}
		seen[tok] = true
	}
	if bytes.Equal(HashToken("a"), HashToken("b")) || len(HashToken("")) != 32 {
		t.Error("HashToken is not SHA-256")
	}
}

func TestNewAPIKey(t *testing.T) {
	ids := map[string]bool{}
	underscores := 0
	for range 1000 {
		id, secret, full, err := NewAPIKey()
		if err != nil {
			t.Fatal(err)
		}
		m := apiKeyRE.FindStringSubmatch(full)
		if m == nil || m[1] != id || m[2] != secret || len(full) != APIKeyLen {
			t.Fatalf("key %q (id %q, secret %q) is not pk_<16 hex>_<43 base64url>", full, id, secret)
		}
		if strings.Contains(secret, "_") {
			underscores++
		}
		gotID, gotSecret, ok := ParseAPIKey(full)
		if !ok || gotID != id || gotSecret != secret {
			t.Fatalf("ParseAPIKey(%q) = %q, %q, %v; want %q, %q, true", full, gotID, gotSecret, ok, id, secret)
		}
		hash := HashSecret(secret)
		if !CheckSecret(hash, secret) {
			t.Fatalf("CheckSecret(HashSecret(s), s) = false")
		}
		if ids[id] {
			t.Fatalf("id %q repeated", id)
		}
		ids[id] = true
	}
	if underscores == 0 {
		t.Error("no secret held '_': the split-by-position case went untested")
	}
}

func TestCheckSecret(t *testing.T) {
	_, secret, _, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	_, other, _, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	hash := HashSecret(secret)
	for name, tc := range map[string]struct {
		hash   []byte
		secret string
	}{
		"other secret":   {hash, other},
		"empty secret":   {hash, ""},
		"prefix":         {hash, secret[:20]},
		"nil hash":       {nil, secret},
		"truncated hash": {hash[:16], secret},
		"raw secret":     {[]byte(secret), secret},
	} {
		if CheckSecret(tc.hash, tc.secret) {
			t.Errorf("%s: CheckSecret = true", name)
		}
	}
}

func TestParseAPIKeyBad(t *testing.T) {
	id, secret, full, err := NewAPIKey()
	if err != nil {
		t.Fatal(err)
	}
	good43 := strings.Repeat("A", 43)
	for name, key := range map[string]string{
		"empty":              "",
		"prefix only":        "pk_",
		"other prefix":       "sk_" + id + "_" + secret,
		"uppercase prefix":   "PK_" + id + "_" + secret,
		"no prefix":          id + "_" + secret,
		"uppercase id":       "pk_" + strings.ToUpper("abcdef0123456789") + "_" + good43,
		"non-hex id":         "pk_0123456789abcdeg_" + good43,
		"short id":           "pk_0123456789abcde_" + good43 + "A",
		"long id":            "pk_0123456789abcdef0_" + good43[:42],
		"other separator":    "pk_" + id + "-" + secret,
		"short secret":       "pk_" + id + "_" + secret[:42],
		"long secret":        full + "A",
		"padded secret":      "pk_" + id + "_" + secret[:42] + "=",
		"std base64 secret":  "pk_" + id + "_" + strings.Repeat("+", 42) + "A",
		"slash secret":       "pk_" + id + "_" + "/" + good43[1:],
		"non-canonical tail": "pk_" + id + "_" + good43[:42] + "B", // unused low bits set
		"space":              " " + full[1:],
		"trailing newline":   full[:len(full)-1] + "\n",
		"unicode":            "pk_" + id + "_" + "é" + good43[2:],
	} {
		if gotID, gotSecret, ok := ParseAPIKey(key); ok || gotID != "" || gotSecret != "" {
			t.Errorf("%s: ParseAPIKey(%q) = %q, %q, %v; want refused", name, key, gotID, gotSecret, ok)
		}
	}
	if _, _, ok := ParseAPIKey("pk_0123456789abcdef_" + good43); !ok {
		t.Error("a well-formed key was refused")
	}
}
