package postgres_test

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
		return open(t, tempDB(t))
	})
}

func TestRoomAccessContract(t *testing.T) {
	storetest.RunRoomAccess(t, func(t *testing.T) storetest.AccessStore {
		return open(t, tempDB(t))
	})
}

// TestUpgradeFromVersion1 opens a database written by a Parley that knew
// only the first migration: its rooms become public, ownerless rooms with
// notices, and its messages and ID counter stay.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := t.Context()
	dsn := tempDB(t)
	v1, err := os.ReadFile(filepath.Join("migrations", "0001_init.sql"))
	if err != nil {
		t.Fatal(err)
	}
	conn := rawConn(t, dsn)
	for _, q := range []string{
		// What migrate creates and records for version 1.
		`CREATE TABLE schema_version (version integer NOT NULL PRIMARY KEY, name text NOT NULL, applied timestamptz NOT NULL DEFAULT now())`,
		string(v1),
		`INSERT INTO schema_version (version, name) VALUES (1, '0001_init.sql')`,
		`INSERT INTO rooms (name, topic, created) VALUES ('old', 'from v1', now())`,
		`INSERT INTO messages (id, room, kind, from_name, text, created) VALUES (1, 'old', 'message', 'ada', 'hi', now())`,
		`UPDATE counters SET value = 1 WHERE name = 'message_id'`,
	} {
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatalf("%.40s: %v", q, err)
		}
	}

	s := open(t, dsn)
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
	next := msg("lobby", "next")
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
	ctx := t.Context()
	dsn := tempDB(t)
	s := open(t, dsn)
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
	if err := rawConn(t, dsn).QueryRow(ctx, `SELECT count(*) FROM login_sessions`).Scan(&n); err != nil {
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
	ctx := t.Context()
	s := open(t, tempDB(t))
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

// TestNamesFoldASCIIOnly: like SQLite's NOCASE, only ASCII letters fold,
// whatever the database's locale, so both stores agree on who is who.
func TestNamesFoldASCIIOnly(t *testing.T) {
	ctx := t.Context()
	s := open(t, tempDB(t))
	for _, name := range []string{"Émile", "émile"} {
		if err := s.CreateUser(ctx, parley.User{Name: name}, "h"); err != nil {
			t.Fatalf("CreateUser(%q): %v", name, err)
		}
	}
	if err := s.CreateUser(ctx, parley.User{Name: "ÉMILE"}, "h"); parley.ErrorCode(err) != parley.EConflict {
		t.Fatalf("CreateUser(ÉMILE) after Émile: %v, want %q", err, parley.EConflict)
	}
	u, _, err := s.UserByName(ctx, "éMILE")
	if err != nil || u.Name != "émile" {
		t.Fatalf("UserByName(éMILE) = %+v, %v; want émile", u, err)
	}
	if err := s.SetMember(ctx, parley.Member{Room: "lobby", User: "Ü", Role: parley.RoleMember}); err != nil {
		t.Fatal(err)
	}
	if role, err := s.Membership(ctx, "lobby", "ü"); err != nil || role != "" {
		t.Fatalf(`Membership(lobby, "ü") = %q, %v; want none: Ü is another name`, role, err)
	}
}
