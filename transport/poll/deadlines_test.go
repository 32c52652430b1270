package poll

import (
	"testing"
	"time"
)

// Polls held for the default timeout expire in the order they came, each
// once, and a removed one never; another timeout gets its own timer.
func TestDeadlines(t *testing.T) {
	const d = 30 * time.Millisecond
	l := newDeadlines(d)
	expired := make(chan *heldPoll, 8)
	l.expire = func(p *heldPoll) { expired <- p }

	polls := make([]*heldPoll, 4)
	for i := range polls {
		polls[i] = &heldPoll{}
		l.add(polls[i], d)
	}
	other := &heldPoll{}
	l.add(other, time.Hour)
	l.remove(polls[1]) // answered by an event meanwhile
	l.remove(polls[1]) // and harmless twice

	want := map[*heldPoll]bool{polls[0]: true, polls[2]: true, polls[3]: true}
	for range len(want) {
		select {
		case p := <-expired:
			if !want[p] {
				t.Fatalf("unexpected or repeated expiry of poll %p", p)
			}
			delete(want, p)
		case <-time.After(5 * time.Second):
			t.Fatalf("polls never expired: %v left", len(want))
		}
	}
	if other.timer == nil || other.listed {
		t.Fatal("a poll with another timeout is not on its own timer")
	}
	l.remove(other)
	if l.head != nil || l.tail != nil {
		t.Errorf("list not empty after every poll left")
	}
	// Added after the list emptied: the timer is armed again.
	late := &heldPoll{}
	l.add(late, d)
	select {
	case p := <-expired:
		if p != late {
			t.Fatalf("expired %p, want the late poll %p", p, late)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the late poll never expired")
	}
}
