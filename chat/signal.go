package chat

import (
	"context"
	"time"

	"github.com/parley-chat/parley"
)

// Typing signals pace: one signal per person and room every typingEvery,
// with a small burst; more is a flood and refused. Clients repeat the
// signal while typing at most every third of parley.TypingLapse.
const (
	typingEvery = time.Second
	typingBurst = 3
)

// Typing tells the room's watchers that id is typing in room: a signal,
// not stored and never replayed (see parley.NewSignal). Who may post in
// the room may signal; the pace is bounded per person and room, and a
// flood is refused with ERateLimited.
func (s *Service) Typing(ctx context.Context, id parley.Identity, room string) error {
	if err := s.CheckRoom(ctx, room); err != nil {
		return err
	}
	if err := s.checkPost(ctx, id, room); err != nil {
		return err
	}
	if err := ValidateName(id.Name); err != nil {
		return err
	}
	if !s.typing.allow(id.Kind.String() + ":" + id.Name + "\x00" + room) {
		return parley.Errorf(parley.ERateLimited, "too many typing signals: send one at most every %v", typingEvery)
	}
	s.signal(ctx, parley.TypingTopic(room), parley.Message{Room: room, Kind: parley.KindTyping, From: id.Name, Guest: id.Kind == parley.Guest})
	return nil
}

// Room list changes, the Text of a parley.KindRooms signal.
const (
	RoomCreated    = "created"
	RoomDeleted    = "deleted"
	RoomVisibility = "visibility"
)

// roomListChanged tells clients watching the room list that room changed.
// A public room's change goes to everyone; a private room's only to those
// who see it: its owner's sessions when it is created, its subscribers
// when it is deleted. Becoming private or public goes to everyone (the
// name was, or becomes, public).
func (s *Service) roomListChanged(ctx context.Context, room, change, visibility, owner string) {
	topic := parley.RoomListTopic
	if visibility == parley.RoomPrivate {
		switch change {
		case RoomCreated:
			if owner == "" {
				return
			}
			topic = parley.UserTopic(owner)
		case RoomDeleted:
			topic = room
		}
	}
	s.signal(ctx, topic, parley.Message{Room: room, Kind: parley.KindRooms, Text: change})
}

// signal publishes a signal, at most once: a failure is logged, not
// returned, because nothing depends on a signal arriving.
func (s *Service) signal(ctx context.Context, topic string, m parley.Message) {
	if s.cfg.Signals == nil {
		return
	}
	if err := s.cfg.Signals.Signal(ctx, parley.NewSignal(topic, m)); err != nil {
		s.log.Warn("sending a signal", "kind", m.Kind, "room", m.Room, "err", err)
	}
}
