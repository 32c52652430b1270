package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-chat/parley"
)

var _ parley.Searcher = (*Store)(nil)

// snippetTokens is the length of a snippet, in words (FTS5 allows 64).
const snippetTokens = 32

// Search runs a full-text query over the chat lines of q.Rooms (see
// parley.Searcher). It reads on the read pool, so it never waits for the
// writer.
//
// The query runs in two steps: the first ranks every match with bm25 and
// keeps the IDs of one page; the second reads those messages and builds
// their snippets, so snippets are made for the page only.
func (s *Store) Search(ctx context.Context, q parley.SearchQuery) (parley.SearchPage, error) {
	if err := s.checkOpen(); err != nil {
		return parley.SearchPage{}, err
	}
	terms, err := parley.ParseSearch(q.Text)
	if err != nil {
		return parley.SearchPage{}, err
	}
	limit, err := parley.SearchLimit(q)
	if err != nil {
		return parley.SearchPage{}, err
	}
	cur, paging, err := parley.DecodeSearchCursor(q)
	if err != nil {
		return parley.SearchPage{}, err
	}
	page := parley.SearchPage{Hits: []parley.SearchHit{}}
	if len(q.Rooms) == 0 {
		return page, nil
	}
	match := ftsQuery(terms)

	if !paging {
		// The snapshot: later pages only see what is committed now.
		if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM messages`).Scan(&cur.Snapshot); err != nil {
			return page, wrap("search", err)
		}
	}
	// Read after the snapshot: a room created since cannot hold a message
	// the snapshot sees, so when every room that exists now is allowed,
	// the room condition can go, and with it a lookup per match.
	rooms, err := json.Marshal(q.Rooms)
	if err != nil {
		return page, wrap("search", err)
	}
	var allRooms bool
	if err := s.r.QueryRowContext(ctx,
		`SELECT NOT EXISTS (SELECT 1 FROM rooms WHERE name NOT IN (SELECT value FROM json_each(?)))`,
		string(rooms)).Scan(&allRooms); err != nil {
		return page, wrap("search", err)
	}

	var (
		where strings.Builder
		args  = []any{match, cur.Snapshot}
	)
	join := false
	where.WriteString(`messages_fts MATCH ? AND messages_fts.rowid <= ?`)
	if !allRooms {
		join = true
		where.WriteString(` AND m.room IN (SELECT value FROM json_each(?))`)
		args = append(args, string(rooms))
	}
	if q.From != "" {
		join = true
		where.WriteString(` AND m.from_name = ? COLLATE NOCASE`)
		args = append(args, q.From)
	}
	if !q.Since.IsZero() {
		ns, err := toNanos(q.Since)
		if err != nil {
			return page, err
		}
		join = true
		where.WriteString(` AND m.created >= ?`)
		args = append(args, ns)
	}
	if !q.Until.IsZero() {
		ns, err := toNanos(q.Until)
		if err != nil {
			return page, err
		}
		join = true
		where.WriteString(` AND m.created < ?`)
		args = append(args, ns)
	}
	if paging {
		// Continue after the previous page's last hit, where it ranks now:
		// bm25 depends on the whole index (how many lines hold each word,
		// their mean length), so every score shifts as lines come and go,
		// and the score in the cursor would no longer mark the place.
		// When that line is gone, the cursor's score is the best guess.
		var now float64
		err := s.r.QueryRowContext(ctx,
			`SELECT bm25(messages_fts) FROM messages_fts WHERE messages_fts MATCH ? AND rowid = ?`,
			match, cur.ID).Scan(&now)
		switch {
		case err == nil:
			cur.Score = now
		case !errors.Is(err, sql.ErrNoRows):
			return page, wrap("search", err)
		}
		// bm25 is lower for better matches; ties go newest first.
		where.WriteString(` AND (bm25(messages_fts) > ? OR (bm25(messages_fts) = ? AND messages_fts.rowid < ?))`)
		args = append(args, cur.Score, cur.Score, cur.ID)
	}
	from := `messages_fts`
	if join {
		from += ` JOIN messages m ON m.id = messages_fts.rowid`
	}
	// One more than the page tells whether there is a next page.
	args = append(args, limit+1)
	rank := `SELECT messages_fts.rowid, bm25(messages_fts) AS score FROM ` + from +
		` WHERE ` + where.String() + ` ORDER BY score, messages_fts.rowid DESC LIMIT ?`

	type ranked struct {
		id    int64
		score float64
	}
	rows, err := s.r.QueryContext(ctx, rank, args...)
	if err != nil {
		return page, wrap("search", err)
	}
	var top []ranked
	for rows.Next() {
		var r ranked
		if err := rows.Scan(&r.id, &r.score); err != nil {
			rows.Close()
			return page, wrap("search", err)
		}
		top = append(top, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, wrap("search", err)
	}
	more := len(top) > limit
	if more {
		top = top[:limit]
	}
	if len(top) == 0 {
		return page, nil
	}

	ids := make([]int64, len(top))
	for i, r := range top {
		ids[i] = r.id
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return page, wrap("search", err)
	}
	rows, err = s.r.QueryContext(ctx, `
		SELECT m.id, m.room, m.kind, m.from_name, m.text, m.created, m.guest, m.reply_to, m.edited,
			snippet(messages_fts, 0, char(1), char(2), '…', `+fmt.Sprint(snippetTokens)+`)
		FROM messages_fts JOIN messages m ON m.id = messages_fts.rowid
		WHERE messages_fts MATCH ? AND messages_fts.rowid IN (SELECT value FROM json_each(?))`,
		match, string(idList))
	if err != nil {
		return page, wrap("search", err)
	}
	defer rows.Close()
	hits := make(map[int64]parley.SearchHit, len(top))
	for rows.Next() {
		var (
			h       parley.SearchHit
			ns      int64
			edited  sql.NullInt64
			snippet string
		)
		m := &h.Message
		if err := rows.Scan(&m.ID, &m.Room, &m.Kind, &m.From, &m.Text, &ns, &m.Guest, &m.ReplyTo, &edited, &snippet); err != nil {
			return page, wrap("search", err)
		}
		m.Time = fromNanos(ns)
		if edited.Valid {
			m.Edited = fromNanos(edited.Int64)
		}
		h.Snippet = parley.SplitSnippet(snippet)
		hits[m.ID] = h
	}
	if err := rows.Err(); err != nil {
		return page, wrap("search", err)
	}
	for _, r := range top {
		// A message deleted between the two steps is left out.
		if h, ok := hits[r.id]; ok {
			page.Hits = append(page.Hits, h)
		}
	}
	if more {
		last := top[len(top)-1]
		page.Next = parley.SearchCursor{Snapshot: cur.Snapshot, Score: last.score, ID: last.id}.Encode(q)
	}
	return page, nil
}

// ftsQuery renders parsed terms as an FTS5 query: every term a quoted
// string, joined by AND. Words hold only letters, digits and marks (see
// parley.ParseSearch), never a quote, so the quoting is exact and nothing
// the user typed is read as FTS5 syntax.
func ftsQuery(terms []parley.SearchTerm) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('"')
		b.WriteString(strings.Join(t.Words, " "))
		b.WriteByte('"')
		if t.Prefix {
			b.WriteByte('*')
		}
	}
	return b.String()
}
