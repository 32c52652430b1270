package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/parley-chat/parley"
)

// CreateRoom stores a new room, setting room.Created when it is zero. It
// fails with EConflict when the name is taken.
func (s *Store) CreateRoom(ctx context.Context, room *parley.Room) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	created := room.Created
	if created.IsZero() {
		created = time.Now().UTC()
	}
	ns, err := toNanos(created)
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx,
		`INSERT INTO rooms (name, topic, created) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		room.Name, room.Topic, ns)
	if err != nil {
		return wrap("create room", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return wrap("create room", err)
	}
	if n == 0 {
		return parley.Errorf(parley.EConflict, "room %q already exists", room.Name)
	}
	room.Created = created
	return nil
}

// Room returns the named room, or ENotFound.
func (s *Store) Room(ctx context.Context, name string) (parley.Room, error) {
	if err := s.checkOpen(); err != nil {
		return parley.Room{}, err
	}
	var (
		r  parley.Room
		ns int64
	)
	err := s.r.QueryRowContext(ctx,
		`SELECT name, topic, created FROM rooms WHERE name = ?`, name).Scan(&r.Name, &r.Topic, &ns)
	if errors.Is(err, sql.ErrNoRows) {
		return parley.Room{}, parley.Errorf(parley.ENotFound, "room %q does not exist", name)
	}
	if err != nil {
		return parley.Room{}, wrap("room", err)
	}
	r.Created = fromNanos(ns)
	return r, nil
}

// Rooms returns every room, ordered by name (byte order).
func (s *Store) Rooms(ctx context.Context) ([]parley.Room, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.r.QueryContext(ctx, `SELECT name, topic, created FROM rooms ORDER BY name`)
	if err != nil {
		return nil, wrap("rooms", err)
	}
	defer rows.Close()
	rooms := []parley.Room{}
	for rows.Next() {
		var (
			r  parley.Room
			ns int64
		)
		if err := rows.Scan(&r.Name, &r.Topic, &ns); err != nil {
			return nil, wrap("rooms", err)
		}
		r.Created = fromNanos(ns)
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, wrap("rooms", err)
	}
	return rooms, nil
}
