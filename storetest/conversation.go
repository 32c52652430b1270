package storetest

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// ConversationStore is what RunConversation tests.
type ConversationStore = interface {
	parley.Store
	parley.ConversationStore
	parley.MessageDeleter
	parley.Searcher
}

// RunConversation runs the contract suite for edits, reactions and
// replies (parley.ConversationStore). newStore must return a new store
// holding only the room "lobby", and arrange for it to be closed when t
// ends.
func RunConversation(t *testing.T, newStore func(t *testing.T) ConversationStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s ConversationStore)
	}{
		{"RefAndReplyRoundTrip", testRefAndReply},
		{"EditSetsTextAndTime", testEdit},
		{"EditInTheSameBatch", testEditSameBatch},
		{"EditOnlyChatLinesOfItsRoom", testEditOnlyChatLines},
		{"SearchFindsEditedText", testEditSearch},
		{"Reactions", testReactions},
		{"BeforeCarriesReactions", testBeforeReactions},
		{"DeleteTakesChangeEntries", testDeleteTakesChanges},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func change(kind string, target *parley.Message, from, text string) *parley.Message {
	return &parley.Message{Room: target.Room, Kind: kind, From: from, Text: text, Ref: target.ID}
}

func testRefAndReply(t *testing.T, s ConversationStore) {
	first := msg("lobby", "question")
	appendOK(t, s, first)
	reply := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bob", Text: "answer", ReplyTo: first.ID}
	react := change(parley.KindReact, first, "bob", "👍")
	appendOK(t, s, reply, react)
	got, err := s.After(ctx(t), []string{"lobby"}, first.ID, 10)
	if err != nil || len(got) != 2 {
		t.Fatalf("After = %+v, %v; want the reply and the reaction", got, err)
	}
	if got[0].ReplyTo != first.ID || got[0].Ref != 0 {
		t.Errorf("reply read back with reply_to %d, ref %d; want %d, 0", got[0].ReplyTo, got[0].Ref, first.ID)
	}
	if got[1].Ref != first.ID || got[1].Kind != parley.KindReact || got[1].Text != "👍" {
		t.Errorf("reaction read back as %+v; want kind react, ref %d, text 👍", got[1], first.ID)
	}
	if m, err := s.Message(ctx(t), reply.ID); err != nil || m.ReplyTo != first.ID {
		t.Errorf("Message(reply) = %+v, %v; want reply_to %d", m, err, first.ID)
	}
}

func testEdit(t *testing.T, s ConversationStore) {
	line := msg("lobby", "teh typo")
	appendOK(t, s, line)
	if line.Edited != (time.Time{}) {
		t.Fatalf("a new line has Edited %v", line.Edited)
	}
	edit := change(parley.KindEdit, line, "ada", "the typo")
	edit.Time = fixedTime.Add(time.Hour)
	appendOK(t, s, edit)
	m, err := s.Message(ctx(t), line.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Text != "the typo" || !m.Edited.Equal(edit.Time) {
		t.Fatalf("edited line reads %q edited %v; want %q edited %v", m.Text, m.Edited, "the typo", edit.Time)
	}
	if !m.Time.Equal(line.Time) {
		t.Errorf("the edit changed the line's time to %v", m.Time)
	}
	second := change(parley.KindEdit, line, "ada", "the typo, fixed")
	appendOK(t, s, second)
	// Every read returns the current text; the entries stay in the log,
	// in ID order, for clients following the room.
	all, err := s.After(ctx(t), []string{"lobby"}, 0, 10)
	if err != nil || len(all) != 3 {
		t.Fatalf("After = %v, %v; want the line and its two edits", ids(all), err)
	}
	if all[0].Text != "the typo, fixed" || !all[0].Edited.Equal(second.Time) {
		t.Errorf("After returns the line as %q edited %v; want the second edit's text and time", all[0].Text, all[0].Edited)
	}
	if all[1].Kind != parley.KindEdit || all[1].Text != "the typo" || all[1].Ref != line.ID {
		t.Errorf("the first edit entry reads %+v", all[1])
	}
	before, err := s.Before(ctx(t), "lobby", 0, 10)
	if err != nil || before[0].Text != "the typo, fixed" {
		t.Errorf("Before returns the line as %+v, %v", before, err)
	}
}

func testEditSameBatch(t *testing.T, s ConversationStore) {
	line := msg("lobby", "draft")
	appendOK(t, s, line)
	// A batch holding two edits of one line: the later one wins.
	appendOK(t, s, change(parley.KindEdit, line, "ada", "one"), change(parley.KindEdit, line, "ada", "two"))
	if m, err := s.Message(ctx(t), line.ID); err != nil || m.Text != "two" {
		t.Fatalf("after two edits in one batch the line reads %q, %v; want %q", m.Text, err, "two")
	}
}

func testEditOnlyChatLines(t *testing.T, s ConversationStore) {
	createRooms(t, s, "other")
	notice := &parley.Message{Room: "lobby", Kind: parley.KindNotice, From: "system", Text: "maintenance"}
	elsewhere := msg("other", "mine")
	appendOK(t, s, notice, elsewhere)
	wrongRoom := &parley.Message{Room: "lobby", Kind: parley.KindEdit, From: "ada", Text: "hijacked", Ref: elsewhere.ID}
	appendOK(t, s, change(parley.KindEdit, notice, "ada", "changed"), wrongRoom)
	if m, err := s.Message(ctx(t), notice.ID); err != nil || m.Text != "maintenance" || !m.Edited.IsZero() {
		t.Errorf("an edit changed a notice: %+v, %v", m, err)
	}
	if m, err := s.Message(ctx(t), elsewhere.ID); err != nil || m.Text != "mine" || !m.Edited.IsZero() {
		t.Errorf("an edit in another room changed a line: %+v, %v", m, err)
	}
}

func testEditSearch(t *testing.T, s ConversationStore) {
	line := msg("lobby", "meet at the harbour")
	appendOK(t, s, line)
	appendOK(t, s, change(parley.KindEdit, line, "ada", "meet at the station"))
	search := func(word string) []int64 {
		page, err := s.Search(ctx(t), parley.SearchQuery{Text: word, Rooms: []string{"lobby"}})
		if err != nil {
			t.Fatalf("Search(%q): %v", word, err)
		}
		return hitIDs(page)
	}
	if got := search("harbour"); len(got) != 0 {
		t.Errorf("search finds the text before the edit: %v", got)
	}
	if got := search("station"); !reflect.DeepEqual(got, []int64{line.ID}) {
		t.Errorf("search for the edited text finds %v; want only the line %d (not its edit entry)", got, line.ID)
	}
}

func testReactions(t *testing.T, s ConversationStore) {
	a, b := msg("lobby", "first"), msg("lobby", "second")
	appendOK(t, s, a, b)
	appendOK(t, s,
		change(parley.KindReact, a, "ada", "👍"),
		change(parley.KindReact, a, "bob", "👍"),
		change(parley.KindReact, a, "ada", "🎉"),
		change(parley.KindReact, a, "ada", "👍"), // again: no change
		change(parley.KindReact, b, "cy", "❤️"),
	)
	appendOK(t, s, change(parley.KindUnreact, a, "ADA", "🎉"), // names fold ASCII case
		change(parley.KindUnreact, b, "bob", "❤️")) // not bob's: no change
	got, err := s.Reactions(ctx(t), []int64{a.ID, b.ID, 999999})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][]parley.Reaction{
		a.ID: {{Emoji: "👍", Count: 2, By: []string{"ada", "bob"}}},
		b.ID: {{Emoji: "❤️", Count: 1, By: []string{"cy"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Reactions = %+v\nwant %+v", got, want)
	}
	if got, err := s.Reactions(ctx(t), nil); err != nil || len(got) != 0 {
		t.Errorf("Reactions(nil) = %v, %v; want none", got, err)
	}
}

func testBeforeReactions(t *testing.T, s ConversationStore) {
	line := msg("lobby", "vote")
	appendOK(t, s, line)
	appendOK(t, s, change(parley.KindReact, line, "bob", "👍"))
	page, err := s.Before(ctx(t), "lobby", 0, 10)
	if err != nil || len(page) != 2 {
		t.Fatalf("Before = %v, %v; want the line and the reaction entry", ids(page), err)
	}
	want := []parley.Reaction{{Emoji: "👍", Count: 1, By: []string{"bob"}}}
	if !reflect.DeepEqual(page[0].Reactions, want) {
		t.Errorf("Before gives the line reactions %+v; want %+v", page[0].Reactions, want)
	}
	if page[1].Reactions != nil {
		t.Errorf("the reaction entry itself carries reactions %+v", page[1].Reactions)
	}
}

func testDeleteTakesChanges(t *testing.T, s ConversationStore) {
	line, kept := msg("lobby", "regret"), msg("lobby", "fine")
	appendOK(t, s, line, kept)
	appendOK(t, s,
		change(parley.KindEdit, line, "ada", "deeper regret"),
		change(parley.KindReact, line, "bob", "😮"),
		change(parley.KindReact, kept, "bob", "👍"))
	del := &parley.Message{Room: "lobby", Kind: parley.KindDelete, From: "ada", Text: fmt.Sprint(line.ID), Ref: line.ID}
	appendOK(t, s, del)
	all, err := s.After(ctx(t), []string{"lobby"}, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range all {
		if m.ID == line.ID || m.Ref == line.ID && m.Kind != parley.KindDelete {
			t.Errorf("entry %d (%s %q) of the deleted line is still in the log", m.ID, m.Kind, m.Text)
		}
		kinds = append(kinds, m.Kind)
	}
	if want := []string{"message", "react", "delete"}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("log after the deletion holds %v; want %v", kinds, want)
	}
	if got, err := s.Reactions(ctx(t), []int64{line.ID, kept.ID}); err != nil || len(got) != 1 || got[kept.ID] == nil {
		t.Errorf("Reactions after the deletion = %v, %v; want only the kept line's", got, err)
	}
}

// ReadPositionStore is what RunReadPositions tests.
type ReadPositionStore = interface {
	parley.Store
	parley.ReadPositionStore
}

// RunReadPositions runs the contract suite for parley.ReadPositionStore.
func RunReadPositions(t *testing.T, newStore func(t *testing.T) ReadPositionStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s ReadPositionStore)
	}{
		{"OnlyForward", testReadOnlyForward},
		{"UnknownRoom", testReadUnknownRoom},
		{"Counts", testReadCounts},
		{"CountsCapped", testReadCapped},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

func testReadOnlyForward(t *testing.T, s ReadPositionStore) {
	createRooms(t, s, "other")
	set := func(user, room string, id, want int64) {
		t.Helper()
		got, err := s.SetReadPosition(ctx(t), user, room, id)
		if err != nil || got != want {
			t.Fatalf("SetReadPosition(%s, %s, %d) = %d, %v; want %d", user, room, id, got, err, want)
		}
	}
	set("ada", "lobby", 10, 10)
	set("ada", "lobby", 5, 10) // never back
	set("Ada", "lobby", 12, 12)
	set("ada", "other", 3, 3)
	set("bob", "lobby", 1, 1)
	got, err := s.ReadPositions(ctx(t), "ADA", []string{"other", "lobby"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := []parley.ReadPosition{{Room: "other", Read: 3}, {Room: "lobby", Read: 12}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadPositions = %+v; want %+v", got, want)
	}
	if _, err := s.SetReadPosition(ctx(t), "ada", "lobby", -1); parley.ErrorCode(err) != parley.EInvalid {
		t.Errorf("SetReadPosition(-1) = %v; want EInvalid", err)
	}
}

func testReadUnknownRoom(t *testing.T, s ReadPositionStore) {
	_, err := s.SetReadPosition(ctx(t), "ada", "nowhere", 1)
	wantCode(t, "SetReadPosition in a room that does not exist", err, parley.ENotFound)
	got, err := s.ReadPositions(ctx(t), "ada", []string{"nowhere"}, 10)
	if err != nil || len(got) != 1 || got[0] != (parley.ReadPosition{Room: "nowhere"}) {
		t.Errorf("ReadPositions of an unknown room = %+v, %v; want position 0, nothing unread", got, err)
	}
}

func testReadCounts(t *testing.T, s ReadPositionStore) {
	read := msg("lobby", "already read")
	appendOK(t, s, read)
	if _, err := s.SetReadPosition(ctx(t), "ada", "lobby", read.ID); err != nil {
		t.Fatal(err)
	}
	line := func(from, text string) *parley.Message {
		return &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: from, Text: text}
	}
	guest := line("Ada", "a guest under ada's name, @ada")
	guest.Guest = true
	appendOK(t, s,
		line("ada", "my own line @ada"),     // own: not counted
		line("bob", "hello @ada"),           // unread, mention
		line("cy", "hi @ADA."),              // unread, mention (case, full stop)
		line("cy", "@adam is someone else"), // unread, no mention
		line("cy", "mail ada@example.com"),  // unread, no mention
		&parley.Message{Room: "lobby", Kind: parley.KindJoin, From: "dan", Text: ""},                           // not counted
		&parley.Message{Room: "lobby", Kind: parley.KindNotice, From: "system", Text: "@ada, restart at noon"}, // unread, mention
		guest, // someone else's: unread, mention
		&parley.Message{Room: "lobby", Kind: parley.KindReact, From: "bob", Text: "👍", Ref: read.ID}, // not counted
	)
	got, err := s.ReadPositions(ctx(t), "ada", []string{"lobby"}, parley.MaxUnread)
	if err != nil {
		t.Fatal(err)
	}
	want := parley.ReadPosition{Room: "lobby", Read: read.ID, Unread: 6, Mentions: 4}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("ReadPositions = %+v; want %+v", got, want)
	}
	// Someone who never read the room: everything by others counts.
	got, err = s.ReadPositions(ctx(t), "eve", []string{"lobby"}, parley.MaxUnread)
	if err != nil || len(got) != 1 || got[0].Read != 0 || got[0].Unread != 8 || got[0].Mentions != 0 {
		t.Fatalf("ReadPositions(eve) = %+v, %v; want read 0, 8 unread, no mentions", got, err)
	}
}

func testReadCapped(t *testing.T, s ReadPositionStore) {
	var msgs []*parley.Message
	for i := range 7 {
		msgs = append(msgs, &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bob", Text: fmt.Sprintf("@ada %d", i)})
	}
	appendOK(t, s, msgs...)
	got, err := s.ReadPositions(ctx(t), "ada", []string{"lobby"}, 5)
	if err != nil || len(got) != 1 || got[0].Unread != 5 || got[0].Mentions != 5 {
		t.Fatalf("ReadPositions with limit 5 over 7 unread = %+v, %v; want 5 unread, 5 mentions", got, err)
	}
}
