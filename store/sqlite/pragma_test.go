package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
)

// TestPragmas checks the connection settings on several connections of
// each pool at once, so pragmas set on one connection only would show.
func TestPragmas(t *testing.T) {
	s, err := Open(t.Context(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	check := func(t *testing.T, db *sql.DB, conns int, want map[string]int64) {
		var wg sync.WaitGroup
		held := make([]*sql.Conn, conns)
		for i := range held {
			c, err := db.Conn(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			held[i] = c
		}
		for i, c := range held {
			wg.Go(func() {
				defer c.Close()
				for name, v := range want {
					var got int64
					if err := c.QueryRowContext(context.Background(), "PRAGMA "+name).Scan(&got); err != nil {
						t.Errorf("conn %d: PRAGMA %s: %v", i, name, err)
					} else if got != v {
						t.Errorf("conn %d: PRAGMA %s = %d, want %d", i, name, got, v)
					}
				}
			})
		}
		wg.Wait()
	}
	t.Run("writer", func(t *testing.T) {
		check(t, s.w, 1, map[string]int64{"synchronous": 2, "foreign_keys": 1, "busy_timeout": busyTimeoutMS, "query_only": 0})
	})
	t.Run("readers", func(t *testing.T) {
		check(t, s.r, 4, map[string]int64{"busy_timeout": busyTimeoutMS, "query_only": 1})
	})

	var mode string
	if err := s.r.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal", mode, err)
	}
	if _, err := s.r.Exec(`INSERT INTO rooms (name, topic, created) VALUES ('x', '', 0)`); err == nil {
		t.Fatal("a write through the read pool succeeded")
	}
}
