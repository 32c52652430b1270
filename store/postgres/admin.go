package postgres

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
	tag, err := s.pool.Exec(ctx, `UPDATE users SET admin = $2 WHERE name_key = `+nameKey, name, admin)
	if err != nil {
		return s.wrap("set admin", err)
	}
	if tag.RowsAffected() == 0 {
		return errNoUser(name)
	}
	return nil
}

// LoginSessionsOf lists a user's unexpired login sessions, newest first.
func (s *Store) LoginSessionsOf(ctx context.Context, user string) ([]parley.LoginSession, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT token_hash, user_name, created, expires FROM login_sessions
		WHERE lower(user_name COLLATE "C") = `+nameKey+` AND expires > $2 ORDER BY created DESC`, user, time.Now())
	if err != nil {
		return nil, s.wrap("login sessions", err)
	}
	defer rows.Close()
	out := []parley.LoginSession{}
	for rows.Next() {
		var ls parley.LoginSession
		if err := rows.Scan(&ls.TokenHash, &ls.User, &ls.Created, &ls.Expires); err != nil {
			return nil, s.wrap("login sessions", err)
		}
		ls.Created, ls.Expires = ls.Created.UTC(), ls.Expires.UTC()
		out = append(out, ls)
	}
	return out, s.wrap("login sessions", rows.Err())
}

// APIKeys lists the API keys, oldest first, without their secrets' hashes.
func (s *Store) APIKeys(ctx context.Context) ([]parley.APIKey, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT id, label, created FROM api_keys ORDER BY created, id`)
	if err != nil {
		return nil, s.wrap("API keys", err)
	}
	defer rows.Close()
	out := []parley.APIKey{}
	for rows.Next() {
		var k parley.APIKey
		if err := rows.Scan(&k.ID, &k.Label, &k.Created); err != nil {
			return nil, s.wrap("API keys", err)
		}
		k.Created = k.Created.UTC()
		out = append(out, k)
	}
	return out, s.wrap("API keys", rows.Err())
}

// DeleteAPIKey revokes a key. ENotFound if no such key.
func (s *Store) DeleteAPIKey(ctx context.Context, id string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `DELETE FROM api_keys WHERE id = $1`, id)
	if err != nil {
		return s.wrap("delete API key", err)
	}
	if tag.RowsAffected() == 0 {
		return parley.Errorf(parley.ENotFound, "API key %q does not exist", id)
	}
	return nil
}
