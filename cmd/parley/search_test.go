package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/server"
)

const testPassword = "correct horse battery"

// searchFixture makes a database with a public line, a private room of
// ada's with a line, and a DM from ada to bob, each holding "budget".
func searchFixture(t *testing.T) string {
	t.Helper()
	db := filepath.Join(t.TempDir(), "parley.db")
	s := openDB(t, db)
	ctx := t.Context()
	hash, err := auth.HashPassword(testPassword)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ada", "bob", "eve"} {
		if err := s.CreateUser(ctx, parley.User{Name: u}, hash); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateRoom(ctx, &parley.Room{Name: "staff"}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRoom(ctx, "staff", parley.RoomSettings{Visibility: parley.RoomPrivate, Owner: "ada", Notices: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMember(ctx, parley.Member{Room: "staff", User: "ada", Role: parley.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	dm := parley.DirectRoomName("ada", "bob")
	if err := s.CreateRoom(ctx, &parley.Room{Name: dm}); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateRoom(ctx, dm, parley.RoomSettings{Visibility: parley.RoomDirect}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"ada", "bob"} {
		if err := s.SetMember(ctx, parley.Member{Room: dm, User: u, Role: parley.RoleMember}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)
	msgs := []*parley.Message{
		{Room: "lobby", Kind: parley.KindMessage, From: "gus", Text: "public budget line", Time: t0},
		{Room: "staff", Kind: parley.KindMessage, From: "ada", Text: "staff budget secret", Time: t0.Add(time.Minute)},
		{Room: dm, Kind: parley.KindMessage, From: "ada", Text: "ada-bob budget whisper", Time: t0.Add(2 * time.Minute)},
		{Room: "lobby", Kind: parley.KindMessage, From: "gus", Text: "\x1b[31mred\x1b[0m budget", Time: t0.Add(3 * time.Minute)},
	}
	if err := s.Append(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	s.Close()
	return db
}

func runCmd(t *testing.T, cmd func(context.Context, []string, *bytes.Buffer, *bytes.Buffer) error, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := cmd(t.Context(), args, &out, &errOut)
	return out.String(), errOut.String(), err
}

func search(ctx context.Context, args []string, out, errOut *bytes.Buffer) error {
	return searchCmd(ctx, args, out, errOut)
}

func export(ctx context.Context, args []string, out, errOut *bytes.Buffer) error {
	return exportCmd(ctx, args, out, errOut)
}

func TestSearchLocal(t *testing.T) {
	db := searchFixture(t)
	out, _, err := runCmd(t, search, "budget", "--db", db)
	if err != nil {
		t.Fatal(err)
	}
	// The operator's tool sees everything.
	for _, want := range []string{"public *budget* line", "staff *budget* secret", "ada-bob *budget* whisper", "@ada,bob", "<ada>", "2026-11-21T09:01:00Z"} {
		if !strings.Contains(out, want) {
			t.Errorf("search output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("search output passes on an escape sequence from the log: %q", out)
	}
	out, _, err = runCmd(t, search, "--room", "staff", "--db", db, "budget", "secret")
	if err != nil || strings.Count(out, "\n") != 1 || !strings.Contains(out, "staff") {
		t.Errorf("search in staff for two words: %v\n%s", err, out)
	}
	out, errOut, err := runCmd(t, search, "budget", "--db", db, "--limit", "1", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var page parley.SearchPage
	if err := json.Unmarshal([]byte(out), &page); err != nil || len(page.Hits) != 1 || page.Next == "" {
		t.Fatalf("--json page = %+v, %v\n%s", page, err, out)
	}
	if !strings.Contains(errOut, "--cursor "+page.Next) {
		t.Errorf("stderr %q does not give the next page's cursor", errOut)
	}
	out, _, err = runCmd(t, search, "budget", "--db", db, "--limit", "1", "--cursor", page.Next, "--json")
	var next parley.SearchPage
	if err != nil || json.Unmarshal([]byte(out), &next) != nil || len(next.Hits) != 1 || next.Hits[0].Message.ID == page.Hits[0].Message.ID {
		t.Errorf("second page: %v %s", err, out)
	}
	out, _, err = runCmd(t, search, "nothinglikeit", "--db", db)
	if err != nil || !strings.Contains(out, "no messages found") {
		t.Errorf("search without results: %v %q", err, out)
	}
	for _, tc := range []struct {
		args     []string
		mentions string
	}{
		{[]string{"--db", db}, "missing QUERY"},
		{[]string{"***", "--db", db}, "no words"},
		{[]string{"budget", "--db", db, "--room", "nosuch"}, "nosuch"},
		{[]string{"budget", "--db", db, "--since", "yesterday"}, "RFC 3339"},
		{[]string{"budget", "--db", db, "--limit", "500"}, "--limit"},
		{[]string{"budget", "--db", filepath.Join(t.TempDir(), "missing.db")}, "does not exist"},
		{[]string{"budget", "--db", db, "--url", "http://127.0.0.1:1"}, "not both"},
		{[]string{"budget", "--url", "ftp://x"}, "not a server address"},
		{[]string{"budget", "--token", "t"}, "--token goes with --url"},
	} {
		_, _, err := runCmd(t, search, tc.args...)
		wantErr(t, "search "+strings.Join(tc.args, " "), err, tc.mentions)
	}
}

func TestExportLocal(t *testing.T) {
	db := searchFixture(t)
	out, _, err := runCmd(t, export, "staff", "--db", db)
	if err != nil || !strings.Contains(out, "[2026-11-21T09:01:00Z] <ada> staff budget secret") {
		t.Fatalf("export to stdout: %v\n%s", err, out)
	}
	file := filepath.Join(t.TempDir(), "staff.md")
	if _, _, err := runCmd(t, export, "staff", "--db", db, "--format", "md", "-o", file, "--since", "2026-11-21", "--until", "2026-11-22"); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(file)
	if err != nil || !strings.Contains(string(b), "**ada**: staff budget secret") {
		t.Fatalf("exported file: %v\n%s", err, b)
	}
	// A new file gets what any new file gets (0666 less the umask), as
	// with "> file" (issue 15: it was always 0600).
	probe := filepath.Join(t.TempDir(), "probe")
	pf, err := os.OpenFile(probe, os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		t.Fatal(err)
	}
	pf.Close()
	want, _ := os.Stat(probe)
	if fi, _ := os.Stat(file); fi.Mode().Perm() != want.Mode().Perm() {
		t.Errorf("exported file mode %v, want %v (0666 less the umask)", fi.Mode().Perm(), want.Mode().Perm())
	}
	// A file replaced keeps its mode: a private transcript stays private.
	if err := os.Chmod(file, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := runCmd(t, export, "staff", "--db", db, "--format", "md", "-o", file); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("re-exported file mode %v, want the 0600 it had", fi.Mode().Perm())
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(file), ".*tmp"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
	bad := filepath.Join(t.TempDir(), "bad.txt")
	for _, tc := range []struct {
		args     []string
		mentions string
	}{
		{[]string{"nosuch", "--db", db, "-o", bad}, "nosuch"},
		{[]string{"staff", "--db", db, "--format", "pdf", "-o", bad}, "txt, md, json or html"},
		{[]string{"staff", "--db", db, "--since", "2026-11-22", "--until", "2026-11-21", "-o", bad}, "before"},
		{[]string{"--db", db}, "missing ROOM"},
	} {
		_, _, err := runCmd(t, export, tc.args...)
		wantErr(t, "export "+strings.Join(tc.args, " "), err, tc.mentions)
	}
	if _, err := os.Stat(bad); err == nil {
		t.Error("a failed export left its output file")
	}
}

// TestSearchAndExportRemote runs both commands against a running server:
// it checks access with the token, which is never printed.
func TestSearchAndExportRemote(t *testing.T) {
	db := searchFixture(t)
	srv, err := server.New(context.Background(), server.Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	login := func(user string) string {
		resp, err := http.Post(ts.URL+"/api/session", "application/json", strings.NewReader(`{"name":"`+user+`","password":"`+testPassword+`"}`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var got struct{ Token string }
		json.NewDecoder(resp.Body).Decode(&got)
		if got.Token == "" {
			t.Fatalf("login %s: %s", user, resp.Status)
		}
		return got.Token
	}
	bob, eve := login("bob"), login("eve")

	t.Setenv(tokenEnv, bob)
	out, errOut, err := runCmd(t, search, "budget", "--url", ts.URL+"/")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "ada-bob *budget* whisper") || strings.Contains(out, "staff budget") {
		t.Errorf("bob's remote search (a DM of his, not staff):\n%s", out)
	}
	if strings.Contains(out+errOut, bob) {
		t.Error("the token was printed")
	}

	t.Setenv(tokenEnv, "")
	out, _, err = runCmd(t, search, "budget", "--url", ts.URL)
	if err != nil || strings.Contains(out, "whisper") || !strings.Contains(out, "public") {
		t.Errorf("anonymous remote search: %v\n%s", err, out)
	}
	_, errOut, err = runCmd(t, search, "budget", "--url", ts.URL, "--token", eve, "--room", "staff")
	wantErr(t, "eve's search of staff", err, "403", "private")
	if !strings.Contains(errOut, tokenEnv) || strings.Contains(errOut, eve) || strings.Contains(err.Error(), eve) {
		t.Errorf("--token on the command line: stderr %q, error %v", errOut, err)
	}

	t.Setenv(tokenEnv, bob)
	file := filepath.Join(t.TempDir(), "dm.html")
	if _, _, err := runCmd(t, export, "@ada,bob", "--url", ts.URL, "--format", "html", "-o", file); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(file); !strings.Contains(string(b), "ada-bob budget whisper") || !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
		t.Errorf("remote html export:\n%s", b)
	}
	t.Setenv(tokenEnv, eve)
	denied := filepath.Join(t.TempDir(), "denied.txt")
	_, _, err = runCmd(t, export, "staff", "--url", ts.URL, "-o", denied)
	wantErr(t, "eve's export of staff", err, "403")
	if _, err := os.Stat(denied); err == nil {
		t.Error("a refused export left its output file")
	}
}
