package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley"
)

var _ parley.UserStore = (*Store)(nil)

// nameKey is the SQL for the case-folded key of a user name given as a
// parameter: ASCII letters only, whatever the database's locale; it must
// match the generated key columns of 0002_people.sql.
const nameKey = `lower($1::text COLLATE "C")`

// CreateUser stores a new account. u.Created defaults to now. EConflict if
// the name is taken in any letter case.
func (s *Store) CreateUser(ctx context.Context, u parley.User, passwordHash string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	created, err := dbTime(orNow(u.Created))
	if err != nil {
		return err
	}
	// DO NOTHING covers both the exact name and its folded key: of racing
	// sign-ups for one name in different cases, one inserts and the others
	// wait for its commit and insert nothing.
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO users (name, admin, password_hash, created) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
		u.Name, u.Admin, passwordHash, created)
	if err != nil {
		return s.wrap("create user", err)
	}
	if tag.RowsAffected() == 0 {
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
	)
	err := s.pool.QueryRow(ctx,
		`SELECT name, admin, password_hash, created, disabled FROM users WHERE name_key = `+nameKey, name).
		Scan(&u.Name, &u.Admin, &hash, &u.Created, &u.Disabled)
	if errors.Is(err, pgx.ErrNoRows) {
		return parley.User{}, "", errNoUser(name)
	}
	if err != nil {
		return parley.User{}, "", s.wrap("user", err)
	}
	u.Created = u.Created.UTC()
	return u, hash, nil
}

// Users returns every account, ordered by name in any letter case. It is
// not part of parley.UserStore: "parley user list" uses it.
func (s *Store) Users(ctx context.Context) ([]parley.User, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT name, admin, created, disabled FROM users ORDER BY name_key, name`)
	if err != nil {
		return nil, s.wrap("users", err)
	}
	defer rows.Close()
	users := []parley.User{}
	for rows.Next() {
		var u parley.User
		if err := rows.Scan(&u.Name, &u.Admin, &u.Created, &u.Disabled); err != nil {
			return nil, s.wrap("users", err)
		}
		u.Created = u.Created.UTC()
		users = append(users, u)
	}
	return users, s.wrap("users", rows.Err())
}

// SetPassword replaces a user's password hash. ENotFound if no such user.
func (s *Store) SetPassword(ctx context.Context, name, passwordHash string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx,
		`UPDATE users SET password_hash = $2 WHERE name_key = `+nameKey, name, passwordHash)
	if err != nil {
		return s.wrap("set password", err)
	}
	if tag.RowsAffected() == 0 {
		return errNoUser(name)
	}
	return nil
}

// SetDisabled disables or enables an account. ENotFound if no such user.
func (s *Store) SetDisabled(ctx context.Context, name string, disabled bool) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE users SET disabled = $2 WHERE name_key = `+nameKey, name, disabled)
	if err != nil {
		return s.wrap("disable user", err)
	}
	if tag.RowsAffected() == 0 {
		return errNoUser(name)
	}
	return nil
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
	created, err := dbTime(orNow(ls.Created))
	if err != nil {
		return err
	}
	expires, err := dbTime(ls.Expires)
	if err != nil {
		return err
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM login_sessions WHERE expires <= $1`, created); err != nil {
			return err
		}
		// FOR KEY SHARE keeps the account until the commit, as the foreign
		// key would.
		var user string
		err := tx.QueryRow(ctx, `SELECT name FROM users WHERE name_key = `+nameKey+` FOR KEY SHARE`, ls.User).Scan(&user)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoUser(ls.User)
		}
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx,
			`INSERT INTO login_sessions (token_hash, user_name, created, expires) VALUES ($1, $2, $3, $4)
			 ON CONFLICT (token_hash) DO NOTHING`,
			ls.TokenHash, user, created, expires)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return parley.Errorf(parley.EConflict, "a login session with this token already exists")
		}
		return nil
	})
	return s.wrap("create login session", err)
}

// LoginSessionByHash returns the session with this token hash if it has
// not expired by now (it is live while now is before Expires); ENotFound
// otherwise.
func (s *Store) LoginSessionByHash(ctx context.Context, tokenHash []byte, now time.Time) (parley.LoginSession, error) {
	if err := s.checkOpen(); err != nil {
		return parley.LoginSession{}, err
	}
	if now.Before(minTime) || now.After(maxTime) {
		return parley.LoginSession{}, parley.Errorf(parley.EInvalid, "time %s is out of range", now.Format(time.RFC3339))
	}
	var ls parley.LoginSession
	// Stored times are whole microseconds; now is truncated, not rounded,
	// so that "live while now is before Expires" holds to the nanosecond.
	err := s.pool.QueryRow(ctx,
		`SELECT token_hash, user_name, created, expires FROM login_sessions WHERE token_hash = $1 AND expires > $2`,
		tokenHash, now.Truncate(time.Microsecond)).Scan(&ls.TokenHash, &ls.User, &ls.Created, &ls.Expires)
	if errors.Is(err, pgx.ErrNoRows) {
		// The message names no token: it is a credential.
		return parley.LoginSession{}, parley.Errorf(parley.ENotFound, "no such login session, or it has expired: log in again")
	}
	if err != nil {
		return parley.LoginSession{}, s.wrap("login session", err)
	}
	ls.Created, ls.Expires = ls.Created.UTC(), ls.Expires.UTC()
	return ls, nil
}

// DeleteLoginSession ends a session; deleting a missing one is not an error.
func (s *Store) DeleteLoginSession(ctx context.Context, tokenHash []byte) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM login_sessions WHERE token_hash = $1`, tokenHash)
	return s.wrap("delete login session", err)
}

// DeleteUserLoginSessions ends every login session of the user (in any
// letter case) and returns how many there were. It is not part of
// parley.UserStore: "parley user passwd" uses it.
func (s *Store) DeleteUserLoginSessions(ctx context.Context, user string) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM login_sessions WHERE lower(user_name COLLATE "C") = `+nameKey, user)
	if err != nil {
		return 0, s.wrap("delete login sessions", err)
	}
	return tag.RowsAffected(), nil
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
	created, err := dbTime(orNow(k.Created))
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO api_keys (id, secret_hash, label, created) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
		k.ID, k.SecretHash, k.Label, created)
	if err != nil {
		return s.wrap("create API key", err)
	}
	if tag.RowsAffected() == 0 {
		return parley.Errorf(parley.EConflict, "API key %q already exists", k.ID)
	}
	return nil
}

// APIKeyByID returns the key, or ENotFound.
func (s *Store) APIKeyByID(ctx context.Context, id string) (parley.APIKey, error) {
	if err := s.checkOpen(); err != nil {
		return parley.APIKey{}, err
	}
	var k parley.APIKey
	err := s.pool.QueryRow(ctx,
		`SELECT id, secret_hash, label, created FROM api_keys WHERE id = $1`, id).
		Scan(&k.ID, &k.SecretHash, &k.Label, &k.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return parley.APIKey{}, parley.Errorf(parley.ENotFound, "API key %q does not exist", id)
	}
	if err != nil {
		return parley.APIKey{}, s.wrap("API key", err)
	}
	k.Created = k.Created.UTC()
	return k, nil
}

// orNow returns t, or the current time when t is zero.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}
