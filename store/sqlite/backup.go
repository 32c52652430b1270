package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// SchemaVersion is the schema version this build's migrations bring a
// database to.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		panic("sqlite: embedded migrations: " + err.Error()) // a build mistake
	}
	return len(ms)
}

// OpenRaw opens the existing database at path for a tool that reads or
// copies its tables directly: no migrations are run, and nothing is
// created. readOnly opens it query_only. It fails unless the database's
// schema is at exactly SchemaVersion: tables of another version would be
// misread.
func OpenRaw(ctx context.Context, path string, readOnly bool) (*sql.DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	if fi, err := os.Stat(abs); err != nil || !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("sqlite: %s is not a database file: check the path", path)
	}
	pragmas := []string{"busy_timeout", "foreign_keys(1)"}
	if readOnly {
		pragmas = append(pragmas, "query_only(1)")
	}
	db, err := sql.Open("sqlite", dsn(abs, pragmas...))
	if err != nil {
		return nil, err
	}
	var v int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: %s: %w (is it a SQLite database?)", path, err)
	}
	if want := SchemaVersion(); v != want {
		db.Close()
		if v < want {
			return nil, fmt.Errorf("sqlite: %s has schema version %d, this parley expects %d: run \"parley serve\" on it once with this version to upgrade it (or use the parley version that wrote it)", path, v, want)
		}
		return nil, fmt.Errorf("sqlite: %s has schema version %d, newer than this parley's %d: use the parley version that wrote it", path, v, want)
	}
	return db, nil
}

// Backup writes a consistent copy of the database at path to dest while
// other processes (a running server) keep writing to it. It uses VACUUM
// INTO, which copies everything one read transaction sees (the messages,
// the search index, accounts and sessions, as of one commit) into a new,
// compacted file. dest must not exist yet; it is made readable by its
// owner only, since it holds password and session hashes.
func Backup(ctx context.Context, path, dest string) error {
	if _, err := os.Lstat(dest); err == nil {
		return fmt.Errorf("backup: %s exists already: choose a new file name (a backup never overwrites)", dest)
	}
	if dir := filepath.Dir(dest); !isDir(dir) {
		return fmt.Errorf("backup: the directory of %s does not exist: create it first", dest)
	}
	// Not query_only, which forbids VACUUM INTO; the source is only read.
	db, err := OpenRaw(ctx, path, false)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		_ = os.Remove(dest) // a partial file is no backup
		return fmt.Errorf("backup: copying %s to %s: %w", path, dest, err)
	}
	if err := os.Chmod(dest, 0o600); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if err := check(ctx, dest); err != nil {
		return fmt.Errorf("backup: the copy %s fails its check: %w", dest, err)
	}
	return nil
}

// check runs SQLite's integrity check on the database file at path and
// confirms its schema version is this build's.
func check(ctx context.Context, path string) error {
	db, err := OpenRaw(ctx, path, true)
	if err != nil {
		return err
	}
	defer db.Close()
	var res string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check(1)").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

// Restore puts the backup file in place of the database at path. The
// server must be stopped. The backup is checked first; an existing
// database is refused unless force is set, and then kept beside it as
// PATH.before-restore (with its -wal file, if any), never deleted.
func Restore(ctx context.Context, backup, path string, force bool) error {
	if err := check(ctx, backup); err != nil {
		return fmt.Errorf("restore: %s is not a usable backup: %w", backup, err)
	}
	if dir := filepath.Dir(path); !isDir(dir) {
		return fmt.Errorf("restore: the directory of %s does not exist: create it first", path)
	}
	var floor int64 // the replaced database's last message ID
	if _, err := os.Stat(path); err == nil {
		if !force {
			return fmt.Errorf("restore: %s exists: stop the server, then run restore with --force (the current database is kept as %s.before-restore)", path, path)
		}
		aside := path + ".before-restore"
		if _, err := os.Stat(aside); err == nil {
			return fmt.Errorf("restore: %s exists from an earlier restore: move it away first", aside)
		}
		floor = lastMessageID(ctx, path)
		for _, suffix := range []string{"", "-wal"} {
			if err := os.Rename(path+suffix, aside+suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("restore: keeping the current database: %w", err)
			}
		}
		_ = os.Remove(path + "-shm") // an index of the -wal, rebuilt on open
	}
	tmp := path + ".restoring"
	if err := copyFile(backup, tmp); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	if err := raiseMessageIDs(ctx, tmp, floor); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("restore: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// copyFile copies src to a new file dst, synced to disk, mode 0600.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// lastMessageID returns the highest message ID the database at path has
// handed out, 0 if it cannot be read.
func lastMessageID(ctx context.Context, path string) int64 {
	db, err := OpenRaw(ctx, path, true)
	if err != nil {
		return 0
	}
	defer db.Close()
	var id int64
	_ = db.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = 'messages'`).Scan(&id)
	return id
}

// raiseMessageIDs makes new messages in the database at path get IDs
// above floor. Clients of the replaced database hold cursors up to its
// last ID; were the restored log to hand those IDs out again, they would
// skip the new messages as seen.
func raiseMessageIDs(ctx context.Context, path string, floor int64) error {
	if floor <= 0 {
		return nil
	}
	db, err := OpenRaw(ctx, path, false)
	if err != nil {
		return err
	}
	defer db.Close()
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var seq int64
	err = tx.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'messages'`).Scan(&seq)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq) VALUES ('messages', ?)`, floor)
	case err == nil && seq < floor:
		_, err = tx.ExecContext(ctx, `UPDATE sqlite_sequence SET seq = ? WHERE name = 'messages'`, floor)
	}
	if err != nil {
		return err
	}
	return tx.Commit()
}
