// Package transfer copies a whole Parley database from one store to the
// other: SQLite to PostgreSQL when a site outgrows one machine, and back.
//
// Everything is copied with its identity: rooms and their settings
// (visibility, owner, notices, retention), messages with their IDs and
// times (so clients resume by their old cursors), accounts with their
// password hashes, API keys, login sessions (so logged-in users stay
// logged in), private-room memberships and invitations, and direct
// conversations (rooms of kind direct with their two members). The target's
// search index is built as the messages arrive (SQLite's FTS triggers,
// PostgreSQL's generated tsvector column).
//
// The source is read in one read-only snapshot and never written. The
// target is written in one transaction: it ends complete or, on any error
// or interruption, exactly as it was. A target that holds data is refused
// unless Options.Replace is set.
package transfer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley/store/postgres"
	"github.com/parley-chat/parley/store/sqlite"
)

// colType is how a column's values are carried between the stores.
type colType int

const (
	tText     colType = iota // string
	tNullText                // string or nil
	tInt                     // int64
	tBool                    // bool (SQLite: 0 or 1)
	tBytes                   // []byte
	tTime                    // time.Time (SQLite: Unix nanoseconds; PostgreSQL: timestamptz, microseconds)
	tNullTime                // time.Time or nil, stored as tTime
)

// column is one column, named as each store names it.
type column struct {
	sqlite, pg string
	typ        colType
}

func col(name string, typ colType) column { return column{name, name, typ} }

// table is one table and the columns that are copied, in the order rows
// are inserted (parents first). Generated columns (PostgreSQL's name_key,
// user_key and search) are not copied: the target computes them.
type table struct {
	name    string
	orderBy string // SQLite and PostgreSQL both: a stable order
	cols    []column
}

// tables is everything a Parley database holds, in insertion order.
// TestEveryColumnIsCopied fails when a migration adds a table or column
// that is not here.
var tables = []table{
	{"rooms", "name", []column{
		col("name", tText), col("topic", tText), col("created", tTime),
		col("visibility", tText), col("owner", tText), col("notices", tBool),
		col("retention_days", tInt), col("retention_messages", tInt),
	}},
	{"users", "name", []column{
		col("name", tText), col("admin", tBool), col("password_hash", tText),
		col("created", tTime), col("disabled", tBool),
	}},
	{"login_sessions", "token_hash", []column{
		col("token_hash", tBytes), {"user", "user_name", tText}, col("created", tTime), col("expires", tTime),
	}},
	{"api_keys", "id", []column{
		col("id", tText), col("secret_hash", tBytes), col("label", tText), col("created", tTime),
	}},
	{"room_members", "room, 2", []column{
		col("room", tText), {"user", "user_name", tText}, col("role", tText),
	}},
	{"room_invites", "room, 2", []column{
		col("room", tText), {"user", "user_name", tText}, col("invited_by", tText), col("created", tTime),
	}},
	{"read_positions", "room, 2", []column{
		col("room", tText), {"user", "user_name", tText}, col("last_read", tInt),
	}},
	// Messages are inserted in ID order, so the target's triggers replay
	// the log: a deletion deletes nothing more (its target is not in the
	// source), an edit sets its target's text and time to what the
	// source's later edits then set again, ending as in the source.
	{"messages", "id", []column{
		col("id", tInt), col("room", tText), col("kind", tText), col("from_name", tText),
		col("text", tText), col("created", tTime), col("guest", tBool),
		col("idem_key", tNullText), col("idem_request", tNullText),
		col("ref", tInt), col("reply_to", tInt), col("edited", tNullTime),
	}},
}

// Options tune Copy.
type Options struct {
	// Replace lets Copy delete what the target holds. Without it a target
	// with any data (beyond the empty lobby every new database has) is
	// refused.
	Replace bool
	// Progress, if set, is told after each batch written.
	Progress func(table string, rows int64)
}

// Result says what Copy copied.
type Result struct {
	Rows map[string]int64 // rows per table
	Took time.Duration
}

// Messages returns the number of messages copied.
func (r Result) Messages() int64 { return r.Rows["messages"] }

// batchRows is how many rows go to the target at once.
const batchRows = 5000

// Copy copies the database from names (a SQLite file or a postgres:// URL)
// into the one to names, whose schema is created if missing.
func Copy(ctx context.Context, from, to string, opt Options) (Result, error) {
	start := time.Now()
	if sameDatabase(from, to) {
		return Result{}, errors.New("migrate: --from and --to name the same database")
	}
	src, err := openSource(ctx, from)
	if err != nil {
		return Result{}, fmt.Errorf("migrate: source: %w", err)
	}
	defer src.close()
	// Creates the target's schema (or checks it is this version's) the
	// way the server does.
	if err := prepare(ctx, to); err != nil {
		return Result{}, fmt.Errorf("migrate: target: %w", err)
	}
	dst, err := openTarget(ctx, to)
	if err != nil {
		return Result{}, fmt.Errorf("migrate: target: %w", err)
	}
	defer dst.close()

	if !opt.Replace {
		if held, err := holdings(ctx, dst); err != nil {
			return Result{}, fmt.Errorf("migrate: target: %w", err)
		} else if held != "" {
			return Result{}, fmt.Errorf("migrate: the target already holds data (%s): nothing was copied; use --replace to delete it and copy over it", held)
		}
	}

	if err := src.snapshot(ctx); err != nil {
		return Result{}, fmt.Errorf("migrate: source: %w", err)
	}
	w, err := dst.begin(ctx)
	if err != nil {
		return Result{}, fmt.Errorf("migrate: target: %w", err)
	}
	defer w.rollback() // after commit, a no-op
	if err := w.clear(ctx); err != nil {
		return Result{}, fmt.Errorf("migrate: target: clearing it: %w", err)
	}
	res := Result{Rows: map[string]int64{}}
	var maxID int64
	for _, t := range tables {
		batch := make([][]any, 0, batchRows)
		flush := func() error {
			if len(batch) == 0 {
				return nil
			}
			if err := w.write(ctx, t, batch); err != nil {
				return fmt.Errorf("migrate: writing %s: %w", t.name, err)
			}
			res.Rows[t.name] += int64(len(batch))
			if opt.Progress != nil {
				opt.Progress(t.name, res.Rows[t.name])
			}
			batch = batch[:0]
			return nil
		}
		err := src.read(ctx, t, func(row []any) error {
			if t.name == "messages" {
				maxID = row[0].(int64)
			}
			batch = append(batch, row)
			if len(batch) == batchRows {
				return flush()
			}
			return nil
		})
		if err == nil {
			err = flush()
		}
		if err != nil {
			if ctx.Err() != nil {
				return Result{}, fmt.Errorf("migrate: interrupted while copying %s: the target is unchanged: %w", t.name, ctx.Err())
			}
			return Result{}, fmt.Errorf("migrate: %s: the target is unchanged: %w", t.name, err)
		}
	}
	if err := w.commit(ctx, maxID); err != nil {
		return Result{}, fmt.Errorf("migrate: committing the copy: the target is unchanged: %w", err)
	}
	// The copy is committed: check it holds what the snapshot held.
	for _, t := range tables {
		n, err := dst.count(ctx, t)
		if err != nil {
			return res, fmt.Errorf("migrate: checking %s in the target: %w", t.name, err)
		}
		if n != res.Rows[t.name] {
			return res, fmt.Errorf("migrate: the target's %s has %d rows after the copy, the source had %d: do not serve from it; run migrate again with --replace", t.name, n, res.Rows[t.name])
		}
	}
	res.Took = time.Since(start)
	return res, nil
}

// holdings describes the data a target holds, "" for none. A new database
// holds only the lobby, with no messages.
func holdings(ctx context.Context, dst target) (string, error) {
	var held []string
	for _, t := range tables {
		n, err := dst.count(ctx, t)
		if err != nil {
			return "", err
		}
		if t.name == "rooms" {
			n-- // the lobby
		}
		if n > 0 {
			held = append(held, fmt.Sprintf("%d %s", n, strings.ReplaceAll(t.name, "_", " ")))
		}
	}
	return strings.Join(held, ", "), nil
}

func sameDatabase(a, b string) bool {
	return strings.TrimSpace(a) == strings.TrimSpace(b)
}

// source reads a database's tables in one snapshot.
type source interface {
	snapshot(ctx context.Context) error
	// read calls fn with each row of t, in t.orderBy order, as the
	// neutral values colType describes.
	read(ctx context.Context, t table, fn func([]any) error) error
	close()
}

// target writes tables in one transaction.
type target interface {
	count(ctx context.Context, t table) (int64, error)
	begin(ctx context.Context) (writer, error)
	close()
}

type writer interface {
	clear(ctx context.Context) error
	write(ctx context.Context, t table, rows [][]any) error
	// commit makes new message IDs continue after maxID, and commits.
	commit(ctx context.Context, maxID int64) error
	rollback()
}

// isPostgres reports whether db is a postgres:// URL rather than a SQLite
// file (as the server decides).
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// prepare creates the schema of the database db names, or checks that it
// is this version's, by opening it as the server does.
func prepare(ctx context.Context, db string) error {
	var st interface{ Close() error }
	var err error
	if isPostgres(db) {
		st, err = postgres.Open(ctx, db)
	} else {
		st, err = sqlite.Open(ctx, db)
	}
	if err != nil {
		return err
	}
	return st.Close()
}

func openSource(ctx context.Context, db string) (source, error) {
	if isPostgres(db) {
		return openPGSource(ctx, db)
	}
	return openSQLiteSource(ctx, db)
}

func openTarget(ctx context.Context, db string) (target, error) {
	if isPostgres(db) {
		return openPGTarget(ctx, db)
	}
	return openSQLiteTarget(ctx, db)
}
