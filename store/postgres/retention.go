package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley"
)

var (
	_ parley.RetentionStore = (*Store)(nil)
	_ parley.MessageDeleter = (*Store)(nil)
)

// retentionBatch is how many entries one retention statement deletes at
// most, so that no transaction holds many row locks for long.
const retentionBatch = 500

// SetRetention sets a room's retention. ENotFound if no such room.
func (s *Store) SetRetention(ctx context.Context, room string, r parley.Retention) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx,
		`UPDATE rooms SET retention_days = $2, retention_messages = $3 WHERE name = $1`,
		room, r.Days, r.Messages)
	return s.mustAffect(tag, err, "set retention", errNoRoom(room))
}

// Retention returns a room's retention, or ENotFound.
func (s *Store) Retention(ctx context.Context, room string) (parley.Retention, error) {
	if err := s.checkOpen(); err != nil {
		return parley.Retention{}, err
	}
	var r parley.Retention
	err := s.pool.QueryRow(ctx,
		`SELECT retention_days, retention_messages FROM rooms WHERE name = $1`, room).Scan(&r.Days, &r.Messages)
	if errors.Is(err, pgx.ErrNoRows) {
		return parley.Retention{}, errNoRoom(room)
	}
	return r, s.wrap("retention", err)
}

// RetentionRooms lists the rooms that do not keep everything, by name.
func (s *Store) RetentionRooms(ctx context.Context) ([]parley.RoomRetention, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `
		SELECT name, retention_days, retention_messages FROM rooms
		WHERE retention_days > 0 OR retention_messages > 0 ORDER BY name`)
	if err != nil {
		return nil, s.wrap("retention rooms", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (parley.RoomRetention, error) {
		var rr parley.RoomRetention
		err := row.Scan(&rr.Room, &rr.Retention.Days, &rr.Retention.Messages)
		return rr, err
	})
	if out == nil {
		out = []parley.RoomRetention{}
	}
	return out, s.wrap("retention rooms", err)
}

// ApplyRetention deletes what room's retention no longer keeps, in
// statements of at most retentionBatch rows, each its own transaction.
func (s *Store) ApplyRetention(ctx context.Context, room string, now time.Time) (int, error) {
	r, err := s.Retention(ctx, room)
	if err != nil || r.Forever() {
		return 0, err
	}
	var del string
	var cut any
	if r.Messages > 0 {
		// IDs only grow, so a cutoff found once stays right.
		var cutoff int64
		err := s.pool.QueryRow(ctx, `
			SELECT id FROM messages WHERE room = $1 AND kind = 'message'
			ORDER BY id DESC LIMIT 1 OFFSET $2`, room, int64(r.Messages-1)).Scan(&cutoff)
		if errors.Is(err, pgx.ErrNoRows) {
			return 0, nil // fewer chat lines than the room keeps
		}
		if err != nil {
			return 0, s.wrap("apply retention", err)
		}
		cut = cutoff
		del = `DELETE FROM messages WHERE id IN (
			SELECT id FROM messages WHERE room = $1 AND id < $2 ORDER BY id LIMIT $3)`
	} else {
		cut = now.Add(-time.Duration(r.Days) * 24 * time.Hour)
		// The oldest batch by ID, up to the first entry that is young
		// enough (see parley.RetentionStore).
		del = `WITH batch AS (
				SELECT id, created FROM messages WHERE room = $1 ORDER BY id LIMIT $3
			), young AS (
				SELECT min(id) AS id FROM batch WHERE created >= $2
			)
			DELETE FROM messages WHERE id IN (
				SELECT batch.id FROM batch, young WHERE young.id IS NULL OR batch.id < young.id)
			AND created < $2`
	}
	total := 0
	for {
		if err := s.checkOpen(); err != nil {
			return total, err
		}
		tag, err := s.pool.Exec(ctx, del, room, cut, int64(retentionBatch))
		if err != nil {
			return total, s.wrap("apply retention", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < retentionBatch {
			return total, nil
		}
	}
}

// Message returns the message with this ID, or ENotFound.
func (s *Store) Message(ctx context.Context, id int64) (parley.Message, error) {
	if err := s.checkOpen(); err != nil {
		return parley.Message{}, err
	}
	msgs, err := s.query(ctx, 1, selectMessage+`WHERE id = $1`, id)
	if err != nil {
		return parley.Message{}, s.wrap("message", err)
	}
	if len(msgs) == 0 {
		return parley.Message{}, parley.Errorf(parley.ENotFound, "message %d does not exist", id)
	}
	return msgs[0], nil
}
