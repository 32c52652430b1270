package parley

import (
	"context"
	"strings"
	"time"
)

// Role of a user in a room.
const (
	RoleOwner  = "owner"  // created the room; can do everything an admin can
	RoleAdmin  = "admin"  // can kick, set the topic, invite and delete
	RoleMember = "member" // can read and post in a private room
)

// Room visibility.
const (
	RoomPublic  = "public"  // anyone the guest policy admits may read and post
	RoomPrivate = "private" // members (and server admins) only
	RoomDirect  = "direct"  // a two-person direct-message conversation
)

// User is a registered account.
type User struct {
	Name    string    `json:"name"`
	Admin   bool      `json:"admin"`
	Created time.Time `json:"created"`
	// Disabled accounts cannot log in, and their open connections end.
	Disabled bool `json:"disabled,omitempty"`
}

// LoginSession is a logged-in session: a random token handed to the
// client, stored only as its SHA-256 hash.
type LoginSession struct {
	TokenHash []byte
	User      string
	Created   time.Time
	Expires   time.Time
}

// APIKey lets an application server publish and administer. The secret is
// stored only as its hash.
type APIKey struct {
	ID         string    `json:"id"` // public part, shown in listings
	SecretHash []byte    `json:"-"`
	Label      string    `json:"label"`
	Created    time.Time `json:"created"`
}

// Member is a user's membership of a room.
type Member struct {
	Room string `json:"room"`
	User string `json:"user"`
	Role string `json:"role"`
}

// RoomSettings are the mutable settings of a room, beside its name.
type RoomSettings struct {
	Visibility string // RoomPublic, RoomPrivate or RoomDirect
	Owner      string // "" for rooms created by guests or the system
	Notices    bool   // store and deliver join/leave notices
}

// DirectRoomName returns the name of the direct-message conversation
// between two users. The '@' cannot start a room name that people create,
// so it never collides; the names are sorted, so both users find the same
// conversation.
func DirectRoomName(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return "@" + a + "," + b
}

// DirectUsers returns the two users of a direct conversation room named by
// DirectRoomName; ok is false for any other room.
func DirectUsers(room string) (a, b string, ok bool) {
	rest, found := strings.CutPrefix(room, "@")
	if !found {
		return "", "", false
	}
	return strings.Cut(rest, ",")
}

// UserStore holds accounts, login sessions and API keys.
type UserStore interface {
	// CreateUser stores a new account with its password hash. EConflict if
	// the name is taken (names compare case-insensitively).
	CreateUser(ctx context.Context, u User, passwordHash string) error
	// UserByName returns the account and its password hash, or ENotFound.
	// The lookup is case-insensitive; the stored spelling is returned.
	UserByName(ctx context.Context, name string) (User, string, error)
	// SetPassword replaces a user's password hash. ENotFound if no such user.
	SetPassword(ctx context.Context, name, passwordHash string) error
	// SetDisabled disables or enables an account. ENotFound if no such
	// user.
	SetDisabled(ctx context.Context, name string, disabled bool) error

	// CreateLoginSession stores a session.
	CreateLoginSession(ctx context.Context, s LoginSession) error
	// LoginSessionByHash returns the session with this token hash, or
	// ENotFound (also when it has expired).
	LoginSessionByHash(ctx context.Context, tokenHash []byte, now time.Time) (LoginSession, error)
	// DeleteLoginSession ends a session; deleting a missing one is not an error.
	DeleteLoginSession(ctx context.Context, tokenHash []byte) error

	// CreateAPIKey stores a key. EConflict on a duplicate ID.
	CreateAPIKey(ctx context.Context, k APIKey) error
	// APIKeyByID returns the key, or ENotFound.
	APIKeyByID(ctx context.Context, id string) (APIKey, error)
}

// AccountAdmin is what administrators need of the accounts beyond
// UserStore: listing, granting admin, seeing and ending someone's login
// sessions, and managing API keys.
type AccountAdmin interface {
	UserStore
	// Users lists every account, ordered by name.
	Users(ctx context.Context) ([]User, error)
	// SetAdmin grants or revokes the admin flag. ENotFound if no such user.
	SetAdmin(ctx context.Context, name string, admin bool) error
	// LoginSessionsOf lists a user's unexpired sessions, newest first.
	LoginSessionsOf(ctx context.Context, user string) ([]LoginSession, error)
	// DeleteUserLoginSessions ends every session of a user and says how
	// many ended.
	DeleteUserLoginSessions(ctx context.Context, user string) (int64, error)
	// APIKeys lists the keys, oldest first, without SecretHash.
	APIKeys(ctx context.Context) ([]APIKey, error)
	// DeleteAPIKey revokes a key. ENotFound if no such key.
	DeleteAPIKey(ctx context.Context, id string) error
}

// RoomAccessStore holds room settings, memberships and invitations.
type RoomAccessStore interface {
	// RoomSettings returns a room's settings, or ENotFound.
	RoomSettings(ctx context.Context, room string) (RoomSettings, error)
	// UpdateRoom changes visibility, owner and notices of an existing room
	// (ENotFound otherwise); topic is set with SetTopic.
	UpdateRoom(ctx context.Context, room string, s RoomSettings) error
	// SetTopic sets a room's topic. ENotFound if no such room.
	SetTopic(ctx context.Context, room, topic string) error
	// DeleteRoom removes a room, its memberships, invitations and messages.
	// ENotFound if no such room. Message IDs are never reused.
	DeleteRoom(ctx context.Context, room string) error

	// SetMember adds a member or changes their role.
	SetMember(ctx context.Context, m Member) error
	// RemoveMember removes a membership; removing a missing one is not an error.
	RemoveMember(ctx context.Context, room, user string) error
	// Membership returns the user's role in the room, or "" when none.
	Membership(ctx context.Context, room, user string) (string, error)
	// Members lists a room's members, ordered by user name.
	Members(ctx context.Context, room string) ([]Member, error)
	// RoomsOf lists the rooms (of any visibility) the user is a member of,
	// ordered by name; direct conversations included.
	RoomsOf(ctx context.Context, user string) ([]string, error)

	// Invite records an invitation; accepting it is SetMember.
	Invite(ctx context.Context, room, user, by string) error
	// Invited reports whether the user has a pending invitation.
	Invited(ctx context.Context, room, user string) (bool, error)
	// InvitesOf lists the invitations the user has not accepted yet,
	// oldest first.
	InvitesOf(ctx context.Context, user string) ([]Invitation, error)
}

// Invitation is a pending invitation to a private room.
type Invitation struct {
	Room    string    `json:"room"`
	By      string    `json:"invited_by"`
	Created time.Time `json:"created"`
}
