package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/store/sqlite"
)

// runUser runs "parley user args..." in-process with stdin as standard
// input and returns what it printed.
func runUser(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = userCmd(t.Context(), args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// openDB opens the database the commands wrote, for checking.
func openDB(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// wantPassword checks that user's stored hash verifies pw.
func wantPassword(t *testing.T, db, user, pw string, want bool) parley.User {
	t.Helper()
	s := openDB(t, db)
	defer s.Close()
	u, hash, err := s.UserByName(t.Context(), user)
	if err != nil {
		t.Fatalf("UserByName(%q): %v", user, err)
	}
	ok, err := auth.CheckPassword(hash, pw)
	if err != nil || ok != want {
		t.Fatalf("CheckPassword(%q's hash, %q) = %v, %v; want %v", user, pw, ok, err, want)
	}
	return u
}

func wantErr(t *testing.T, what string, err error, mentions ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded, want an error mentioning %q", what, mentions)
	}
	for _, m := range mentions {
		if !strings.Contains(err.Error(), m) {
			t.Errorf("%s: error %q does not mention %q", what, err, m)
		}
	}
}

func TestUserAdd(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	out, _, err := runUser(t, "correct horse\n", "add", "ada", "--db", db)
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	if !strings.Contains(out, `"ada"`) || !strings.Contains(out, db) {
		t.Errorf("user add printed %q, want the name and the database", out)
	}
	u := wantPassword(t, db, "ada", "correct horse", true)
	wantPassword(t, db, "ada", "correct horse\n", false)
	if u.Name != "ada" || u.Admin || time.Since(u.Created) > time.Minute {
		t.Fatalf("user = %+v, want ada, not an administrator, created now", u)
	}

	// Flags before or after the name; CRLF line end; no line end at all.
	if _, _, err := runUser(t, "s3cret pass\r\n", "add", "--db", db, "--admin", "Bob"); err != nil {
		t.Fatalf("user add --admin Bob: %v", err)
	}
	if u := wantPassword(t, db, "bob", "s3cret pass", true); u.Name != "Bob" || !u.Admin {
		t.Fatalf("user = %+v, want Bob, an administrator", u)
	}
	if _, _, err := runUser(t, "  spaces kept  ", "add", "carol", "--db", db, "--admin=false"); err != nil {
		t.Fatalf("user add carol: %v", err)
	}
	wantPassword(t, db, "carol", "  spaces kept  ", true)
	// Only the first line is the password.
	if _, _, err := runUser(t, "first line\nsecond line\n", "add", "dave", "--db", db); err != nil {
		t.Fatalf("user add dave: %v", err)
	}
	wantPassword(t, db, "dave", "first line", true)
}

func TestUserAddFromEnvironment(t *testing.T) {
	db := filepath.Join(t.TempDir(), "env.db")
	t.Setenv("PARLEY_DB", db)
	// Only --db comes from the environment.
	t.Setenv("PARLEY_ADMIN", "true")
	if _, _, err := runUser(t, "long enough\n", "add", "ada"); err != nil {
		t.Fatalf("user add with PARLEY_DB: %v", err)
	}
	if u := wantPassword(t, db, "ada", "long enough", true); u.Admin {
		t.Fatal("PARLEY_ADMIN in the environment made the account an administrator")
	}
	// A flag wins over the environment.
	other := filepath.Join(t.TempDir(), "other.db")
	if _, _, err := runUser(t, "long enough\n", "add", "bob", "--db", other); err != nil {
		t.Fatal(err)
	}
	wantPassword(t, other, "bob", "long enough", true)
}

func TestUserAddRefusals(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	if _, _, err := runUser(t, "first password\n", "add", "Ada", "--db", db); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		stdin    string
		args     []string
		mentions []string
	}{
		{"duplicate", "second password\n", []string{"add", "Ada"}, []string{`"Ada"`, "already exists"}},
		{"duplicate in another case", "second password\n", []string{"add", "ADA"}, []string{`"ADA"`, "already exists"}},
		{"short password", "short\n", []string{"add", "bob"}, []string{"too short", "8 characters"}},
		{"7 characters", "1234567\n", []string{"add", "bob"}, []string{"too short"}},
		{"empty password", "\n", []string{"add", "bob"}, []string{"no password"}},
		{"no input", "", []string{"add", "bob"}, []string{"no password"}},
		{"long password", strings.Repeat("x", auth.MaxPasswordLen+1) + "\n", []string{"add", "bob"}, []string{"too long"}},
		{"invalid name", "long enough\n", []string{"add", "bob smith"}, []string{"not allowed"}},
		{"direct room style name", "long enough\n", []string{"add", "@bob"}, []string{"not allowed"}},
		{"no name", "long enough\n", []string{"add"}, []string{"missing NAME"}},
		{"two names", "long enough\n", []string{"add", "bob", "carol"}, []string{"unexpected", "carol"}},
		{"unknown flag", "long enough\n", []string{"add", "bob", "--root"}, []string{"root"}},
		{"unknown subcommand", "", []string{"remove", "bob"}, []string{"remove"}},
		{"no subcommand", "", nil, []string{"add, passwd, list, disable or enable"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := tc.args
			if len(args) > 0 {
				args = append(args, "--db", db)
			}
			_, _, err := runUser(t, tc.stdin, args...)
			wantErr(t, "user "+strings.Join(args, " "), err, tc.mentions...)
		})
	}
	// Nothing but Ada was created, and her password is unchanged.
	s := openDB(t, db)
	users, err := s.Users(t.Context())
	if err != nil || len(users) != 1 || users[0].Name != "Ada" {
		t.Fatalf("users after refusals = %+v, %v; want only Ada", users, err)
	}
	s.Close()
	wantPassword(t, db, "ada", "first password", true)
}

func TestUserPasswd(t *testing.T) {
	ctx := t.Context()
	db := filepath.Join(t.TempDir(), "p.db")
	if _, _, err := runUser(t, "old password\n", "add", "Ada", "--db", db); err != nil {
		t.Fatal(err)
	}
	s := openDB(t, db)
	for i, tok := range []string{"t1", "t2"} {
		ls := parley.LoginSession{TokenHash: auth.HashToken(tok), User: "Ada", Expires: time.Now().Add(time.Hour)}
		if err := s.CreateLoginSession(ctx, ls); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
	s.Close()

	out, _, err := runUser(t, "new password\n", "passwd", "ada", "--db", db)
	if err != nil {
		t.Fatalf("user passwd: %v", err)
	}
	if !strings.Contains(out, "2 login session") {
		t.Errorf("user passwd printed %q, want the number of sessions ended", out)
	}
	wantPassword(t, db, "Ada", "new password", true)
	wantPassword(t, db, "Ada", "old password", false)
	s = openDB(t, db)
	if _, err := s.LoginSessionByHash(ctx, auth.HashToken("t1"), time.Now()); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("a login session survived the password change: %v", err)
	}
	s.Close()

	_, _, err = runUser(t, "new password\n", "passwd", "bob", "--db", db)
	wantErr(t, "passwd of a missing user", err, `"bob"`, "user add")
	_, _, err = runUser(t, "short\n", "passwd", "ada", "--db", db)
	wantErr(t, "passwd with a short password", err, "too short")
	wantPassword(t, db, "ada", "new password", true)
}

// TestMissingDatabase: passwd and list do not create a database at a
// mistyped path.
func TestMissingDatabase(t *testing.T) {
	db := filepath.Join(t.TempDir(), "typo.db")
	_, _, err := runUser(t, "", "list", "--db", db)
	wantErr(t, "user list", err, db, "does not exist")
	_, _, err = runUser(t, "new password\n", "passwd", "ada", "--db", db)
	wantErr(t, "user passwd", err, db, "does not exist")
	if _, err := os.Stat(db); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the commands created %s: %v", db, err)
	}
}

func TestUserList(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	openDB(t, db).Close()
	out, errOut, err := runUser(t, "", "list", "--db", db)
	if err != nil || out != "" || !strings.Contains(errOut, "No users") {
		t.Fatalf("list of no users: stdout %q, stderr %q, %v", out, errOut, err)
	}
	for _, args := range [][]string{{"add", "carol"}, {"add", "--admin", "Ada"}, {"add", "bob"}} {
		if _, _, err := runUser(t, "long enough\n", append(args, "--db", db)...); err != nil {
			t.Fatal(err)
		}
	}
	out, _, err = runUser(t, "", "list", "--db", db)
	if err != nil {
		t.Fatalf("user list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 {
		t.Fatalf("user list printed %q, want a header and 3 users", out)
	}
	for i, want := range [][]string{{"NAME", "ADMIN", "CREATED"}, {"Ada", "yes"}, {"bob", "no"}, {"carol", "no"}} {
		f := strings.Fields(lines[i])
		if len(f) != 3 || f[0] != want[0] || f[1] != want[1] {
			t.Errorf("line %d = %q, want it to start with %q", i, lines[i], want)
		}
	}
	if strings.Contains(out, "argon2") {
		t.Fatalf("user list shows password hashes: %q", out)
	}
}

func TestUserHelp(t *testing.T) {
	out, _, err := runUser(t, "", "help")
	if err != nil || !strings.Contains(out, "parley user add NAME") {
		t.Fatalf("user help = %q, %v", out, err)
	}
	_, _, err = runUser(t, "", "add", "-h")
	if !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("user add -h = %v, want flag.ErrHelp (exit 0)", err)
	}
	var out2 bytes.Buffer
	if err := run(context.Background(), []string{"help"}, &out2, &out2); err != nil || !strings.Contains(out2.String(), "parley user") || !strings.Contains(out2.String(), "parley apikey") {
		t.Fatalf("parley help = %q, %v; want the user and apikey commands", out2.String(), err)
	}
}

// TestParseArgs checks flags among positional arguments and "--".
func TestParseArgs(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		pos   []string
		admin bool
	}{
		{[]string{"ada"}, []string{"ada"}, false},
		{[]string{"ada", "--admin"}, []string{"ada"}, true},
		{[]string{"--admin", "ada"}, []string{"ada"}, true},
		{[]string{"--", "-ada"}, []string{"-ada"}, false},
		{[]string{"--admin", "--", "-ada", "--admin"}, []string{"-ada", "--admin"}, true},
		{[]string{"a", "--admin", "b"}, []string{"a", "b"}, true},
		{nil, nil, false},
	} {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		admin := fs.Bool("admin", false, "")
		pos, err := parseArgs(fs, tc.args)
		if err != nil || strings.Join(pos, "|") != strings.Join(tc.pos, "|") || *admin != tc.admin {
			t.Errorf("parseArgs(%q) = %q, admin %v, %v; want %q, admin %v", tc.args, pos, *admin, err, tc.pos, tc.admin)
		}
	}
}

func TestUserDisableAndEnable(t *testing.T) {
	ctx := t.Context()
	db := filepath.Join(t.TempDir(), "p.db")
	if _, _, err := runUser(t, "a good password\n", "add", "Ada", "--db", db); err != nil {
		t.Fatal(err)
	}
	s := openDB(t, db)
	if err := s.CreateLoginSession(ctx, parley.LoginSession{TokenHash: auth.HashToken("t1"), User: "Ada", Expires: time.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	s.Close()

	out, _, err := runUser(t, "", "disable", "ada", "--db", db)
	if err != nil || !strings.Contains(out, "1 login session") {
		t.Fatalf("user disable: %q, %v; want it to say one session ended", out, err)
	}
	s = openDB(t, db)
	if u, _, err := s.UserByName(ctx, "ada"); err != nil || !u.Disabled {
		t.Errorf("after disable: %+v, %v", u, err)
	}
	if _, err := s.LoginSessionByHash(ctx, auth.HashToken("t1"), time.Now()); parley.ErrorCode(err) != parley.ENotFound {
		t.Errorf("a login session survived disabling: %v", err)
	}
	s.Close()

	if _, _, err := runUser(t, "", "enable", "ada", "--db", db); err != nil {
		t.Fatal(err)
	}
	s = openDB(t, db)
	if u, _, _ := s.UserByName(ctx, "ada"); u.Disabled {
		t.Error("still disabled after enable")
	}
	s.Close()
	_, _, err = runUser(t, "", "disable", "bob", "--db", db)
	wantErr(t, "disable of a missing user", err, `"bob"`, "user list")
}
