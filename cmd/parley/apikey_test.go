package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
)

func runAPIKey(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = apikeyCmd(t.Context(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestAPIKeyCreate(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	out, errOut, err := runAPIKey(t, "create", "--label", "billing app", "--db", db)
	if err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	if !strings.HasSuffix(out, "\n") || strings.Count(out, "\n") != 1 {
		t.Fatalf("apikey create printed %q, want the key alone on one line", out)
	}
	full := strings.TrimSuffix(out, "\n")
	id, secret, ok := auth.ParseAPIKey(full)
	if !ok {
		t.Fatalf("printed key %q does not parse", full)
	}
	if !strings.Contains(errOut, id) || strings.Contains(errOut, secret) {
		t.Errorf("stderr %q: want the key's ID and not its secret", errOut)
	}

	s := openDB(t, db)
	k, err := s.APIKeyByID(t.Context(), id)
	if err != nil {
		t.Fatalf("APIKeyByID(%q): %v", id, err)
	}
	if !auth.CheckSecret(k.SecretHash, secret) || k.Label != "billing app" || time.Since(k.Created) > time.Minute {
		t.Fatalf("stored key %+v: want the secret's hash, the label and a creation time of now", k)
	}
	if bytes.Contains(k.SecretHash, []byte(secret)) {
		t.Fatal("the secret itself is stored")
	}
	s.Close()

	// Another key is another ID and secret; without a label.
	out2, _, err := runAPIKey(t, "create", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	id2, secret2, ok := auth.ParseAPIKey(strings.TrimSpace(out2))
	if !ok || id2 == id || secret2 == secret {
		t.Fatalf("second key %q: want a new valid key", out2)
	}
	s = openDB(t, db)
	if k, err := s.APIKeyByID(t.Context(), id2); err != nil || k.Label != "" {
		t.Fatalf("second key = %+v, %v", k, err)
	}
	if _, err := s.APIKeyByID(t.Context(), "0000000000000000"); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("APIKeyByID of an unknown ID = %v", err)
	}
}

func TestAPIKeyCreateEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("PARLEY_DB", db)
	t.Setenv("PARLEY_LABEL", "from the environment")
	out, _, err := runAPIKey(t, "create")
	if err != nil {
		t.Fatal(err)
	}
	id, _, ok := auth.ParseAPIKey(strings.TrimSpace(out))
	if !ok {
		t.Fatalf("key %q does not parse", out)
	}
	s := openDB(t, db)
	k, err := s.APIKeyByID(t.Context(), id)
	if err != nil || k.Label != "" {
		t.Fatalf("key in PARLEY_DB = %+v, %v; want it, without a label from PARLEY_LABEL", k, err)
	}
}

func TestAPIKeyRefusals(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	for _, tc := range []struct {
		args     []string
		mentions []string
	}{
		{nil, []string{"create"}},
		{[]string{"revoke"}, []string{"revoke"}},
		{[]string{"create", "extra", "--db", db}, []string{"unexpected", "extra"}},
		{[]string{"create", "--label", strings.Repeat("x", 101), "--db", db}, []string{"too long"}},
		{[]string{"create", "--label", "bell\a", "--db", db}, []string{"printable"}},
	} {
		out, _, err := runAPIKey(t, tc.args...)
		wantErr(t, "apikey "+strings.Join(tc.args, " "), err, tc.mentions...)
		if out != "" {
			t.Errorf("apikey %q printed %q on a refusal", tc.args, out)
		}
	}
}
