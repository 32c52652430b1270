package chat

import (
	"context"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/parley-chat/parley"
)

// MaxTopic bounds a room topic, in characters.
const MaxTopic = 300

// PostAs validates and stores a chat line from id (a user, a guest with a
// name, or an application naming no one) to room, after checking that id
// may post there.
func (s *Service) PostAs(ctx context.Context, id parley.Identity, client, room, text string) (parley.Message, error) {
	return s.PostAsOnce(ctx, id, client, room, text, nil)
}

// PostAsOnce is PostAs for a request with an idempotency key (nil: none):
// the key is stored with the message, and a key stored already fails with
// EConflict.
func (s *Service) PostAsOnce(ctx context.Context, id parley.Identity, client, room, text string, idem *parley.Idem) (parley.Message, error) {
	return s.PostLine(ctx, id, client, Line{Room: room, Text: text}, idem)
}

// Line is a chat line to post.
type Line struct {
	Room string
	Text string
	// ReplyTo, if not 0, is the chat line or notice of Room that the line
	// answers; it must exist and be readable by the poster.
	ReplyTo int64
}

// PostLine is PostAsOnce for a line with more than a room and a text.
func (s *Service) PostLine(ctx context.Context, id parley.Identity, client string, line Line, idem *parley.Idem) (parley.Message, error) {
	m, err := s.postAsOnce(ctx, id, client, line, idem)
	return m, s.counted(1, err)
}

func (s *Service) postAsOnce(ctx context.Context, id parley.Identity, client string, line Line, idem *parley.Idem) (parley.Message, error) {
	room := line.Room
	text := line.Text
	text, err := s.checkText(text)
	if err != nil {
		return parley.Message{}, err
	}
	if err := s.CheckRoom(ctx, room); err != nil {
		return parley.Message{}, err
	}
	if err := s.checkPost(ctx, id, room); err != nil {
		return parley.Message{}, err
	}
	from := id.Name
	if err := ValidateName(from); err != nil {
		return parley.Message{}, err
	}
	if err := s.checkReply(ctx, id, room, line.ReplyTo); err != nil {
		return parley.Message{}, err
	}
	if !s.limit.allow(client) {
		return parley.Message{}, parley.Errorf(parley.ERateLimited, "too many messages: wait a moment and send again")
	}
	m := parley.Message{Room: room, Kind: parley.KindMessage, From: from, Text: text, Guest: id.Kind == parley.Guest, ReplyTo: line.ReplyTo}
	if idem != nil {
		stored := *idem
		stored.Count = 1
		m.Idem = &stored
	}
	return s.commit(ctx, m)
}

func (s *Service) checkText(text string) (string, error) {
	text, err := validateText(text, s.cfg.MaxTextLen)
	if err != nil {
		return "", err
	}
	text, err = s.cfg.Filter.Apply(text)
	if err != nil {
		return "", filtered{err}
	}
	return text, nil
}

func (s *Service) checkPost(ctx context.Context, id parley.Identity, room string) error {
	if s.cfg.Access == nil {
		if id.Kind == parley.Anonymous {
			return parley.Errorf(parley.EUnauthorized, "choose a name or log in to post")
		}
		return nil
	}
	return s.cfg.Access.Post(ctx, id, room)
}

// CanRead checks that id may read every room in rooms; unknown rooms are
// ENotFound.
func (s *Service) CanRead(ctx context.Context, id parley.Identity, rooms ...string) error {
	for _, r := range rooms {
		if err := s.CheckRoom(ctx, r); err != nil {
			return err
		}
	}
	if s.cfg.Access == nil {
		return nil
	}
	return s.cfg.Access.Read(ctx, id, rooms...)
}

// Direct sends a direct message from one registered user to another. The
// conversation is a room of kind direct with the two as its only members,
// so its history is theirs alone; the message also goes to both users'
// UserTopic, reaching every session of each.
func (s *Service) Direct(ctx context.Context, id parley.Identity, client, to, text string) (parley.Message, error) {
	m, err := s.direct(ctx, id, client, to, text)
	return m, s.counted(1, err)
}

func (s *Service) direct(ctx context.Context, id parley.Identity, client, to, text string) (parley.Message, error) {
	if id.Kind != parley.Registered {
		return parley.Message{}, parley.Errorf(parley.EUnauthorized, "log in to send direct messages")
	}
	if id.Scoped() {
		return parley.Message{}, errScoped("send direct messages")
	}
	p, err := s.directPost(ctx, id.Name, to, text)
	if err != nil {
		return parley.Message{}, err
	}
	if !s.limit.allow(client) {
		return parley.Message{}, parley.Errorf(parley.ERateLimited, "too many messages: wait a moment and send again")
	}
	return s.commitPost(ctx, p)
}

// directPost checks a direct message from one account to another and
// returns it, uncommitted, with the conversation room made on first use
// and both users' topics to reach.
func (s *Service) directPost(ctx context.Context, from, to, text string) (*post, error) {
	if s.cfg.Users == nil || s.cfg.RoomAccess == nil {
		return nil, parley.Errorf(parley.EUnavailable, "direct messages are not enabled on this server")
	}
	text, err := s.checkText(text)
	if err != nil {
		return nil, err
	}
	peer, _, err := s.cfg.Users.UserByName(ctx, to)
	if parley.ErrorCode(err) == parley.ENotFound {
		return nil, parley.Errorf(parley.ENotFound, "no user %q: direct messages go to registered users", to)
	}
	if err != nil {
		return nil, err
	}
	if strings.EqualFold(peer.Name, from) {
		return nil, parley.Errorf(parley.EInvalid, "you cannot send a direct message to yourself")
	}
	room, err := s.directRoom(ctx, from, peer.Name)
	if err != nil {
		return nil, err
	}
	return &post{
		msg:  parley.Message{Room: room, Kind: parley.KindMessage, From: from, Text: text},
		also: []string{parley.UserTopic(from), parley.UserTopic(peer.Name)},
	}, nil
}

// DirectRoom returns the conversation room of two users, creating it on
// first use.
func (s *Service) directRoom(ctx context.Context, a, b string) (string, error) {
	name := parley.DirectRoomName(a, b)
	if err := s.CheckRoom(ctx, name); err == nil {
		return name, nil
	}
	r := parley.Room{Name: name}
	if err := s.store.CreateRoom(ctx, &r); err != nil && parley.ErrorCode(err) != parley.EConflict {
		return "", err
	}
	if err := s.cfg.RoomAccess.UpdateRoom(ctx, name, parley.RoomSettings{Visibility: parley.RoomDirect, Notices: false}); err != nil {
		return "", err
	}
	for _, u := range []string{a, b} {
		if err := s.cfg.RoomAccess.SetMember(ctx, parley.Member{Room: name, User: u, Role: parley.RoleMember}); err != nil {
			return "", err
		}
	}
	s.remember(name)
	return name, nil
}

// Conversations returns the direct conversations of a registered user, so
// that a connection can replay and follow them.
func (s *Service) Conversations(ctx context.Context, id parley.Identity) ([]string, error) {
	if id.Kind != parley.Registered || id.Scoped() || s.cfg.RoomAccess == nil {
		return nil, nil
	}
	rooms, err := s.cfg.RoomAccess.RoomsOf(ctx, id.Name)
	if err != nil {
		return nil, err
	}
	direct := rooms[:0]
	for _, r := range rooms {
		if strings.HasPrefix(r, "@") {
			direct = append(direct, r)
		}
	}
	return direct, nil
}

// Notice posts a system notice to several rooms at once; only server
// admins and applications may.
func (s *Service) Notice(ctx context.Context, id parley.Identity, rooms []string, text string) ([]parley.Message, error) {
	out, err := s.notice(ctx, id, rooms, text)
	return out, s.counted(len(out), err)
}

func (s *Service) notice(ctx context.Context, id parley.Identity, rooms []string, text string) ([]parley.Message, error) {
	if id.Kind != parley.App && !(id.Kind == parley.Registered && id.Admin) {
		return nil, parley.Errorf(parley.EForbidden, "only server admins and applications may send notices")
	}
	text, err := validateText(text, s.cfg.MaxTextLen)
	if err != nil {
		return nil, err
	}
	if len(rooms) == 0 {
		return nil, parley.Errorf(parley.EInvalid, "name at least one room for the notice")
	}
	for _, r := range rooms {
		if err := s.CheckRoom(ctx, r); err != nil {
			return nil, err
		}
	}
	from := id.Name
	if from == "" || ValidateName(from) != nil {
		from = "system"
	}
	out := make([]parley.Message, 0, len(rooms))
	for _, r := range rooms {
		m, err := s.commit(ctx, parley.Message{Room: r, Kind: parley.KindNotice, From: from, Text: text})
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Presence records a join or leave notice in room, unless the room has
// notices turned off. It is called by the presence tracker's owner.
func (s *Service) Presence(ctx context.Context, room, name string, joined bool) error {
	if s.cfg.RoomAccess != nil {
		rs, err := s.cfg.RoomAccess.RoomSettings(ctx, room)
		if err != nil {
			return err
		}
		if !rs.Notices || rs.Visibility == parley.RoomDirect {
			return nil
		}
	}
	kind, verb := parley.KindLeave, "has left"
	if joined {
		kind, verb = parley.KindJoin, "has entered"
	}
	_, err := s.commit(ctx, parley.Message{Room: room, Kind: kind, From: name, Text: name + " " + verb})
	return err
}

// CreateRoomAs creates a room of the given visibility (public or private);
// a registered creator becomes its owner.
//
// Who may is Config.RoomCreation; client (the caller's address) and the
// creator are rate-limited, and an account owns at most
// Config.MaxRoomsPerCreator rooms.
func (s *Service) CreateRoomAs(ctx context.Context, id parley.Identity, client, name, visibility string) (parley.Room, error) {
	if id.Scoped() {
		return parley.Room{}, errScoped("create rooms")
	}
	if visibility == "" {
		visibility = parley.RoomPublic
	}
	if visibility != parley.RoomPublic && visibility != parley.RoomPrivate {
		return parley.Room{}, parley.Errorf(parley.EInvalid, "room visibility %q is not allowed: use public or private", visibility)
	}
	if visibility == parley.RoomPrivate && id.Kind != parley.Registered && id.Kind != parley.App {
		return parley.Room{}, parley.Errorf(parley.EUnauthorized, "log in to create a private room")
	}
	guestsAdmitted := s.cfg.Access == nil || s.cfg.Access.Policy.Guests
	if (id.Kind == parley.Anonymous || id.Kind == parley.Guest) && !guestsAdmitted {
		return parley.Room{}, parley.Errorf(parley.EUnauthorized, "log in to create a room")
	}
	if err := ValidateRoomName(name); err != nil {
		return parley.Room{}, err
	}
	if err := s.CheckRoom(ctx, name); err == nil {
		return parley.Room{}, parley.Errorf(parley.EConflict, "room %q already exists", name)
	}
	if err := s.mayCreateRoom(ctx, id, client); err != nil {
		return parley.Room{}, err
	}
	r, err := s.CreateRoom(ctx, name)
	if err != nil {
		return r, err
	}
	if s.cfg.RoomAccess == nil {
		s.roomListChanged(ctx, name, RoomCreated, parley.RoomPublic, "")
		return r, nil
	}
	owner := ""
	if id.Kind == parley.Registered {
		owner = id.Name
	}
	if err := s.cfg.RoomAccess.UpdateRoom(ctx, name, parley.RoomSettings{Visibility: visibility, Owner: owner, Notices: true}); err != nil {
		return r, err
	}
	if owner != "" {
		if err := s.cfg.RoomAccess.SetMember(ctx, parley.Member{Room: name, User: owner, Role: parley.RoleOwner}); err != nil {
			return r, err
		}
	}
	s.roomListChanged(ctx, name, RoomCreated, visibility, owner)
	return r, nil
}

// SetTopic sets a room's topic (owners and admins).
func (s *Service) SetTopic(ctx context.Context, id parley.Identity, room, topic string) error {
	if err := s.manage(ctx, id, room); err != nil {
		return err
	}
	if !utf8.ValidString(topic) || strings.ContainsFunc(topic, func(r rune) bool { return r < ' ' }) {
		return parley.Errorf(parley.EInvalid, "topic must be one line of valid UTF-8")
	}
	if utf8.RuneCountInString(topic) > MaxTopic {
		return parley.Errorf(parley.ETooLarge, "topic is too long: at most %d characters", MaxTopic)
	}
	if err := s.cfg.RoomAccess.SetTopic(ctx, room, topic); err != nil {
		return err
	}
	_, err := s.commit(ctx, parley.Message{Room: room, Kind: parley.KindNotice, From: id.Name, Text: id.Name + " set the topic: " + topic})
	return err
}

// Invite lets a registered user into a private room (owners and admins).
// The invitation is accepted by Join.
func (s *Service) Invite(ctx context.Context, id parley.Identity, room, user string) error {
	if err := s.manage(ctx, id, room); err != nil {
		return err
	}
	u, _, err := s.cfg.Users.UserByName(ctx, user)
	if err != nil {
		return err
	}
	return s.cfg.RoomAccess.Invite(ctx, room, u.Name, id.Name)
}

// Join accepts an invitation to a private room; joining a public room
// needs none and records nothing.
func (s *Service) Join(ctx context.Context, id parley.Identity, room string) error {
	if err := s.CheckRoom(ctx, room); err != nil {
		return err
	}
	if id.Kind != parley.Registered || s.cfg.RoomAccess == nil {
		return parley.Errorf(parley.EUnauthorized, "log in to join rooms")
	}
	rs, err := s.cfg.RoomAccess.RoomSettings(ctx, room)
	if err != nil || rs.Visibility == parley.RoomPublic {
		return err
	}
	if role, err := s.cfg.RoomAccess.Membership(ctx, room, id.Name); err != nil || role != "" {
		return err
	}
	ok, err := s.cfg.RoomAccess.Invited(ctx, room, id.Name)
	if err != nil {
		return err
	}
	if !ok && !id.Admin {
		return parley.Errorf(parley.EForbidden, "room %q is private: ask a member to invite you", room)
	}
	return s.cfg.RoomAccess.SetMember(ctx, parley.Member{Room: room, User: id.Name, Role: parley.RoleMember})
}

// Kick removes a member from a room (owners and admins). The notice tells
// everyone at once, and the removed user's open connections stop
// receiving the room (see parley.Event.Revoke).
func (s *Service) Kick(ctx context.Context, id parley.Identity, room, user string) error {
	return s.KickWithReason(ctx, id, room, user, "")
}

// KickWithReason is Kick with the reason the remover gave (an IRC KICK
// comment), kept in the notice: "ada was removed by bob: reason". The
// reason is made one line and cut to MaxLeaveReason characters.
func (s *Service) KickWithReason(ctx context.Context, id parley.Identity, room, user, reason string) error {
	if err := s.manage(ctx, id, room); err != nil {
		return err
	}
	role, err := s.cfg.RoomAccess.Membership(ctx, room, user)
	if err != nil {
		return err
	}
	if role == parley.RoleOwner {
		return parley.Errorf(parley.EForbidden, "the owner of room %q cannot be removed", room)
	}
	if err := s.cfg.RoomAccess.RemoveMember(ctx, room, user); err != nil {
		return err
	}
	// The account's own spelling names its streams' topic.
	if s.cfg.Users != nil {
		if u, _, err := s.cfg.Users.UserByName(ctx, user); err == nil {
			user = u.Name
		}
	}
	// The notice reaches the removed user's streams, and takes the room
	// from them (parley.Event.Revoke).
	_, err = s.commitPost(ctx, &post{
		msg:    parley.Message{Room: room, Kind: parley.KindNotice, From: id.Name, Text: user + " was removed by " + id.Name + withReason(reason)},
		also:   []string{parley.UserTopic(user)},
		revoke: user,
	})
	return err
}

// DeleteRoom deletes a room and its log (owners and admins). The lobby
// cannot be deleted.
func (s *Service) DeleteRoom(ctx context.Context, id parley.Identity, room string) error {
	if room == parley.DefaultRoom {
		return parley.Errorf(parley.EForbidden, "the %s cannot be deleted", parley.DefaultRoom)
	}
	if err := s.manage(ctx, id, room); err != nil {
		return err
	}
	rs, err := s.cfg.RoomAccess.RoomSettings(ctx, room)
	if err != nil {
		return err
	}
	if err := s.cfg.RoomAccess.DeleteRoom(ctx, room); err != nil {
		return err
	}
	s.roomsMu.Lock()
	delete(s.rooms, room)
	s.roomsMu.Unlock()
	s.roomListChanged(ctx, room, RoomDeleted, rs.Visibility, rs.Owner)
	return nil
}

// Members lists a room's members (for private rooms) to those who may read it.
func (s *Service) Members(ctx context.Context, id parley.Identity, room string) ([]parley.Member, error) {
	if err := s.CanRead(ctx, id, room); err != nil {
		return nil, err
	}
	if s.cfg.RoomAccess == nil {
		return nil, nil
	}
	return s.cfg.RoomAccess.Members(ctx, room)
}

func (s *Service) manage(ctx context.Context, id parley.Identity, room string) error {
	if err := s.CheckRoom(ctx, room); err != nil {
		return err
	}
	if s.cfg.Access == nil || s.cfg.RoomAccess == nil || s.cfg.Users == nil {
		return parley.Errorf(parley.EUnavailable, "room management is not enabled on this server")
	}
	return s.cfg.Access.Manage(ctx, id, room)
}

func (s *Service) remember(room string) {
	s.roomsMu.Lock()
	s.rooms[room] = struct{}{}
	s.roomsMu.Unlock()
}

// RoomInfo is a room as listed to a caller.
type RoomInfo struct {
	parley.Room
	Visibility string `json:"visibility"`
	Owner      string `json:"owner,omitempty"` // the account that owns it, if any
	Notices    bool   `json:"notices"`         // join/leave notices are recorded
}

// ReadableRooms lists the rooms id may read: public rooms, and the
// private rooms and direct conversations id belongs to.
func (s *Service) ReadableRooms(ctx context.Context, id parley.Identity) ([]RoomInfo, error) {
	rooms, err := s.store.Rooms(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]RoomInfo, 0, len(rooms))
	for _, r := range rooms {
		if id.Scoped() && !slices.Contains(id.Rooms, r.Name) {
			continue
		}
		info := RoomInfo{Room: r, Visibility: parley.RoomPublic, Notices: true}
		if s.cfg.RoomAccess != nil {
			rs, err := s.cfg.RoomAccess.RoomSettings(ctx, r.Name)
			if parley.ErrorCode(err) == parley.ENotFound {
				continue // deleted meanwhile
			}
			if err != nil {
				return nil, err
			}
			info.Visibility, info.Owner, info.Notices = rs.Visibility, rs.Owner, rs.Notices
			if rs.Visibility != parley.RoomPublic {
				if err := s.cfg.Access.Read(ctx, id, r.Name); err != nil {
					continue
				}
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// SetNotices turns a room's join and leave notices on or off (owners and
// admins).
func (s *Service) SetNotices(ctx context.Context, id parley.Identity, room string, on bool) error {
	if err := s.manage(ctx, id, room); err != nil {
		return err
	}
	rs, err := s.cfg.RoomAccess.RoomSettings(ctx, room)
	if err != nil {
		return err
	}
	rs.Notices = on
	return s.cfg.RoomAccess.UpdateRoom(ctx, room, rs)
}

// errScoped refuses what a token limited to rooms may not do.
func errScoped(what string) error {
	return parley.Errorf(parley.EForbidden, "your token is limited to its rooms: it may not %s", what)
}

// SetVisibility makes a room private (members and server admins only) or
// public. Only its owner, its room admins and server admins may. The lobby
// stays public and conversations stay direct. A room made private with no
// owner gets the one who made it private as its owner, so that someone can
// invite.
func (s *Service) SetVisibility(ctx context.Context, id parley.Identity, room, visibility string) error {
	if visibility != parley.RoomPublic && visibility != parley.RoomPrivate {
		return parley.Errorf(parley.EInvalid, "visibility %.20q is not allowed: use %q or %q", visibility, parley.RoomPublic, parley.RoomPrivate)
	}
	if err := s.manage(ctx, id, room); err != nil {
		return err
	}
	if room == parley.DefaultRoom && visibility != parley.RoomPublic {
		return parley.Errorf(parley.EForbidden, "the %s stays public: create another room for private talk", parley.DefaultRoom)
	}
	rs, err := s.cfg.RoomAccess.RoomSettings(ctx, room)
	if err != nil {
		return err
	}
	if rs.Visibility == parley.RoomDirect {
		return parley.Errorf(parley.EForbidden, "a direct conversation cannot be made %s", visibility)
	}
	if visibility == parley.RoomPrivate && rs.Owner == "" && id.Kind == parley.Registered {
		rs.Owner = id.Name
		if err := s.cfg.RoomAccess.SetMember(ctx, parley.Member{Room: room, User: id.Name, Role: "owner"}); err != nil {
			return err
		}
	}
	rs.Visibility = visibility
	if err := s.cfg.RoomAccess.UpdateRoom(ctx, room, rs); err != nil {
		return err
	}
	s.roomListChanged(ctx, room, RoomVisibility, visibility, rs.Owner)
	return nil
}

// Invitations lists the private rooms id is invited to and has not joined
// yet; accept one with Join.
func (s *Service) Invitations(ctx context.Context, id parley.Identity) ([]parley.Invitation, error) {
	if id.Kind != parley.Registered || id.Scoped() || s.cfg.RoomAccess == nil {
		return nil, parley.Errorf(parley.EUnauthorized, "log in to see your invitations")
	}
	return s.cfg.RoomAccess.InvitesOf(ctx, id.Name)
}

// Leave takes id out of a private room it is a member of. Its owner
// cannot leave it (delete it instead). The other members see a notice,
// and id's streams lose the room.
func (s *Service) Leave(ctx context.Context, id parley.Identity, room string) error {
	if err := s.CheckRoom(ctx, room); err != nil {
		return err
	}
	if id.Kind != parley.Registered || s.cfg.RoomAccess == nil {
		return parley.Errorf(parley.EUnauthorized, "log in to leave rooms")
	}
	role, err := s.cfg.RoomAccess.Membership(ctx, room, id.Name)
	if err != nil {
		return err
	}
	switch role {
	case "":
		return parley.Errorf(parley.ENotFound, "you are not a member of %q", room)
	case parley.RoleOwner:
		return parley.Errorf(parley.EForbidden, "you own %q: delete the room instead of leaving it", room)
	}
	if err := s.cfg.RoomAccess.RemoveMember(ctx, room, id.Name); err != nil {
		return err
	}
	_, err = s.commitPost(ctx, &post{
		msg:    parley.Message{Room: room, Kind: parley.KindNotice, From: id.Name, Text: id.Name + " left the room"},
		also:   []string{parley.UserTopic(id.Name)},
		revoke: id.Name,
	})
	return err
}
