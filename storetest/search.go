package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// SearchStore is what RunSearch tests: a message store with full-text
// search, deletion through the log and retention.
type SearchStore = interface {
	parley.Store
	parley.Searcher
	parley.MessageDeleter
	parley.RetentionStore
}

// RunSearch runs the contract suite for parley.Searcher. newStore must
// return a new store holding only the room "lobby", and arrange for it to
// be closed when t ends.
//
// Beyond the comments on the interface, it holds stores to what both
// engines can do alike: case and diacritics folding, phrases, prefixes,
// words split at punctuation, CJK runs as single words (no segmentation),
// hostile query syntax read as plain words, the room, sender and time
// filters, ranking of repeated words in short lines above a passing
// mention, and paging without duplicates.
func RunSearch(t *testing.T, newStore func(t *testing.T) SearchStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s SearchStore)
	}{
		{"Queries", testSearchQueries},
		{"InvalidQueries", testSearchInvalid},
		{"RandomHostileQueries", testSearchHostileRandom},
		{"Rooms", testSearchRooms},
		{"FromSinceUntil", testSearchFilters},
		{"Ranking", testSearchRanking},
		{"Snippets", testSearchSnippets},
		{"Paging", testSearchPaging},
		{"PagingSnapshot", testSearchPagingSnapshot},
		{"BadCursors", testSearchBadCursors},
		{"Limits", testSearchLimits},
		{"DeletedLeaveIndex", testSearchDeleted},
		{"RetentionLeavesIndex", testSearchRetention},
		{"DeleteRoomLeavesIndex", testSearchDeleteRoom},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

// searchCorpus is the log testSearchQueries searches: a key for each
// line, so that expectations name lines rather than IDs.
var searchCorpus = []struct {
	key, room, kind, from, text string
}{
	{"q1", "a", parley.KindMessage, "ada", "Quarterly budget review on Monday"},
	{"q2", "a", parley.KindMessage, "bob", "The budget was approved"},
	{"q3", "b", parley.KindMessage, "ada", "review the budget spreadsheet please"},
	{"q4", "a", parley.KindMessage, "cy", "Crème brûlée at the café"},
	{"q5", "a", parley.KindMessage, "cy", "naïve résumé writing"},
	{"q6", "a", parley.KindMessage, "dee", "東京 タワー に 行きました"},
	{"q7", "a", parley.KindMessage, "dee", "東京タワー"},
	{"q8", "b", parley.KindMessage, "eve", "please e-mail the minutes"},
	{"q9", "b", parley.KindMessage, "eve", "don't panic"},
	{"q10", "a", parley.KindMessage, "fay", "NEAR the river (north) AND south"},
	{"q11", "a", parley.KindMessage, "fay", "pi is 3.14 roughly"},
	{"q12", "a", parley.KindMessage, "gus", "budgetary concerns"},
	{"q13", "a", parley.KindMessage, "gus", "ÜBER Ünïcödé"},
	{"q14", "a", parley.KindMessage, "hal", "deploy v2 at 10:30 (UTC+2)"},
	{"j1", "a", parley.KindJoin, "ada", "ada has entered with a budget"},
	{"n1", "a", parley.KindNotice, "system", "maintenance window tonight"},
}

func testSearchQueries(t *testing.T, s SearchStore) {
	keys := fillSearchCorpus(t, s)
	rooms := []string{"lobby", "a", "b"}
	cases := []struct {
		query string
		want  []string // keys, any order
	}{
		// Words, case, kinds.
		{"budget", []string{"q1", "q2", "q3"}}, // not the join, not "budgetary"
		{"maintenance", []string{"n1"}},        // notices are found too
		{"BUDGET", []string{"q1", "q2", "q3"}},
		{"budget review", []string{"q1", "q3"}},
		{"review budget", []string{"q1", "q3"}},
		{"budget nothere", nil},
		// Phrases.
		{`"budget review"`, []string{"q1"}},
		{`"review budget"`, nil},
		{`"the budget"`, []string{"q2", "q3"}},
		{`"budget review" monday`, []string{"q1"}},
		// Prefixes.
		{"budget*", []string{"q1", "q2", "q3", "q12"}},
		{"bu*", []string{"q1", "q2", "q3", "q12"}},
		{"BUDG*", []string{"q1", "q2", "q3", "q12"}},
		{"spread* budget", []string{"q3"}},
		{"b*", nil}, // a one-letter prefix is the word "b"
		// Diacritics, both ways.
		{"cafe", []string{"q4"}},
		{"café", []string{"q4"}},
		{"CRÈME brulee", []string{"q4"}},
		{"resume naive", []string{"q5"}},
		{"uber unicode", []string{"q13"}},
		{"über", []string{"q13"}},
		// CJK: runs without spaces are one word; prefixes reach into them.
		{"東京", []string{"q6"}},
		{"東京タワー", []string{"q7"}},
		{"東京*", []string{"q6", "q7"}},
		{"タワー", []string{"q6"}},
		// Punctuation inside words.
		{"e-mail", []string{"q8"}},
		{"don't", []string{"q9"}},
		{"3.14", []string{"q11"}},
		{"10:30", []string{"q14"}},
		{"(UTC+2)", []string{"q14"}},
		// Hostile syntax is plain words.
		{"NEAR(", []string{"q10"}},
		{"NEAR( river south )", []string{"q10"}},
		{"NEAR(river south)", nil}, // "near river" is a phrase, and the line has "near the river"
		{"river AND", []string{"q10"}},
		{"AND OR", nil}, // the words "and" and "or": no line has both
		{"budget OR cafe", nil},
		{"budget NOT review", nil},
		{"-budget", []string{"q1", "q2", "q3"}},
		{"budget -review", []string{"q1", "q3"}},
		{"(north)", []string{"q10"}},
		{"north)) OR ((", nil},
		{`budget"`, []string{"q1", "q2", "q3"}},
		{`"budget`, []string{"q1", "q2", "q3"}},
		{`"unbalanced "budget review"`, nil},
		{`budget:*`, []string{"q1", "q2", "q3"}},
		{`text:budget`, nil}, // no column filters: the words "text" and "budget"
		{`^budget`, []string{"q1", "q2", "q3"}},
		{`{budget}`, []string{"q1", "q2", "q3"}},
		{`'budget'`, []string{"q1", "q2", "q3"}},
		{`budget\`, []string{"q1", "q2", "q3"}},
		{`🎉budget🎉`, []string{"q1", "q2", "q3"}},
		{`budget;DROP TABLE messages`, nil},
		{`*budget`, []string{"q1", "q2", "q3"}},
		{`budget**`, []string{"q1", "q2", "q3", "q12"}},
		{strings.Repeat("budget ", parley.MaxSearchWords), []string{"q1", "q2", "q3"}},
	}
	for _, tc := range cases {
		page, err := s.Search(ctx(t), parley.SearchQuery{Text: tc.query, Rooms: rooms, Limit: parley.MaxSearchLimit})
		if err != nil {
			t.Errorf("Search(%q): %v", tc.query, err)
			continue
		}
		got := hitKeys(keys, page)
		slices.Sort(got)
		want := slices.Clone(tc.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Search(%q) = %v, want %v", tc.query, got, want)
		}
	}
	// The index holds the appended text as committed: after Append
	// returns, the line is found.
	m := &parley.Message{Room: "a", Kind: parley.KindMessage, From: "ada", Text: "freshly committed zebra"}
	appendOK(t, s, m)
	page, err := s.Search(ctx(t), parley.SearchQuery{Text: "zebra", Rooms: rooms})
	if err != nil || len(page.Hits) != 1 || page.Hits[0].Message.ID != m.ID {
		t.Fatalf("Search(zebra) right after Append = %+v, %v", page, err)
	}
}

func testSearchInvalid(t *testing.T, s SearchStore) {
	fillSearchCorpus(t, s)
	for _, q := range []string{
		"",
		"   ",
		`"`,
		`""`,
		"*",
		"-",
		":",
		"()",
		"!!! ??? ...",
		"🎉🎉",
		"\xff\xfe",
		strings.Repeat("budget ", parley.MaxSearchWords+1),
		strings.Repeat("x", parley.MaxSearchQueryLen+1),
	} {
		_, err := s.Search(ctx(t), parley.SearchQuery{Text: q, Rooms: []string{"a"}})
		if parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("Search(%.40q): error %v, want code invalid", q, err)
		}
	}
}

// testSearchHostileRandom throws random mixes of query syntax, quotes,
// backslashes and Unicode at the store: every one must either run or be
// refused as invalid, never fail inside the engine.
func testSearchHostileRandom(t *testing.T, s SearchStore) {
	fillSearchCorpus(t, s)
	pieces := []string{
		`"`, `'`, `*`, `(`, `)`, `-`, `+`, `:`, `^`, `\`, `{`, `}`, `[`, `]`, `;`, `,`, `.`, `!`, `?`, `#`, `@`, `$`,
		`%`, `&`, `|`, `~`, `<`, `>`, `/`, `=`, `<->`, `:*`, `!!`, ` `, ` `, ` `, "\t", "\n",
		"AND", "OR", "NOT", "NEAR", "NEAR/2", "budget", "bu", "b", "café", "東京", "x²", "\u0301", "🎉", "3.14", "e-mail",
		"\u200b", "\ufeff", "\U0010FFFD", "\uE000", "Ⅻ", "ǅ",
	}
	seed := uint64(1)
	next := func(n int) int { // xorshift: the same queries on every run
		seed ^= seed << 13
		seed ^= seed >> 7
		seed ^= seed << 17
		return int(seed % uint64(n))
	}
	for range 400 {
		var b strings.Builder
		for range 1 + next(12) {
			b.WriteString(pieces[next(len(pieces))])
		}
		q := b.String()
		_, err := s.Search(ctx(t), parley.SearchQuery{Text: q, Rooms: []string{"a", "b"}, Limit: 5})
		if err != nil && parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("Search(%q): %v", q, err)
		}
	}
}

func testSearchRooms(t *testing.T, s SearchStore) {
	keys := fillSearchCorpus(t, s)
	cases := []struct {
		rooms []string
		want  []string
	}{
		{[]string{"a"}, []string{"q1", "q2"}},
		{[]string{"b"}, []string{"q3"}},
		{[]string{"a", "b"}, []string{"q1", "q2", "q3"}},
		{[]string{"lobby"}, nil},
		{[]string{"nosuchroom"}, nil},
		{[]string{}, nil},
		{nil, nil}, // no rooms is nothing, never everything
	}
	for _, tc := range cases {
		page, err := s.Search(ctx(t), parley.SearchQuery{Text: "budget", Rooms: tc.rooms})
		if err != nil {
			t.Fatalf("Search in %q: %v", tc.rooms, err)
		}
		got := hitKeys(keys, page)
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("Search(budget) in %q = %v, want %v", tc.rooms, got, tc.want)
		}
	}
}

func testSearchFilters(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var msgs []*parley.Message
	for i, from := range []string{"ada", "bob", "Ada", "cy", "ada"} {
		m := msg("a", fmt.Sprintf("standup item %d", i))
		m.From = from
		m.Time = base.Add(time.Duration(i) * time.Hour)
		msgs = append(msgs, m)
	}
	appendOK(t, s, msgs...)
	cases := []struct {
		name         string
		from         string
		since, until time.Time
		want         []int // indexes into msgs
	}{
		{"everything", "", time.Time{}, time.Time{}, []int{0, 1, 2, 3, 4}},
		{"from ada in any case", "ADA", time.Time{}, time.Time{}, []int{0, 2, 4}},
		{"from nobody", "zed", time.Time{}, time.Time{}, nil},
		{"since is inclusive", "", base.Add(2 * time.Hour), time.Time{}, []int{2, 3, 4}},
		{"until is exclusive", "", time.Time{}, base.Add(2 * time.Hour), []int{0, 1}},
		{"between", "", base.Add(time.Hour), base.Add(3 * time.Hour), []int{1, 2}},
		{"between, from ada", "ada", base.Add(time.Hour), base.Add(5 * time.Hour), []int{2, 4}},
		{"since in another zone", "", base.Add(3 * time.Hour).In(time.FixedZone("X", 5*3600)), time.Time{}, []int{3, 4}},
		{"empty range", "", base.Add(3 * time.Hour), base.Add(time.Hour), nil},
	}
	for _, tc := range cases {
		page, err := s.Search(ctx(t), parley.SearchQuery{Text: "standup", Rooms: []string{"a"}, From: tc.from, Since: tc.since, Until: tc.until})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []int64
		for _, h := range page.Hits {
			got = append(got, h.Message.ID)
		}
		var want []int64
		for _, i := range tc.want {
			want = append(want, msgs[i].ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: IDs %v, want %v", tc.name, got, want)
		}
	}
}

func testSearchRanking(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	// Unrelated lines, so that the word is rare in the log: ranking
	// functions weigh rare words up.
	for i := range 30 {
		appendOK(t, s, msg("a", fmt.Sprintf("filler line number %d about nothing in particular", i)))
	}
	passing := msg("a", "we went over a lot of things today including travel plans lunch options the offsite and also briefly the roadmap before leaving")
	focused := msg("a", "roadmap roadmap roadmap")
	middle := msg("a", "roadmap for next year")
	tie1 := msg("a", "kickoff meeting")
	tie2 := msg("a", "kickoff meeting")
	tie3 := msg("a", "kickoff meeting")
	appendOK(t, s, passing, focused, middle, tie1, tie2, tie3)

	page, err := s.Search(ctx(t), parley.SearchQuery{Text: "roadmap", Rooms: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hitIDs(page), []int64{focused.ID, middle.ID, passing.ID}; !slices.Equal(got, want) {
		t.Errorf("ranking of roadmap = %v, want %v (repeated in a short line, short line, passing mention)", got, want)
	}
	page, err = s.Search(ctx(t), parley.SearchQuery{Text: "kickoff", Rooms: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := hitIDs(page), []int64{tie3.ID, tie2.ID, tie1.ID}; !slices.Equal(got, want) {
		t.Errorf("equal ranks = %v, want newest first %v", got, want)
	}
}

func testSearchSnippets(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	short := msg("a", "Is the Café open?")
	words := make([]string, 0, 81)
	for i := range 40 {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	words = append(words, "needle")
	for i := 40; i < 80; i++ {
		words = append(words, fmt.Sprintf("w%d", i))
	}
	long := msg("a", strings.Join(words, " "))
	appendOK(t, s, short, long)

	page, err := s.Search(ctx(t), parley.SearchQuery{Text: "cafe", Rooms: []string{"a"}})
	if err != nil || len(page.Hits) != 1 {
		t.Fatalf("Search(cafe) = %+v, %v", page, err)
	}
	parts := page.Hits[0].Snippet
	if joined := joinParts(parts); joined != short.Text {
		t.Errorf("snippet of a short line = %q, want the whole line %q", joined, short.Text)
	}
	if m := matches(parts); !slices.Equal(m, []string{"Café"}) {
		t.Errorf("snippet matches = %q, want [Café] as written; parts %+v", m, parts)
	}
	checkParts(t, parts)

	page, err = s.Search(ctx(t), parley.SearchQuery{Text: "needle", Rooms: []string{"a"}})
	if err != nil || len(page.Hits) != 1 {
		t.Fatalf("Search(needle) = %+v, %v", page, err)
	}
	parts = page.Hits[0].Snippet
	joined := joinParts(parts)
	if m := matches(parts); !slices.Equal(m, []string{"needle"}) {
		t.Errorf("snippet matches = %q, want [needle]; parts %+v", m, parts)
	}
	if len(joined) >= len(long.Text) || !strings.Contains(joined, "…") {
		t.Errorf("snippet of a long line = %q: want a part of it, marked with …", joined)
	}
	checkParts(t, parts)

	// Prefix matches are marked too.
	page, err = s.Search(ctx(t), parley.SearchQuery{Text: "caf*", Rooms: []string{"a"}})
	if err != nil || len(page.Hits) != 1 {
		t.Fatalf("Search(caf*) = %+v, %v", page, err)
	}
	if m := matches(page.Hits[0].Snippet); !slices.Equal(m, []string{"Café"}) {
		t.Errorf("prefix snippet matches = %q, want [Café]", m)
	}
}

func testSearchPaging(t *testing.T, s SearchStore) {
	createRooms(t, s, "a", "b")
	var want []int64
	for i := range 25 {
		m := msg([]string{"a", "b"}[i%2], fmt.Sprintf("standup notes %d", i))
		if i%5 == 0 {
			m.Text += " standup" // some rank higher
		}
		appendOK(t, s, m)
		want = append(want, m.ID)
	}
	appendOK(t, s, msg("a", "unrelated"))
	for _, limit := range []int{1, 7, 25, 100} {
		got := searchAll(t, s, parley.SearchQuery{Text: "standup", Rooms: []string{"a", "b"}, Limit: limit}, limit)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("limit %d: paged through %v, want each of %v once", limit, got, want)
		}
	}
}

// testSearchPagingSnapshot appends matching lines between pages: they do
// not show up on later pages, and nothing repeats.
func testSearchPagingSnapshot(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	var want []int64
	for i := range 10 {
		m := msg("a", fmt.Sprintf("retro point %d", i))
		appendOK(t, s, m)
		want = append(want, m.ID)
	}
	q := parley.SearchQuery{Text: "retro", Rooms: []string{"a"}, Limit: 3}
	var got []int64
	for pages := 0; ; pages++ {
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		page, err := s.Search(ctx(t), q)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, hitIDs(page)...)
		// New lines that would rank first.
		appendOK(t, s, msg("a", "retro retro"), msg("a", "retro"))
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("paged through %v while appending, want exactly the first snapshot %v", got, want)
	}
}

func testSearchBadCursors(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	for range 5 {
		appendOK(t, s, msg("a", "agenda item"))
	}
	q := parley.SearchQuery{Text: "agenda", Rooms: []string{"a"}, Limit: 2}
	page, err := s.Search(ctx(t), q)
	if err != nil || page.Next == "" {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	for name, bad := range map[string]parley.SearchQuery{
		"garbage":        {Text: "agenda", Rooms: q.Rooms, Cursor: "nonsense"},
		"truncated":      {Text: "agenda", Rooms: q.Rooms, Cursor: page.Next[:len(page.Next)-3]},
		"other words":    {Text: "item", Rooms: q.Rooms, Cursor: page.Next},
		"other rooms":    {Text: "agenda", Rooms: []string{"a", "lobby"}, Cursor: page.Next},
		"other sender":   {Text: "agenda", Rooms: q.Rooms, From: "bob", Cursor: page.Next},
		"other since":    {Text: "agenda", Rooms: q.Rooms, Since: time.Unix(1, 0), Cursor: page.Next},
		"not base64":     {Text: "agenda", Rooms: q.Rooms, Cursor: "c1.!!!!"},
		"very long":      {Text: "agenda", Rooms: q.Rooms, Cursor: "c1." + strings.Repeat("A", 5000)},
		"another format": {Text: "agenda", Rooms: q.Rooms, Cursor: "c9." + page.Next[3:]},
	} {
		if _, err := s.Search(ctx(t), bad); parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("%s cursor: error %v, want code invalid", name, err)
		}
	}
	// The limit may change between pages.
	q.Cursor, q.Limit = page.Next, 10
	if next, err := s.Search(ctx(t), q); err != nil || len(next.Hits) != 3 || next.Next != "" {
		t.Errorf("second page with a larger limit = %d hits, next %q, %v; want the 3 others", len(next.Hits), next.Next, err)
	}
}

func testSearchLimits(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	for i := range parley.DefaultSearchLimit + 5 {
		appendOK(t, s, msg("a", fmt.Sprintf("limit test %d", i)))
	}
	page, err := s.Search(ctx(t), parley.SearchQuery{Text: "limit", Rooms: []string{"a"}})
	if err != nil || len(page.Hits) != parley.DefaultSearchLimit || page.Next == "" {
		t.Errorf("default limit: %d hits, next %q, %v; want %d and a next page", len(page.Hits), page.Next, err, parley.DefaultSearchLimit)
	}
	for _, l := range []int{-1, parley.MaxSearchLimit + 1} {
		if _, err := s.Search(ctx(t), parley.SearchQuery{Text: "limit", Rooms: []string{"a"}, Limit: l}); parley.ErrorCode(err) != parley.EInvalid {
			t.Errorf("limit %d: error %v, want code invalid", l, err)
		}
	}
	page, err = s.Search(ctx(t), parley.SearchQuery{Text: "limit", Rooms: []string{"a"}, Limit: parley.DefaultSearchLimit + 5})
	if err != nil || len(page.Hits) != parley.DefaultSearchLimit+5 || page.Next != "" {
		t.Errorf("a page holding everything: %d hits, next %q, %v; want all and no next page", len(page.Hits), page.Next, err)
	}
}

func testSearchDeleted(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	gone, kept := msg("a", "secret plan"), msg("a", "public plan")
	appendOK(t, s, gone, kept)
	appendOK(t, s, &parley.Message{Room: "a", Kind: parley.KindDelete, From: "ada", Text: fmt.Sprint(gone.ID)})
	page, err := s.Search(ctx(t), parley.SearchQuery{Text: "plan", Rooms: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(page); !slices.Equal(got, []int64{kept.ID}) {
		t.Errorf("after deleting %d: search finds %v, want only %d", gone.ID, got, kept.ID)
	}
	if page, _ := s.Search(ctx(t), parley.SearchQuery{Text: "secret", Rooms: []string{"a"}}); len(page.Hits) != 0 {
		t.Errorf("the deleted line's own word still finds %v", hitIDs(page))
	}
}

func testSearchRetention(t *testing.T, s SearchStore) {
	createRooms(t, s, "a")
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	old, young := msg("a", "archived minutes"), msg("a", "recent minutes")
	old.Time, young.Time = now.Add(-48*time.Hour), now.Add(-time.Hour)
	appendOK(t, s, old, young)
	if err := s.SetRetention(ctx(t), "a", parley.Retention{Days: 1}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.ApplyRetention(ctx(t), "a", now); err != nil || n != 1 {
		t.Fatalf("ApplyRetention = %d, %v; want 1", n, err)
	}
	page, err := s.Search(ctx(t), parley.SearchQuery{Text: "minutes", Rooms: []string{"a"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := hitIDs(page); !slices.Equal(got, []int64{young.ID}) {
		t.Errorf("after retention: search finds %v, want only %d", got, young.ID)
	}
}

func testSearchDeleteRoom(t *testing.T, s SearchStore) {
	ra, ok := s.(parley.RoomAccessStore)
	if !ok {
		t.Skip("the store has no DeleteRoom")
	}
	createRooms(t, s, "a")
	appendOK(t, s, msg("a", "doomed words"))
	if err := ra.DeleteRoom(ctx(t), "a"); err != nil {
		t.Fatal(err)
	}
	createRooms(t, s, "a")
	page, err := s.Search(ctx(t), parley.SearchQuery{Text: "doomed", Rooms: []string{"a"}})
	if err != nil || len(page.Hits) != 0 {
		t.Errorf("after DeleteRoom and creating it again: %v, %v; want nothing", hitIDs(page), err)
	}
}

// fillSearchCorpus creates rooms a and b, appends searchCorpus one line
// per Append and returns the message ID of each key.
func fillSearchCorpus(t *testing.T, s SearchStore) map[int64]string {
	t.Helper()
	createRooms(t, s, "a", "b")
	keys := make(map[int64]string)
	for _, c := range searchCorpus {
		m := &parley.Message{Room: c.room, Kind: c.kind, From: c.from, Text: c.text}
		appendOK(t, s, m)
		keys[m.ID] = c.key
	}
	// Lines without any of the searched words, so that ranking functions
	// see them as rare.
	for i := range 20 {
		appendOK(t, s, msg("lobby", fmt.Sprintf("filler %d lorem ipsum dolor", i)))
	}
	return keys
}

// searchAll pages through q and returns the IDs of every hit, failing on
// a page over the limit or a repeated ID.
func searchAll(t *testing.T, s parley.Searcher, q parley.SearchQuery, limit int) []int64 {
	t.Helper()
	seen := map[int64]bool{}
	var all []int64
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
		page, err := s.Search(ctx(t), q)
		if err != nil {
			t.Fatalf("Search(%q) page %d: %v", q.Text, pages, err)
		}
		if len(page.Hits) > limit {
			t.Fatalf("page %d holds %d hits, over the limit %d", pages, len(page.Hits), limit)
		}
		if page.Next != "" && len(page.Hits) == 0 {
			t.Fatalf("page %d is empty but has a next page", pages)
		}
		for _, id := range hitIDs(page) {
			if seen[id] {
				t.Fatalf("ID %d on two pages", id)
			}
			seen[id] = true
			all = append(all, id)
		}
		if page.Next == "" {
			return all
		}
		q.Cursor = page.Next
	}
}

func hitIDs(p parley.SearchPage) []int64 {
	ids := make([]int64, len(p.Hits))
	for i, h := range p.Hits {
		ids[i] = h.Message.ID
	}
	return ids
}

func hitKeys(keys map[int64]string, p parley.SearchPage) []string {
	var out []string
	for _, h := range p.Hits {
		k, ok := keys[h.Message.ID]
		if !ok {
			k = fmt.Sprintf("id%d", h.Message.ID)
		}
		out = append(out, k)
	}
	return out
}

func joinParts(parts []parley.SnippetPart) string {
	var b strings.Builder
	for _, p := range parts {
		b.WriteString(p.Text)
	}
	return b.String()
}

func matches(parts []parley.SnippetPart) []string {
	var out []string
	for _, p := range parts {
		if p.Match {
			out = append(out, p.Text)
		}
	}
	return out
}

// checkParts checks that parts are non-empty, alternate between matches
// and the rest, and hold no markers.
func checkParts(t *testing.T, parts []parley.SnippetPart) {
	t.Helper()
	for i, p := range parts {
		if p.Text == "" || strings.ContainsAny(p.Text, parley.SnippetOpen+parley.SnippetClose) {
			t.Errorf("snippet part %d = %q", i, p.Text)
		}
		if i > 0 && parts[i-1].Match == p.Match {
			t.Errorf("snippet parts %d and %d are both match=%v: %+v", i-1, i, p.Match, parts)
		}
	}
}
