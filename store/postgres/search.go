package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley"
)

var _ parley.Searcher = (*Store)(nil)

// searchConfig is the text search configuration of migration 0003.
const searchConfig = `'parley_search'::regconfig`

// headlineOptions shape ts_headline's snippets: matches wrapped in the
// parley.Snippet markers, up to 32 words around them.
var headlineOptions = fmt.Sprintf(`StartSel="%s", StopSel="%s", MaxWords=32, MinWords=12, ShortWord=0`,
	parley.SnippetOpen, parley.SnippetClose)

// Search runs a full-text query over the chat lines of q.Rooms (see
// parley.Searcher). Matches are ranked with ts_rank, normalised by the
// logarithm of the line's length (option 1) so that short lines that are
// about the words come first, as bm25 does.
//
// The query runs in two steps, like the SQLite store's: the first ranks
// every match and keeps one page of IDs; the second builds snippets for
// that page only (ts_headline parses the whole text, so it is not run for
// every match).
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
	if !paging {
		// The counter, not MAX(id): it is what has been committed.
		if cur.Snapshot, err = s.LastID(ctx); err != nil {
			return page, err
		}
	}

	args := []any{}
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	tsq := tsQuery(terms, arg)
	var where strings.Builder
	fmt.Fprintf(&where, `m.search @@ tq.q AND m.id <= %s AND m.room = ANY(%s)`, arg(cur.Snapshot), arg(q.Rooms))
	if q.From != "" {
		fmt.Fprintf(&where, ` AND lower(m.from_name COLLATE "C") = lower(%s::text COLLATE "C")`, arg(q.From))
	}
	if !q.Since.IsZero() {
		fmt.Fprintf(&where, ` AND m.created >= %s`, arg(q.Since))
	}
	if !q.Until.IsZero() {
		fmt.Fprintf(&where, ` AND m.created < %s`, arg(q.Until))
	}
	const rank = `ts_rank(m.search, tq.q, 1)`
	if paging {
		// Higher ranks first; ties newest first. ts_rank is a real: the
		// cursor holds its exact value.
		c := arg(float32(cur.Score))
		fmt.Fprintf(&where, ` AND (%s < %s::real OR (%s = %s::real AND m.id < %s))`, rank, c, rank, c, arg(cur.ID))
	}
	sql := `WITH tq AS (SELECT ` + tsq + ` AS q)
		SELECT m.id, ` + rank + ` AS score FROM messages m, tq
		WHERE ` + where.String() + `
		ORDER BY score DESC, m.id DESC LIMIT ` + arg(int64(limit+1))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return page, s.wrap("search", err)
	}
	type ranked struct {
		id    int64
		score float32
	}
	var top []ranked
	for rows.Next() {
		var r ranked
		if err := rows.Scan(&r.id, &r.score); err != nil {
			rows.Close()
			return page, s.wrap("search", err)
		}
		top = append(top, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return page, s.wrap("search", err)
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
	args = args[:0]
	tsq = tsQuery(terms, arg)
	rows, err = s.pool.Query(ctx, `
		SELECT id, room, kind, from_name, text, created, guest, reply_to, edited,
			ts_headline(`+searchConfig+`, text, `+tsq+`, `+arg(headlineOptions)+`)
		FROM messages WHERE id = ANY(`+arg(ids)+`)`, args...)
	if err != nil {
		return page, s.wrap("search", err)
	}
	defer rows.Close()
	hits := make(map[int64]parley.SearchHit, len(top))
	for rows.Next() {
		var (
			h       parley.SearchHit
			edited  *time.Time
			snippet string
		)
		m := &h.Message
		if err := rows.Scan(&m.ID, &m.Room, &m.Kind, &m.From, &m.Text, &m.Time, &m.Guest, &m.ReplyTo, &edited, &snippet); err != nil {
			return page, s.wrap("search", err)
		}
		m.Time = m.Time.UTC()
		if edited != nil {
			m.Edited = edited.UTC()
		}
		h.Snippet = ellipsis(parley.SplitSnippet(snippet), m.Text)
		hits[m.ID] = h
	}
	if err := rows.Err(); err != nil {
		return page, s.wrap("search", err)
	}
	for _, r := range top {
		// A message deleted between the two steps is left out.
		if h, ok := hits[r.id]; ok {
			page.Hits = append(page.Hits, h)
		}
	}
	if more {
		last := top[len(top)-1]
		page.Next = parley.SearchCursor{Snapshot: cur.Snapshot, Score: float64(last.score), ID: last.id}.Encode(q)
	}
	return page, nil
}

// tsQuery returns SQL for the tsquery of terms, their text passed through
// arg as bound parameters. A word or phrase goes to phraseto_tsquery,
// which reads plain text and knows no operators, so nothing the user
// typed is read as tsquery syntax; PostgreSQL's parser splits it as it
// split the indexed text. A prefix term is built for to_tsquery from the
// parsed words only (letters, digits and marks, see parley.ParseSearch),
// each single-quoted, which needs no escaping.
func tsQuery(terms []parley.SearchTerm, arg func(any) string) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		if !t.Prefix {
			parts[i] = `phraseto_tsquery(` + searchConfig + `, ` + arg(t.Text) + `)`
			continue
		}
		quoted := make([]string, len(t.Words))
		for j, w := range t.Words {
			quoted[j] = "'" + w + "'"
		}
		parts[i] = `to_tsquery(` + searchConfig + `, ` + arg(strings.Join(quoted, " <-> ")+":*") + `)`
	}
	return "(" + strings.Join(parts, " && ") + ")"
}

// ellipsis marks a snippet that leaves out the start or the end of text
// with "…", as SQLite's snippet function does.
func ellipsis(parts []parley.SnippetPart, text string) []parley.SnippetPart {
	if len(parts) == 0 {
		return parts
	}
	var plain strings.Builder
	for _, p := range parts {
		plain.WriteString(p.Text)
	}
	got := plain.String()
	if !strings.HasPrefix(text, got) {
		parts = append([]parley.SnippetPart{{Text: "…"}}, parts...)
	}
	if !strings.HasSuffix(text, got) {
		parts = append(parts, parley.SnippetPart{Text: "…"})
	}
	// Merge the added parts into their neighbours.
	return parley.SplitSnippet(marked(parts))
}

// marked is the inverse of parley.SplitSnippet.
func marked(parts []parley.SnippetPart) string {
	var b strings.Builder
	for _, p := range parts {
		if p.Match {
			b.WriteString(parley.SnippetOpen + p.Text + parley.SnippetClose)
		} else {
			b.WriteString(p.Text)
		}
	}
	return b.String()
}
