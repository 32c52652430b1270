package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/term"

	"github.com/parley-chat/parley"
)

const searchUsage = `parley search QUERY [--room R] [--from U] [--since T] [--until T] [--limit N] [--cursor C] [--json]
                     [--db PATH | --url URL]

Searches the text of messages: every word must match; "quoted words" must
appear together; word* matches words starting with word. Case and accents
are ignored. Results come best first; when there are more, the cursor of
the next page is printed on standard error.

On the local database (--db, else PARLEY_DB, else ./parley.db) the search
covers every room, private ones and direct conversations included: it is
the operator's tool and checks no access. With --url it asks a running
server, which searches only what the token (PARLEY_TOKEN) may read.`

func searchCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("search", searchUsage, stderr)
	if err != nil {
		return err
	}
	var rf remoteFlags
	rf.define(fs)
	room := fs.String("room", "", "search only this room")
	from := fs.String("from", "", "only messages from this name")
	since := fs.String("since", "", "only messages at or after this time (RFC 3339 or YYYY-MM-DD)")
	until := fs.String("until", "", "only messages before this time (RFC 3339 or YYYY-MM-DD)")
	limit := fs.Int("limit", parley.DefaultSearchLimit, fmt.Sprintf("results per page, 1 to %d", parley.MaxSearchLimit))
	cursor := fs.String("cursor", "", "the next page's cursor, as printed by the previous search")
	asJSON := fs.Bool("json", false, "print the page as JSON, as the API answers it")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		// Let "parley search budget review" mean the two words.
		pos = []string{strings.Join(pos, " ")}
	}
	if err := wantArgs(fs, pos, "QUERY"); err != nil {
		return err
	}
	if err := rf.check(fs, stderr); err != nil {
		return err
	}
	if *limit < 1 || *limit > parley.MaxSearchLimit {
		return fmt.Errorf("--limit %d is out of range: use 1 to %d", *limit, parley.MaxSearchLimit)
	}
	q := parley.SearchQuery{Text: pos[0], From: *from, Limit: *limit, Cursor: *cursor}
	if q.Since, err = parseTimeFlag("since", *since); err != nil {
		return err
	}
	if q.Until, err = parseTimeFlag("until", *until); err != nil {
		return err
	}

	var page parley.SearchPage
	if rf.remote() {
		page, err = remoteSearch(ctx, &rf, *room, q)
	} else {
		page, err = localSearch(ctx, *db, *room, q)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(page); err != nil {
			return err
		}
	} else {
		printHits(stdout, page, isTerminal(stdout))
	}
	if page.Next != "" {
		fmt.Fprintf(stderr, "more results: add --cursor %s\n", page.Next)
	}
	return nil
}

func localSearch(ctx context.Context, db, room string, q parley.SearchQuery) (parley.SearchPage, error) {
	s, err := openStore(ctx, db, true)
	if err != nil {
		return parley.SearchPage{}, err
	}
	defer s.Close()
	if room != "" {
		if _, err := s.Room(ctx, room); err != nil {
			return parley.SearchPage{}, err
		}
		q.Rooms = []string{room}
	} else {
		rooms, err := s.Rooms(ctx)
		if err != nil {
			return parley.SearchPage{}, err
		}
		for _, r := range rooms {
			q.Rooms = append(q.Rooms, r.Name)
		}
	}
	return s.Search(ctx, q)
}

func remoteSearch(ctx context.Context, rf *remoteFlags, room string, q parley.SearchQuery) (parley.SearchPage, error) {
	v := url.Values{"q": {q.Text}, "limit": {strconv.Itoa(q.Limit)}}
	for k, s := range map[string]string{"room": room, "from": q.From, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	resp, err := rf.get(ctx, "/api/search", v)
	if err != nil {
		return parley.SearchPage{}, err
	}
	defer resp.Body.Close()
	var page parley.SearchPage
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return parley.SearchPage{}, fmt.Errorf("reading the server's answer: %w", err)
	}
	return page, nil
}

// printHits prints one line per result: ID, time, room, sender and the
// snippet on one line, matches in bold on a terminal and between
// asterisks otherwise.
func printHits(w io.Writer, page parley.SearchPage, tty bool) {
	if len(page.Hits) == 0 {
		fmt.Fprintln(w, "no messages found")
		return
	}
	open, close := "*", "*"
	if tty {
		open, close = "\x1b[1m", "\x1b[0m"
	}
	for _, h := range page.Hits {
		m := h.Message
		var b strings.Builder
		for _, p := range h.Snippet {
			if p.Match {
				b.WriteString(open + oneLine(p.Text) + close)
			} else {
				b.WriteString(oneLine(p.Text))
			}
		}
		fmt.Fprintf(w, "%d  %s  %s  <%s>  %s\n", m.ID, m.Time.UTC().Format(time.RFC3339), oneLine(m.Room), oneLine(m.From), b.String())
	}
}

// oneLine puts text on one line and drops control characters, so that
// nothing from the log can move the cursor or recolour a terminal.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
