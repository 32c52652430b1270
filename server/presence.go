package server

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/presence"
	"github.com/parley-chat/parley/stream"
	"github.com/parley-chat/parley/webhook"
)

// presenceHub implements stream.Presence over the tracker: each change
// becomes a join or leave notice in the room's log (so every transport
// delivers it and clients resume it), and an optional webhook.
type presenceHub struct {
	tracker *presence.Tracker
	chat    *chat.Service
	log     *slog.Logger
	next    atomic.Uint64
	// onChange, if set, is told of every join and leave (webhooks).
	onChange func(presence.Change, time.Time)

	// In a cluster: the other nodes' presence, and announce, which tells
	// them of a change here. Both nil on a single node.
	remote   *presence.Remote
	announce func()

	// grace delays leave notices: a person back in the room within it (a
	// page reopening its stream to change rooms, a reconnect) never left,
	// and neither the leave nor the join is recorded. 0: no delay.
	grace   time.Duration
	mu      sync.Mutex
	pending map[presenceKey]*pendingLeave
	// restored are the people the log shows present when the server
	// last stopped: back within the restart window, they never left.
	restored map[presenceKey]presence.Person
	closed   bool           // by close: nothing more is recorded
	running  sync.WaitGroup // goNotify's goroutines
}

type presenceKey struct{ room, name string }

// pendingLeave is a leave waiting out the grace.
type pendingLeave struct {
	timer  *time.Timer
	change presence.Change
}

// Members lists the people present in room on any node of the cluster.
func (p *presenceHub) Members(room string) []presence.Person {
	people := p.tracker.Members(room)
	if p.remote != nil {
		people = presence.SortUnique(append(people, p.remote.Members(room)...))
	}
	return people
}

// Online reports whether name is present in a room on this node (other
// nodes' presence is kept per room only).
func (p *presenceHub) Online(name string) bool {
	for _, people := range p.tracker.Snapshot() {
		for _, person := range people {
			if strings.EqualFold(person.Name, name) {
				return true
			}
		}
	}
	return false
}

// expire lets the people of nodes that stopped announcing lapse. Each
// leave is recorded by one node of the cluster (see presence.Remote.Expire).
func (p *presenceHub) expire() {
	leaves, recorder := p.remote.Expire(time.Now())
	if !recorder {
		return
	}
	for _, c := range leaves {
		if !p.tracker.Present(c.Room, c.Person.Name) {
			p.record(c) // no grace: the lease has already passed
		}
	}
}

var _ stream.Presence = (*presenceHub)(nil)

// Enter implements stream.Presence.
func (p *presenceHub) Enter(id parley.Identity, rooms []string) stream.Session {
	if id.Name == "" || id.Kind == parley.App {
		return nil
	}
	s := &presenceSession{
		hub:    p,
		id:     "s" + strconv.FormatUint(p.next.Add(1), 36),
		person: presence.Person{Name: id.Name, Guest: id.Kind == parley.Guest, Key: id.GuestKey},
	}
	s.Move(rooms)
	return s
}

type presenceSession struct {
	hub    *presenceHub
	id     string
	person presence.Person
	once   sync.Once
}

func (s *presenceSession) Move(rooms []string) {
	s.hub.notify(s.hub.tracker.Set(s.id, s.person, stream.Present(rooms)))
}

// MoveWithReason is Move, giving the reason of the leaves it causes (an
// IRC PART message); the leave notices carry it.
func (s *presenceSession) MoveWithReason(rooms []string, reason string) {
	s.hub.notify(withReason(s.hub.tracker.Set(s.id, s.person, stream.Present(rooms)), reason))
}

// LeaveWithReason is Leave with the reason (an IRC QUIT message). Unlike
// Leave it records the notices before it returns (so that an IRC client's
// QUIT reaches the others before its connection closes): it blocks, and
// must not be called on a hub goroutine.
func (s *presenceSession) LeaveWithReason(reason string) {
	s.once.Do(func() {
		changes := withReason(s.hub.tracker.Remove(s.id), reason)
		if len(changes) == 0 {
			return
		}
		s.hub.mu.Lock()
		closed := s.hub.closed
		if !closed {
			s.hub.running.Add(1)
		}
		s.hub.mu.Unlock()
		if !closed {
			defer s.hub.running.Done()
			s.hub.notify(changes)
		}
	})
}

func withReason(changes []presence.Change, reason string) []presence.Change {
	for i := range changes {
		if !changes[i].Joined {
			changes[i].Reason = reason
		}
	}
	return changes
}

func (s *presenceSession) Leave() {
	s.once.Do(func() {
		changes := s.hub.tracker.Remove(s.id)
		if len(changes) > 0 {
			s.hub.goNotify(changes)
		}
	})
}

// goNotify records changes on a goroutine of its own (Leave must not
// block), which close waits for: none may reach the store once it closes.
func (p *presenceHub) goNotify(changes []presence.Change) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return // shutting down: the notices could not be stored anyway
	}
	p.running.Add(1)
	go func() {
		defer p.running.Done()
		p.notify(changes)
	}()
}

// close drops the leaves waiting out the grace, waits for notices in
// flight, and records no more. The server calls it before closing the
// chat service and the store. A shutdown records no leaves: the log keeps
// the people present at the stop as present, and the next start gives
// them the restart window to come back (see restore) before it records
// their leave.
func (p *presenceHub) close() {
	p.mu.Lock()
	p.closed = true
	for key, pl := range p.pending {
		pl.timer.Stop()
		delete(p.pending, key)
	}
	p.mu.Unlock()
	p.running.Wait()
}

// restoreScan is how far back restore reads the log for join and leave
// notices.
const restoreScan = 5000

// restore reads the end of the log for the people present when the
// server last stopped (their last notice in a room is a join) and gives
// them window to come back: one who reconnects by then never left (no
// join is recorded), one who does not gets a leave at its end.
func (p *presenceHub) restore(ctx context.Context, log parley.LogReader, last int64, window time.Duration) error {
	if window <= 0 {
		return nil
	}
	msgs, err := log.Since(ctx, max(0, last-restoreScan), restoreScan)
	if err != nil {
		return err
	}
	present := map[presenceKey]presence.Person{}
	for _, m := range msgs {
		key := presenceKey{m.Room, m.From}
		switch m.Kind {
		case parley.KindJoin:
			present[key] = presence.Person{Name: m.From, Guest: m.Guest}
		case parley.KindLeave:
			delete(present, key)
		}
	}
	if len(present) == 0 {
		return nil
	}
	p.mu.Lock()
	p.restored = present
	p.mu.Unlock()
	time.AfterFunc(window, p.endRestore)
	return nil
}

// endRestore records the leave of everyone restored who did not come back.
func (p *presenceHub) endRestore() {
	p.mu.Lock()
	gone := p.restored
	p.restored = nil
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.running.Add(1)
	p.mu.Unlock()
	defer p.running.Done()
	for key, person := range gone {
		c := presence.Change{Room: key.room, Person: person, Joined: false}
		if !p.present(c) {
			p.record(c)
		}
	}
}

// returned reports whether c is the return of someone restored, who
// never left.
func (p *presenceHub) returned(c presence.Change) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	key := presenceKey{c.Room, c.Person.Name}
	if _, ok := p.restored[key]; !ok || !c.Joined {
		return false
	}
	delete(p.restored, key)
	return true
}

// notify records each change as a notice (see record), a leave after the
// grace.
//
// In a cluster, a change here that leaves the person's presence on the
// whole cluster as it was (they are also present on another node) is not
// recorded; every change is announced to the other nodes.
func (p *presenceHub) notify(changes []presence.Change) {
	if len(changes) > 0 && p.announce != nil {
		p.announce()
	}
	for _, c := range changes {
		if p.remote != nil && p.remote.Present(c.Room, c.Person.Name) {
			continue
		}
		if p.returned(c) {
			continue // present when the server stopped: back in time
		}
		if p.grace > 0 {
			key := presenceKey{c.Room, c.Person.Name}
			if !c.Joined {
				p.deferLeave(key, c)
				continue
			}
			if p.cancelLeave(key) {
				continue // back within the grace: they never left
			}
		}
		p.record(c)
	}
}

// deferLeave records c after the grace, unless the person is back by then.
func (p *presenceHub) deferLeave(key presenceKey, c presence.Change) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	if p.pending == nil {
		p.pending = make(map[presenceKey]*pendingLeave)
	}
	if old := p.pending[key]; old != nil {
		old.timer.Stop()
	}
	pl := &pendingLeave{change: c}
	pl.timer = time.AfterFunc(p.grace, func() {
		p.mu.Lock()
		if p.pending[key] != pl {
			p.mu.Unlock()
			return // cancelled or replaced meanwhile
		}
		delete(p.pending, key)
		p.running.Add(1) // under mu, so close waits for it
		p.mu.Unlock()
		defer p.running.Done()
		if !p.present(c) {
			p.record(c)
		}
	})
	p.pending[key] = pl
}

// cancelLeave drops a pending leave, reporting whether there was one.
func (p *presenceHub) cancelLeave(key presenceKey) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl := p.pending[key]
	if pl == nil {
		return false
	}
	pl.timer.Stop()
	delete(p.pending, key)
	return true
}

// present reports whether c's person is in c's room on any node.
func (p *presenceHub) present(c presence.Change) bool {
	return p.tracker.Present(c.Room, c.Person.Name) || (p.remote != nil && p.remote.Present(c.Room, c.Person.Name))
}

// record stores c as a join or leave notice and tells the webhook. A
// failure costs a notice, not the presence itself, so it is logged and not
// returned.
func (p *presenceHub) record(c presence.Change) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	var err error
	if c.Reason != "" && !c.Joined {
		err = p.chat.LeaveWithReason(ctx, c.Room, c.Person.Name, c.Reason)
	} else {
		err = p.chat.Presence(ctx, c.Room, c.Person.Name, c.Joined)
	}
	cancel()
	if err != nil && parley.ErrorCode(err) != parley.ENotFound && parley.ErrorCode(err) != parley.EUnavailable {
		p.log.Warn("recording presence notice", "room", c.Room, "user", c.Person.Name, "err", err)
	}
	if p.onChange != nil {
		p.onChange(c, time.Now())
	}
}

// messageHook queues a webhook for each chat line, each deletion and, if
// asked for, each edit and reaction (not for notices: joins and leaves
// have their own webhook from presence).
func (s *Server) messageHook(m parley.Message) {
	if s.hooks == nil {
		return
	}
	switch {
	case m.Kind == parley.KindMessage && s.hooks.Wants(webhook.TypeMessage):
		s.hooks.Enqueue(webhook.MessagePayload(m))
	case m.Kind == parley.KindDelete && s.hooks.Wants(webhook.TypeDelete):
		s.hooks.Enqueue(webhook.DeletePayload(m))
	case parley.IsChange(m.Kind) && s.hooks.Wants(m.Kind):
		s.hooks.Enqueue(webhook.ChangePayload(m))
	}
}

func (s *Server) presenceHook(c presence.Change, at time.Time) {
	if s.hooks == nil {
		return
	}
	if c.Joined {
		s.hooks.Enqueue(webhook.JoinPayload(c.Room, c.Person.Name, at))
	} else {
		s.hooks.Enqueue(webhook.LeavePayload(c.Room, c.Person.Name, at))
	}
}
