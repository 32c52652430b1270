// Package transcript writes a room's log as a readable record: plain
// text, Markdown, JSON or HTML. It streams: the log is read from the
// store in pages with After and written as it comes, so a transcript of
// any length takes the same memory.
//
// Every format shows times in UTC, in ISO 8601 (RFC 3339), the sender and
// joins, leaves and notices as their own lines. Entries of kind delete
// are bookkeeping and are left out: the messages they deleted are gone
// from the log already. So are edits and reactions: the store keeps each
// line's current text, and the transcript shows it marked "(edited)",
// with its reactions and, for a reply, a short reference to the line it
// answers.
//
// Everything from the log is escaped for its format, so no message can
// add markup, links or scripts to a transcript. The Markdown and HTML
// formats render the light formatting people type (see format.go):
// `code`, code blocks, **bold**, _italic_ and http, https and mailto
// links, built by this package from the text.
package transcript

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"strings"
	"time"
	"unicode"

	"github.com/parley-chat/parley"
)

// Format is a transcript format.
type Format string

// Formats.
const (
	Text     Format = "txt"
	Markdown Format = "md"
	JSON     Format = "json"
	HTML     Format = "html"
)

// Formats lists every format.
var Formats = []Format{Text, Markdown, JSON, HTML}

// ParseFormat parses a format name; "" is Text.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(s)); f {
	case "":
		return Text, nil
	case Text, Markdown, JSON, HTML:
		return f, nil
	}
	return "", parley.Errorf(parley.EInvalid, "transcript format %.24q is unknown: use txt, md, json or html", s)
}

// ContentType is the MIME type of the format, with its charset.
func (f Format) ContentType() string {
	switch f {
	case Markdown:
		return "text/markdown; charset=utf-8"
	case JSON:
		return "application/json; charset=utf-8"
	case HTML:
		return "text/html; charset=utf-8"
	}
	return "text/plain; charset=utf-8"
}

// Options select and shape a transcript.
type Options struct {
	Room   string
	Since  time.Time // first entry at or after; zero: from the start
	Until  time.Time // entries before; zero: to the end
	Format Format

	// Generated, when set, is printed as the export time. Leaving it
	// zero makes output reproducible (the golden tests do).
	Generated time.Time

	// PageSize is how many entries are read from the store at a time;
	// default 1000.
	PageSize int
	// Flush, when set, is called after each page is written (an HTTP
	// handler flushes the response so the download moves).
	Flush func() error
}

// DefaultPageSize is how many entries Write reads at a time.
const DefaultPageSize = 1000

// Write writes the transcript of opt.Room to w and returns how many
// entries it wrote. The room must exist; access is the caller's to check.
//
// Since and Until select by time. The store stamps entries in commit
// order, so times grow with IDs: Write finds the first entry at or after
// Since by binary search over IDs, and stops at the first entry at or
// after Until.
//
// An error after the first bytes leaves w with a partial transcript: for
// JSON, an array without its closing bracket.
func Write(ctx context.Context, w io.Writer, store parley.Store, opt Options) (int, error) {
	if opt.PageSize <= 0 {
		opt.PageSize = DefaultPageSize
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && !opt.Since.Before(opt.Until) {
		return 0, parley.Errorf(parley.EInvalid, "since must be before until")
	}
	if opt.Format == "" {
		opt.Format = Text
	}
	var enc encoder
	switch opt.Format {
	case Text:
		enc = &textEncoder{}
	case Markdown:
		enc = &mdEncoder{}
	case JSON:
		enc = &jsonEncoder{}
	case HTML:
		enc = &htmlEncoder{}
	default:
		return 0, parley.Errorf(parley.EInvalid, "transcript format %q is unknown: use txt, md, json or html", opt.Format)
	}
	cursor, err := startCursor(ctx, store, opt.Room, opt.Since)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(w, 32<<10)
	h := header{Room: opt.Room, Since: utc(opt.Since), Until: utc(opt.Until), Generated: utc(opt.Generated)}
	if err := enc.header(bw, h); err != nil {
		return 0, err
	}
	n := 0
	for done := false; !done; {
		page, err := store.After(ctx, []string{opt.Room}, cursor, opt.PageSize)
		if err != nil {
			return n, err
		}
		done = len(page) < opt.PageSize
		if err := withReactions(ctx, store, page); err != nil {
			return n, err
		}
		for _, m := range page {
			cursor = m.ID
			if !opt.Until.IsZero() && !m.Time.Before(opt.Until) {
				done = true
				break
			}
			if m.Kind == parley.KindDelete || parley.IsChange(m.Kind) || (!opt.Since.IsZero() && m.Time.Before(opt.Since)) {
				continue
			}
			m.Time = m.Time.UTC()
			it := item{Message: m}
			if m.ReplyTo > 0 {
				if it.reply, err = replyOf(ctx, store, m.ReplyTo); err != nil {
					return n, err
				}
			}
			if err := enc.entry(bw, it); err != nil {
				return n, err
			}
			n++
		}
		if err := bw.Flush(); err != nil {
			return n, err
		}
		if opt.Flush != nil {
			if err := opt.Flush(); err != nil {
				return n, err
			}
		}
	}
	if err := enc.footer(bw, n); err != nil {
		return n, err
	}
	return n, bw.Flush()
}

// startCursor returns the cursor after which room's entries reach since:
// the largest cursor whose next entry is older than since. It bisects
// the ID range with one-entry reads, about 40 for a log of a trillion.
func startCursor(ctx context.Context, store parley.Store, room string, since time.Time) (int64, error) {
	if since.IsZero() {
		return 0, nil
	}
	hi, err := store.LastID(ctx)
	if err != nil {
		return 0, err
	}
	lo := int64(0)
	for lo < hi {
		mid := lo + (hi-lo)/2
		next, err := store.After(ctx, []string{room}, mid, 1)
		if err != nil {
			return 0, err
		}
		if len(next) == 0 || !next[0].Time.Before(since) {
			hi = mid
		} else {
			// Skip straight to that entry: no cursor below it can be the one.
			lo = max(mid+1, next[0].ID)
		}
	}
	return lo, nil
}

// header is what a transcript says about itself.
type header struct {
	Room         string
	Since, Until time.Time // zero: open
	Generated    time.Time // zero: not shown
}

// period describes the selected range in words.
func (h header) period() string {
	from, to := "the start", "the end"
	if !h.Since.IsZero() {
		from = stamp(h.Since)
	}
	if !h.Until.IsZero() {
		to = stamp(h.Until)
	}
	return "from " + from + " to " + to
}

// encoder writes one format.
type encoder interface {
	header(w *bufio.Writer, h header) error
	entry(w *bufio.Writer, it item) error
	footer(w *bufio.Writer, n int) error
}

// item is an entry as a transcript shows it.
type item struct {
	parley.Message
	reply *replyRef // the line it answers, if it is a reply
}

// replyRef is the short reference a reply shows to the line it answers.
type replyRef struct {
	ID      int64
	From    string
	Excerpt string // the start of its first line; "" when it was deleted
}

// excerptLen bounds a reply's excerpt of the line it answers, in
// characters.
const excerptLen = 50

// replyOf looks up the line a reply answers, when the store can.
func replyOf(ctx context.Context, store parley.Store, id int64) (*replyRef, error) {
	md, ok := store.(parley.MessageDeleter)
	if !ok {
		return &replyRef{ID: id}, nil
	}
	m, err := md.Message(ctx, id)
	if parley.ErrorCode(err) == parley.ENotFound {
		return &replyRef{ID: id}, nil
	}
	if err != nil {
		return nil, err
	}
	text, _, cut := strings.Cut(m.Text, "\n")
	if runes := []rune(text); len(runes) > excerptLen {
		text, cut = string(runes[:excerptLen]), true
	}
	if cut {
		text += "…"
	}
	return &replyRef{ID: id, From: m.From, Excerpt: text}, nil
}

// withReactions sets the reactions of page's lines, when the store keeps
// them.
func withReactions(ctx context.Context, store parley.Store, page []parley.Message) error {
	if cs, ok := store.(parley.ConversationStore); ok {
		return parley.AttachReactions(ctx, cs, page)
	}
	return nil
}

// reactionList writes reactions as "👍 2 (ada, bob), 🎉 1 (cy)"; clean
// keeps control characters out.
func reactionList(rs []parley.Reaction) string {
	parts := make([]string, len(rs))
	for i, r := range rs {
		parts[i] = fmt.Sprintf("%s %d (%s)", clean(r.Emoji), r.Count, clean(strings.Join(r.By, ", ")))
	}
	return strings.Join(parts, ", ")
}

// stamp formats a time for every format: UTC, RFC 3339, whole seconds.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

// entries says "1 entry" or "n entries".
func entries(n int) string {
	if n == 1 {
		return "1 entry"
	}
	return fmt.Sprintf("%d entries", n)
}

// clean replaces control characters other than newline and tab, which
// message text cannot hold but an old or hand-edited log might, so that a
// transcript printed to a terminal cannot send it escape sequences.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isControl(r) {
			return '\uFFFD'
		}
		return r
	}, s)
}

func isControl(r rune) bool { return r != '\n' && r != '\t' && unicode.IsControl(r) }

// Filename is a file name for a transcript: parley-ROOM[-SINCE][-to-UNTIL].EXT,
// with the room's characters other than letters, digits, '-' and '_'
// replaced (a direct conversation "@ada,bob" becomes "dm-ada-bob").
func Filename(room string, since, until time.Time, f Format) string {
	name := room
	if rest, ok := strings.CutPrefix(room, "@"); ok {
		name = "dm-" + rest
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' {
			return r
		}
		return '-'
	}, name)
	var b strings.Builder
	b.WriteString("parley-")
	b.WriteString(name)
	if !since.IsZero() {
		b.WriteString("-" + fileTime(since))
	}
	if !until.IsZero() {
		b.WriteString("-to-" + fileTime(until))
	}
	b.WriteString("." + string(f))
	return b.String()
}

// fileTime is a date, with the time when it is not midnight.
func fileTime(t time.Time) string {
	t = t.UTC()
	if t.Equal(t.Truncate(24 * time.Hour)) {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02T150405Z")
}

// ContentDisposition is the Content-Disposition header value that saves
// a transcript under Filename.
func ContentDisposition(filename string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": filename})
}
