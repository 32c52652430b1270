// Package access decides who may read, post in and manage a room. Every
// read path (streams, polls, WebSocket, history, search) and every write
// path asks a Checker, so the rules live in one place:
//
//   - Applications (API keys) and server admins may do anything.
//   - A connection token that names rooms limits its holder to those rooms.
//   - Public rooms: anyone may read and guests may post, while the server
//     admits guests; otherwise only registered users may.
//   - Private rooms and direct conversations: members only.
//   - Managing a room (topic, kick, invite, delete): its owner and admins,
//     and the guest connection that created it, while it lasts.
package access

import (
	"context"
	"slices"

	"github.com/parley-chat/parley"
)

// Policy is the server-wide part of the rules.
type Policy struct {
	Guests bool // guests (a display name, no account) may read and post
}

// Room is what the rules need to know about a room and the caller.
type Room struct {
	Name     string
	Settings parley.RoomSettings
	Role     string // the caller's membership role, "" for none
}

// Read decides whether id may read room: stream it, poll it, fetch its
// history, search it.
func (p Policy) Read(id parley.Identity, r Room) error {
	if err := p.common(id, r); err != nil || privileged(id) {
		return err
	}
	if r.Settings.Visibility == parley.RoomPublic {
		if id.Kind == parley.Registered || p.Guests {
			return nil
		}
		return parley.Errorf(parley.EUnauthorized, "log in to read room %q: this server does not admit guests", r.Name)
	}
	return p.memberOnly(id, r)
}

// Post decides whether id may post to room.
func (p Policy) Post(id parley.Identity, r Room) error {
	if err := p.common(id, r); err != nil || privileged(id) {
		return err
	}
	if id.Kind == parley.Anonymous {
		return parley.Errorf(parley.EUnauthorized, "choose a name or log in to post")
	}
	if r.Settings.Visibility == parley.RoomPublic {
		if id.Kind == parley.Registered || p.Guests {
			return nil
		}
		return parley.Errorf(parley.EUnauthorized, "log in to post: this server does not admit guests")
	}
	return p.memberOnly(id, r)
}

// Manage decides whether id may set the topic, kick, invite or delete.
func (p Policy) Manage(id parley.Identity, r Room) error {
	if err := p.common(id, r); err != nil || privileged(id) {
		return err
	}
	if id.Kind == parley.Guest && slices.Contains(id.Manages, r.Name) {
		return nil // created by this connection (parley.Identity.Manages)
	}
	if id.Kind != parley.Registered {
		return parley.Errorf(parley.EUnauthorized, "log in to manage room %q", r.Name)
	}
	if r.Role == parley.RoleOwner || r.Role == parley.RoleAdmin {
		return nil
	}
	return parley.Errorf(parley.EForbidden, "only the owner and admins of room %q may do that", r.Name)
}

// common applies the rules that hold for every action.
func (p Policy) common(id parley.Identity, r Room) error {
	if id.Rooms != nil && !slices.Contains(id.Rooms, r.Name) {
		return parley.Errorf(parley.EForbidden, "your token does not allow room %q", r.Name)
	}
	if id.Kind == parley.Guest && !p.Guests {
		return parley.Errorf(parley.EUnauthorized, "this server does not admit guests: log in")
	}
	return nil
}

func (p Policy) memberOnly(id parley.Identity, r Room) error {
	if id.Kind == parley.Anonymous {
		return parley.Errorf(parley.EUnauthorized, "room %q is private: log in", r.Name)
	}
	if id.Kind == parley.Registered && r.Role != "" {
		return nil
	}
	return parley.Errorf(parley.EForbidden, "room %q is private: ask a member to invite you", r.Name)
}

func privileged(id parley.Identity) bool {
	return id.Kind == parley.App || (id.Kind == parley.Registered && id.Admin)
}

// Store is what a Checker reads.
type Store interface {
	RoomSettings(ctx context.Context, room string) (parley.RoomSettings, error)
	Membership(ctx context.Context, room, user string) (string, error)
}

// Checker applies the Policy to rooms looked up in a Store.
type Checker struct {
	Policy Policy
	Store  Store
}

// room loads what the rules need about room for id. Unknown rooms are
// ENotFound.
func (c *Checker) room(ctx context.Context, id parley.Identity, name string) (Room, error) {
	s, err := c.Store.RoomSettings(ctx, name)
	if err != nil {
		return Room{}, err
	}
	r := Room{Name: name, Settings: s}
	if id.Kind == parley.Registered {
		if r.Role, err = c.Store.Membership(ctx, name, id.Name); err != nil {
			return Room{}, err
		}
	}
	return r, nil
}

// Read checks read access to every room in rooms.
func (c *Checker) Read(ctx context.Context, id parley.Identity, rooms ...string) error {
	for _, name := range rooms {
		r, err := c.room(ctx, id, name)
		if err != nil {
			return err
		}
		if err := c.Policy.Read(id, r); err != nil {
			return err
		}
	}
	return nil
}

// Post checks that id may post to room.
func (c *Checker) Post(ctx context.Context, id parley.Identity, room string) error {
	r, err := c.room(ctx, id, room)
	if err != nil {
		return err
	}
	return c.Policy.Post(id, r)
}

// Manage checks that id may manage room.
func (c *Checker) Manage(ctx context.Context, id parley.Identity, room string) error {
	r, err := c.room(ctx, id, room)
	if err != nil {
		return err
	}
	return c.Policy.Manage(id, r)
}
