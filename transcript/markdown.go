package transcript

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/parley-chat/parley"
)

// mdEncoder writes Markdown (CommonMark): a heading, then a list with one
// item per entry: the time as inline code, the sender in bold, then the
// text; joins and leaves in italics. A reply starts with a reference to
// the line it answers; an edited line ends with "(edited)"; reactions
// follow on a line of their own.
//
// Text is escaped so that it renders as the characters it holds, but for
// the light formatting of format.go, which this package writes itself:
// no other emphasis, no links but http, https and mailto autolinks, no
// images and no raw HTML can come from a message.
type mdEncoder struct{}

func (mdEncoder) header(w *bufio.Writer, h header) error {
	w.WriteString("# Transcript of " + mdEscape(h.Room) + "\n\n")
	w.WriteString("Period: " + h.period())
	if !h.Generated.IsZero() {
		w.WriteString("  \nExported: " + stamp(h.Generated))
	}
	_, err := w.WriteString("\n\n")
	return err
}

func (mdEncoder) entry(w *bufio.Writer, it item) error {
	m := it.Message
	w.WriteString("- `" + stamp(m.Time) + "` ")
	reply := ""
	if r := it.reply; r != nil {
		if r.From == "" {
			reply = fmt.Sprintf("(reply to #%d, deleted) ", r.ID)
		} else {
			reply = fmt.Sprintf("(reply to #%d **%s**: “%s”) ", r.ID, mdEscape(r.From), mdEscape(r.Excerpt))
		}
	}
	switch m.Kind {
	case parley.KindMessage:
		w.WriteString("**" + mdEscape(m.From) + "**" + guestMark(m) + ": " + reply + mdFormat(m.Text))
	case parley.KindJoin, parley.KindLeave:
		w.WriteString("*" + mdText(m.Text) + "*")
	default:
		w.WriteString("**" + mdEscape(m.From) + "** (notice): " + reply + mdFormat(m.Text))
	}
	if !m.Edited.IsZero() {
		w.WriteString(" *(edited)*")
	}
	if len(m.Reactions) > 0 {
		w.WriteString("  \n  " + mdEscape(reactionList(m.Reactions)))
	}
	_, err := w.WriteString("\n")
	return err
}

func (mdEncoder) footer(w *bufio.Writer, n int) error {
	_, err := w.WriteString("\nEnd of transcript: " + entries(n) + ".\n")
	return err
}

// mdText escapes text and keeps its line breaks inside the list item: a
// backslash before the newline is a hard line break, and the indent keeps
// the next line in the item.
func mdText(s string) string {
	return strings.ReplaceAll(mdEscape(s), "\n", "\\\n  ")
}

// mdSpecial are the characters that can start or end Markdown syntax
// (CommonMark and the common extensions: tables, strikethrough). A
// backslash makes any ASCII punctuation literal.
const mdSpecial = "\\`*_{}[]()<>#+-.!|~^=&"

// mdEscape backslash-escapes Markdown syntax characters, so that the text
// renders literally. Tabs become spaces: a tab at the start of a line
// could begin a code block.
func mdEscape(s string) string {
	s = clean(s)
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s {
		switch {
		case r == '\t':
			b.WriteString("    ")
		case r < 0x80 && strings.ContainsRune(mdSpecial, r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
