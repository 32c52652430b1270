package poll

import (
	"sync"
	"time"
)

// deadlines answers raw-held polls at their timeout. Polls held for the
// handler's default timeout, nearly all of them, wait in one list: the
// same timeout for every one makes the order of arrival the order of the
// deadlines, so adding, removing and finding the next due are O(1), and
// one timer, armed for the oldest, serves them all. A poll that asked for
// another timeout gets a runtime timer of its own. (A runtime timer is
// about a hundred bytes; the list costs a poll three words.)
type deadlines struct {
	timeout time.Duration   // the default
	start   time.Time       // deadlines are kept as durations since then (monotonic)
	expire  func(*heldPoll) // (*heldPoll).expire; tests replace it

	mu         sync.Mutex
	head, tail *heldPoll
	timer      *time.Timer // armed at or before head's deadline while the list is not empty
}

func newDeadlines(timeout time.Duration) *deadlines {
	return &deadlines{timeout: timeout, start: time.Now(), expire: (*heldPoll).expire}
}

// add starts p's timeout d: p.expire is called once it has passed,
// unless remove is called first.
func (l *deadlines) add(p *heldPoll, d time.Duration) {
	if d != l.timeout {
		p.timer = time.AfterFunc(d, func() { l.expire(p) })
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	p.deadline = time.Since(l.start) + d
	p.prev, p.next = l.tail, nil
	if l.tail != nil {
		l.tail.next = p
	} else {
		l.head = p
	}
	l.tail = p
	p.listed = true
	if l.head == p {
		l.armLocked()
	}
}

// remove stops p's timeout; it may have fired already.
func (l *deadlines) remove(p *heldPoll) {
	if p.timer != nil {
		p.timer.Stop()
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if !p.listed {
		return
	}
	l.unlinkLocked(p)
}

func (l *deadlines) unlinkLocked(p *heldPoll) {
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		l.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		l.tail = p.prev
	}
	p.prev, p.next, p.listed = nil, nil, false
	// A timer armed for a removed head fires early and re-arms: cheaper
	// than re-arming on every removal.
}

// armLocked arms the timer for the head's deadline.
func (l *deadlines) armLocked() {
	if l.head == nil {
		return
	}
	d := max(l.head.deadline-time.Since(l.start), 0)
	if l.timer == nil {
		l.timer = time.AfterFunc(d, l.fire)
		return
	}
	l.timer.Reset(d)
}

// fire answers every poll whose deadline has passed, each in a goroutine
// of its own (an answer may wait for a slow client), and re-arms.
func (l *deadlines) fire() {
	l.mu.Lock()
	now := time.Since(l.start)
	var due []*heldPoll
	for p := l.head; p != nil && p.deadline <= now; p = l.head {
		l.unlinkLocked(p)
		due = append(due, p)
	}
	l.armLocked()
	l.mu.Unlock()
	for _, p := range due {
		go l.expire(p)
	}
}
