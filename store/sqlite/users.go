package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-chat/parley"
)

var _ parley.UserStore = (*Store)(nil)

// CreateUser stores a new account. u.Created defaults to now. EConflict if
// the name is taken in any letter case.
func (s *Store) CreateUser(ctx context.Context, u parley.User, passwordHash string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	ns, err := toNanos(orNow(u.Created))
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO users (name, admin, password_hash, created) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		u.Name, u.Admin, passwordHash, ns)
	if err != nil {
		return wrap("create user", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("create user", err)
	} else if n == 0 {
		return parley.Errorf(parley.EConflict, "user %q already exists", u.Name)
	}
	return nil
}

// UserByName returns the account, in its stored spelling, and its password
// hash. The name matches in any letter case.
func (s *Store) UserByName(ctx context.Context, name string) (parley.User, string, error) {
	if err := s.checkOpen(); err != nil {
		return parley.User{}, "", err
	}
	var (
		u    parley.User
		hash string
		ns   int64
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT name, admin, password_hash, created, disabled FROM users WHERE name = ?`, name).
		Scan(&u.Name, &u.Admin, &hash, &ns, &u.Disabled)
	if errors.Is(err, sql.ErrNoRows) {
		return parley.User{}, "", errNoUser(name)
	}
	if err != nil {
		return parley.User{}, "", wrap("user", err)
	}
	u.Created = fromNanos(ns)
	return u, hash, nil
}

// Users returns every account, ordered by name in any letter case. It is
// not part of parley.UserStore: "parley user list" uses it.
func (s *Store) Users(ctx context.Context) ([]parley.User, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name, admin, created, disabled FROM users ORDER BY name`)
	if err != nil {
		return nil, wrap("users", err)
	}
	defer rows.Close()
	users := []parley.User{}
	for rows.Next() {
		var (
			u  parley.User
			ns int64
		)
		if err := rows.Scan(&u.Name, &u.Admin, &ns, &u.Disabled); err != nil {
			return nil, wrap("users", err)
		}
		u.Created = fromNanos(ns)
		users = append(users, u)
	}
	return users, wrap("users", rows.Err())
}

// SetPassword replaces a user's password hash. ENotFound if no such user.
func (s *Store) SetPassword(ctx context.Context, name, passwordHash string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE name = ?`, passwordHash, name)
	return mustAffect(res, err, "set password", errNoUser(name))
}

// SetDisabled disables or enables an account. ENotFound if no such user.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE users SET disabled = ? WHERE name = ?`, disabled, name)
	return mustAffect(res, err, "disable user", errNoUser(name))
}

func errNoUser(name string) error {
	return parley.Errorf(parley.ENotFound, "user %q does not exist", name)
}

// CreateLoginSession stores a session for an existing user (ENotFound
// otherwise), under the user's stored spelling. Created defaults to now;
// Expires is required. A second session with the same token hash is
// refused with EConflict. Sessions that expired by the new one's creation
// time are deleted in the same transaction, which keeps the table as small
// as the set of live sessions.
func (s *Store) CreateLoginSession(ctx context.Context, ls parley.LoginSession) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if len(ls.TokenHash) == 0 {
		return parley.Errorf(parley.EInvalid, "login session has no token hash")
	}
	if ls.Expires.IsZero() {
		return parley.Errorf(parley.EInvalid, "login session has no expiry time")
	}
	created, err := toNanos(orNow(ls.Created))
	if err != nil {
		return err
	}
	expires, err := toNanos(ls.Expires)
	if err != nil {
		return err
	}

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("create login session", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM login_sessions WHERE expires <= ?`, created); err != nil {
		return wrap("create login session: deleting expired sessions", err)
	}
	var user string
	err = tx.QueryRowContext(ctx, `SELECT name FROM users WHERE name = ?`, ls.User).Scan(&user)
	if errors.Is(err, sql.ErrNoRows) {
		return errNoUser(ls.User)
	}
	if err != nil {
		return wrap("create login session", err)
	}
	res, err := tx.ExecContext(ctx,
		`INSERT INTO login_sessions (token_hash, user, created, expires) VALUES (?, ?, ?, ?) ON CONFLICT (token_hash) DO NOTHING`,
		ls.TokenHash, user, created, expires)
	if err != nil {
		return wrap("create login session", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("create login session", err)
	} else if n == 0 {
		return parley.Errorf(parley.EConflict, "a login session with this token already exists")
	}
	return wrap("create login session: commit", tx.Commit())
}

// LoginSessionByHash returns the session with this token hash if it has
// not expired by now (it is live while now is before Expires); ENotFound
// otherwise.
func (s *Store) LoginSessionByHash(ctx context.Context, tokenHash []byte, now time.Time) (parley.LoginSession, error) {
	if err := s.checkOpen(); err != nil {
		return parley.LoginSession{}, err
	}
	nowNS, err := toNanos(now)
	if err != nil {
		return parley.LoginSession{}, err
	}
	var (
		ls               parley.LoginSession
		created, expires int64
	)
	err = s.r.QueryRowContext(ctx,
		`SELECT token_hash, user, created, expires FROM login_sessions WHERE token_hash = ? AND expires > ?`,
		tokenHash, nowNS).Scan(&ls.TokenHash, &ls.User, &created, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		// The message names no token: it is a credential.
		return parley.LoginSession{}, parley.Errorf(parley.ENotFound, "no such login session, or it has expired: log in again")
	}
	if err != nil {
		return parley.LoginSession{}, wrap("login session", err)
	}
	ls.Created, ls.Expires = fromNanos(created), fromNanos(expires)
	return ls, nil
}

// DeleteLoginSession ends a session; deleting a missing one is not an error.
func (s *Store) DeleteLoginSession(ctx context.Context, tokenHash []byte) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	_, err := s.w.ExecContext(ctx, `DELETE FROM login_sessions WHERE token_hash = ?`, tokenHash)
	return wrap("delete login session", err)
}

// DeleteUserLoginSessions ends every login session of the user (in any
// letter case) and returns how many there were. It is not part of
// parley.UserStore: "parley user passwd" uses it.
func (s *Store) DeleteUserLoginSessions(ctx context.Context, user string) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM login_sessions WHERE user = ?`, user)
	if err != nil {
		return 0, wrap("delete login sessions", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("delete login sessions", err)
}

// CreateAPIKey stores a key. k.Created defaults to now. EConflict on a
// duplicate ID (IDs compare exactly).
func (s *Store) CreateAPIKey(ctx context.Context, k parley.APIKey) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if k.ID == "" || len(k.SecretHash) == 0 {
		return parley.Errorf(parley.EInvalid, "API key needs an ID and a secret hash")
	}
	ns, err := toNanos(orNow(k.Created))
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO api_keys (id, secret_hash, label, created) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
		k.ID, k.SecretHash, k.Label, ns)
	if err != nil {
		return wrap("create API key", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("create API key", err)
	} else if n == 0 {
		return parley.Errorf(parley.EConflict, "API key %q already exists", k.ID)
	}
	return nil
}

// APIKeyByID returns the key, or ENotFound.
func (s *Store) APIKeyByID(ctx context.Context, id string) (parley.APIKey, error) {
	if err := s.checkOpen(); err != nil {
		return parley.APIKey{}, err
	}
	var (
		k  parley.APIKey
		ns int64
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT id, secret_hash, label, created FROM api_keys WHERE id = ?`, id).
		Scan(&k.ID, &k.SecretHash, &k.Label, &ns)
	if errors.Is(err, sql.ErrNoRows) {
		return parley.APIKey{}, parley.Errorf(parley.ENotFound, "API key %q does not exist", id)
	}
	if err != nil {
		return parley.APIKey{}, wrap("API key", err)
	}
	k.Created = fromNanos(ns)
	return k, nil
}

// orNow returns t, or the current time in UTC when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC()
	}
	return t
}

// mustAffect turns the result of an UPDATE or DELETE of one row into
// notFound when it matched no row, and wraps other errors with op.
func mustAffect(res sql.Result, err error, op string, notFound error) error {
	if err != nil {
		return wrap(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap(op, err)
	}
	if n == 0 {
		return notFound
	}
	return nil
}
