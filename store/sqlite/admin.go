package sqlite

import (
	"context"
	"time"

	"github.com/parley-chat/parley"
)

// SetAdmin grants or revokes the admin flag. ENotFound if no such user.
func (s *Store) SetAdmin(ctx context.Context, name string, admin bool) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE users SET admin = ? WHERE name = ?`, admin, name)
	return mustAffect(res, err, "set admin", errNoUser(name))
}

// LoginSessionsOf lists a user's unexpired login sessions, newest first.
func (s *Store) LoginSessionsOf(ctx context.Context, user string) ([]parley.LoginSession, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT token_hash, user, created, expires FROM login_sessions WHERE user = ? AND expires > ? ORDER BY created DESC`,
		user, time.Now().UnixNano())
	if err != nil {
		return nil, wrap("login sessions", err)
	}
	defer rows.Close()
	out := []parley.LoginSession{}
	for rows.Next() {
		var ls parley.LoginSession
		var created, expires int64
		if err := rows.Scan(&ls.TokenHash, &ls.User, &created, &expires); err != nil {
			return nil, wrap("login sessions", err)
		}
		ls.Created, ls.Expires = fromNanos(created), fromNanos(expires)
		out = append(out, ls)
	}
	return out, wrap("login sessions", rows.Err())
}

// APIKeys lists the API keys, oldest first, without their secrets' hashes.
func (s *Store) APIKeys(ctx context.Context) ([]parley.APIKey, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT id, label, created FROM api_keys ORDER BY created, id`)
	if err != nil {
		return nil, wrap("API keys", err)
	}
	defer rows.Close()
	out := []parley.APIKey{}
	for rows.Next() {
		var k parley.APIKey
		var ns int64
		if err := rows.Scan(&k.ID, &k.Label, &ns); err != nil {
			return nil, wrap("API keys", err)
		}
		k.Created = fromNanos(ns)
		out = append(out, k)
	}
	return out, wrap("API keys", rows.Err())
}

// DeleteAPIKey revokes a key. ENotFound if no such key.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
	return mustAffect(res, err, "delete API key", parley.Errorf(parley.ENotFound, "API key %q does not exist", id))
}
