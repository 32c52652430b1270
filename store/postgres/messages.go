package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parley-chat/parley"
)

// appendSQL stores a batch in one statement, which runs as its own
// (implicit) transaction. The UPDATE takes the next len(batch) IDs from
// the counter and holds its row lock until the commit; see doc.go for why
// that makes IDs increase in commit order on every node. A data-modifying
// WITH runs to completion even though the final SELECT does not read it.
//
// $1 is the batch size; $2..$11 are parallel arrays (room, kind, from,
// text, time, guest, idempotency key and request, "" for none, ref and
// reply_to, 0 for none), numbered in slice order by WITH ORDINALITY; $12
// is the batch's ring entry after its last ID and $13 the ring's length
// in bytes (ring.go).
const appendSQL = `
WITH next AS (
	UPDATE counters SET value = value + $1,
		ring = substr(ring || int8send(value + $1) || $12::bytea, greatest(1, length(ring) + 8 + length($12::bytea) + 1 - $13::int))
	WHERE name = 'message_id' RETURNING value, ring
), inserted AS (
	INSERT INTO messages (id, room, kind, from_name, text, created, guest, idem_key, idem_request, ref, reply_to)
	SELECT next.value - $1 + m.ord, m.room, m.kind, m.from_name, m.text, m.created, m.guest,
		NULLIF(m.idem_key, ''), NULLIF(m.idem_request, ''), m.ref, m.reply_to
	FROM next, unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::boolean[], $8::text[], $9::text[],
		$10::bigint[], $11::bigint[])
		WITH ORDINALITY AS m(room, kind, from_name, text, created, guest, idem_key, idem_request, ref, reply_to, ord)
)
SELECT value, ring FROM next`

// Append stores msgs in one transaction, in slice order, and returns after
// the commit. It writes the assigned IDs and the stored times (rounded to
// the microsecond, in UTC; now where Time was zero) back into msgs only
// when the commit succeeded; on error nothing of the batch is stored and
// msgs are unchanged.
//
// If ctx ends while the commit is under way, Append may return an error
// for a batch that was stored: the database's answer was lost, as with any
// client-server commit.
func (s *Store) Append(ctx context.Context, msgs []*parley.Message) error {
	_, err := s.appendBatch(ctx, msgs, nil, false)
	return err
}

// appendBatch is Append and AppendRing: it returns the ring as this
// batch's commit left it.
func (s *Store) appendBatch(ctx context.Context, msgs []*parley.Message, keys []uint16, known bool) ([]byte, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	if len(msgs) == 0 {
		return nil, nil
	}
	n := len(msgs)
	var (
		now   = time.Now()
		rooms = make([]string, n)
		kinds = make([]string, n)
		froms = make([]string, n)
		texts = make([]string, n)
		times = make([]time.Time, n)
		guest = make([]bool, n)
		ikeys = make([]string, n)
		ireqs = make([]string, n)
		refs  = make([]int64, n)
		repls = make([]int64, n)
	)
	for i, m := range msgs {
		if m == nil {
			return nil, parley.Errorf(parley.EInvalid, "message %d of the batch is nil", i)
		}
		t := m.Time
		if t.IsZero() {
			t = now
		}
		var err error
		if times[i], err = dbTime(t); err != nil {
			return nil, err
		}
		rooms[i], kinds[i], froms[i], texts[i], guest[i] = m.Room, m.Kind, m.From, m.Text, m.Guest
		refs[i], repls[i] = m.Ref, m.ReplyTo
		if m.Idem != nil {
			ikeys[i], ireqs[i] = m.Idem.Key, m.Idem.Request+":"+strconv.Itoa(m.Idem.Count)
		}
	}

	var (
		last int64
		ring []byte
	)
	err := s.pool.QueryRow(ctx, appendSQL, int64(n), rooms, kinds, froms, texts, times, guest, ikeys, ireqs, refs, repls,
		ringTail(n, keys, known), ringBytes).Scan(&last, &ring)
	if err != nil {
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && pgErr.Code == codeUniqueViolation && pgErr.ConstraintName == "messages_idem_key":
			return nil, parley.Errorf(parley.EConflict, "the idempotency key was used already")
		case errors.As(err, &pgErr) && pgErr.Code == codeForeignKey:
			// The foreign key on messages.room refused the batch.
			return nil, s.missingRooms(ctx, rooms, err)
		case errors.Is(err, pgx.ErrNoRows):
			return nil, fmt.Errorf("postgres: append: the message_id row of table counters is missing: the schema was changed by hand")
		}
		return nil, s.wrap("append", err)
	}
	first := last - int64(n) + 1
	for i, m := range msgs {
		m.ID = first + int64(i)
		m.Time = times[i]
	}
	return ring, nil
}

// missingRooms turns the foreign key error cause of a failed Append into
// ENotFound naming the rooms that do not exist.
func (s *Store) missingRooms(ctx context.Context, rooms []string, cause error) error {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT r FROM unnest($1::text[]) AS r
		WHERE NOT EXISTS (SELECT 1 FROM rooms WHERE rooms.name = r)
		ORDER BY r`, rooms)
	var missing []string
	if err == nil {
		missing, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	var nf *parley.Error
	switch {
	case err != nil || len(missing) == 0:
		// The room was deleted and created again meanwhile, or the lookup
		// failed: the batch was refused all the same.
		nf = parley.Errorf(parley.ENotFound, "a room of the batch does not exist")
	case len(missing) == 1:
		nf = parley.Errorf(parley.ENotFound, "room %q does not exist", missing[0])
	default:
		quoted := make([]string, len(missing))
		for i, r := range missing {
			quoted[i] = fmt.Sprintf("%q", r)
		}
		nf = parley.Errorf(parley.ENotFound, "rooms %s do not exist", strings.Join(quoted, ", "))
	}
	return fmt.Errorf("postgres: append: %w: %w", nf, cause)
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
	msgs, err := s.queryIndexed(ctx, limit, afterQuery, after, distinct(rooms), int64(limit))
	return msgs, s.wrap("after", err)
}

// queryIndexed runs query with bitmap scans turned off for its
// transaction, so that each room is read in ID order through its index,
// at most limit rows, whatever the statistics say (see afterQuery).
func (s *Store) queryIndexed(ctx context.Context, limit int, query string, args ...any) ([]parley.Message, error) {
	tx, err := s.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx) //nolint:errcheck // read only: nothing to undo
	if _, err := tx.Exec(ctx, "SET LOCAL enable_bitmapscan = off"); err != nil {
		return nil, err
	}
	return scanMessages(tx.Query(ctx, query, args...))(limit)
}

// afterQuery reads each room through its (room, id) index, at most limit
// rows from each, and merges them: with current statistics that is an
// ordered index scan per room, O(rooms × limit) rows a page however
// sparse the rooms are in the log (the plain "room = ANY($2) ORDER BY
// id" filtered the whole log by ID for a rare room). With statistics
// older than the newest rows (a table that just grew by the 100,000
// messages a subscriber missed, before autovacuum's ANALYZE), PostgreSQL
// planned a bitmap scan of every row after the cursor and a sort, about
// 40 ms a page of 500, in either form: queryIndexed turns bitmap scans
// off for this query. See docs/BENCHMARKS.md.
const afterQuery = `SELECT m.* FROM unnest($2::text[]) AS r(name) CROSS JOIN LATERAL (` +
	selectMessage + `WHERE room = r.name AND id > $1 ORDER BY id LIMIT $3) AS m ORDER BY m.id LIMIT $3`

// distinct returns rooms without repetitions (each would read its room
// again).
func distinct(rooms []string) []string {
	if len(rooms) < 2 {
		return rooms
	}
	return slices.Compact(slices.Sorted(slices.Values(rooms)))
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
	msgs, err := s.query(ctx, limit, selectMessage+`WHERE id > $1 ORDER BY id LIMIT $2`, after, int64(limit))
	return msgs, s.wrap("since", err)
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
		selectMessage+`WHERE room = $1 AND id < $2 ORDER BY id DESC LIMIT $3`, room, before, int64(limit))
	if err != nil {
		return nil, s.wrap("before", err)
	}
	slices.Reverse(msgs)
	if err := parley.AttachReactions(ctx, s, msgs); err != nil {
		return nil, s.wrap("before", err)
	}
	return msgs, nil
}

// LastID returns the highest committed message ID, 0 for an empty log. It
// reads the ID counter, which commits with the messages and never goes
// down: deleting the newest messages does not make their IDs current again.
func (s *Store) LastID(ctx context.Context) (int64, error) {
	if err := s.checkOpen(); err != nil {
		return 0, err
	}
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT value FROM counters WHERE name = 'message_id'`).Scan(&id)
	return id, s.wrap("last id", err)
}

// query runs a message query and collects its rows.
func (s *Store) query(ctx context.Context, limit int, query string, args ...any) ([]parley.Message, error) {
	return scanMessages(s.pool.Query(ctx, query, args...))(limit)
}

// scanMessages reads the rows of a selectMessage query.
func scanMessages(rows pgx.Rows, err error) func(limit int) ([]parley.Message, error) {
	return func(limit int) ([]parley.Message, error) {
		if err != nil {
			return nil, err
		}
		return scanRows(rows, limit)
	}
}

func scanRows(rows pgx.Rows, limit int) ([]parley.Message, error) {
	defer rows.Close()
	msgs := make([]parley.Message, 0, min(limit, 256))
	for rows.Next() {
		var (
			m      parley.Message
			edited *time.Time
		)
		if err := rows.Scan(&m.ID, &m.Room, &m.Kind, &m.From, &m.Text, &m.Time, &m.Guest, &m.Ref, &m.ReplyTo, &edited); err != nil {
			return nil, fmt.Errorf("scan: %w", err)
		}
		m.Time = m.Time.UTC()
		if edited != nil {
			m.Edited = edited.UTC()
		}
		msgs = append(msgs, m)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return msgs, nil
}

// ByIdempotencyKey implements parley.IdempotencyStore.
func (s *Store) ByIdempotencyKey(ctx context.Context, key string) (parley.Idem, []parley.Message, error) {
	if err := s.checkOpen(); err != nil {
		return parley.Idem{}, nil, err
	}
	var first int64
	var req string
	err := s.pool.QueryRow(ctx, `SELECT id, idem_request FROM messages WHERE idem_key = $1`, key).Scan(&first, &req)
	if errors.Is(err, pgx.ErrNoRows) {
		return parley.Idem{}, nil, parley.Errorf(parley.ENotFound, "no request with this idempotency key")
	}
	if err != nil {
		return parley.Idem{}, nil, s.wrap("idempotency key", err)
	}
	fp, count, ok := strings.Cut(req, ":")
	n, cerr := strconv.Atoi(count)
	if !ok || cerr != nil || n < 1 {
		return parley.Idem{}, nil, fmt.Errorf("postgres: idempotency record %q is malformed", req)
	}
	msgs, err := s.query(ctx, n, selectMessage+`WHERE id >= $1 AND id < $2 ORDER BY id`, first, first+int64(n))
	if err != nil {
		return parley.Idem{}, nil, s.wrap("idempotency key", err)
	}
	return parley.Idem{Key: key, Request: fp, Count: n}, msgs, nil
}
