package sqlite_test

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/storetest"
)

func TestUsersContract(t *testing.T) {
	storetest.RunUsers(t, func(t *testing.T) parley.UserStore {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

func TestRoomAccessContract(t *testing.T) {
	storetest.RunRoomAccess(t, func(t *testing.T) storetest.AccessStore {
		return open(t, filepath.Join(t.TempDir(), "parley.db"))
	})
}

// migrationCount is the number of migration files, which is the schema
// version Open brings a database to.
func migrationCount(t *testing.T) int {
	t.Helper()
	ms, err := filepath.Glob(filepath.Join("migrations", "*.sql"))
	if err != nil || len(ms) == 0 {
		t.Fatalf("no migrations found: %v", err)
	}
	return len(ms)
}

// TestUpgradeFromVersion1 opens a database written by a Parley that knew
// only the first migration: its rooms become public, ownerless rooms with
// notices, and its messages stay.
func TestUpgradeFromVersion1(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	v1, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, path)
	for _, q := range []string{
		string(v1),
		`INSERT INTO rooms (name, topic, created) VALUES ('old', 'from v1', 1)`,
		`INSERT INTO messages (room, kind, from_name, text, created) VALUES ('old', 'message', 'ada', 'hi', 2)`,
		`PRAGMA user_version = 1`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}
	db.Close()

	s := open(t, path)
	ctx := t.Context()
	for _, room := range []string{"old", parley.DefaultRoom} {
		rs, err := s.RoomSettings(ctx, room)
		want := parley.RoomSettings{Visibility: parley.RoomPublic, Notices: true}
		if err != nil || rs != want {
			t.Fatalf("RoomSettings(%q) after upgrade = %+v, %v; want %+v", room, rs, err, want)
		}
	}
	msgs, err := s.Before(ctx, "old", 0, 10)
	if err != nil || len(msgs) != 1 || msgs[0].Text != "hi" {
		t.Fatalf("Before(old) after upgrade = %+v, %v", msgs, err)
	}
	if err := s.DeleteRoom(ctx, "old"); err != nil {
		t.Fatalf("DeleteRoom of a room from v1: %v", err)
	}
	next := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "next"}
	if err := s.Append(ctx, []*parley.Message{next}); err != nil {
		t.Fatal(err)
	}
	if next.ID <= msgs[0].ID {
		t.Fatalf("ID %d after deleting ID %d", next.ID, msgs[0].ID)
	}
}

// TestExpiredSessionsDeleted checks that creating a session deletes the
// ones that have expired, so the table does not grow without bound.
func TestExpiredSessionsDeleted(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parley.db")
	s := open(t, path)
	ctx := t.Context()
	if err := s.CreateUser(ctx, parley.User{Name: "ada"}, "h"); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100 {
		created := start.Add(time.Duration(i) * time.Minute)
		h := sha256.Sum256(fmt.Append(nil, i))
		ls := parley.LoginSession{TokenHash: h[:], User: "ada", Created: created, Expires: created.Add(5 * time.Minute)}
		if err := s.CreateLoginSession(ctx, ls); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := rawDB(t, path).QueryRow(`SELECT count(*) FROM login_sessions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	// Sessions 95..99 are live at the creation of the last; 94 expired
	// exactly then.
	if n != 5 {
		t.Fatalf("%d sessions stored, want the 5 live ones", n)
	}
}

// TestUsersList checks Users, which "parley user list" uses.
func TestUsersList(t *testing.T) {
	s := open(t, filepath.Join(t.TempDir(), "parley.db"))
	ctx := t.Context()
	users, err := s.Users(ctx)
	if err != nil || len(users) != 0 {
		t.Fatalf("Users of a new store = %+v, %v", users, err)
	}
	for _, u := range []parley.User{{Name: "carol"}, {Name: "Ada", Admin: true}, {Name: "bob"}} {
		if err := s.CreateUser(ctx, u, "h"); err != nil {
			t.Fatal(err)
		}
	}
	users, err = s.Users(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range users {
		got = append(got, fmt.Sprintf("%s:%v", u.Name, u.Admin))
		if u.Created.IsZero() || u.Created.Location() != time.UTC {
			t.Errorf("user %s: Created %v", u.Name, u.Created)
		}
	}
	if want := "[Ada:true bob:false carol:false]"; fmt.Sprint(got) != want {
		t.Fatalf("Users = %v, want %s", got, want)
	}
}
