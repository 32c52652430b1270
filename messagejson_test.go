package parley_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// wantSSE is an event's SSE frame as the transports have always written
// it, around encoding/json's bytes.
func wantSSE(t testing.TB, m parley.Message) []byte {
	j, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	kind := m.Kind
	if kind == "" {
		kind = parley.KindMessage
	}
	return []byte("id: " + strconv.FormatInt(m.ID, 10) + "\nevent: " + kind + "\ndata: " + string(j) + "\n\n")
}

// checkEncoding compares AppendJSON, AppendSSE and an Event's encodings
// with encoding/json's.
func checkEncoding(t testing.TB, m parley.Message) {
	t.Helper()
	want, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	prefix := []byte("xy")
	if got := m.AppendJSON(prefix[:2:2]); !bytes.Equal(got[2:], want) || string(got[:2]) != "xy" {
		t.Errorf("AppendJSON(%+v)\n got %s\nwant %s", m, got[2:], want)
	}
	if m.ID == 0 {
		return // as an event, a signal: encoded without ID and time
	}
	if got := parley.NewEvent(m).JSON(); !bytes.Equal(got, want) {
		t.Errorf("Event.JSON(%+v)\n got %s\nwant %s", m, got, want)
	}
	wantFrame := wantSSE(t, m)
	if got := m.AppendSSE(nil); !bytes.Equal(got, wantFrame) {
		t.Errorf("AppendSSE(%+v)\n got %q\nwant %q", m, got, wantFrame)
	}
	if got := parley.NewEvent(m).SSE(); !bytes.Equal(got, wantFrame) {
		t.Errorf("Event.SSE(%+v)\n got %q\nwant %q", m, got, wantFrame)
	}
}

// The append encoder writes exactly encoding/json's bytes: replayed and
// live events must look the same to every client.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	at := time.Date(2026, 12, 4, 8, 30, 1, 123456789, time.UTC)
	india := time.FixedZone("IST", 5*3600+1800)
	cases := []parley.Message{
		{ID: 1, Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "hello", Time: at},
		{ID: 2, Room: "lobby", Kind: "", From: "", Text: "", Time: at.Truncate(time.Second)},
		{ID: 3, Room: "r", Kind: parley.KindEdit, From: "bob", Text: `<b>"quoted" & \back\slash</b>`, Time: at, Ref: 2, Edited: at.Add(time.Minute)},
		{ID: 4, Room: "r", Kind: parley.KindMessage, From: "Guest ☃", Text: "tab\tnl\ncr\rbs\bff\fnul\x00esc\x1bdel\x7f", Time: at.In(india), Guest: true, ReplyTo: 1},
		{ID: 5, Room: "r", Kind: parley.KindMessage, From: "x", Text: "bad \xff\xfe utf8 \xe2\x80 and \u2028\u2029 separators, emoji 😀", Time: at},
		{ID: 6, Room: "@ada:bob", Kind: parley.KindReact, From: "ada", Text: "👍", Time: time.Time{}, Ref: 5},
		{ID: 7, Room: "r", Kind: parley.KindMessage, From: "x", Text: "with reactions", Time: at, Reactions: []parley.Reaction{{Emoji: "👍", Count: 1, By: []string{"ada"}}}},
		{ID: 8, Room: "r", Kind: parley.KindMessage, From: "x", Text: "zone", Time: at.In(time.FixedZone("W", -(11*3600 + 59*60)))},
		{ID: 1<<62 + 5, Room: "r", Kind: parley.KindDelete, From: "x", Text: "7", Time: time.Unix(0, 1).UTC(), Ref: -1, ReplyTo: 1 << 40},
		{ID: 0, Room: "r", Kind: parley.KindTyping, From: "ada", Time: at}, // a signal's Message
	}
	for _, m := range cases {
		checkEncoding(t, m)
	}
}

func FuzzAppendJSON(f *testing.F) {
	f.Add(int64(1), "lobby", "message", "ada", "hi <there> & \"you\"", int64(1764837000123456789), false, int64(0), int64(0), int64(0), 0)
	f.Add(int64(99), "r", "edit", "b\xff", "\u2028\x01\t", int64(0), true, int64(5), int64(3), int64(1764837000000000000), -3600)
	f.Fuzz(func(t *testing.T, id int64, room, kind, from, text string, nanos int64, guest bool, ref, replyTo, edited int64, offset int) {
		if id < 0 {
			id = -id
		}
		offset %= 24 * 3600
		zone := time.FixedZone("z", offset)
		m := parley.Message{ID: id, Room: room, Kind: kind, From: from, Text: text, Time: time.Unix(0, nanos).In(zone),
			Guest: guest, Ref: ref, ReplyTo: replyTo}
		if edited != 0 {
			m.Edited = time.Unix(0, edited).UTC()
		}
		checkEncoding(t, m)
	})
}
