package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/parley-chat/parley"
)

// AccessStore is what RunRoomAccess tests: a message store with room
// access. It is an alias, so a factory may be written with either name.
type AccessStore = interface {
	parley.Store
	parley.RoomAccessStore
}

// RunRoomAccess runs the contract suite for parley.RoomAccessStore, with
// the parley.Store it extends. newStore must return a new store holding
// only the room "lobby", and arrange for it to be closed when t ends.
//
// Beyond the comments on the interface, the suite holds stores to what the
// service relies on: new rooms are public, ownerless and with notices;
// SetMember and Invite need an existing room (ENotFound) and a known role or
// visibility (EInvalid); SetMember consumes a pending invitation and
// RemoveMember withdraws one; user names in memberships and invitations
// compare case-insensitively, like account names (checked with ASCII
// letters only); a room deleted and created again starts empty.
func RunRoomAccess(t *testing.T, newStore func(t *testing.T) AccessStore) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, s AccessStore)
	}{
		{"DefaultSettings", testDefaultSettings},
		{"UpdateRoom", testUpdateRoom},
		{"UpdateRoomInvalid", testUpdateRoomInvalid},
		{"SetTopic", testSetTopic},
		{"Members", testMembers},
		{"MemberNamesIgnoreCase", testMemberNamesIgnoreCase},
		{"SetMemberInvalid", testSetMemberInvalid},
		{"RoomsOf", testRoomsOf},
		{"Invite", testInvite},
		{"DirectRoom", testDirectRoom},
		{"DeleteRoom", testDeleteRoom},
		{"DeleteRoomNotFound", testDeleteRoomNotFound},
		{"DeleteRoomRecreate", testDeleteRoomRecreate},
		{"DeleteRoomWhileAppending", testDeleteRoomWhileAppending},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newStore(t))
		})
	}
}

var publicDefaults = parley.RoomSettings{Visibility: parley.RoomPublic, Owner: "", Notices: true}

func wantSettings(t *testing.T, s AccessStore, room string, want parley.RoomSettings) {
	t.Helper()
	got, err := s.RoomSettings(ctx(t), room)
	if err != nil {
		t.Fatalf("RoomSettings(%q): %v", room, err)
	}
	if got != want {
		t.Fatalf("RoomSettings(%q) = %+v, want %+v", room, got, want)
	}
}

func setMember(t *testing.T, s AccessStore, room, user, role string) {
	t.Helper()
	if err := s.SetMember(ctx(t), parley.Member{Room: room, User: user, Role: role}); err != nil {
		t.Fatalf("SetMember(%s, %s, %s): %v", room, user, role, err)
	}
}

func wantRole(t *testing.T, s AccessStore, room, user, want string) {
	t.Helper()
	got, err := s.Membership(ctx(t), room, user)
	if err != nil || got != want {
		t.Fatalf("Membership(%q, %q) = %q, %v; want %q", room, user, got, err, want)
	}
}

func wantMembers(t *testing.T, s AccessStore, room string, want ...parley.Member) {
	t.Helper()
	got, err := s.Members(ctx(t), room)
	if err != nil {
		t.Fatalf("Members(%q): %v", room, err)
	}
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Members(%q) = %+v, want %+v", room, got, want)
	}
}

func wantRoomsOf(t *testing.T, s AccessStore, user string, want ...string) {
	t.Helper()
	got, err := s.RoomsOf(ctx(t), user)
	if err != nil {
		t.Fatalf("RoomsOf(%q): %v", user, err)
	}
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !slices.Equal(got, want) {
		t.Fatalf("RoomsOf(%q) = %q, want %q", user, got, want)
	}
}

func wantInvited(t *testing.T, s AccessStore, room, user string, want bool) {
	t.Helper()
	got, err := s.Invited(ctx(t), room, user)
	if err != nil || got != want {
		t.Fatalf("Invited(%q, %q) = %v, %v; want %v", room, user, got, err, want)
	}
}

func testDefaultSettings(t *testing.T, s AccessStore) {
	wantSettings(t, s, parley.DefaultRoom, publicDefaults)
	createRooms(t, s, "fresh")
	wantSettings(t, s, "fresh", publicDefaults)
	_, err := s.RoomSettings(ctx(t), "nowhere")
	wantCode(t, `RoomSettings("nowhere")`, err, parley.ENotFound)
}

func testUpdateRoom(t *testing.T, s AccessStore) {
	createRooms(t, s, "secret", "other")
	r := &parley.Room{Name: "topical", Topic: "kept"}
	if err := s.CreateRoom(ctx(t), r); err != nil {
		t.Fatalf("CreateRoom: %v", err)
	}
	for _, rs := range []parley.RoomSettings{
		{Visibility: parley.RoomPrivate, Owner: "ada", Notices: false},
		{Visibility: parley.RoomPrivate, Owner: "ada", Notices: true},
		{Visibility: parley.RoomPublic, Owner: "", Notices: false},
		{Visibility: parley.RoomDirect, Owner: "bob", Notices: true},
	} {
		if err := s.UpdateRoom(ctx(t), "secret", rs); err != nil {
			t.Fatalf("UpdateRoom(secret, %+v): %v", rs, err)
		}
		wantSettings(t, s, "secret", rs)
	}
	wantSettings(t, s, "other", publicDefaults) // only the named room changed

	// UpdateRoom leaves the topic alone.
	if err := s.UpdateRoom(ctx(t), "topical", parley.RoomSettings{Visibility: parley.RoomPrivate}); err != nil {
		t.Fatalf("UpdateRoom(topical): %v", err)
	}
	got, err := s.Room(ctx(t), "topical")
	if err != nil || got.Topic != "kept" || !got.Created.Equal(r.Created) {
		t.Fatalf("Room(topical) after UpdateRoom = %+v, %v; want topic and creation time kept", got, err)
	}

	err = s.UpdateRoom(ctx(t), "nowhere", parley.RoomSettings{Visibility: parley.RoomPrivate})
	wantCode(t, `UpdateRoom("nowhere")`, err, parley.ENotFound)
	if _, err := s.Room(ctx(t), "nowhere"); parley.ErrorCode(err) != parley.ENotFound {
		t.Fatalf("UpdateRoom of a missing room created it: Room = %v", err)
	}
}

func testUpdateRoomInvalid(t *testing.T, s AccessStore) {
	createRooms(t, s, "r")
	for _, v := range []string{"", "secret", "Public", "PRIVATE"} {
		err := s.UpdateRoom(ctx(t), "r", parley.RoomSettings{Visibility: v, Owner: "x"})
		wantCode(t, fmt.Sprintf("UpdateRoom with visibility %q", v), err, parley.EInvalid)
	}
	wantSettings(t, s, "r", publicDefaults)
}

func testSetTopic(t *testing.T, s AccessStore) {
	createRooms(t, s, "r", "other")
	settings := parley.RoomSettings{Visibility: parley.RoomPrivate, Owner: "ada", Notices: false}
	if err := s.UpdateRoom(ctx(t), "r", settings); err != nil {
		t.Fatalf("UpdateRoom: %v", err)
	}
	for _, topic := range []string{"new topic ✨", "", "quotes ' \" and; DROP TABLE rooms; --"} {
		if err := s.SetTopic(ctx(t), "r", topic); err != nil {
			t.Fatalf("SetTopic(%q): %v", topic, err)
		}
		got, err := s.Room(ctx(t), "r")
		if err != nil || got.Topic != topic {
			t.Fatalf("Room(r) = %+v, %v; want topic %q", got, err, topic)
		}
	}
	wantSettings(t, s, "r", settings) // SetTopic leaves the settings alone
	if got, err := s.Room(ctx(t), "other"); err != nil || got.Topic != "" {
		t.Fatalf("Room(other) = %+v, %v; SetTopic changed another room", got, err)
	}
	err := s.SetTopic(ctx(t), "nowhere", "x")
	wantCode(t, `SetTopic("nowhere")`, err, parley.ENotFound)
}

func testMembers(t *testing.T, s AccessStore) {
	createRooms(t, s, "r", "other")
	wantMembers(t, s, "r")
	wantRole(t, s, "r", "ada", "")

	setMember(t, s, "r", "carol", parley.RoleMember)
	setMember(t, s, "r", "ada", parley.RoleOwner)
	setMember(t, s, "r", "bob", parley.RoleAdmin)
	setMember(t, s, "other", "dave", parley.RoleMember)
	wantRole(t, s, "r", "ada", parley.RoleOwner)
	wantRole(t, s, "r", "bob", parley.RoleAdmin)
	wantRole(t, s, "r", "carol", parley.RoleMember)
	wantRole(t, s, "r", "dave", "")
	wantRole(t, s, "nowhere", "ada", "")
	wantMembers(t, s, "r",
		parley.Member{Room: "r", User: "ada", Role: parley.RoleOwner},
		parley.Member{Room: "r", User: "bob", Role: parley.RoleAdmin},
		parley.Member{Room: "r", User: "carol", Role: parley.RoleMember},
	)

	// Changing a role does not add a second membership.
	setMember(t, s, "r", "carol", parley.RoleAdmin)
	setMember(t, s, "r", "bob", parley.RoleMember)
	wantMembers(t, s, "r",
		parley.Member{Room: "r", User: "ada", Role: parley.RoleOwner},
		parley.Member{Room: "r", User: "bob", Role: parley.RoleMember},
		parley.Member{Room: "r", User: "carol", Role: parley.RoleAdmin},
	)

	if err := s.RemoveMember(ctx(t), "r", "bob"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	wantRole(t, s, "r", "bob", "")
	for _, rm := range [][2]string{{"r", "bob"}, {"r", "nobody"}, {"nowhere", "ada"}} {
		if err := s.RemoveMember(ctx(t), rm[0], rm[1]); err != nil {
			t.Fatalf("RemoveMember(%q, %q) of a missing membership: %v, want nil", rm[0], rm[1], err)
		}
	}
	wantMembers(t, s, "r",
		parley.Member{Room: "r", User: "ada", Role: parley.RoleOwner},
		parley.Member{Room: "r", User: "carol", Role: parley.RoleAdmin},
	)
	wantMembers(t, s, "other", parley.Member{Room: "other", User: "dave", Role: parley.RoleMember})
}

func testMemberNamesIgnoreCase(t *testing.T, s AccessStore) {
	createRooms(t, s, "r")
	setMember(t, s, "r", "Ada", parley.RoleMember)
	wantRole(t, s, "r", "ada", parley.RoleMember)
	wantRole(t, s, "r", "ADA", parley.RoleMember)
	wantRoomsOf(t, s, "aDA", "r")

	// One member, whatever the spelling the role is changed with.
	setMember(t, s, "r", "ADA", parley.RoleAdmin)
	got, err := s.Members(ctx(t), "r")
	if err != nil || len(got) != 1 || got[0].Role != parley.RoleAdmin {
		t.Fatalf("Members(r) = %+v, %v; want Ada once, as admin", got, err)
	}

	if err := s.Invite(ctx(t), "r", "Bob", "Ada"); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	wantInvited(t, s, "r", "bob", true)
	setMember(t, s, "r", "BOB", parley.RoleMember)
	wantInvited(t, s, "r", "Bob", false)

	if err := s.RemoveMember(ctx(t), "r", "aDa"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	wantRole(t, s, "r", "Ada", "")
}

func testSetMemberInvalid(t *testing.T, s AccessStore) {
	createRooms(t, s, "r")
	for _, role := range []string{"", "Owner", "guest", "root"} {
		err := s.SetMember(ctx(t), parley.Member{Room: "r", User: "ada", Role: role})
		wantCode(t, fmt.Sprintf("SetMember with role %q", role), err, parley.EInvalid)
	}
	err := s.SetMember(ctx(t), parley.Member{Room: "nowhere", User: "ada", Role: parley.RoleOwner})
	wantCode(t, `SetMember in room "nowhere"`, err, parley.ENotFound)
	wantMembers(t, s, "r")
	wantRoomsOf(t, s, "ada")
}

func testRoomsOf(t *testing.T, s AccessStore) {
	// Names whose order is the same bytewise and in the collations SQL
	// databases use: '@' sorts first in both.
	dm := parley.DirectRoomName("bob", "ada")
	createRooms(t, s, "zeta", "beta", "alpha", "mid", dm)
	if err := s.UpdateRoom(ctx(t), "mid", parley.RoomSettings{Visibility: parley.RoomPrivate, Owner: "bob"}); err != nil {
		t.Fatalf("UpdateRoom: %v", err)
	}
	if err := s.UpdateRoom(ctx(t), dm, parley.RoomSettings{Visibility: parley.RoomDirect}); err != nil {
		t.Fatalf("UpdateRoom: %v", err)
	}
	wantRoomsOf(t, s, "ada")
	for _, r := range []string{"zeta", "mid", "alpha", dm, parley.DefaultRoom} {
		setMember(t, s, r, "ada", parley.RoleMember)
	}
	setMember(t, s, "beta", "bob", parley.RoleOwner)
	setMember(t, s, dm, "bob", parley.RoleMember)
	setMember(t, s, "mid", "bob", parley.RoleOwner)
	wantRoomsOf(t, s, "ada", dm, "alpha", parley.DefaultRoom, "mid", "zeta")
	wantRoomsOf(t, s, "bob", dm, "beta", "mid")
	wantRoomsOf(t, s, "carol")

	if err := s.RemoveMember(ctx(t), "alpha", "ada"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	wantRoomsOf(t, s, "ada", dm, parley.DefaultRoom, "mid", "zeta")
}

func testInvite(t *testing.T, s AccessStore) {
	createRooms(t, s, "r", "other")
	wantInvited(t, s, "r", "bob", false)
	if err := s.Invite(ctx(t), "r", "bob", "ada"); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	wantInvited(t, s, "r", "bob", true)
	wantInvited(t, s, "other", "bob", false)
	wantInvited(t, s, "r", "carol", false)
	wantRole(t, s, "r", "bob", "") // an invitation is not a membership
	wantRoomsOf(t, s, "bob")
	if err := s.Invite(ctx(t), "r", "bob", "dave"); err != nil {
		t.Fatalf("second Invite: %v, want nil", err)
	}
	wantInvited(t, s, "r", "bob", true)
	if inv, err := s.InvitesOf(ctx(t), "BOB"); err != nil || len(inv) != 1 || inv[0].Room != "r" || inv[0].By == "" || inv[0].Created.IsZero() {
		t.Errorf("InvitesOf(BOB) = %+v, %v; want the one to r", inv, err)
	}

	// Accepting: the invitation is no longer pending.
	setMember(t, s, "r", "bob", parley.RoleMember)
	wantInvited(t, s, "r", "bob", false)
	if inv, err := s.InvitesOf(ctx(t), "bob"); err != nil || len(inv) != 0 {
		t.Errorf("InvitesOf(bob) after accepting = %+v, %v; want none", inv, err)
	}
	wantRole(t, s, "r", "bob", parley.RoleMember)

	// Removing a member withdraws a pending invitation too, so an old
	// invitation cannot bring a removed user back.
	if err := s.Invite(ctx(t), "r", "carol", "ada"); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if err := s.RemoveMember(ctx(t), "r", "carol"); err != nil {
		t.Fatalf("RemoveMember: %v", err)
	}
	wantInvited(t, s, "r", "carol", false)

	err := s.Invite(ctx(t), "nowhere", "bob", "ada")
	wantCode(t, `Invite to room "nowhere"`, err, parley.ENotFound)
	wantInvited(t, s, "nowhere", "bob", false)
}

func testDirectRoom(t *testing.T, s AccessStore) {
	name := parley.DirectRoomName("bob", "ada")
	if name != parley.DirectRoomName("ada", "bob") || name != "@ada,bob" {
		t.Fatalf("DirectRoomName = %q, want %q either way round", name, "@ada,bob")
	}
	createRooms(t, s, name)
	direct := parley.RoomSettings{Visibility: parley.RoomDirect, Notices: false}
	if err := s.UpdateRoom(ctx(t), name, direct); err != nil {
		t.Fatalf("UpdateRoom(%q): %v", name, err)
	}
	setMember(t, s, name, "ada", parley.RoleMember)
	setMember(t, s, name, "bob", parley.RoleMember)
	wantSettings(t, s, name, direct)
	wantRoomsOf(t, s, "ada", name)
	wantRoomsOf(t, s, "bob", name)
	wantMembers(t, s, name,
		parley.Member{Room: name, User: "ada", Role: parley.RoleMember},
		parley.Member{Room: name, User: "bob", Role: parley.RoleMember},
	)
	err := s.CreateRoom(ctx(t), &parley.Room{Name: parley.DirectRoomName("ada", "bob")})
	wantCode(t, "CreateRoom of an existing conversation", err, parley.EConflict)

	m := msg(name, "psst")
	appendOK(t, s, m)
	got, err := s.Before(ctx(t), name, 0, 10)
	if err != nil {
		t.Fatalf("Before(%q): %v", name, err)
	}
	sameMessages(t, "Before(direct room)", got, []*parley.Message{m})
	if r, err := s.Room(ctx(t), name); err != nil || r.Name != name {
		t.Fatalf("Room(%q) = %+v, %v", name, r, err)
	}
}

func testDeleteRoom(t *testing.T, s AccessStore) {
	createRooms(t, s, "doomed", "kept")
	setMember(t, s, "doomed", "ada", parley.RoleOwner)
	setMember(t, s, "doomed", "bob", parley.RoleMember)
	setMember(t, s, "kept", "ada", parley.RoleMember)
	if err := s.Invite(ctx(t), "doomed", "carol", "ada"); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	if err := s.Invite(ctx(t), "kept", "carol", "ada"); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	keptMsgs := []*parley.Message{msg("kept", "one"), msg("lobby", "two")}
	appendOK(t, s, keptMsgs[0], msg("doomed", "gone 1"))
	appendOK(t, s, keptMsgs[1])
	last := msg("doomed", "gone 2") // the highest ID so far
	appendOK(t, s, last)

	if err := s.DeleteRoom(ctx(t), "doomed"); err != nil {
		t.Fatalf("DeleteRoom: %v", err)
	}

	_, err := s.Room(ctx(t), "doomed")
	wantCode(t, "Room after DeleteRoom", err, parley.ENotFound)
	_, err = s.RoomSettings(ctx(t), "doomed")
	wantCode(t, "RoomSettings after DeleteRoom", err, parley.ENotFound)
	rooms, err := s.Rooms(ctx(t))
	if err != nil {
		t.Fatalf("Rooms: %v", err)
	}
	for _, r := range rooms {
		if r.Name == "doomed" {
			t.Fatalf("Rooms after DeleteRoom still lists it: %+v", rooms)
		}
	}
	wantMembers(t, s, "doomed")
	wantRole(t, s, "doomed", "ada", "")
	wantRoomsOf(t, s, "ada", "kept")
	wantRoomsOf(t, s, "bob")
	wantInvited(t, s, "doomed", "carol", false)
	wantInvited(t, s, "kept", "carol", true)

	got, err := s.Before(ctx(t), "doomed", 0, 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("Before(doomed) after DeleteRoom = %v, %v; want no messages", ids(got), err)
	}
	got, err = s.After(ctx(t), []string{"doomed", "kept", "lobby"}, 0, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After(doomed, kept, lobby) after DeleteRoom", got, keptMsgs)

	err = s.Append(ctx(t), []*parley.Message{msg("doomed", "too late")})
	wantCode(t, "Append to a deleted room", err, parley.ENotFound)
	err = s.Append(ctx(t), []*parley.Message{msg("kept", "mixed"), msg("doomed", "too late")})
	wantCode(t, "Append of a batch with a deleted room", err, parley.ENotFound)

	// IDs are never reused, not even the deleted room's newest.
	next := msg("kept", "after")
	appendOK(t, s, next)
	if next.ID <= last.ID {
		t.Fatalf("ID %d after DeleteRoom; the deleted room's last message had ID %d: IDs must never be reused", next.ID, last.ID)
	}
	got, err = s.After(ctx(t), []string{"kept"}, keptMsgs[0].ID, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After(kept)", got, []*parley.Message{next}) // the refused batch left nothing
}

func testDeleteRoomNotFound(t *testing.T, s AccessStore) {
	err := s.DeleteRoom(ctx(t), "nowhere")
	wantCode(t, `DeleteRoom("nowhere")`, err, parley.ENotFound)
	createRooms(t, s, "once")
	if err := s.DeleteRoom(ctx(t), "once"); err != nil {
		t.Fatalf("DeleteRoom: %v", err)
	}
	err = s.DeleteRoom(ctx(t), "once")
	wantCode(t, "second DeleteRoom", err, parley.ENotFound)
}

// testDeleteRoomRecreate: a room created again under a deleted room's name
// inherits nothing from it.
func testDeleteRoomRecreate(t *testing.T, s AccessStore) {
	createRooms(t, s, "phoenix")
	if err := s.UpdateRoom(ctx(t), "phoenix", parley.RoomSettings{Visibility: parley.RoomPrivate, Owner: "ada"}); err != nil {
		t.Fatalf("UpdateRoom: %v", err)
	}
	if err := s.SetTopic(ctx(t), "phoenix", "old"); err != nil {
		t.Fatalf("SetTopic: %v", err)
	}
	setMember(t, s, "phoenix", "ada", parley.RoleOwner)
	if err := s.Invite(ctx(t), "phoenix", "bob", "ada"); err != nil {
		t.Fatalf("Invite: %v", err)
	}
	old := msg("phoenix", "old secret")
	appendOK(t, s, old)
	if err := s.DeleteRoom(ctx(t), "phoenix"); err != nil {
		t.Fatalf("DeleteRoom: %v", err)
	}

	createRooms(t, s, "phoenix")
	wantSettings(t, s, "phoenix", publicDefaults)
	if r, err := s.Room(ctx(t), "phoenix"); err != nil || r.Topic != "" {
		t.Fatalf("Room(phoenix) = %+v, %v; want no topic", r, err)
	}
	wantMembers(t, s, "phoenix")
	wantRole(t, s, "phoenix", "ada", "")
	wantInvited(t, s, "phoenix", "bob", false)
	fresh := msg("phoenix", "new")
	appendOK(t, s, fresh)
	got, err := s.After(ctx(t), []string{"phoenix"}, 0, 10)
	if err != nil {
		t.Fatalf("After: %v", err)
	}
	sameMessages(t, "After(phoenix) after recreation", got, []*parley.Message{fresh})
	if fresh.ID <= old.ID {
		t.Fatalf("ID %d in the new room, %d in the deleted one: IDs must never be reused", fresh.ID, old.ID)
	}
}

// testDeleteRoomWhileAppending races appends to a room with its deletion:
// each Append either commits before the deletion (and its messages go with
// the room) or fails with ENotFound. Nothing of the room survives.
func testDeleteRoomWhileAppending(t *testing.T, s AccessStore) {
	createRooms(t, s, "busy")
	c := ctx(t)
	const posters = 8
	var (
		wg      sync.WaitGroup
		started sync.WaitGroup
		mu      sync.Mutex
		maxID   int64
		errs    []error
	)
	started.Add(posters)
	for p := range posters {
		wg.Go(func() {
			started.Done()
			for i := 0; ; i++ {
				m := msg("busy", fmt.Sprintf("poster %d message %d", p, i))
				err := s.Append(c, []*parley.Message{m})
				mu.Lock()
				if err == nil {
					maxID = max(maxID, m.ID)
				} else if parley.ErrorCode(err) != parley.ENotFound {
					errs = append(errs, fmt.Errorf("Append during DeleteRoom: %v (code %q), want nil or %q", err, parley.ErrorCode(err), parley.ENotFound))
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		})
	}
	started.Wait()
	appendOK(t, s, msg("busy", "before the deletion"))
	if err := s.DeleteRoom(c, "busy"); err != nil {
		t.Fatalf("DeleteRoom: %v", err)
	}
	wg.Wait()
	for _, err := range errs {
		t.Error(err)
	}
	got, err := s.Before(c, "busy", 0, 100)
	if err != nil || len(got) != 0 {
		t.Fatalf("Before(busy) after DeleteRoom = %v, %v; want nothing: an Append outlived the deletion", ids(got), err)
	}
	after := msg("lobby", "after")
	appendOK(t, s, after)
	if after.ID <= maxID {
		t.Fatalf("ID %d after the deletion, %d was used before it: IDs must never be reused", after.ID, maxID)
	}
}
