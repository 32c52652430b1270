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
func (p *presenceHub) notify(changes []presence.Change) {
	for _, c := range changes {
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

// messageHook queues a webhook for each chat line (not for notices: joins
// and leaves have their own webhook from presence).
func (s *Server) messageHook(m parley.Message) {
	if s.hooks != nil && m.Kind == parley.KindMessage && s.hooks.Wants(webhook.TypeMessage) {
		s.hooks.Enqueue(webhook.MessagePayload(m))
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
