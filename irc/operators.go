package irc

import (
	"context"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/presence"
)

// opSet answers who is a channel operator (@) of one room: its owner and
// room admins (Config.Rooms), and server admins. Parley's rights are the
// source: the gateway keeps no operator state of its own, so a web
// owner is an operator on IRC and an IRC operator can do on the web what
// it can do here.
type opSet struct {
	s      *Server
	room   string
	owners map[string]bool // lower-cased names of the room's owner and admins
	admins map[string]bool // server admin lookups, cached for this answer
}

// operators reads room's owner and admins.
func (s *Server) operators(ctx context.Context, room string) *opSet {
	o := &opSet{s: s, room: room, owners: make(map[string]bool), admins: make(map[string]bool)}
	if s.cfg.Rooms == nil {
		return o
	}
	if rs, err := s.cfg.Rooms.RoomSettings(ctx, room); err == nil && rs.Owner != "" {
		o.owners[strings.ToLower(rs.Owner)] = true
	}
	if members, err := s.cfg.Rooms.Members(ctx, room); err == nil {
		for _, m := range members {
			if m.Role == parley.RoleOwner || m.Role == parley.RoleAdmin {
				o.owners[strings.ToLower(m.User)] = true
			}
		}
	}
	return o
}

// setGuestOp records that guest connection c created room and manages it.
func (s *Server) setGuestOp(room string, c *conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.guestOps[room] = c
}

// guestOp returns the guest connection that created room, if connected.
func (s *Server) guestOp(room string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.guestOps[room]
}

// is reports whether p is an operator of the room.
func (o *opSet) is(ctx context.Context, p presence.Person) bool {
	if p.Guest {
		c := o.s.guestOp(o.room)
		return c != nil && strings.EqualFold(c.nick, p.Name)
	}
	key := strings.ToLower(p.Name)
	if o.owners[key] {
		return true
	}
	admin, seen := o.admins[key]
	if !seen && o.s.cfg.Users != nil {
		u, _, err := o.s.cfg.Users.UserByName(ctx, p.Name)
		admin = err == nil && u.Admin && !u.Disabled
		o.admins[key] = admin
	}
	return admin
}

// private reports whether room is a private room (channel modes +is).
func (s *Server) private(ctx context.Context, room string) bool {
	if s.cfg.Rooms == nil {
		return false
	}
	rs, err := s.cfg.Rooms.RoomSettings(ctx, room)
	return err == nil && rs.Visibility != parley.RoomPublic
}
