package transcript

import (
	"bufio"
	"fmt"
	"strings"

	"github.com/parley-chat/parley"
)

// textEncoder writes plain text, one entry a line:
//
//	[2026-11-21T19:20:54Z] <ada> hello
//	[2026-11-21T19:21:03Z] * bob has entered
//	[2026-11-21T19:21:40Z] <bob> (re #12 ada: "hello") hi, fixed (edited)
//	    reactions: 👍 2 (ada, cy)
//	[2026-11-21T19:22:10Z] ! system: the server restarts at noon
//
// Further lines of a multi-line message are indented by four spaces. The
// text is shown as typed, formatting marks and all.
type textEncoder struct{}

func (textEncoder) header(w *bufio.Writer, h header) error {
	w.WriteString("Transcript of " + clean(h.Room) + "\n")
	w.WriteString("Period: " + h.period() + "\n")
	if !h.Generated.IsZero() {
		w.WriteString("Exported: " + stamp(h.Generated) + "\n")
	}
	_, err := w.WriteString("\n")
	return err
}

func (textEncoder) entry(w *bufio.Writer, it item) error {
	m := it.Message
	w.WriteString("[" + stamp(m.Time) + "] ")
	switch m.Kind {
	case parley.KindMessage:
		w.WriteString("<" + clean(m.From) + guestMark(m) + "> ")
	case parley.KindJoin, parley.KindLeave:
		w.WriteString("* ")
	default:
		w.WriteString("! " + clean(m.From) + ": ")
	}
	if r := it.reply; r != nil {
		if r.From == "" {
			w.WriteString(fmt.Sprintf("(re #%d, deleted) ", r.ID))
		} else {
			w.WriteString(fmt.Sprintf("(re #%d %s: %q) ", r.ID, clean(r.From), clean(r.Excerpt)))
		}
	}
	w.WriteString(strings.ReplaceAll(clean(m.Text), "\n", "\n    "))
	if !m.Edited.IsZero() {
		w.WriteString(" (edited)")
	}
	if len(m.Reactions) > 0 {
		w.WriteString("\n    reactions: " + reactionList(m.Reactions))
	}
	_, err := w.WriteString("\n")
	return err
}

func (textEncoder) footer(w *bufio.Writer, n int) error {
	_, err := w.WriteString("\nEnd of transcript: " + entries(n) + ".\n")
	return err
}

// guestMark follows a guest's name, so that a guest cannot pass for the
// account of the same or a similar name.
func guestMark(m parley.Message) string {
	if m.Guest {
		return " (guest)"
	}
	return ""
}
