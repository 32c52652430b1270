package server

import (
	"context"
	"log/slog"
	"strconv"
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
}

// Members lists the people present in room on any node of the cluster.
func (p *presenceHub) Members(room string) []presence.Person {
	people := p.tracker.Members(room)
	if p.remote != nil {
		people = presence.SortUnique(append(people, p.remote.Members(room)...))
	}
	return people
}

// expire lets the people of nodes that stopped announcing lapse. Each
// leave is recorded by one node of the cluster (see presence.Remote.Expire).
func (p *presenceHub) expire() {
	leaves, recorder := p.remote.Expire(time.Now())
	if !recorder {
		return
	}
	var record []presence.Change
	for _, c := range leaves {
		if !p.tracker.Present(c.Room, c.Person.Name) {
			record = append(record, c)
		}
	}
	p.notify(record)
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
		person: presence.Person{Name: id.Name, Guest: id.Kind == parley.Guest},
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

func (s *presenceSession) Leave() {
	s.once.Do(func() {
		changes := s.hub.tracker.Remove(s.id)
		if len(changes) > 0 {
			go s.hub.notify(changes)
		}
	})
}

// notify records each change as a notice. A failure costs a notice, not
// the presence itself, so it is logged and not returned.
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
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := p.chat.Presence(ctx, c.Room, c.Person.Name, c.Joined)
		cancel()
		if err != nil && parley.ErrorCode(err) != parley.ENotFound && parley.ErrorCode(err) != parley.EUnavailable {
			p.log.Warn("recording presence notice", "room", c.Room, "user", c.Person.Name, "err", err)
		}
		if p.onChange != nil {
			p.onChange(c, time.Now())
		}
	}
}

// messageHook queues a webhook for each chat line and each deletion (not
// for notices: joins and leaves have their own webhook from presence).
func (s *Server) messageHook(m parley.Message) {
	if s.hooks == nil {
		return
	}
	switch {
	case m.Kind == parley.KindMessage && s.hooks.Wants(webhook.TypeMessage):
		s.hooks.Enqueue(webhook.MessagePayload(m))
	case m.Kind == parley.KindDelete && s.hooks.Wants(webhook.TypeDelete):
		s.hooks.Enqueue(webhook.DeletePayload(m))
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
