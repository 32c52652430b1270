package chat

import (
	"context"
	"fmt"
	"time"

	"github.com/parley-chat/parley"
)

// Who may create rooms (Config.RoomCreation).
const (
	CreateRoomsGuests = "guests" // anyone who may post, guests too (the default), rate-limited
	CreateRoomsUsers  = "users"  // registered users, admins and applications
	CreateRoomsAdmins = "admins" // only server admins and applications
)

// ParseRoomCreation checks a room-creation policy name.
func ParseRoomCreation(s string) (string, error) {
	switch s {
	case "", CreateRoomsGuests:
		return CreateRoomsGuests, nil
	case CreateRoomsUsers, CreateRoomsAdmins:
		return s, nil
	}
	return "", fmt.Errorf("room creation %q is not one of users, guests or admins", s)
}

// DefaultMaxRoomsPerCreator bounds the rooms one account owns.
const DefaultMaxRoomsPerCreator = 50

// Room creations per client address and per creator: a burst of
// DefaultRoomCreationBurst, then one a minute. Rooms are cheap to make and
// cost every client a line in the room list, so they are made slowly.
const (
	DefaultRoomCreationBurst = 5
	roomCreationEvery        = time.Minute
)

// mayCreateRoom applies the room-creation policy, the per-creator cap
// and the creation rate limit to id creating a room from client.
func (s *Service) mayCreateRoom(ctx context.Context, id parley.Identity, client string) error {
	privileged := id.Kind == parley.App || (id.Kind == parley.Registered && id.Admin)
	if privileged {
		return nil
	}
	switch s.cfg.RoomCreation {
	case CreateRoomsAdmins:
		return parley.Errorf(parley.EForbidden, "only server admins may create rooms here: ask one")
	case CreateRoomsUsers:
		if id.Kind != parley.Registered {
			return parley.Errorf(parley.EUnauthorized, "log in to create a room")
		}
	}
	if id.Kind == parley.Registered && s.cfg.RoomAccess != nil && s.cfg.MaxRoomsPerCreator > 0 {
		owned, err := s.roomsOwnedBy(ctx, id.Name)
		if err != nil {
			return err
		}
		if owned >= s.cfg.MaxRoomsPerCreator {
			return parley.Errorf(parley.EForbidden, "you own %d rooms, the most one person may: delete one first", owned)
		}
	}
	keys := []string{"ip " + client}
	if id.Name != "" {
		keys = append(keys, "name "+id.Name)
	}
	for _, k := range keys {
		if !s.roomLimit.allow(k) {
			return parley.Errorf(parley.ERateLimited, "too many rooms created: wait a minute and try again")
		}
	}
	return nil
}

// roomsOwnedBy counts the rooms user owns.
func (s *Service) roomsOwnedBy(ctx context.Context, user string) (int, error) {
	rooms, err := s.cfg.RoomAccess.RoomsOf(ctx, user)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range rooms {
		role, err := s.cfg.RoomAccess.Membership(ctx, r, user)
		if err != nil {
			return 0, err
		}
		if role == parley.RoleOwner {
			n++
		}
	}
	return n, nil
}
