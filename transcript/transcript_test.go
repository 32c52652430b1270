package transcript_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/store/sqlite"
	"github.com/parley-chat/parley/transcript"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

var t0 = time.Date(2026, 11, 21, 9, 0, 0, 0, time.UTC)

func openStore(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// meeting fills the room "standup" with a short meeting full of text
// that would be markup in one format or another.
func meeting(t *testing.T) *sqlite.Store {
	t.Helper()
	s := openStore(t)
	ctx := t.Context()
	if err := s.CreateRoom(ctx, &parley.Room{Name: "standup"}); err != nil {
		t.Fatal(err)
	}
	at := func(sec int, kind, from, text string) *parley.Message {
		return &parley.Message{Room: "standup", Kind: kind, From: from, Text: text, Time: t0.Add(time.Duration(sec) * time.Second)}
	}
	msgs := []*parley.Message{
		at(0, parley.KindJoin, "ada", "ada has entered"),
		at(5, parley.KindMessage, "ada", `Good morning! Agenda: **budget**, [roadmap](javascript:alert(1)) & <script>alert('x')</script>`),
		at(60, parley.KindMessage, "bob", "line one\nline two\n# not a heading\n- not a list\n1. nor this\n    nor code"),
		at(90, parley.KindMessage, "bob", "this line is deleted"),
		at(120, parley.KindNotice, "system", `ada set the topic: Q3 "planning" </title><b>`),
		at(180, parley.KindMessage, "cy", "Ünïcödé 東京 🎉\ttab & entities &amp; `code` | table | ~~strike~~ _em_ \\backslash"),
		at(240, parley.KindLeave, "bob", "bob has left"),
	}
	if err := s.Append(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	del := &parley.Message{Room: "standup", Kind: parley.KindDelete, From: "bob", Text: fmt.Sprint(msgs[3].ID), Time: t0.Add(100 * time.Second)}
	if err := s.Append(ctx, []*parley.Message{del}); err != nil {
		t.Fatal(err)
	}
	// Issue 13: formatting, a reply, an edit, reactions.
	agenda := msgs[1]
	formatted := at(300, parley.KindMessage, "ada", "Notes at https://example.com/notes?a=1&b=2. Run `go test` or:\n```\nfmt.Println(\"<hi>\")\n```\nsnake_case_stays, mailto:ada@example.com, javascript:alert(1) and <a href=\"x\">no</a>")
	reply := at(310, parley.KindMessage, "bob", "Agreed, **ship it**")
	reply.ReplyTo = agenda.ID
	typo := at(320, parley.KindMessage, "cy", "teh end")
	if err := s.Append(ctx, []*parley.Message{formatted, reply, typo}); err != nil {
		t.Fatal(err)
	}
	change := func(sec int, kind, from, text string, ref *parley.Message) *parley.Message {
		m := at(sec, kind, from, text)
		m.Ref = ref.ID
		return m
	}
	if err := s.Append(ctx, []*parley.Message{
		change(330, parley.KindEdit, "cy", "the _end_", typo),
		change(331, parley.KindReact, "bob", "👍", agenda),
		change(332, parley.KindReact, "cy", "👍", agenda),
		change(333, parley.KindReact, "cy", "🎉", agenda),
		change(334, parley.KindUnreact, "cy", "🎉", agenda),
		change(335, parley.KindReact, "ada", "🎉", typo),
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestGolden(t *testing.T) {
	s := meeting(t)
	for _, f := range transcript.Formats {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			n, err := transcript.Write(t.Context(), &buf, s, transcript.Options{
				Room: "standup", Format: f, Generated: t0.Add(24 * time.Hour), PageSize: 2,
			})
			if err != nil {
				t.Fatal(err)
			}
			if n != 9 {
				t.Errorf("wrote %d entries, want 9 (the deletion, the deleted line, edits and reactions left out)", n)
			}
			golden := filepath.Join("testdata", "standup."+string(f)+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("output differs from %s (run go test -update after checking):\n%s", golden, buf.Bytes())
			}
			if strings.Contains(buf.String(), "this line is deleted") {
				t.Error("the deleted line is in the transcript")
			}
		})
	}
}

func TestHTMLEscapes(t *testing.T) {
	var buf bytes.Buffer
	if _, err := transcript.Write(t.Context(), &buf, meeting(t), transcript.Options{Room: "standup", Format: transcript.HTML}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, bad := range []string{"<script", "</title><b>", "javascript:alert(1)</", "style=", "<b>**"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML transcript holds %q unescaped", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;", "&lt;/title&gt;&lt;b&gt;", `http-equiv="Content-Security-Policy"`, "default-src &#39;none&#39;", "<b>ada</b>"} {
		if !strings.Contains(out, want) && !strings.Contains(out, strings.ReplaceAll(want, "&#39;", "'")) {
			t.Errorf("HTML transcript lacks %q", want)
		}
	}
}

func TestJSONIsAnArrayOfMessages(t *testing.T) {
	s := meeting(t)
	var buf bytes.Buffer
	if _, err := transcript.Write(t.Context(), &buf, s, transcript.Options{Room: "standup", Format: transcript.JSON, PageSize: 3}); err != nil {
		t.Fatal(err)
	}
	var got []parley.Message
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatalf("not a JSON array: %v\n%s", err, buf.Bytes())
	}
	if len(got) != 9 || got[0].Kind != parley.KindJoin || !got[0].Time.Equal(t0) {
		t.Fatalf("decoded %d messages, first %+v", len(got), got[0])
	}
	// An empty selection is an empty array.
	buf.Reset()
	if _, err := transcript.Write(t.Context(), &buf, s, transcript.Options{Room: "lobby", Format: transcript.JSON}); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil || len(got) != 0 {
		t.Fatalf("empty transcript %q: %v, %d elements", buf.Bytes(), err, len(got))
	}
}

// countingStore counts reads, to check that Since is found by bisection
// rather than by reading the log from the start.
type countingStore struct {
	parley.Store
	afters, read int
}

func (c *countingStore) After(ctx context.Context, rooms []string, after int64, limit int) ([]parley.Message, error) {
	c.afters++
	msgs, err := c.Store.After(ctx, rooms, after, limit)
	c.read += len(msgs)
	return msgs, err
}

func TestSinceUntil(t *testing.T) {
	s := openStore(t)
	ctx := t.Context()
	for _, r := range []string{"a", "b"} {
		if err := s.CreateRoom(ctx, &parley.Room{Name: r}); err != nil {
			t.Fatal(err)
		}
	}
	// 3000 lines a minute apart, interleaved with another room's.
	const lines = 3000
	var batch []*parley.Message
	for i := range lines {
		for _, r := range []string{"a", "b"} {
			batch = append(batch, &parley.Message{Room: r, Kind: parley.KindMessage, From: "ada", Text: fmt.Sprint(i), Time: t0.Add(time.Duration(i) * time.Minute)})
		}
	}
	if err := s.Append(ctx, batch); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		since, until time.Time
		first, n     int
	}{
		{time.Time{}, time.Time{}, 0, lines},
		{t0.Add(2900 * time.Minute), time.Time{}, 2900, 100},
		{t0.Add(2900*time.Minute - time.Second), time.Time{}, 2900, 100},
		{time.Time{}, t0.Add(10 * time.Minute), 0, 10},
		{t0.Add(1000 * time.Minute), t0.Add(1010 * time.Minute), 1000, 10},
		{t0.Add(-time.Hour), t0.Add(time.Minute), 0, 1},
		{t0.Add(lines * time.Minute), time.Time{}, 0, 0},
	}
	for _, tc := range cases {
		cs := &countingStore{Store: s}
		var buf bytes.Buffer
		n, err := transcript.Write(ctx, &buf, cs, transcript.Options{Room: "a", Since: tc.since, Until: tc.until, Format: transcript.JSON, PageSize: 50})
		if err != nil {
			t.Fatal(err)
		}
		var got []parley.Message
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatal(err)
		}
		if n != tc.n || len(got) != tc.n || (tc.n > 0 && got[0].Text != fmt.Sprint(tc.first)) {
			t.Errorf("since %v until %v: %d entries, want %d from %d", tc.since, tc.until, n, tc.n, tc.first)
		}
		if !tc.since.IsZero() && cs.read > tc.n+200 {
			t.Errorf("since %v: read %d entries from the store in %d calls to show %d: Since is not bisected", tc.since, cs.read, cs.afters, tc.n)
		}
	}
	_, err := transcript.Write(ctx, io.Discard, s, transcript.Options{Room: "a", Since: t0.Add(time.Hour), Until: t0})
	if parley.ErrorCode(err) != parley.EInvalid {
		t.Errorf("since after until: %v, want invalid", err)
	}
}

func TestFilename(t *testing.T) {
	cases := []struct {
		room         string
		since, until time.Time
		f            transcript.Format
		want         string
	}{
		{"lobby", time.Time{}, time.Time{}, transcript.Text, "parley-lobby.txt"},
		{"design-review", t0.Truncate(24 * time.Hour), t0.Truncate(24 * time.Hour).Add(24 * time.Hour), transcript.Markdown, "parley-design-review-2026-11-21-to-2026-11-22.md"},
		{"lobby", t0.Add(90 * time.Minute), time.Time{}, transcript.HTML, "parley-lobby-2026-11-21T103000Z.html"},
		{"@ada,bob", time.Time{}, time.Time{}, transcript.JSON, "parley-dm-ada-bob.json"},
	}
	for _, tc := range cases {
		if got := transcript.Filename(tc.room, tc.since, tc.until, tc.f); got != tc.want {
			t.Errorf("Filename(%q) = %q, want %q", tc.room, got, tc.want)
		}
	}
	if got := transcript.ContentDisposition("parley-dm-ève-bob.txt"); !strings.HasPrefix(got, "attachment; filename*=utf-8''parley-dm-%C3%A8ve-bob.txt") {
		t.Errorf("ContentDisposition of a non-ASCII name = %q", got)
	}
}

// TestConstantMemory exports 100,000 entries (10,000 under the race
// detector) in every format and checks
// that the live heap does not grow with the transcript: it is sampled
// after every page.
func TestConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("fills 100,000 messages")
	}
	s := openStore(t)
	ctx := t.Context()
	total := 100_000
	if raceEnabled {
		total = 10_000 // still ten pages
	}
	batch := make([]*parley.Message, 0, 5000)
	for i := 0; i < total; i += cap(batch) {
		batch = batch[:0]
		for j := range cap(batch) {
			batch = append(batch, &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "ada",
				Text: fmt.Sprintf("line %d of a long meeting, with enough words to weigh something <b>&</b>", i+j),
				Time: t0.Add(time.Duration(i+j) * time.Second)})
		}
		if err := s.Append(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range transcript.Formats {
		runtime.GC()
		base := heapLive()
		var peak uint64
		pages := 0
		cw := &countWriter{}
		n, err := transcript.Write(ctx, cw, s, transcript.Options{Room: "lobby", Format: f, Flush: func() error {
			pages++
			if pages%10 == 0 {
				runtime.GC() // the live heap, not garbage not yet collected
				peak = max(peak, heapLive())
			}
			return nil
		}})
		if err != nil || n != total {
			t.Fatalf("%s: wrote %d, %v", f, n, err)
		}
		growth := int64(peak) - int64(base)
		t.Logf("%-4s %d entries, %5.1f MB written: live heap %.1f MB before, peak %.1f MB (growth %+.2f MB)",
			f, n, float64(cw.n)/1e6, float64(base)/1e6, float64(peak)/1e6, float64(growth)/1e6)
		if growth > 4<<20 {
			t.Errorf("%s: live heap grew by %.1f MB exporting %d entries: the export is not streaming", f, float64(growth)/1e6, total)
		}
	}
}

func heapLive() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// Guests' lines are marked in every readable format (issue 14).
func TestGuestsAreMarked(t *testing.T) {
	s := openStore(t)
	msgs := []*parley.Message{
		{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "from an account", Time: t0},
		{Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "from a guest", Time: t0, Guest: true},
	}
	if err := s.Append(t.Context(), msgs); err != nil {
		t.Fatal(err)
	}
	for format, want := range map[transcript.Format]string{
		"txt":  "<ada (guest)> from a guest",
		"md":   "**ada** (guest): from a guest",
		"html": `<b>ada</b> <small class="guest">(guest)</small> <span>from a guest</span>`,
	} {
		var buf bytes.Buffer
		if _, err := transcript.Write(t.Context(), &buf, s, transcript.Options{Room: "lobby", Format: format}); err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		out := buf.String()
		if !strings.Contains(out, want) {
			t.Errorf("%s transcript does not mark the guest (want %q):\n%s", format, want, out)
		}
		if n := strings.Count(out, "(guest)"); n != 1 {
			t.Errorf("%s transcript marks %d lines as a guest's, want 1", format, n)
		}
	}
}
