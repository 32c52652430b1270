package bench

import "time"

// deliverRoom is deliver for the many-rooms mode (-rooms): a subscriber
// must get exactly the posts of its own room, in ID order, each once. Its
// IDs must rise strictly: an ID equal to the previous one is a duplicate,
// a lower one is out of order (a late duplicate or a reordering: either
// way a failure); a bench post of another room is foreign. Only a rising
// ID counts as delivered, so with no failures the count of deliveries is
// the number of distinct posts received, to compare with the posts the
// room was acknowledged (roomTotals).
func (p *pool) deliverRoom(s *sub, f frame) {
	now := time.Now().UnixNano()
	seq, sent, ok := parseBenchText(f.data)
	if !ok || seq < 1 || seq > p.messages || sent < p.runStart || f.id <= 0 {
		s.other++
		return
	}
	if p.postRoom(seq) != int(s.room) {
		s.foreign++
		return
	}
	switch {
	case f.id == s.lastID:
		s.dups++
		return
	case f.id < s.lastID:
		s.ooo++
		return
	}
	s.lastID = f.id
	p.lat.Record(now - sent)
	p.nodeLat[s.node].Record(now - sent)
	if int(s.kind) < len(p.kindLat) {
		p.kindLat[s.kind].Record(now - sent)
	}
	s.lastRecv = now
	s.uniq.Add(1)
}

// completeRooms reports whether every subscriber still running has at
// least want[room] deliveries.
func (p *pool) completeRooms(want []int64) bool {
	for i := range p.subs {
		s := &p.subs[i]
		if s.uniq.Load() < want[s.room] && !s.done.Load() {
			return false
		}
	}
	return true
}

// roomTotals is what a group of subscribers received, against want (the
// posts acknowledged per room).
type roomTotals struct {
	Ready      int64 `json:"ready"`
	Expected   int64 `json:"expected"`  // sum of want[room] over the ready subscribers
	Delivered  int64 `json:"delivered"` // distinct, in order
	Duplicates int64 `json:"duplicates"`
	OutOfOrder int64 `json:"out_of_order"`
	Foreign    int64 `json:"foreign"` // posts of another room
	Other      int64 `json:"other"`   // events that are not this run's posts
	Incomplete int64 `json:"incomplete"`
	Extra      int64 `json:"extra"` // subscribers with more posts than were acknowledged
	LastRecv   int64 `json:"last_recv"`
}

// ok reports whether every ready subscriber got exactly its room's posts.
func (t *roomTotals) ok() bool {
	return t.Delivered == t.Expected && t.Duplicates == 0 && t.OutOfOrder == 0 &&
		t.Foreign == 0 && t.Incomplete == 0 && t.Extra == 0
}

func (t *roomTotals) add(o roomTotals) {
	t.Ready += o.Ready
	t.Expected += o.Expected
	t.Delivered += o.Delivered
	t.Duplicates += o.Duplicates
	t.OutOfOrder += o.OutOfOrder
	t.Foreign += o.Foreign
	t.Other += o.Other
	t.Incomplete += o.Incomplete
	t.Extra += o.Extra
	t.LastRecv = max(t.LastRecv, o.LastRecv)
}

// roomTotals sums the subscribers' counters; call after stop. byNode and
// byKind get the same per node and per transport.
func (p *pool) roomTotals(want []int64, byNode, byKind []roomTotals) roomTotals {
	var t roomTotals
	for i := range p.subs {
		s := &p.subs[i]
		var one roomTotals
		u := s.uniq.Load()
		one.Delivered = u
		one.Duplicates, one.OutOfOrder, one.Foreign, one.Other = s.dups, s.ooo, s.foreign, s.other
		one.LastRecv = s.lastRecv
		if s.ready {
			w := want[s.room]
			one.Ready, one.Expected = 1, w
			switch {
			case u < w:
				one.Incomplete = 1
			case u > w:
				one.Extra = 1
			}
		}
		t.add(one)
		if s.node < len(byNode) {
			byNode[s.node].add(one)
		}
		if int(s.kind) < len(byKind) {
			byKind[s.kind].add(one)
		}
	}
	return t
}
