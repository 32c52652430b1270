// Package stream holds what every push transport (SSE, long-poll,
// WebSocket, IRC) shares: parsing which rooms and cursor a client asks for,
// and reading what it missed from the store.
//
// Every transport resumes the same way (DESIGN invariant 3):
//
//  1. subscribe to the hub, holding live events;
//  2. replay everything after the client's cursor from the store (see
//     Replayer);
//  3. release the held events, skipping IDs at or below the last one sent.
//
// Step 1 before step 2 is what makes resume gap-free: an event committed
// after the store read is published after the subscribe, so the hub
// delivers it (see package hub).
package stream

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
)

// MaxRooms bounds the rooms of one stream.
const MaxRooms = 32

// MaxContext bounds the "last N messages" a stream may ask for.
const MaxContext = 500

// RoomChecker knows which rooms exist and who may read them (chat.Service
// does).
type RoomChecker interface {
	CheckRoom(ctx context.Context, room string) error
	CanRead(ctx context.Context, id parley.Identity, rooms ...string) error
	Conversations(ctx context.Context, id parley.Identity) ([]string, error)
}

// ParseRooms parses a comma-separated room list, checks that every room
// exists and that the caller (the identity in ctx, see authn) may read it,
// and returns the rooms without duplicates. An empty list means the
// default room. For a logged-in user the answer also holds their direct
// conversations and their UserTopic, so that every stream carries their
// direct messages; those do not count against MaxRooms.
func ParseRooms(ctx context.Context, rooms RoomChecker, list string) ([]string, error) {
	out, err := parseRooms(ctx, rooms, list)
	if err != nil {
		return nil, err
	}
	id := authn.From(ctx)
	if err := rooms.CanRead(ctx, id, out...); err != nil {
		return nil, err
	}
	// The connection ends when its credentials are revoked.
	out = append(out, id.CredentialTopics()...)
	if id.Kind != parley.Registered || id.Scoped() {
		// A token limited to rooms carries exactly them: not the user's
		// direct conversations or their inbox.
		return out, nil
	}
	convs, err := rooms.Conversations(ctx, id)
	if err != nil {
		return nil, err
	}
	for _, c := range convs {
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return append(out, parley.UserTopic(id.Name)), nil
}

func parseRooms(ctx context.Context, rooms RoomChecker, list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return []string{parley.DefaultRoom}, nil
	}
	parts := strings.Split(list, ",")
	if len(parts) > MaxRooms {
		return nil, parley.Errorf(parley.EInvalid, "too many rooms: %d requested, at most %d per stream", len(parts), MaxRooms)
	}
	out := make([]string, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if slices.Contains(out, p) {
			continue
		}
		if err := rooms.CheckRoom(ctx, p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// ParseLast parses the "last N messages as context" parameter.
func ParseLast(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxContext {
		return 0, parley.Errorf(parley.EInvalid, "last=%.24q is not allowed: use a number from 0 to %d", s, MaxContext)
	}
	return n, nil
}

// Recent returns the newest n messages over rooms with IDs up to upTo, in
// ID order, as the context a new client sees first. upTo is the cursor the
// client's stream starts after: a message committed since is past it and
// comes with the stream, so it must not be context as well.
func Recent(ctx context.Context, store parley.Store, rooms []string, n int, upTo int64) ([]parley.Message, error) {
	if n <= 0 || upTo <= 0 {
		return nil, nil
	}
	var all []parley.Message
	for _, r := range rooms {
		msgs, err := store.Before(ctx, r, upTo+1, n)
		if err != nil {
			return nil, err
		}
		all = append(all, msgs...)
	}
	slices.SortFunc(all, func(a, b parley.Message) int { return cmp.Compare(a.ID, b.ID) })
	if len(all) > n {
		all = all[len(all)-n:]
	}
	return all, nil
}

// Presence is told when a named client's stream, socket or poll session
// is in rooms, and when it ends. The server implements it over the
// presence tracker; join and leave notices follow.
type Presence interface {
	// Enter marks a new session of id present in rooms. It returns nil for
	// anonymous identities (they are not present anywhere).
	Enter(id parley.Identity, rooms []string) Session
}

// Session is one client session's presence.
type Session interface {
	// Move puts the session into exactly rooms.
	Move(rooms []string)
	// Leave ends the session's presence. It never blocks, so it is safe on
	// a hub goroutine, and it is idempotent.
	Leave()
}

// Present filters rooms down to those that count for presence: rooms, not
// the user topic or direct conversations.
func Present(rooms []string) []string {
	out := make([]string, 0, len(rooms))
	for _, r := range rooms {
		if !Carried(r) {
			out = append(out, r)
		}
	}
	return out
}

// Carried reports whether a topic is one ParseRooms adds to a logged-in
// user's stream (a direct conversation, their UserTopic or a credential
// topic, all named "@..."), as opposed to a room the client chose.
func Carried(topic string) bool { return strings.HasPrefix(topic, "@") }

// Watch is what signals (parley.NewSignal) a stream asks for with its
// "watch" parameter. Signals are opt-in: a client that only shows
// messages never receives them.
type Watch struct {
	Rooms  bool // room list changes (parley.KindRooms)
	Typing bool // typing in the stream's rooms (parley.KindTyping)
}

// ParseWatch parses a comma-separated list of "rooms" and "typing".
func ParseWatch(list string) (Watch, error) {
	var w Watch
	if strings.TrimSpace(list) == "" {
		return w, nil
	}
	for _, p := range strings.Split(list, ",") {
		switch strings.TrimSpace(p) {
		case "rooms":
			w.Rooms = true
		case "typing":
			w.Typing = true
		default:
			return Watch{}, parley.Errorf(parley.EInvalid, "watch=%.40q: %.20q is not a signal: use rooms, typing or both, comma-separated", list, p)
		}
	}
	return w, nil
}

// Topics returns the hub topics that carry w's signals to a stream of
// rooms (as ParseRooms returned them).
func (w Watch) Topics(rooms []string) []string {
	var out []string
	if w.Rooms {
		out = append(out, parley.RoomListTopic)
	}
	if w.Typing {
		for _, r := range rooms {
			if Typed(r) {
				out = append(out, parley.TypingTopic(r))
			}
		}
	}
	return out
}

// Typed reports whether people type in topic: a room or a direct
// conversation, not a user, credential or signal topic.
func Typed(topic string) bool {
	_, _, direct := parley.DirectUsers(topic)
	return !Carried(topic) || (direct && !strings.HasPrefix(topic, "@:"))
}

// AddWatched parses a "watch" parameter and adds the topics of its signals
// to rooms (as ParseRooms returned them).
func AddWatched(rooms []string, list string) ([]string, Watch, error) {
	w, err := ParseWatch(list)
	if err != nil {
		return nil, w, err
	}
	return append(rooms, w.Topics(rooms)...), w, nil
}
