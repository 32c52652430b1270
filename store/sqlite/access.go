package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-chat/parley"
)

var _ parley.RoomAccessStore = (*Store)(nil)

// RoomSettings returns a room's settings, or ENotFound.
func (s *Store) RoomSettings(ctx context.Context, room string) (parley.RoomSettings, error) {
	if err := s.checkOpen(); err != nil {
		return parley.RoomSettings{}, err
	}
	var rs parley.RoomSettings
	err := s.r.QueryRowContext(ctx,
		`SELECT visibility, owner, notices FROM rooms WHERE name = ?`, room).
		Scan(&rs.Visibility, &rs.Owner, &rs.Notices)
	if errors.Is(err, sql.ErrNoRows) {
		return parley.RoomSettings{}, errNoRoom(room)
	}
	return rs, wrap("room settings", err)
}

// UpdateRoom sets visibility, owner and notices of an existing room.
// ENotFound if there is no such room, EInvalid for an unknown visibility.
func (s *Store) UpdateRoom(ctx context.Context, room string, rs parley.RoomSettings) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	switch rs.Visibility {
	case parley.RoomPublic, parley.RoomPrivate, parley.RoomDirect:
	default:
		return parley.Errorf(parley.EInvalid, "room visibility %q is unknown: use %s, %s or %s",
			rs.Visibility, parley.RoomPublic, parley.RoomPrivate, parley.RoomDirect)
	}
	res, err := s.w.ExecContext(ctx,
		`UPDATE rooms SET visibility = ?, owner = ?, notices = ? WHERE name = ?`,
		rs.Visibility, rs.Owner, rs.Notices, room)
	return mustAffect(res, err, "update room", errNoRoom(room))
}

// SetTopic sets a room's topic. ENotFound if no such room.
func (s *Store) SetTopic(ctx context.Context, room, topic string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE rooms SET topic = ? WHERE name = ?`, topic, room)
	return mustAffect(res, err, "set topic", errNoRoom(room))
}

// DeleteRoom removes a room with its messages, memberships and
// invitations, in one transaction. ENotFound if no such room.
//
// It runs on the writer connection like Append, so the two are serialised:
// an Append that committed first loses its messages with the room, and one
// that comes after finds no room and fails with ENotFound. The IDs of the
// deleted messages are not handed out again (messages is AUTOINCREMENT).
func (s *Store) DeleteRoom(ctx context.Context, room string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("delete room", err)
	}
	defer tx.Rollback()
	// Members and invitations would go by ON DELETE CASCADE; deleting them
	// here as well does not depend on foreign_keys being on. Messages must
	// go first: their foreign key has no cascade.
	for _, q := range []string{
		`DELETE FROM messages WHERE room = ?`,
		`DELETE FROM room_members WHERE room = ?`,
		`DELETE FROM room_invites WHERE room = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, room); err != nil {
			return wrap("delete room", err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM rooms WHERE name = ?`, room)
	if err := mustAffect(res, err, "delete room", errNoRoom(room)); err != nil {
		return err
	}
	return wrap("delete room: commit", tx.Commit())
}

// SetMember adds a member or changes their role, and consumes any pending
// invitation of the user to the room. ENotFound if there is no such room,
// EInvalid for an unknown role. A member keeps the spelling of their name
// they were added with.
func (s *Store) SetMember(ctx context.Context, m parley.Member) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	switch m.Role {
	case parley.RoleOwner, parley.RoleAdmin, parley.RoleMember:
	default:
		return parley.Errorf(parley.EInvalid, "role %q is unknown: use %s, %s or %s",
			m.Role, parley.RoleOwner, parley.RoleAdmin, parley.RoleMember)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("set member", err)
	}
	defer tx.Rollback()
	if err := roomExistsTx(ctx, tx, m.Room); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO room_members (room, user, role) VALUES (?, ?, ?)
		 ON CONFLICT (room, user) DO UPDATE SET role = excluded.role`,
		m.Room, m.User, m.Role); err != nil {
		return wrap("set member", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM room_invites WHERE room = ? AND user = ?`, m.Room, m.User); err != nil {
		return wrap("set member", err)
	}
	return wrap("set member: commit", tx.Commit())
}

// RemoveMember removes a membership, and a pending invitation with it, so
// that a removed user cannot come back on an old invitation. Removing a
// missing one is not an error.
func (s *Store) RemoveMember(ctx context.Context, room, user string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("remove member", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM room_members WHERE room = ? AND user = ?`,
		`DELETE FROM room_invites WHERE room = ? AND user = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, room, user); err != nil {
			return wrap("remove member", err)
		}
	}
	return wrap("remove member: commit", tx.Commit())
}

// Membership returns the user's role in the room, or "" when none (also
// when there is no such room).
func (s *Store) Membership(ctx context.Context, room, user string) (string, error) {
	if err := s.checkOpen(); err != nil {
		return "", err
	}
	var role string
	err := s.r.QueryRowContext(ctx,
		`SELECT role FROM room_members WHERE room = ? AND user = ?`, room, user).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return role, wrap("membership", err)
}

// Members lists a room's members ordered by user name (ASCII letters in
// any case sort together). A room without members, or no room, gives an
// empty list.
func (s *Store) Members(ctx context.Context, room string) ([]parley.Member, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT room, user, role FROM room_members WHERE room = ? ORDER BY user`, room)
	if err != nil {
		return nil, wrap("members", err)
	}
	defer rows.Close()
	ms := []parley.Member{}
	for rows.Next() {
		var m parley.Member
		if err := rows.Scan(&m.Room, &m.User, &m.Role); err != nil {
			return nil, wrap("members", err)
		}
		ms = append(ms, m)
	}
	return ms, wrap("members", rows.Err())
}

// RoomsOf lists the rooms the user is a member of, of any visibility,
// ordered by name (byte order, like Rooms).
func (s *Store) RoomsOf(ctx context.Context, user string) ([]string, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx,
		`SELECT room FROM room_members WHERE user = ? ORDER BY room`, user)
	if err != nil {
		return nil, wrap("rooms of", err)
	}
	defer rows.Close()
	rooms := []string{}
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, wrap("rooms of", err)
		}
		rooms = append(rooms, r)
	}
	return rooms, wrap("rooms of", rows.Err())
}

// Invite records an invitation to an existing room (ENotFound otherwise).
// Inviting again is not an error; the first invitation is kept.
func (s *Store) Invite(ctx context.Context, room, user, by string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	ns, err := toNanos(time.Now().UTC())
	if err != nil {
		return err
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return wrap("invite", err)
	}
	defer tx.Rollback()
	if err := roomExistsTx(ctx, tx, room); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx,
		`INSERT INTO room_invites (room, user, invited_by, created) VALUES (?, ?, ?, ?)
		 ON CONFLICT (room, user) DO NOTHING`,
		room, user, by, ns); err != nil {
		return wrap("invite", err)
	}
	return wrap("invite: commit", tx.Commit())
}

// Invited reports whether the user has a pending invitation to the room.
func (s *Store) Invited(ctx context.Context, room, user string) (bool, error) {
	if err := s.checkOpen(); err != nil {
		return false, err
	}
	var ok bool
	err := s.r.QueryRowContext(ctx,
		`SELECT EXISTS (SELECT 1 FROM room_invites WHERE room = ? AND user = ?)`, room, user).Scan(&ok)
	return ok, wrap("invited", err)
}

// roomExistsTx returns ENotFound unless room exists, as seen by tx.
func roomExistsTx(ctx context.Context, tx *sql.Tx, room string) error {
	var ok bool
	if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM rooms WHERE name = ?)`, room).Scan(&ok); err != nil {
		return wrap("room check", err)
	}
	if !ok {
		return errNoRoom(room)
	}
	return nil
}

func errNoRoom(room string) error {
	return parley.Errorf(parley.ENotFound, "room %q does not exist", room)
}

// InvitesOf lists the rooms a user is invited to and has not joined,
// oldest invitation first.
func (s *Store) InvitesOf(ctx context.Context, user string) ([]parley.Invitation, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT i.room, i.invited_by, i.created FROM room_invites i
		WHERE i.user = ? AND NOT EXISTS (SELECT 1 FROM room_members m WHERE m.room = i.room AND m.user = i.user)
		ORDER BY i.created, i.room`, user)
	if err != nil {
		return nil, wrap("invitations", err)
	}
	defer rows.Close()
	out := []parley.Invitation{}
	for rows.Next() {
		var inv parley.Invitation
		var ns int64
		if err := rows.Scan(&inv.Room, &inv.By, &ns); err != nil {
			return nil, wrap("invitations", err)
		}
		inv.Created = fromNanos(ns)
		out = append(out, inv)
	}
	return out, wrap("invitations", rows.Err())
}
