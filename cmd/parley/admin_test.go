package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// The admin commands work through a running server's API with an admin's
// login token, and a non-admin's token is refused with the server's reason.
func TestAdminCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "parley.db")
	for _, u := range []string{"root", "ada"} {
		args := []string{"add", u, "--db", db}
		if u == "root" {
			args = append(args, "--admin")
		}
		if _, _, err := runUser(t, "a good long password\n", args...); err != nil {
			t.Fatal(err)
		}
	}
	url, stop, errc := startServe(t, "--db", db)
	defer func() {
		stop()
		<-errc
	}()
	admin := func(stdin string, args ...string) (string, error) {
		t.Helper()
		var out, errOut bytes.Buffer
		err := adminCmd(t.Context(), append([]string{"--url", url}, args...), strings.NewReader(stdin), &out, &errOut)
		return out.String(), err
	}
	login := func(name string) string {
		out, err := admin("a good long password\n", "login", name)
		if err != nil {
			t.Fatalf("admin login %s: %v", name, err)
		}
		var s struct{ Token string }
		if json.Unmarshal([]byte(out), &s) != nil || s.Token == "" {
			t.Fatalf("admin login printed %q", out)
		}
		return s.Token
	}
	t.Setenv(tokenEnv, login("ada"))
	if _, err := admin("", "disable", "root"); err == nil || !strings.Contains(err.Error(), "403") {
		t.Fatalf("a non-admin disabling root: %v, want the server's 403", err)
	}
	t.Setenv(tokenEnv, login("root"))
	steps := []struct {
		args []string
		want string
	}{
		{[]string{"room-create", "design"}, `"name": "design"`},
		{[]string{"private", "design"}, "ok"},
		{[]string{"notices", "design", "off"}, "ok"},
		{[]string{"retention", "design", "--days", "30"}, `"days": 30`},
		{[]string{"publish", "lobby,design", "maintenance at noon"}, "maintenance at noon"},
		{[]string{"messages", "design"}, "maintenance at noon"},
		{[]string{"grant", "ada"}, `"admin": true`},
		{[]string{"revoke", "ada"}, `"admin": false`},
		{[]string{"sessions", "ada"}, `"id"`},
		{[]string{"logout", "ada"}, `"sessions_ended": 1`},
		{[]string{"password", "ada", "--generate"}, `"password"`},
		{[]string{"disable", "ada"}, `"disabled": true`},
		{[]string{"users", "ad"}, `"name": "ada"`},
		{[]string{"key-create", "--label", "the shop"}, `"key": "pk_`},
		{[]string{"keys"}, "the shop"},
		{[]string{"stats"}, `"messages_per_second"`},
		{[]string{"room-delete", "design"}, "ok"},
	}
	for _, s := range steps {
		out, err := admin("", s.args...)
		if err != nil || !strings.Contains(out, s.want) {
			t.Errorf("admin %v: %v\n%s\nwant %q in it", s.args, err, out, s.want)
		}
	}
	if _, err := admin("", "retention", "lobby"); err == nil || !strings.Contains(err.Error(), "--days") {
		t.Errorf("retention without a rule: %v", err)
	}
	if _, err := admin("", "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command") {
		t.Errorf("an unknown command: %v", err)
	}
}
