package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-chat/parley"
)

var (
	_ parley.RetentionStore = (*Store)(nil)
	_ parley.MessageDeleter = (*Store)(nil)
)

// retentionBatch is how many entries one retention transaction deletes at
// most. Each batch holds the writer for a few milliseconds; appends queued
// meanwhile go in between batches.
const retentionBatch = 500

// SetRetention sets a room's retention. ENotFound if no such room.
func (s *Store) SetRetention(ctx context.Context, room string, r parley.Retention) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx,
		`UPDATE rooms SET retention_days = ?, retention_messages = ? WHERE name = ?`,
		r.Days, r.Messages, room)
	return mustAffect(res, err, "set retention", errNoRoom(room))
}

// Retention returns a room's retention, or ENotFound.
func (s *Store) Retention(ctx context.Context, room string) (parley.Retention, error) {
	if err := s.checkOpen(); err != nil {
		return parley.Retention{}, err
	}
	var r parley.Retention
	err := s.r.QueryRowContext(ctx,
		`SELECT retention_days, retention_messages FROM rooms WHERE name = ?`, room).Scan(&r.Days, &r.Messages)
	if errors.Is(err, sql.ErrNoRows) {
		return parley.Retention{}, errNoRoom(room)
	}
	return r, wrap("retention", err)
}

// RetentionRooms lists the rooms that do not keep everything, by name.
func (s *Store) RetentionRooms(ctx context.Context) ([]parley.RoomRetention, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `
		SELECT name, retention_days, retention_messages FROM rooms
		WHERE retention_days > 0 OR retention_messages > 0 ORDER BY name`)
	if err != nil {
		return nil, wrap("retention rooms", err)
	}
	defer rows.Close()
	out := []parley.RoomRetention{}
	for rows.Next() {
		var rr parley.RoomRetention
		if err := rows.Scan(&rr.Room, &rr.Retention.Days, &rr.Retention.Messages); err != nil {
			return nil, wrap("retention rooms", err)
		}
		out = append(out, rr)
	}
	return out, wrap("retention rooms", rows.Err())
}

// ApplyRetention deletes what room's retention no longer keeps, in
// batches of retentionBatch, each its own writer transaction.
func (s *Store) ApplyRetention(ctx context.Context, room string, now time.Time) (int, error) {
	r, err := s.Retention(ctx, room)
	if err != nil || r.Forever() {
		return 0, err
	}
	if r.Messages > 0 {
		return s.keepMessages(ctx, room, r.Messages)
	}
	cutoff, err := toNanos(now.Add(-time.Duration(r.Days) * 24 * time.Hour))
	if err != nil {
		return 0, err
	}
	return s.keepSince(ctx, room, cutoff)
}

// keepMessages deletes every entry of room older than its n-th newest
// chat line.
func (s *Store) keepMessages(ctx context.Context, room string, n int) (int, error) {
	// Found on the read pool: the scan of n entries does not hold the
	// writer. IDs only grow, so a cutoff from this snapshot stays right.
	var cutoff int64
	err := s.r.QueryRowContext(ctx, `
		SELECT id FROM messages WHERE room = ? AND kind = 'message'
		ORDER BY id DESC LIMIT 1 OFFSET ?`, room, n-1).Scan(&cutoff)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil // fewer than n chat lines
	}
	if err != nil {
		return 0, wrap("apply retention", err)
	}
	total := 0
	for {
		if err := s.checkOpen(); err != nil {
			return total, err
		}
		res, err := s.w.ExecContext(ctx, `
			DELETE FROM messages WHERE id IN (
				SELECT id FROM messages WHERE room = ? AND id < ? ORDER BY id LIMIT ?)`,
			room, cutoff, retentionBatch)
		if err != nil {
			return total, wrap("apply retention", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrap("apply retention", err)
		}
		total += int(n)
		if n < retentionBatch {
			return total, nil
		}
	}
}

// keepSince deletes the entries of room created before cutoff (unix
// nanoseconds), oldest first by ID, up to the first one that is younger.
func (s *Store) keepSince(ctx context.Context, room string, cutoff int64) (int, error) {
	total := 0
	for {
		if err := s.checkOpen(); err != nil {
			return total, err
		}
		n, done, err := s.keepSinceBatch(ctx, room, cutoff)
		total += n
		if err != nil || done {
			return total, err
		}
	}
}

func (s *Store) keepSinceBatch(ctx context.Context, room string, cutoff int64) (deleted int, done bool, err error) {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, wrap("apply retention", err)
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx,
		`SELECT id, created FROM messages WHERE room = ? ORDER BY id LIMIT ?`, room, retentionBatch)
	if err != nil {
		return 0, false, wrap("apply retention", err)
	}
	last, seen := int64(-1), 0
	for rows.Next() {
		var id, created int64
		if err := rows.Scan(&id, &created); err != nil {
			rows.Close()
			return 0, false, wrap("apply retention", err)
		}
		seen++
		if created >= cutoff {
			done = true
			break
		}
		last = id
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, false, wrap("apply retention", err)
	}
	if seen < retentionBatch {
		done = true
	}
	if last < 0 {
		return 0, true, nil
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM messages WHERE room = ? AND id <= ?`, room, last)
	if err != nil {
		return 0, false, wrap("apply retention", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, false, wrap("apply retention", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, false, wrap("apply retention: commit", err)
	}
	return int(n), done, nil
}

// Message returns the message with this ID, or ENotFound.
func (s *Store) Message(ctx context.Context, id int64) (parley.Message, error) {
	if err := s.checkOpen(); err != nil {
		return parley.Message{}, err
	}
	msgs, err := s.query(ctx, 1, selectMessage+`WHERE id = ?`, id)
	if err != nil {
		return parley.Message{}, wrap("message", err)
	}
	if len(msgs) == 0 {
		return parley.Message{}, parley.Errorf(parley.ENotFound, "message %d does not exist", id)
	}
	return msgs[0], nil
}
