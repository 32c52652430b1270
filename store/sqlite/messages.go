package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parley-chat/parley"
)

// Append stores msgs in one transaction, in slice order, and returns after
// the commit is durable. It writes the assigned IDs, and Time where it was
// zero, back into msgs only when the commit succeeded; on error nothing of
// the batch is stored and msgs are unchanged.
func (s *Store) Append(ctx context.Context, msgs []*parley.Message) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	if len(msgs) == 0 {
		return nil
	}
	now := time.Now().UTC()
	ids := make([]int64, len(msgs))
	nanos := make([]int64, len(msgs))
	for i, m := range msgs {
		if m == nil {
			return parley.Errorf(parley.EInvalid, "message %d of the batch is nil", i)
		}
		t := m.Time
		if t.IsZero() {
			t = now
		}
		var err error
		if nanos[i], err = toNanos(t); err != nil {
			return err
		}
	}

	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("append", err)
	}
	defer tx.Rollback()
	insert := tx.StmtContext(ctx, s.insertMsg)
	exists := tx.StmtContext(ctx, s.roomExists)
	// The foreign key would refuse an unknown room too, but checking first
	// gives the caller ENotFound and the room's name. Batches hold few
	// distinct rooms, so a linear search beats a map.
	var checked []string
	for _, m := range msgs {
		if slices.Contains(checked, m.Room) {
			continue
		}
		var ok bool
		if err := exists.QueryRowContext(ctx, m.Room).Scan(&ok); err != nil {
			return wrap("append", err)
		}
		if !ok {
			return parley.Errorf(parley.ENotFound, "room %q does not exist", m.Room)
		}
		checked = append(checked, m.Room)
	}
	for i, m := range msgs {
		var idemKey, idemReq any
		if m.Idem != nil {
			idemKey, idemReq = m.Idem.Key, m.Idem.Request+":"+strconv.Itoa(m.Idem.Count)
		}
		res, err := insert.ExecContext(ctx, m.Room, m.Kind, m.From, m.Text, nanos[i], m.Guest, idemKey, idemReq, m.Ref, m.ReplyTo)
		if err != nil {
			if m.Idem != nil && strings.Contains(err.Error(), "UNIQUE constraint failed: messages.idem_key") {
				return errIdemUsed
			}
			return wrap("append", err)
		}
		if ids[i], err = res.LastInsertId(); err != nil {
			return wrap("append", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("append: commit", err)
	}
	for i, m := range msgs {
		m.ID = ids[i]
		if m.Time.IsZero() {
			m.Time = now
		}
	}
	return nil
}

const selectMessage = `SELECT id, room, kind, from_name, text, created, guest, ref, reply_to, edited FROM messages `

// After returns up to limit messages with ID > after in any of rooms, in
// ascending ID order. Unknown rooms simply match nothing.
func (s *Store) After(ctx context.Context, rooms []string, after int64, limit int) ([]parley.Message, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if len(rooms) == 0 || limit <= 0 {
		return []parley.Message{}, nil
	}
	var q strings.Builder
	q.WriteString(selectMessage)
	q.WriteString(`WHERE id > ? AND room IN (?`)
	q.WriteString(strings.Repeat(`, ?`, len(rooms)-1))
	q.WriteString(`) ORDER BY id LIMIT ?`)
	args := make([]any, 0, len(rooms)+2)
	args = append(args, after)
	for _, r := range rooms {
		args = append(args, r)
	}
	args = append(args, limit)
	msgs, err := s.query(ctx, limit, q.String(), args...)
	return msgs, wrap("after", err)
}

// Since returns up to limit messages of any room with ID > after, in
// ascending ID order.
func (s *Store) Since(ctx context.Context, after int64, limit int) ([]parley.Message, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return []parley.Message{}, nil
	}
	msgs, err := s.query(ctx, limit, selectMessage+`WHERE id > ? ORDER BY id LIMIT ?`, after, limit)
	return msgs, wrap("since", err)
}

// Before returns up to limit messages of room with ID < before, the newest
// ones, in ascending ID order, with their reactions. before <= 0 means the
// newest.
func (s *Store) Before(ctx context.Context, room string, before int64, limit int) ([]parley.Message, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return []parley.Message{}, nil
	}
	if before <= 0 {
		before = math.MaxInt64
	}
	msgs, err := s.query(ctx, limit,
		selectMessage+`WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?`, room, before, limit)
	if err != nil {
		return nil, wrap("before", err)
	}
	slices.Reverse(msgs)
	if err := parley.AttachReactions(ctx, s, msgs); err != nil {
		return nil, wrap("before", err)
	}
	return msgs, nil
}

// LastID returns the highest committed message ID, 0 for an empty log.
// It reads AUTOINCREMENT's counter, which commits with the messages and
// never goes down: deleting the newest messages (a deletion, retention,
// DeleteRoom) does not make their IDs current again.
func (s *Store) LastID(ctx context.Context) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	var id int64
	err := s.r.QueryRowContext(ctx,
		`SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'messages'), 0)`).Scan(&id)
	return id, wrap("last id", err)
}

// query runs a message query on the read pool.
func (s *Store) query(ctx context.Context, limit int, query string, args ...any) ([]parley.Message, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	msgs := make([]parley.Message, 0, min(limit, 256))
	for rows.Next() {
		var (
			m      parley.Message
			ns     int64
			edited sql.NullInt64
		)
		if err := rows.Scan(&m.ID, &m.Room, &m.Kind, &m.From, &m.Text, &ns, &m.Guest, &m.Ref, &m.ReplyTo, &edited); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		m.Time = fromNanos(ns)
		if edited.Valid {
			m.Edited = fromNanos(edited.Int64)
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return msgs, nil
}

var errIdemUsed = parley.Errorf(parley.EConflict, "the idempotency key was used already")

// ByIdempotencyKey implements parley.IdempotencyStore.
func (s *Store) ByIdempotencyKey(ctx context.Context, key string) (parley.Idem, []parley.Message, error) {
	if err := s.checkOpen(); err != nil {
		return parley.Idem{}, nil, err
	}
	var first int64
	var req string
	err := s.r.QueryRowContext(ctx, `SELECT id, idem_request FROM messages WHERE idem_key = ?`, key).Scan(&first, &req)
	if errors.Is(err, sql.ErrNoRows) {
		return parley.Idem{}, nil, parley.Errorf(parley.ENotFound, "no request with this idempotency key")
	}
	if err != nil {
		return parley.Idem{}, nil, wrap("idempotency key", err)
	}
	idem, err := parseIdemRequest(key, req)
	if err != nil {
		return parley.Idem{}, nil, err
	}
	msgs, err := s.query(ctx, idem.Count, selectMessage+`WHERE id >= ? AND id < ? ORDER BY id`, first, first+int64(idem.Count))
	if err != nil {
		return parley.Idem{}, nil, wrap("idempotency key", err)
	}
	return idem, msgs, nil
}

func parseIdemRequest(key, req string) (parley.Idem, error) {
	fp, count, ok := strings.Cut(req, ":")
	n, err := strconv.Atoi(count)
	if !ok || err != nil || n < 1 {
		return parley.Idem{}, fmt.Errorf("sqlite: idempotency record %q is malformed", req)
	}
	return parley.Idem{Key: key, Request: fp, Count: n}, nil
}
