package parley

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"math"
	"strings"
	"time"
)

// Search limits.
const (
	DefaultSearchLimit = 20  // results per page when the caller names none
	MaxSearchLimit     = 100 // results per page at most
)

// SearchQuery asks a Searcher for one page of full-text results.
type SearchQuery struct {
	// Text is the query as the user typed it. The store parses it with
	// ParseSearch and never hands it to its full-text engine as syntax.
	Text string

	// Rooms are the rooms to search, already restricted by the caller to
	// those the asker may read. An empty list matches nothing: there is no
	// "every room" value, so a forgotten check cannot widen a search.
	Rooms []string

	From  string    // only messages from this name (ASCII case ignored); "" for anyone
	Since time.Time // only messages at or after Since; zero for no bound
	Until time.Time // only messages before Until; zero for no bound

	Limit  int    // 1 to MaxSearchLimit; 0 means DefaultSearchLimit
	Cursor string // SearchPage.Next of the previous page; "" for the first
}

// SnippetPart is a piece of a result's snippet. Parts are plain text,
// never HTML: clients render them with textContent, marking the parts with
// Match set.
type SnippetPart struct {
	Text  string `json:"text"`
	Match bool   `json:"match,omitempty"`
}

// SearchHit is one result: the message and a snippet of its text around
// the matching words.
type SearchHit struct {
	Message Message       `json:"message"`
	Snippet []SnippetPart `json:"snippet"`
}

// SearchPage is one page of results, best first.
type SearchPage struct {
	Hits []SearchHit `json:"results"`
	// Next is the cursor of the following page; "" when there is none.
	Next string `json:"next,omitempty"`
}

// Searcher searches the text of chat lines (kind message; join, leave,
// notice and delete entries are not indexed).
//
// Every word of the query must match (AND); "quoted words" must appear
// together in that order; word* matches words that start with word.
// Matching ignores letter case and diacritics. Results are ranked by
// relevance (SQLite: bm25; PostgreSQL: ts_rank), ties newest first.
//
// Paging: a page's Next continues the same query. The first page fixes a
// snapshot, the last ID then committed, and later pages see only
// messages up to it, so lines posted meanwhile never push in. Each later
// page continues after the previous page's last hit, at the rank that hit
// has now. Over an unchanged log the pages hold every match exactly once.
// When lines are added or deleted between pages, ranks that depend on
// corpus statistics (bm25 weighs rare words up) shift together, which
// this absorbs; two hits whose order the shift reverses across a page
// boundary can, rarely, be shown twice or not at all.
//
// storetest.RunSearch checks every implementation.
type Searcher interface {
	// Search returns one page of results. A query with nothing to search
	// for, too long, or a cursor that is malformed or from another query
	// fails with EInvalid.
	Search(ctx context.Context, q SearchQuery) (SearchPage, error)
}

// SearchCursor is the position after the last result of a page. Stores
// encode it into SearchPage.Next with Encode and read it back with
// DecodeSearchCursor.
type SearchCursor struct {
	Snapshot int64   // the highest message ID the query sees
	Score    float64 // the store's ranking score of the last result
	ID       int64   // the ID of the last result
}

// cursorPrefix versions the cursor format.
const cursorPrefix = "c1."

// Encode returns the cursor as an opaque string bound to q: decoding it
// with another query (other words or filters) fails.
func (c SearchCursor) Encode(q SearchQuery) string {
	var b [28]byte
	binary.BigEndian.PutUint64(b[0:], uint64(c.Snapshot))
	binary.BigEndian.PutUint64(b[8:], math.Float64bits(c.Score))
	binary.BigEndian.PutUint64(b[16:], uint64(c.ID))
	binary.BigEndian.PutUint32(b[24:], queryHash(q))
	return cursorPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// DecodeSearchCursor reads q.Cursor. It returns ok == false when q has no
// cursor (a first page), and EInvalid when the cursor is malformed or was
// made for another query.
func DecodeSearchCursor(q SearchQuery) (c SearchCursor, ok bool, err error) {
	if q.Cursor == "" {
		return SearchCursor{}, false, nil
	}
	bad := Errorf(EInvalid, "cursor is not valid: pass the \"next\" value of the previous page unchanged, with the same query")
	rest, found := strings.CutPrefix(q.Cursor, cursorPrefix)
	if !found || len(rest) > 64 {
		return SearchCursor{}, false, bad
	}
	b, derr := base64.RawURLEncoding.DecodeString(rest)
	if derr != nil || len(b) != 28 {
		return SearchCursor{}, false, bad
	}
	c = SearchCursor{
		Snapshot: int64(binary.BigEndian.Uint64(b[0:])),
		Score:    math.Float64frombits(binary.BigEndian.Uint64(b[8:])),
		ID:       int64(binary.BigEndian.Uint64(b[16:])),
	}
	if c.Snapshot < 0 || c.ID < 0 || math.IsNaN(c.Score) || math.IsInf(c.Score, 0) {
		return SearchCursor{}, false, bad
	}
	if binary.BigEndian.Uint32(b[24:]) != queryHash(q) {
		return SearchCursor{}, false, Errorf(EInvalid, "cursor belongs to another query: start again without a cursor when the words or filters change")
	}
	return c, true, nil
}

// queryHash fingerprints what a cursor's position depends on: the words,
// the filters and the rooms (not the limit, which may change between
// pages).
func queryHash(q SearchQuery) uint32 {
	h := fnv.New32a()
	for _, s := range []string{q.Text, q.From, q.Since.UTC().Format(time.RFC3339Nano), q.Until.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for _, r := range q.Rooms {
		h.Write([]byte(r))
		h.Write([]byte{1})
	}
	return h.Sum32()
}

// SearchLimit returns q's page size after defaults, or EInvalid.
func SearchLimit(q SearchQuery) (int, error) {
	switch {
	case q.Limit == 0:
		return DefaultSearchLimit, nil
	case q.Limit < 0 || q.Limit > MaxSearchLimit:
		return 0, Errorf(EInvalid, "limit %d is out of range: use 1 to %d", q.Limit, MaxSearchLimit)
	}
	return q.Limit, nil
}

// Snippet markers. Stores ask their engine to wrap matches in these and
// turn the result into parts with SplitSnippet. Both are control
// characters, which message text cannot hold (chat refuses them).
const (
	SnippetOpen  = "\x01"
	SnippetClose = "\x02"
)

// SplitSnippet turns text with SnippetOpen/SnippetClose markers into
// parts. Adjacent parts of the same kind are merged; empty parts dropped.
// Stray markers (unbalanced) are removed.
func SplitSnippet(marked string) []SnippetPart {
	parts := []SnippetPart{}
	add := func(text string, match bool) {
		if text == "" {
			return
		}
		if n := len(parts); n > 0 && parts[n-1].Match == match {
			parts[n-1].Text += text
			return
		}
		parts = append(parts, SnippetPart{Text: text, Match: match})
	}
	match := false
	for marked != "" {
		i := strings.IndexAny(marked, SnippetOpen+SnippetClose)
		if i < 0 {
			add(marked, match)
			break
		}
		add(marked[:i], match)
		match = marked[i] == SnippetOpen[0]
		marked = marked[i+1:]
	}
	return parts
}
