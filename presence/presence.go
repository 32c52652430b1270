// Package presence tracks who is online in which room on this node.
//
// A user is present in a room while at least one of their sessions (a
// stream, a socket, a long-poll session with a live lease) is in it, so a
// user with many tabs is one member. The tracker reports only transitions:
// the first session of a user entering a room is a join, the last one
// leaving is a leave. The caller turns those into join and leave notices.
package presence

import (
	"slices"
	"strings"
	"sync"
)

// Person is a present member of a room.
type Person struct {
	Name  string `json:"name"`
	Guest bool   `json:"guest,omitempty"`
	// Key, for a guest, is the browser's guest key (parley.Identity's
	// GuestKey). The tracker keeps it to answer GuestNameTaken; Members
	// and Snapshot never return it.
	Key string `json:"-"`
}

// Change is a user entering or leaving a room.
type Change struct {
	Room   string
	Person Person
	Joined bool // false: left
	// Reason is why the person left, when they said (an IRC PART or
	// QUIT message); set by the caller, not the tracker.
	Reason string
}

// Tracker is safe for concurrent use.
type Tracker struct {
	mu       sync.Mutex
	sessions map[string]*session          // by session ID
	rooms    map[string]map[string]*count // room -> user name -> sessions
	guests   map[string]map[string]int    // guest name -> guest key -> sessions
}

type session struct {
	person Person
	rooms  []string
}

type count struct {
	person Person
	n      int
}

// New returns an empty tracker.
func New() *Tracker {
	return &Tracker{sessions: make(map[string]*session), rooms: make(map[string]map[string]*count), guests: make(map[string]map[string]int)}
}

// Set puts session id of person into exactly rooms (adding the session if
// new) and returns the joins and leaves it caused, leaves first.
func (t *Tracker) Set(id string, p Person, rooms []string) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sessions[id]
	if !ok {
		s = &session{person: p}
		t.sessions[id] = s
		if p.Guest {
			keys := t.guests[p.Name]
			if keys == nil {
				keys = make(map[string]int)
				t.guests[p.Name] = keys
			}
			keys[p.Key]++
		}
	}
	var changes []Change
	for _, r := range s.rooms {
		if !slices.Contains(rooms, r) {
			changes = t.leave(changes, r, s.person)
		}
	}
	for _, r := range rooms {
		if !slices.Contains(s.rooms, r) {
			changes = t.join(changes, r, s.person)
		}
	}
	s.rooms = slices.Clone(rooms)
	return changes
}

// Remove takes session id out of every room and returns the leaves it
// caused. Removing an unknown session changes nothing.
func (t *Tracker) Remove(id string) []Change {
	t.mu.Lock()
	defer t.mu.Unlock()
	s, ok := t.sessions[id]
	if !ok {
		return nil
	}
	delete(t.sessions, id)
	if p := s.person; p.Guest {
		if keys := t.guests[p.Name]; keys != nil {
			if keys[p.Key]--; keys[p.Key] <= 0 {
				delete(keys, p.Key)
			}
			if len(keys) == 0 {
				delete(t.guests, p.Name)
			}
		}
	}
	var changes []Change
	for _, r := range s.rooms {
		changes = t.leave(changes, r, s.person)
	}
	return changes
}

// Members returns the people present in room, ordered by name.
func (t *Tracker) Members(room string) []Person {
	t.mu.Lock()
	defer t.mu.Unlock()
	people := make([]Person, 0, len(t.rooms[room]))
	for _, c := range t.rooms[room] {
		people = append(people, c.person.public())
	}
	slices.SortFunc(people, func(a, b Person) int { return strings.Compare(a.Name, b.Name) })
	return people
}

// Present reports whether the named user is present in room.
func (t *Tracker) Present(room, name string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	_, ok := t.rooms[room][name]
	return ok
}

// GuestNameTaken reports whether a guest online on this node goes by name
// from another browser than key's: one with a key, different from key. A
// guest without a key (a client that keeps no cookie) holds nothing
// against others, since its own reconnection could not be told apart.
func (t *Tracker) GuestNameTaken(name, key string) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for k := range t.guests[name] {
		if k != "" && k != key {
			return true
		}
	}
	return false
}

// public is p as others may see it: without its key.
func (p Person) public() Person {
	p.Key = ""
	return p
}

// Sessions returns the number of tracked sessions.
func (t *Tracker) Sessions() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.sessions)
}

func (t *Tracker) join(changes []Change, room string, p Person) []Change {
	users := t.rooms[room]
	if users == nil {
		users = make(map[string]*count)
		t.rooms[room] = users
	}
	c := users[p.Name]
	if c == nil {
		c = &count{person: p}
		users[p.Name] = c
	}
	c.n++
	if c.n == 1 {
		changes = append(changes, Change{Room: room, Person: p, Joined: true})
	}
	return changes
}

func (t *Tracker) leave(changes []Change, room string, p Person) []Change {
	users := t.rooms[room]
	c := users[p.Name]
	if c == nil {
		return changes
	}
	c.n--
	if c.n > 0 {
		return changes
	}
	delete(users, p.Name)
	if len(users) == 0 {
		delete(t.rooms, room)
	}
	return append(changes, Change{Room: room, Person: p, Joined: false})
}

// Snapshot returns who is present in each room, for other nodes of a
// cluster.
func (t *Tracker) Snapshot() map[string][]Person {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string][]Person, len(t.rooms))
	for room, people := range t.rooms {
		list := make([]Person, 0, len(people))
		for _, c := range people {
			list = append(list, c.person.public())
		}
		out[room] = list
	}
	return out
}
