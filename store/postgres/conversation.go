package postgres

import (
	"context"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parley-chat/parley"
)

var (
	_ parley.ConversationStore = (*Store)(nil)
	_ parley.ReadPositionStore = (*Store)(nil)
)

// Reactions folds the react and unreact entries of the messages ids.
func (s *Store) Reactions(ctx context.Context, ids []int64) (map[int64][]parley.Reaction, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return map[int64][]parley.Reaction{}, nil
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, ref, kind, from_name, text FROM messages
		WHERE ref = ANY($1) AND ref <> 0 AND kind IN ('react', 'unreact')
		ORDER BY id`, ids)
	if err != nil {
		return nil, s.wrap("reactions", err)
	}
	defer rows.Close()
	var entries []parley.Message
	for rows.Next() {
		var m parley.Message
		if err := rows.Scan(&m.ID, &m.Ref, &m.Kind, &m.From, &m.Text); err != nil {
			return nil, s.wrap("reactions", err)
		}
		entries = append(entries, m)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("reactions", err)
	}
	return parley.FoldReactions(entries), nil
}

// SetReadPosition moves user's read position in room forward to id.
func (s *Store) SetReadPosition(ctx context.Context, user, room string, id int64) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	if id < 0 {
		return 0, parley.Errorf(parley.EInvalid, "read position %d is not a message ID", id)
	}
	var stored int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO read_positions AS p (room, user_name, last_read) VALUES ($1, $2, $3)
		ON CONFLICT (user_key, room) DO UPDATE SET last_read = greatest(p.last_read, excluded.last_read)
		RETURNING last_read`, room, user, id).Scan(&stored)
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeForeignKey {
		return 0, errNoRoom(room)
	}
	return stored, s.wrap("set read position", err)
}

// ReadPositions returns user's read position and unread counts in rooms.
func (s *Store) ReadPositions(ctx context.Context, user string, rooms []string, limit int) ([]parley.ReadPosition, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	out := make([]parley.ReadPosition, len(rooms))
	if len(rooms) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx,
		`SELECT room, last_read FROM read_positions WHERE user_key = lower($1::text COLLATE "C") AND room = ANY($2)`,
		user, rooms)
	if err != nil {
		return nil, s.wrap("read positions", err)
	}
	read := map[string]int64{}
	for rows.Next() {
		var room string
		var id int64
		if err := rows.Scan(&room, &id); err != nil {
			rows.Close()
			return nil, s.wrap("read positions", err)
		}
		read[room] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, s.wrap("read positions", err)
	}
	for i, room := range rooms {
		out[i] = parley.ReadPosition{Room: room, Read: read[room]}
		if err := s.unread(ctx, user, &out[i], limit); err != nil {
			return nil, s.wrap("read positions", err)
		}
	}
	return out, nil
}

// unreadSQL selects the entries of a room that count as unread for a
// user: chat lines and notices after the position, not the user's own.
// Names compare folding ASCII case only, as accounts do.
const unreadSQL = `SELECT text FROM messages
	WHERE room = $1 AND id > $2 AND kind IN ('message', 'notice')
		AND NOT (lower(from_name COLLATE "C") = lower($3::text COLLATE "C") AND NOT guest)
	ORDER BY id LIMIT $4`

// unread counts p's unread entries and mentions of user, up to limit.
func (s *Store) unread(ctx context.Context, user string, p *parley.ReadPosition, limit int) error {
	if limit <= 0 {
		return nil
	}
	err := s.pool.QueryRow(ctx, `SELECT count(*) FROM (`+unreadSQL+`) u`, p.Room, p.Read, user, int64(limit)).Scan(&p.Unread)
	if err != nil || p.Unread == 0 {
		return err
	}
	// ILIKE narrows to the lines with "@user"; parley.Mentions decides.
	rows, err := s.pool.Query(ctx, `SELECT text FROM (`+unreadSQL+`) u WHERE text ILIKE $5`,
		p.Room, p.Read, user, int64(limit), "%@"+likeEscape(user)+"%")
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var text string
		if err := rows.Scan(&text); err != nil {
			return err
		}
		if parley.Mentions(text, user) {
			p.Mentions++
		}
	}
	return rows.Err()
}

// likeEscape escapes LIKE's wildcards (the default escape is '\').
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
