package sqlite

import (
	"context"
	"encoding/json"
	"strings"

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
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, wrap("reactions", err)
	}
	rows, err := s.r.QueryContext(ctx, `
		SELECT id, ref, kind, from_name, text FROM messages
		WHERE ref IN (SELECT value FROM json_each(?)) AND ref <> 0 AND kind IN ('react', 'unreact')
		ORDER BY id`, string(list))
	if err != nil {
		return nil, wrap("reactions", err)
	}
	defer rows.Close()
	var entries []parley.Message
	for rows.Next() {
		var m parley.Message
		if err := rows.Scan(&m.ID, &m.Ref, &m.Kind, &m.From, &m.Text); err != nil {
			return nil, wrap("reactions", err)
		}
		entries = append(entries, m)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("reactions", err)
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
	err := s.w.QueryRowContext(ctx, `
		INSERT INTO read_positions (room, user, last_read) VALUES (?, ?, ?)
		ON CONFLICT (user, room) DO UPDATE SET last_read = max(last_read, excluded.last_read)
		RETURNING last_read`, room, user, id).Scan(&stored)
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		return 0, errNoRoom(room)
	}
	return stored, wrap("set read position", err)
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
	list, err := json.Marshal(rooms)
	if err != nil {
		return nil, wrap("read positions", err)
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT room, last_read FROM read_positions WHERE user = ? AND room IN (SELECT value FROM json_each(?))`,
		user, string(list))
	if err != nil {
		return nil, wrap("read positions", err)
	}
	read := map[string]int64{}
	for rows.Next() {
		var room string
		var id int64
		if err := rows.Scan(&room, &id); err != nil {
			rows.Close()
			return nil, wrap("read positions", err)
		}
		read[room] = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap("read positions", err)
	}
	for i, room := range rooms {
		out[i] = parley.ReadPosition{Room: room, Read: read[room]}
		if err := s.unread(ctx, user, &out[i], limit); err != nil {
			return nil, wrap("read positions", err)
		}
	}
	return out, nil
}

// unreadSQL selects the entries of a room that count as unread for a
// user: chat lines and notices after the position, not the user's own.
const unreadSQL = `SELECT text FROM messages
	WHERE room = ? AND id > ? AND kind IN ('message', 'notice') AND NOT (from_name = ? COLLATE NOCASE AND guest = 0)
	ORDER BY id LIMIT ?`

// unread counts p's unread entries and mentions of user, up to limit.
func (s *Store) unread(ctx context.Context, user string, p *parley.ReadPosition, limit int) error {
	if limit <= 0 {
		return nil
	}
	err := s.r.QueryRowContext(ctx, `SELECT count(*) FROM (`+unreadSQL+`)`, p.Room, p.Read, user, limit).Scan(&p.Unread)
	if err != nil || p.Unread == 0 {
		return err
	}
	// LIKE narrows to the lines with "@user" (ASCII case ignored, as
	// names compare); parley.Mentions decides.
	rows, err := s.r.QueryContext(ctx, `SELECT text FROM (`+unreadSQL+`) WHERE text LIKE ? ESCAPE '\'`,
		p.Room, p.Read, user, limit, "%@"+likeEscape(user)+"%")
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

// likeEscape escapes LIKE's wildcards for ESCAPE '\'.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
