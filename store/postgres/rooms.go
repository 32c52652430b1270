package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley"
)

// CreateRoom stores a new room and writes back its stored Created time:
// now when it was zero, rounded to the microsecond, in UTC. It fails with
// EConflict when the name is taken.
func (s *Store) CreateRoom(ctx context.Context, room *parley.Room) error {
	if err := s.checkOpen(); err != nil {
		return err
	}
	created := room.Created
	if created.IsZero() {
		created = time.Now()
	}
	created, err := dbTime(created)
	if err != nil {
		return err
	}
	tag, err := s.pool.Exec(ctx,
		`INSERT INTO rooms (name, topic, created) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING`,
		room.Name, room.Topic, created)
	if err != nil {
		return s.wrap("create room", err)
	}
	if tag.RowsAffected() == 0 {
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
	var r parley.Room
	err := s.pool.QueryRow(ctx,
		`SELECT name, topic, created FROM rooms WHERE name = $1`, name).Scan(&r.Name, &r.Topic, &r.Created)
	if errors.Is(err, pgx.ErrNoRows) {
		return parley.Room{}, parley.Errorf(parley.ENotFound, "room %q does not exist", name)
	}
	if err != nil {
		return parley.Room{}, s.wrap("room", err)
	}
	r.Created = r.Created.UTC()
	return r, nil
}

// Rooms returns every room, ordered by name in byte order (the column is
// COLLATE "C").
func (s *Store) Rooms(ctx context.Context) ([]parley.Room, error) {
	if err := s.checkOpen(); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT name, topic, created FROM rooms ORDER BY name`)
	if err != nil {
		return nil, s.wrap("rooms", err)
	}
	defer rows.Close()
	rooms := []parley.Room{}
	for rows.Next() {
		var r parley.Room
		if err := rows.Scan(&r.Name, &r.Topic, &r.Created); err != nil {
			return nil, s.wrap("rooms", err)
		}
		r.Created = r.Created.UTC()
		rooms = append(rooms, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.wrap("rooms", err)
	}
	return rooms, nil
}
