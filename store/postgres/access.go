package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/parley-chat/parley"
)

var _ parley.RoomAccessStore = (*Store)(nil)

// userKey is the SQL for the folded key of a user name given as $2 (see
// nameKey), matching the generated user_key columns.
const userKey = `lower($2::text COLLATE "C")`

// RoomSettings returns a room's settings, or ENotFound.
func (s *Store) RoomSettings(ctx context.Context, room string) (parley.RoomSettings, error) {
	if err := s.checkOpen(); err != nil {
		return parley.RoomSettings{}, err
	}
	var rs parley.RoomSettings
	err := s.pool.QueryRow(ctx,
		`SELECT visibility, owner, notices FROM rooms WHERE name = $1`, room).
		Scan(&rs.Visibility, &rs.Owner, &rs.Notices)
	if errors.Is(err, pgx.ErrNoRows) {
		return parley.RoomSettings{}, errNoRoom(room)
	}
	return rs, s.wrap("room settings", err)
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
	tag, err := s.pool.Exec(ctx,
		`UPDATE rooms SET visibility = $2, owner = $3, notices = $4 WHERE name = $1`,
		room, rs.Visibility, rs.Owner, rs.Notices)
	return s.mustAffect(tag, err, "update room", errNoRoom(room))
}

// SetTopic sets a room's topic. ENotFound if no such room.
func (s *Store) SetTopic(ctx context.Context, room, topic string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx, `UPDATE rooms SET topic = $2 WHERE name = $1`, room, topic)
	return s.mustAffect(tag, err, "set topic", errNoRoom(room))
}

// DeleteRoom removes a room with its messages, memberships and
// invitations, in one transaction. ENotFound if no such room.
//
// It first locks the room row FOR UPDATE. That waits for every Append
// still inserting into the room (the foreign key check of an insert holds
// a KEY SHARE lock on the room row until its commit) and makes every later
// one wait for this transaction, after which its foreign key check finds
// no room and it fails with ENotFound. So an Append either commits before
// the deletion, and its messages go with the room, or stores nothing. The
// IDs of the deleted messages are not handed out again: the ID counter
// never goes down.
func (s *Store) DeleteRoom(ctx context.Context, room string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var name string
		err := tx.QueryRow(ctx, `SELECT name FROM rooms WHERE name = $1 FOR UPDATE`, room).Scan(&name)
		if errors.Is(err, pgx.ErrNoRows) {
			return errNoRoom(room)
		}
		if err != nil {
			return err
		}
		// Members and invitations would go by ON DELETE CASCADE; messages
		// must go first: their foreign key has no cascade. Each statement
		// takes a new snapshot, which sees every Append that committed
		// before the lock was granted.
		for _, q := range []string{
			`DELETE FROM messages WHERE room = $1`,
			`DELETE FROM room_members WHERE room = $1`,
			`DELETE FROM room_invites WHERE room = $1`,
			`DELETE FROM rooms WHERE name = $1`,
		} {
			if _, err := tx.Exec(ctx, q, room); err != nil {
				return err
			}
		}
		return nil
	})
	return s.wrap("delete room", err)
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
	// One statement, so one transaction; the foreign key on room refuses
	// a missing room.
	_, err := s.pool.Exec(ctx, `
		WITH upsert AS (
			INSERT INTO room_members (room, user_name, role) VALUES ($1, $2, $3)
			ON CONFLICT (room, user_key) DO UPDATE SET role = excluded.role
		)
		DELETE FROM room_invites WHERE room = $1 AND user_key = `+userKey,
		m.Room, m.User, m.Role)
	return s.roomRef("set member", m.Room, err)
}

// RemoveMember removes a membership, and a pending invitation with it, so
// that a removed user cannot come back on an old invitation. Removing a
// missing one is not an error.
func (s *Store) RemoveMember(ctx context.Context, room, user string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx, `
		WITH member AS (
			DELETE FROM room_members WHERE room = $1 AND user_key = `+userKey+`
		)
		DELETE FROM room_invites WHERE room = $1 AND user_key = `+userKey,
		room, user)
	return s.wrap("remove member", err)
}

// Membership returns the user's role in the room, or "" when none (also
// when there is no such room).
func (s *Store) Membership(ctx context.Context, room, user string) (string, error) {
	if err := s.checkOpen(); err != nil {
		return "", err
	}
	var role string
	err := s.pool.QueryRow(ctx,
		`SELECT role FROM room_members WHERE room = $1 AND user_key = `+userKey, room, user).Scan(&role)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", nil
	}
	return role, s.wrap("membership", err)
}

// Members lists a room's members ordered by user name (ASCII letters in
// any case sort together). A room without members, or no room, gives an
// empty list.
func (s *Store) Members(ctx context.Context, room string) ([]parley.Member, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT room, user_name, role FROM room_members WHERE room = $1 ORDER BY user_key, user_name`, room)
	if err != nil {
		return nil, s.wrap("members", err)
	}
	ms, err := pgx.CollectRows(rows, pgx.RowToStructByPos[parley.Member])
	if err != nil {
		return nil, s.wrap("members", err)
	}
	if ms == nil {
		ms = []parley.Member{}
	}
	return ms, nil
}

// RoomsOf lists the rooms the user is a member of, of any visibility,
// ordered by name (byte order, like Rooms).
func (s *Store) RoomsOf(ctx context.Context, user string) ([]string, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx,
		`SELECT room FROM room_members WHERE user_key = lower($1::text COLLATE "C") ORDER BY room`, user)
	if err != nil {
		return nil, s.wrap("rooms of", err)
	}
	rooms, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, s.wrap("rooms of", err)
	}
	if rooms == nil {
		rooms = []string{}
	}
	return rooms, nil
}

// Invite records an invitation to an existing room (ENotFound otherwise).
// Inviting again is not an error; the first invitation is kept.
func (s *Store) Invite(ctx context.Context, room, user, by string) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	_, err := s.pool.Exec(ctx,
		`INSERT INTO room_invites (room, user_name, invited_by, created) VALUES ($1, $2, $3, date_trunc('microseconds', now()))
		 ON CONFLICT (room, user_key) DO NOTHING`,
		room, user, by)
	return s.roomRef("invite", room, err)
}

// Invited reports whether the user has a pending invitation to the room.
func (s *Store) Invited(ctx context.Context, room, user string) (bool, error) {
	if err := s.checkOpen(); err != nil {
		return false, err
	}
	var ok bool
	err := s.pool.QueryRow(ctx,
		`SELECT EXISTS (SELECT 1 FROM room_invites WHERE room = $1 AND user_key = `+userKey+`)`, room, user).Scan(&ok)
	return ok, s.wrap("invited", err)
}

// roomRef wraps the error of a statement that refers to room through a
// foreign key: a foreign key violation means the room does not exist.
func (s *Store) roomRef(op, room string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeForeignKey {
		return errNoRoom(room)
	}
	return s.wrap(op, err)
}

// mustAffect turns the result of an UPDATE or DELETE of one row into
// notFound when it matched no row, and wraps other errors with op.
func (s *Store) mustAffect(tag pgconn.CommandTag, err error, op string, notFound error) error {
	if err != nil {
		return s.wrap(op, err)
	}
	if tag.RowsAffected() == 0 {
		return notFound
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
	rows, err := s.pool.Query(ctx, `SELECT i.room, i.invited_by, i.created FROM room_invites i
		WHERE i.user_key = lower($1::text COLLATE "C") AND NOT EXISTS (SELECT 1 FROM room_members m WHERE m.room = i.room AND m.user_key = i.user_key)
		ORDER BY i.created, i.room`, user)
	if err != nil {
		return nil, s.wrap("invitations", err)
	}
	defer rows.Close()
	out := []parley.Invitation{}
	for rows.Next() {
		var inv parley.Invitation
		if err := rows.Scan(&inv.Room, &inv.By, &inv.Created); err != nil {
			return nil, s.wrap("invitations", err)
		}
		inv.Created = inv.Created.UTC()
		out = append(out, inv)
	}
	return out, s.wrap("invitations", rows.Err())
}
