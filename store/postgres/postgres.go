package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/parley-chat/parley"
)

var (
	_ parley.Store     = (*Store)(nil)
	_ parley.LogReader = (*Store)(nil)
)

// Store is a parley.Store on a PostgreSQL database. It is safe for
// concurrent use, and any number of Stores, in any number of processes,
// may share one database.
type Store struct {
	where  string // host:port/database, for error messages; never the password
	pool   *pgxpool.Pool
	closed atomic.Bool
}

// Open connects to the database named by dsn (a URL such as
// "postgres://user@host:5432/parley?sslmode=disable" or key=value pairs;
// pool settings such as pool_max_conns may be added) and brings its schema
// up to date. It fails if the database cannot be reached, or if it was
// written by a newer Parley with a schema this binary does not know.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		// pgx leaves the password out of its parse errors.
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	cc := cfg.ConnConfig
	// Append relies on a blocked UPDATE of the ID counter continuing on
	// the committed row, which READ COMMITTED does; a stricter default
	// would make concurrent appends fail with serialization errors.
	cc.RuntimeParams["default_transaction_isolation"] = "read committed"
	if cc.RuntimeParams["application_name"] == "" {
		cc.RuntimeParams["application_name"] = "parley"
	}
	s := &Store{
		where: fmt.Sprintf("%s/%s", net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))), cc.Database),
	}
	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", s.where, err)
	}
	if err := s.pool.Ping(ctx); err != nil {
		s.pool.Close()
		return nil, s.wrap("open "+s.where, err)
	}
	if err := migrate(ctx, s.pool, s.where); err != nil {
		s.pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool, waiting for calls in progress to release their
// connections. Calls after Close fail with EUnavailable; a second Close is
// a no-op.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	s.pool.Close()
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

// PostgreSQL error codes the store maps to domain errors.
const (
	codeUniqueViolation = "23505"
	codeForeignKey      = "23503"
	codeNotInRepertoire = "22021" // invalid UTF-8, or a NUL character in text
	codeUntranslatable  = "22P05"
)

// wrap adds the operation to err and gives it a domain code where one
// applies. Domain errors (*parley.Error) are returned as they are. Others
// keep the driver's error in their chain (errors.As finds a *pgconn.PgError,
// errors.Is a context error) and, when classified, a *parley.Error whose
// message is safe to show clients.
func (s *Store) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var pe *parley.Error
	if errors.As(err, &pe) {
		return err
	}
	var code *parley.Error
	var pgErr *pgconn.PgError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation:
		code = parley.Errorf(parley.EConflict, "it already exists")
	case errors.As(err, &pgErr) && pgErr.Code == codeForeignKey:
		code = parley.Errorf(parley.ENotFound, "it refers to something that does not exist")
	case errors.As(err, &pgErr) && (pgErr.Code == codeNotInRepertoire || pgErr.Code == codeUntranslatable):
		code = parley.Errorf(parley.EInvalid, "text must be valid UTF-8 without NUL characters")
	case s.closed.Load():
		// Close raced with this call.
		code = errClosed
	case unavailable(err):
		code = parley.Errorf(parley.EUnavailable, "the message store cannot reach its database: retry later")
	}
	if code == nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return fmt.Errorf("postgres: %s: %w: %w", op, code, err)
}

// unavailable reports whether err means the server cannot be reached or
// is refusing work for now: a failed connection, a broken one, or a server
// shutting down, starting up or out of connections.
func unavailable(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case len(pgErr.Code) == 5 && pgErr.Code[:2] == "08": // connection exception
			return true
		case pgErr.Code == "53300": // too_many_connections
			return true
		case pgErr.Code == "57P01", pgErr.Code == "57P02", pgErr.Code == "57P03": // shutdown, crash, cannot connect now
			return true
		}
		return false
	}
	var connErr *pgconn.ConnectError
	var netErr net.Error
	return errors.As(err, &connErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Time conversion. PostgreSQL keeps microseconds; JSON (RFC 3339) and most
// clients handle years 1 to 9999 only.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC)
)

// dbTime returns t as the store keeps and returns it: rounded to the
// microsecond, in UTC.
func dbTime(t time.Time) (time.Time, error) {
	r := t.Round(time.Microsecond).UTC()
	if r.Before(minTime) || r.After(maxTime) {
		return time.Time{}, parley.Errorf(parley.EInvalid, "time %s is out of range: the store keeps times from year 1 to 9999", t.Format(time.RFC3339))
	}
	return r, nil
}
