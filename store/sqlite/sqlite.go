package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/parley-chat/parley"
)

var (
	_ parley.Store     = (*Store)(nil)
	_ parley.LogReader = (*Store)(nil)
)

// busyTimeoutMS bounds how long a connection waits for a lock held by
// another connection (a checkpoint, or another process on the same file)
// before failing with SQLITE_BUSY.
const busyTimeoutMS = 5000

// Store is a parley.Store on one SQLite file. It is safe for concurrent use.
type Store struct {
	path string
	w    *sql.DB // exactly one connection: every write goes here
	r    *sql.DB // query_only connections for reads

	insertMsg  *sql.Stmt // on w
	roomExists *sql.Stmt // on w

	closed atomic.Bool
}

// Open opens (creating it if needed) the database at path and brings its
// schema up to date. It fails if the database was written by a newer
// Parley with a schema this binary does not know.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || strings.HasPrefix(path, ":memory:") {
		// Each pooled connection would get its own database.
		return nil, fmt.Errorf("sqlite: open %q: want the path of a database file", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if dir := filepath.Dir(abs); !isDir(dir) {
		// SQLite would say only "unable to open database file (14)".
		return nil, fmt.Errorf("sqlite: cannot create the database %s: its directory %s does not exist: create it (mkdir -p %s) or choose another --db", path, dir, dir)
	}
	s := &Store{path: path}
	if err := s.open(ctx, abs); err != nil {
		s.closePools()
		return nil, err
	}
	return s, nil
}

func (s *Store) open(ctx context.Context, abs string) error {
	var err error
	s.w, err = sql.Open("sqlite", dsn(abs,
		"busy_timeout", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)",
	)+"&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)

	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if mode != "wal" {
		return fmt.Errorf("sqlite: open %s: journal_mode is %q, not wal: use a file on a local file system", s.path, mode)
	}

	if err := migrate(ctx, s.w, s.path); err != nil {
		return err
	}

	// The read pool is opened after the migrations, so its connections
	// see the final schema. Several readers run at once; WAL lets them read
	// while the writer commits.
	n := max(4, runtime.GOMAXPROCS(0))
	s.r, err = sql.Open("sqlite", dsn(abs, "busy_timeout", "query_only(1)"))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	s.r.SetConnMaxLifetime(0)
	s.r.SetConnMaxIdleTime(5 * time.Minute)
	if err := s.r.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlite: open %s: read pool: %w", s.path, err)
	}

	if s.insertMsg, err = s.w.PrepareContext(ctx,
		`INSERT INTO messages (room, kind, from_name, text, created, guest, idem_key, idem_request, ref, reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`); err != nil {
		return fmt.Errorf("sqlite: open %s: preparing insert: %w", s.path, err)
	}
	if s.roomExists, err = s.w.PrepareContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM rooms WHERE name = ?)`); err != nil {
		return fmt.Errorf("sqlite: open %s: preparing room check: %w", s.path, err)
	}
	return nil
}

// dsn returns a file: URI for the absolute path abs with one _pragma
// parameter per pragma; "busy_timeout" gets busyTimeoutMS. Pragmas in the
// DSN are applied by the driver to every new connection.
func dsn(abs string, pragmas ...string) string {
	q := url.Values{}
	for _, p := range pragmas {
		if p == "busy_timeout" {
			p = fmt.Sprintf("busy_timeout(%d)", busyTimeoutMS)
		}
		q.Add("_pragma", p)
	}
	// url.URL escapes '?', '#' and '%' in the path; SQLite decodes them.
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// Close closes both pools. Calls after Close fail with EUnavailable; a
// second Close is a no-op.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.closePools()
}

func (s *Store) closePools() error {
	var errs []error
	for _, st := range []*sql.Stmt{s.insertMsg, s.roomExists} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	// Readers first: the last connection to close checkpoints the WAL into
	// the main file, and that should be the writer's.
	if s.r != nil {
		errs = append(errs, s.r.Close())
	}
	if s.w != nil {
		errs = append(errs, s.w.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close %s: %w", s.path, err)
	}
	return nil
}

// errClosed is returned by every call after Close.
var errClosed = parley.Errorf(parley.EUnavailable, "the message store is closed")

func (s *Store) checkOpen() error {
	if s.closed.Load() {
		return errClosed
	}
	return nil
}

// wrap adds the operation to err. Domain errors (*parley.Error) are
// returned as they are: their message is meant for clients.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *parley.Error
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// Time conversion. time.Time.UnixNano is defined for years 1678 to 2261.
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

func toNanos(t time.Time) (int64, error) {
	if t.Before(minTime) || t.After(maxTime) {
		return 0, parley.Errorf(parley.EInvalid, "time %s is out of range: the store keeps times from year 1678 to 2262", t.Format(time.RFC3339))
	}
	return t.UnixNano(), nil
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
