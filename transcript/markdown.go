package transcript

import (
	"bufio"
	"strings"

	"github.com/parley-chat/parley"
)

// mdEncoder writes Markdown (CommonMark): a heading, then a list with one
// item per entry: the time as inline code, the sender in bold, then the
// text; joins and leaves in italics.
//
// Text is escaped so that it renders as the characters it holds: no
// emphasis, links, images or raw HTML can come from a message.
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

func (mdEncoder) entry(w *bufio.Writer, m parley.Message) error {
	w.WriteString("- `" + stamp(m.Time) + "` ")
	text := mdText(m.Text)
	switch m.Kind {
	case parley.KindMessage:
		w.WriteString("**" + mdEscape(m.From) + "**" + guestMark(m) + ": " + text)
	case parley.KindJoin, parley.KindLeave:
		w.WriteString("*" + text + "*")
	default:
		w.WriteString("**" + mdEscape(m.From) + "** (notice): " + text)
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
