package auth

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"

	"github.com/parley-chat/parley"
)

// cheapParams keep tests fast under the race detector; HashPassword's own
// parameters are exercised by a few tests and the benchmark.
var cheapParams = argonParams{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32}

var phcRE = regexp.MustCompile(`^\$argon2id\$v=19\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func mustHash(t testing.TB, pw string, p argonParams) string {
	t.Helper()
	h, err := hashPassword(pw, p)
	if err != nil {
		t.Fatalf("hashPassword(%q): %v", pw, err)
	}
	return h
}

func TestHashPasswordProduction(t *testing.T) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") || !phcRE.MatchString(h) {
		t.Fatalf("hash %q is not in the expected PHC form", h)
	}
	for pw, want := range map[string]bool{"correct horse battery staple": true, "correct horse battery stapl": false} {
		ok, err := CheckPassword(h, pw)
		if err != nil || ok != want {
			t.Errorf("CheckPassword(%q) = %v, %v; want %v, nil", pw, ok, err, want)
		}
	}
	if NeedsRehash(h) {
		t.Error("NeedsRehash of a fresh hash = true")
	}
}

func TestPasswordRoundTrip(t *testing.T) {
	for _, pw := range []string{
		"hunter22",
		"correct horse battery staple",
		"  spaces around  ",
		"пароль-密码-🔑",
		"a",
		strings.Repeat("x", MaxPasswordLen),
		"with\x00nul",
	} {
		h := mustHash(t, pw, cheapParams)
		if !phcRE.MatchString(h) {
			t.Errorf("hash %q is not in PHC form", h)
		}
		if ok, err := CheckPassword(h, pw); !ok || err != nil {
			t.Errorf("CheckPassword(own hash of %.20q) = %v, %v; want true, nil", pw, ok, err)
		}
	}
}

func TestWrongPassword(t *testing.T) {
	const pw = "Tr0ub4dor&3"
	h := mustHash(t, pw, cheapParams)
	for _, wrong := range []string{strings.Repeat(pw, MaxPasswordLen), "", "tr0ub4dor&3", "Tr0ub4dor&", "Tr0ub4dor&3 ", " Tr0ub4dor&3", "Tr0ub4dor&3\x00", "Tr0ub4dor&4"} {
		if ok, err := CheckPassword(h, wrong); ok || err != nil {
			t.Errorf("CheckPassword(%q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	seen := map[string]bool{}
	salts := map[string]bool{}
	for range 20 {
		h := mustHash(t, "same password", cheapParams)
		if seen[h] {
			t.Fatalf("hash %q repeated", h)
		}
		seen[h] = true
		salt := strings.Split(h, "$")[4]
		if salts[salt] {
			t.Fatalf("salt %q repeated", salt)
		}
		salts[salt] = true
	}
}

// The parameters come from the hash, not from the current defaults.
func TestParamsFromHash(t *testing.T) {
	for _, p := range []argonParams{
		{memory: 64, time: 1, threads: 1, saltLen: 16, keyLen: 32},
		{memory: 128, time: 3, threads: 2, saltLen: 8, keyLen: 16},
		{memory: 256, time: 2, threads: 4, saltLen: 32, keyLen: 64},
	} {
		h := mustHash(t, "pw-params", p)
		if ok, err := CheckPassword(h, "pw-params"); !ok || err != nil {
			t.Errorf("params %+v: CheckPassword = %v, %v; want true, nil", p, ok, err)
		}
		if !NeedsRehash(h) {
			t.Errorf("params %+v: NeedsRehash = false; want true", p)
		}
		got, _, _, err := decodeHash(h)
		if err != nil || got != p {
			t.Errorf("decodeHash(%q) = %+v, %v; want %+v", h, got, err, p)
		}
		// Changing a recorded parameter changes the result: it is used.
		for _, field := range []struct{ from, to string }{{"t=", "t=9"}, {"m=", "m=512"}} {
			parts := strings.Split(h, "$")
			params := strings.Split(parts[3], ",")
			for i := range params {
				if strings.HasPrefix(params[i], field.from) {
					params[i] = field.to
				}
			}
			parts[3] = strings.Join(params, ",")
			tampered := strings.Join(parts, "$")
			if ok, err := CheckPassword(tampered, "pw-params"); ok || err != nil {
				t.Errorf("tampered %q: CheckPassword = %v, %v; want false, nil", tampered, ok, err)
			}
		}
	}
	// A hash made elsewhere with the reference encoding checks out.
	salt := []byte("0123456789abcdef")
	key := argon2.IDKey([]byte("reference"), salt, 3, 1024, 1, 32)
	h := "$argon2id$v=19$m=1024,t=3,p=1$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key)
	if ok, err := CheckPassword(h, "reference"); !ok || err != nil {
		t.Errorf("reference hash: CheckPassword = %v, %v; want true, nil", ok, err)
	}
}

func TestMalformedHash(t *testing.T) {
	good := mustHash(t, "pw", cheapParams)
	parts := strings.Split(good, "$")
	salt, key := parts[4], parts[5]
	with := func(alg, ver, params, s, k string) string {
		return strings.Join([]string{"", alg, ver, params, s, k}, "$")
	}
	for name, h := range map[string]string{
		"empty":            "",
		"plain text":       "hunter2",
		"bcrypt":           "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
		"argon2i":          with("argon2i", "v=19", "m=64,t=1,p=1", salt, key),
		"argon2d":          with("argon2d", "v=19", "m=64,t=1,p=1", salt, key),
		"old version":      with("argon2id", "v=16", "m=64,t=1,p=1", salt, key),
		"no version":       "$argon2id$m=64,t=1,p=1$" + salt + "$" + key,
		"version garbage":  with("argon2id", "v=19x", "m=64,t=1,p=1", salt, key),
		"too few parts":    "$argon2id$v=19$m=64,t=1,p=1$" + salt,
		"too many parts":   good + "$extra",
		"no leading $":     strings.TrimPrefix(good, "$"),
		"params reordered": with("argon2id", "v=19", "t=1,m=64,p=1", salt, key),
		"params missing":   with("argon2id", "v=19", "m=64,t=1", salt, key),
		"params extra":     with("argon2id", "v=19", "m=64,t=1,p=1,k=2", salt, key),
		"m not a number":   with("argon2id", "v=19", "m=abc,t=1,p=1", salt, key),
		"m signed":         with("argon2id", "v=19", "m=+64,t=1,p=1", salt, key),
		"m leading zero":   with("argon2id", "v=19", "m=064,t=1,p=1", salt, key),
		"m empty":          with("argon2id", "v=19", "m=,t=1,p=1", salt, key),
		"m space":          with("argon2id", "v=19", "m= 64,t=1,p=1", salt, key),
		"m too small":      with("argon2id", "v=19", "m=7,t=1,p=1", salt, key),
		"m below 8p":       with("argon2id", "v=19", "m=16,t=1,p=4", salt, key),
		"m huge":           with("argon2id", "v=19", "m=4294967295,t=1,p=1", salt, key),
		"m overflow":       with("argon2id", "v=19", "m=99999999999,t=1,p=1", salt, key),
		"t zero":           with("argon2id", "v=19", "m=64,t=0,p=1", salt, key),
		"t huge":           with("argon2id", "v=19", "m=64,t=1000,p=1", salt, key),
		"p zero":           with("argon2id", "v=19", "m=64,t=1,p=0", salt, key),
		"p over 255":       with("argon2id", "v=19", "m=4096,t=1,p=256", salt, key),
		"salt not base64":  with("argon2id", "v=19", "m=64,t=1,p=1", "!!!!", key),
		"salt padded":      with("argon2id", "v=19", "m=64,t=1,p=1", salt+"==", key),
		"salt url base64":  with("argon2id", "v=19", "m=64,t=1,p=1", "____-___-___-___-___A", key),
		"salt short":       with("argon2id", "v=19", "m=64,t=1,p=1", b64.EncodeToString([]byte("1234567")), key),
		"salt empty":       with("argon2id", "v=19", "m=64,t=1,p=1", "", key),
		"hash not base64":  with("argon2id", "v=19", "m=64,t=1,p=1", salt, "%%%%"),
		"hash short":       with("argon2id", "v=19", "m=64,t=1,p=1", salt, b64.EncodeToString(make([]byte, 15))),
		"hash long":        with("argon2id", "v=19", "m=64,t=1,p=1", salt, b64.EncodeToString(make([]byte, 65))),
		"hash empty":       with("argon2id", "v=19", "m=64,t=1,p=1", salt, ""),
	} {
		ok, err := CheckPassword(h, "pw")
		if ok || !errors.Is(err, ErrMalformedHash) {
			t.Errorf("%s: CheckPassword(%q) = %v, %v; want false, ErrMalformedHash", name, h, ok, err)
		}
		if parley.ErrorCode(err) != parley.EInternal {
			t.Errorf("%s: code %q; want internal", name, parley.ErrorCode(err))
		}
		if !NeedsRehash(h) {
			t.Errorf("%s: NeedsRehash = false; want true", name)
		}
	}
}

func TestHashPasswordRefuses(t *testing.T) {
	for pw, code := range map[string]parley.Code{
		"":                                    parley.EInvalid,
		strings.Repeat("x", MaxPasswordLen+1): parley.ETooLarge,
	} {
		if h, err := HashPassword(pw); parley.ErrorCode(err) != code {
			t.Errorf("HashPassword(len %d) = %q, %v; want code %s", len(pw), h, err, code)
		}
	}
}

func TestValidatePassword(t *testing.T) {
	for _, tc := range []struct {
		pw   string
		code parley.Code
	}{
		{"12345678", ""},
		{"pass word", ""},
		{"пароль12", ""}, // 8 characters, 14 bytes
		{strings.Repeat("x", MaxPasswordLen), ""},
		{"", parley.EInvalid},
		{"1234567", parley.EInvalid},
		{"密码密码密码密", parley.EInvalid}, // 7 characters, 21 bytes
		{"bad\xffutf8-pw", parley.EInvalid},
		{strings.Repeat("x", MaxPasswordLen+1), parley.ETooLarge},
	} {
		if got := parley.ErrorCode(ValidatePassword(tc.pw)); got != tc.code {
			t.Errorf("ValidatePassword(%.20q) code %q; want %q", tc.pw, got, tc.code)
		}
	}
}

func TestDummyCheck(t *testing.T) {
	p, _, key, err := decodeHash(dummyHash)
	if err != nil {
		t.Fatal(err)
	}
	if p != passwordParams {
		t.Errorf("dummy hash params %+v; want the current %+v", p, passwordParams)
	}
	if NeedsRehash(dummyHash) {
		t.Error("NeedsRehash(dummyHash) = true")
	}
	for _, b := range key {
		if b != 0 {
			t.Fatal("dummy key is not all zeros")
		}
	}
	DummyCheck("anything") // must not panic
	if ok, err := CheckPassword(dummyHash, ""); ok || err != nil {
		t.Errorf("CheckPassword(dummyHash, \"\") = %v, %v", ok, err)
	}
}

func BenchmarkHashPassword(b *testing.B) {
	for b.Loop() {
		if _, err := HashPassword("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckPassword(b *testing.B) {
	h, err := HashPassword("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _ := CheckPassword(h, "wrong"); ok {
			b.Fatal("matched")
		}
	}
}

func BenchmarkDummyCheck(b *testing.B) {
	for b.Loop() {
		DummyCheck("wrong")
	}
}
