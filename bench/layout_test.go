package bench

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func sum(v []int) int {
	t := 0
	for _, n := range v {
		t += n
	}
	return t
}

// Zipf sizes add up to exactly -subs, stay within the bounds, come out
// largest first, and for the workload give a few rooms at the
// 10,000 cap and most rooms of 10 to 100.
func TestRoomSizesZipf(t *testing.T) {
	for _, tc := range []struct{ subs, rooms, lo, hi int }{
		{100000, 1000, 10, 10000},
		{10000, 1000, 10, 10000},
		{10000, 100, 10, 1000},
		{1001, 100, 10, 20},
		{30, 3, 10, 10},
		{997, 7, 1, 1000},
	} {
		s, err := roomSizes("zipf", tc.subs, tc.rooms, tc.lo, tc.hi)
		if err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		if len(s) != tc.rooms || sum(s) != tc.subs {
			t.Errorf("%+v: %d rooms, %d subscribers", tc, len(s), sum(s))
		}
		if s[0] > tc.hi || s[len(s)-1] < tc.lo {
			t.Errorf("%+v: sizes %d..%d outside the bounds", tc, s[len(s)-1], s[0])
		}
		if !slices.IsSortedFunc(s, func(a, b int) int { return b - a }) {
			t.Errorf("%+v: not largest first: %v", tc, s[:min(len(s), 20)])
		}
	}
	s, _ := roomSizes("zipf", 100000, 1000, 10, 10000)
	small, capped := 0, 0
	for _, n := range s {
		if n <= 100 {
			small++
		}
		if n == 10000 {
			capped++
		}
	}
	if capped < 1 || capped > 5 || small < 800 || s[len(s)-1] < 10 || s[1] < 5000 {
		t.Errorf("100k over 1,000 rooms: %d at the cap, %d of 100 or fewer, top %v, smallest %d", capped, small, s[:5], s[len(s)-1])
	}
}

func TestRoomSizesUniformAndBad(t *testing.T) {
	s, err := roomSizes("uniform", 103, 10, 0, 0)
	if err != nil || sum(s) != 103 || s[0] != 11 || s[2] != 11 || s[3] != 10 || s[9] != 10 {
		t.Errorf("uniform: %v, %v", s, err)
	}
	for _, tc := range []struct {
		dist              string
		subs, rooms, l, h int
		want              string
	}{
		{"pareto", 100, 10, 1, 100, "want zipf or uniform"},
		{"zipf", 100, 0, 1, 100, "-rooms must be 1 or more"},
		{"zipf", 99, 10, 10, 100, "do not fit"},
		{"zipf", 1001, 10, 10, 100, "do not fit"},
		{"zipf", 100, 10, 20, 10, "-room-min"},
		{"uniform", 5, 10, 0, 0, "cannot fill"},
	} {
		if _, err := roomSizes(tc.dist, tc.subs, tc.rooms, tc.l, tc.h); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: error %v, want %q", tc, err, tc.want)
		}
	}
}

func TestParseMix(t *testing.T) {
	p, err := parseMix("sse=60, ws=30,poll=10")
	if err != nil {
		t.Fatal(err)
	}
	if len(p) != 10 {
		t.Fatalf("pattern %v: want 10 slots (weights over their gcd)", p)
	}
	count := map[string]int{}
	for _, k := range p {
		count[k]++
	}
	if count["sse"] != 6 || count["ws"] != 3 || count["poll"] != 1 {
		t.Errorf("pattern %v", p)
	}
	// Interleaved: no transport holds more than its share of any half.
	half := map[string]int{}
	for _, k := range p[:5] {
		half[k]++
	}
	if half["sse"] > 4 || half["ws"] > 2 {
		t.Errorf("pattern %v is not interleaved", p)
	}
	if p, err := parseMix("ws=1,sse=0"); err != nil || !slices.Equal(p, []string{"ws"}) {
		t.Errorf("ws=1,sse=0: %v, %v", p, err)
	}
	for bad, want := range map[string]string{
		"":              "transport=weight",
		"sse":           "transport=weight",
		"sse=1,irc=1":   "unknown transport",
		"sse=1,sse=2":   "given twice",
		"sse=-1":        "integer from 0",
		"sse=x":         "integer from 0",
		"sse=1.5":       "integer from 0",
		"sse=0,ws=0":    "add up to 0",
		"sse=1,,ws=1":   "transport=weight",
		"sse=100000000": "integer from 0",
	} {
		if _, err := parseMix(bad); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", bad, err, want)
		}
	}
}

func TestParseSourceAddrs(t *testing.T) {
	a, err := parseSourceAddrs("127.0.0.2-127.0.0.4, 10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, x := range a {
		got = append(got, x.IP.String())
	}
	if !slices.Equal(got, []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "10.0.0.1"}) {
		t.Errorf("got %v", got)
	}
	for _, bad := range []string{"x", "127.0.0.5-127.0.0.2", "127.0.0.1-y", "::1-::2", "10.0.0.0-10.1.0.0"} {
		if _, err := parseSourceAddrs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Every node gets its share of each transport, every room spans the
// nodes, and the processes' slices partition the subscribers.
func TestLayout(t *testing.T) {
	sizes, _ := roomSizes("zipf", 6000, 50, 10, 2000)
	mix, _ := parseMix("sse=60,ws=30,poll=10")
	l := newLayout(sizes, 6, mix, 7)
	perNode := make([]map[string]int, 6)
	for n := range perNode {
		perNode[n] = map[string]int{}
	}
	roomNodes := make([]map[int]bool, len(sizes))
	for r := range roomNodes {
		roomNodes[r] = map[int]bool{}
	}
	for i := range l.subs() {
		perNode[l.nodeOf(i)][l.kindOf(i)]++
		roomNodes[l.roomOf(i)][l.nodeOf(i)] = true
	}
	for n, m := range perNode {
		if m["sse"] != 600 || m["ws"] != 300 || m["poll"] != 100 {
			t.Errorf("node %d: %v", n, m)
		}
	}
	for r, ns := range roomNodes {
		if len(ns) != 6 {
			t.Errorf("room %d (%d subscribers) on %d nodes", r, sizes[r], len(ns))
		}
	}
	next := 0
	for j := range 7 {
		lo, hi := l.slice(j, 7)
		if lo != next || hi < lo {
			t.Fatalf("slice %d: [%d, %d) after %d", j, lo, hi, next)
		}
		next = hi
	}
	if next != 6000 {
		t.Errorf("slices end at %d", next)
	}
	// Posts: deterministic, spread over every room and node.
	rooms, nodes := map[int]int{}, map[int]int{}
	for seq := int64(1); seq <= 5000; seq++ {
		if l.postRoom(seq) != newLayout(sizes, 6, mix, 7).postRoom(seq) {
			t.Fatal("postRoom is not deterministic")
		}
		rooms[l.postRoom(seq)]++
		nodes[l.postNode(seq)]++
	}
	if len(rooms) != len(sizes) || len(nodes) != 6 || nodes[0] != 834 || nodes[5] != 833 {
		t.Errorf("posts over %d rooms and nodes %v", len(rooms), nodes)
	}
}

// The many-rooms checker: a subscriber passes only with exactly its
// room's acknowledged posts, in rising ID order, each once.
func TestDeliverRoomChecker(t *testing.T) {
	mk := func(seq, id int64) frame {
		return frame{id: id, data: appendPostBody([]byte(`{"id":1,`), seq, time.Now().UnixNano())}
	}
	// Posts 1..6: odd ones to room 0, even ones to room 1.
	postRoom := func(seq int64) int { return int(1 - seq%2) }
	want := []int64{3, 3}
	for _, tc := range []struct {
		name   string
		frames []frame
		check  func(roomTotals) bool
	}{
		{"exact", []frame{mk(1, 10), mk(3, 12), mk(5, 15)}, func(t roomTotals) bool { return t.ok() && t.Delivered == 3 }},
		{"missing", []frame{mk(1, 10), mk(5, 15)}, func(t roomTotals) bool { return !t.ok() && t.Incomplete == 1 }},
		{"duplicate", []frame{mk(1, 10), mk(3, 12), mk(3, 12), mk(5, 15)}, func(t roomTotals) bool { return !t.ok() && t.Duplicates == 1 && t.Delivered == 3 }},
		{"out of order", []frame{mk(1, 10), mk(5, 15), mk(3, 12)}, func(t roomTotals) bool { return !t.ok() && t.OutOfOrder == 1 && t.Incomplete == 1 }},
		{"other room", []frame{mk(1, 10), mk(2, 11), mk(3, 12), mk(5, 15)}, func(t roomTotals) bool { return !t.ok() && t.Foreign == 1 }},
		{"unacknowledged extra", []frame{mk(1, 10), mk(3, 12), mk(5, 15), mk(7, 17)}, func(t roomTotals) bool { return !t.ok() && t.Extra == 1 }},
		{"not a bench post", []frame{{id: 9, data: []byte(`{"text":"hi"}`)}, mk(1, 10), mk(3, 12), mk(5, 15)}, func(t roomTotals) bool { return t.ok() && t.Other == 1 }},
	} {
		var lat Histogram
		p := newPool(make([]transport, 1), 1, 0, 1, &lat, time.Now().Add(-time.Second))
		p.messages, p.postRoom = 7, postRoom
		p.subs[0].ready = true
		for _, f := range tc.frames {
			p.deliverRoom(&p.subs[0], f)
		}
		if got := p.roomTotals(want, nil, nil); !tc.check(got) {
			t.Errorf("%s: %+v", tc.name, got)
		}
	}
}

func TestRoomFlags(t *testing.T) {
	ok := []string{"-url", "http://a:1,http://b:2", "-subs", "100", "-rooms", "10", "-rate", "20", "-duration", "3s",
		"-mix", "sse=2,ws=1", "-procs", "2", "-source-addrs", "127.0.0.2-127.0.0.3", "-posters", "100"}
	c, err := parseFlags(ok, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if c.messages != 60 || c.posters != 60 || !slices.Equal(c.kindNames, []string{"sse", "ws"}) || len(c.sources) != 2 {
		t.Errorf("config: messages %d posters %d kinds %v sources %v", c.messages, c.posters, c.kindNames, c.sources)
	}
	for _, bad := range [][]string{
		{"-subs", "100", "-mix", "sse=1"},                              // needs -rooms
		{"-subs", "100", "-procs", "2"},                                // needs -rooms
		{"-subs", "5", "-rooms", "10"},                                 // fewer subscribers than rooms
		{"-subs", "100", "-rooms", "10", "-duration", "1s"},            // no rate
		{"-subs", "100", "-rooms", "10", "-mix", "sse=1,x=2"},          // bad mix
		{"-subs", "100", "-rooms", "10", "-room-dist", "normal"},       // bad distribution
		{"-subs", "100", "-rooms", "10", "-procs", "0"},                // bad procs
		{"-subs", "100", "-rooms", "10", "-source-addrs", "nowhere"},   // bad address
		{"-subs", "100", "-rooms", "10", "-room-max", "5"},             // cannot fit
		{"-subs", "100", "-rooms", "10", "-child", "3", "-procs", "2"}, // child out of range
	} {
		if _, err := parseFlags(bad, &strings.Builder{}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
