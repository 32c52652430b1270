package chat

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/parley-chat/parley"
)

// SetRetention sets how long room keeps its log (owners and admins of the
// room, server admins, applications). A notice in the room tells its
// readers. The server's retention loop applies it.
func (s *Service) SetRetention(ctx context.Context, id parley.Identity, room string, r parley.Retention) error {
	rs, ok := s.store.(parley.RetentionStore)
	if !ok {
		return parley.Errorf(parley.EUnavailable, "retention is not available with this message store")
	}
	if err := s.manage(ctx, id, room); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	if err := rs.SetRetention(ctx, room, r); err != nil {
		return err
	}
	_, err := s.commit(ctx, parley.Message{Room: room, Kind: parley.KindNotice, From: actor(id), Text: retentionNotice(actor(id), r)})
	return err
}

func retentionNotice(who string, r parley.Retention) string {
	switch {
	case r.Days == 1:
		return who + " set this room to keep messages for 1 day"
	case r.Days > 0:
		return fmt.Sprintf("%s set this room to keep messages for %d days", who, r.Days)
	case r.Messages == 1:
		return who + " set this room to keep only its newest message"
	case r.Messages > 0:
		return fmt.Sprintf("%s set this room to keep its newest %d messages", who, r.Messages)
	}
	return who + " set this room to keep messages forever"
}

// Retention returns room's retention to those who may read the room.
func (s *Service) Retention(ctx context.Context, id parley.Identity, room string) (parley.Retention, error) {
	rs, ok := s.store.(parley.RetentionStore)
	if !ok {
		return parley.Retention{}, parley.Errorf(parley.EUnavailable, "retention is not available with this message store")
	}
	if err := s.CanRead(ctx, id, room); err != nil {
		return parley.Retention{}, err
	}
	return rs.Retention(ctx, room)
}

// DeleteMessage deletes a message from its room's history and from
// search, and returns the entry of kind KindDelete that records it. That
// entry is committed and published like any message, so every client
// following the room, live or on resume, learns of the deletion.
//
// A chat line may be deleted by its author within the edit window (a
// registered user; a guest cannot prove that a name is theirs, and a line
// posted under a name before it was registered is not its account's), and
// any entry, at any time, by the room's owner and admins, server admins
// and applications. To a caller who may not read the room the message
// does not exist. The store deletes the line's change entries (edits,
// reactions) with it.
func (s *Service) DeleteMessage(ctx context.Context, id parley.Identity, msgID int64) (parley.Message, error) {
	if id.Kind != parley.Registered && id.Kind != parley.App {
		return parley.Message{}, parley.Errorf(parley.EUnauthorized, "log in to delete messages")
	}
	m, err := s.target(ctx, id, msgID)
	if err != nil {
		return parley.Message{}, err
	}
	if m.Kind == parley.KindDelete || parley.IsChange(m.Kind) {
		return parley.Message{}, parley.Errorf(parley.EInvalid, "entry %d records a change to another message (kind %s); it cannot be deleted: delete the message itself", msgID, m.Kind)
	}
	author, err := s.isAuthor(ctx, id, m)
	if err != nil {
		return parley.Message{}, err
	}
	if !author || !s.withinWindow(m) {
		if err := s.manage(ctx, id, m.Room); err != nil {
			switch {
			case author:
				return parley.Message{}, s.errPastWindow("delete", m)
			case parley.ErrorCode(err) != parley.EForbidden:
				return parley.Message{}, err
			}
			return parley.Message{}, parley.Errorf(parley.EForbidden, "only its author and the owner and admins of room %q may delete message %d", m.Room, msgID)
		}
	}
	return s.commit(ctx, parley.Message{Room: m.Room, Kind: parley.KindDelete, From: actor(id), Text: strconv.FormatInt(m.ID, 10), Ref: m.ID},
		parley.EventFor(m).Also...)
}

// isAuthor reports whether id wrote the chat line m: a registered user of
// that name, whose account existed when m was posted (guests may have
// used the name before).
func (s *Service) isAuthor(ctx context.Context, id parley.Identity, m parley.Message) (bool, error) {
	if id.Kind != parley.Registered || m.Kind != parley.KindMessage || !strings.EqualFold(m.From, id.Name) || s.cfg.Users == nil {
		return false, nil
	}
	u, _, err := s.cfg.Users.UserByName(ctx, id.Name)
	if parley.ErrorCode(err) == parley.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return !m.Time.Before(u.Created), nil
}

// directUsers returns the two users of a direct conversation's room name.
// isDirectRoom reports whether room is a well-formed direct conversation
// name, "@a,b" with two valid user names in order (see
// parley.DirectRoomName). Such rooms are created by Direct, never by
// people, so ValidateRoomName refuses their names.
func isDirectRoom(room string) bool {
	a, b, ok := parley.DirectUsers(room)
	return ok && ValidateName(a) == nil && ValidateName(b) == nil && parley.DirectRoomName(a, b) == room
}

// actor names id in the log: its name, or "system" for an application
// that names no one.
func actor(id parley.Identity) string {
	if id.Name == "" || ValidateName(id.Name) != nil {
		return "system"
	}
	return id.Name
}
