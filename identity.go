package parley

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// Identity is who is behind a request or a connection.
type Identity struct {
	Name  string // "" when anonymous
	Kind  IdentityKind
	Admin bool // a server administrator (users only)
	// GuestKey, for a guest, identifies the browser behind it (a hash of
	// its guest cookie; "" when unknown), so that a guest name held by
	// someone online is not taken by someone else, while the same
	// browser's tabs and reloads keep it. Never shown.
	GuestKey string

	// Rooms, when not nil, limits a connection to these rooms: an
	// application's connection token names the rooms it allows.
	Rooms []string

	// Manages lists the rooms a guest's connection created: it manages
	// them (topic, kick, invite) for as long as it lasts, as the owner of
	// a fresh IRC channel does. Guests own nothing that outlives the
	// connection: their names can be taken by other guests later. Set by
	// the transport that created the room, never from client input.
	Manages []string

	// What the identity was established with, so that a connection opened
	// with it ends when it is revoked (see CredentialTopics): the hash of
	// a login session's token, an API key's ID, a connection token's
	// expiry. Zero when not applicable.
	Session string
	Key     string
	Expires time.Time
	// PasswordStamp identifies the password a connection logged in with
	// directly (IRC), so that a password change ends it: see
	// StampPassword.
	PasswordStamp string
}

// Credential topics are hub topics that carry no events: every connection
// of an identity follows those of its credentials, and a revocation
// disconnects the connections of a topic (hub.Disconnect). They start with
// "@" like the user topic, so that transports count them as carried, not
// as rooms the client chose, and never read them from the store; account
// names cannot hold "!", "~", "$" or "#", so they do not clash.
const (
	accountTopicPrefix  = "@!"
	SessionTopicPrefix  = "@~"
	KeyTopicPrefix      = "@$"
	ExpiryTopicPrefix   = "@#"
	PasswordTopicPrefix = "@%"
)

// StampPassword names a stored password hash without revealing it: a
// short digest of the hash, which changes whenever the password does.
func StampPassword(hash string) string {
	sum := sha256.Sum256([]byte(hash))
	return hex.EncodeToString(sum[:8])
}

// PasswordTopic reaches every connection that logged in with the password
// whose stored hash has stamp: name:stamp after the prefix.
func PasswordTopic(name, stamp string) string {
	return PasswordTopicPrefix + strings.ToLower(name) + ":" + stamp
}

// AccountTopic reaches every connection of a registered user, whatever
// credential opened it (a login session, a connection token, IRC).
func AccountTopic(name string) string { return accountTopicPrefix + strings.ToLower(name) }

// SessionTopic reaches every connection opened with one login session,
// named by the hash of its token (never the token).
func SessionTopic(tokenHash string) string { return SessionTopicPrefix + tokenHash }

// KeyTopic reaches every connection opened with one API key.
func KeyTopic(keyID string) string { return KeyTopicPrefix + keyID }

// ExpiryTopic reaches every connection whose credential expires at t
// (to the second): the revocation sweep ends them once t has passed.
func ExpiryTopic(t time.Time) string {
	return ExpiryTopicPrefix + strconv.FormatInt(t.Unix(), 10)
}

// CredentialTopics returns the credential topics a connection of id
// follows.
func (id Identity) CredentialTopics() []string {
	var out []string
	if id.Kind == Registered {
		out = append(out, AccountTopic(id.Name))
	}
	if id.Session != "" {
		out = append(out, SessionTopic(id.Session))
	}
	if id.Key != "" {
		out = append(out, KeyTopic(id.Key))
	}
	if !id.Expires.IsZero() {
		out = append(out, ExpiryTopic(id.Expires))
	}
	if id.PasswordStamp != "" {
		out = append(out, PasswordTopic(id.Name, id.PasswordStamp))
	}
	return out
}

// Expired reports whether the identity's credential has expired at now.
func (id Identity) Expired(now time.Time) bool {
	return !id.Expires.IsZero() && !now.Before(id.Expires)
}

// Scoped reports whether the identity is limited to the rooms it names. A
// scoped identity gets exactly its rooms: no direct messages (sent,
// received or read), no user topic, no new rooms.
func (id Identity) Scoped() bool { return id.Rooms != nil }

// IdentityKind says how an identity was established.
type IdentityKind uint8

const (
	Anonymous  IdentityKind = iota // no credentials and no name
	Guest                          // a display name only; no account
	Registered                     // a registered user, logged in or named by an app token
	App                            // an application server holding an API key
)

// String names the kind for logs and JSON.
func (k IdentityKind) String() string {
	switch k {
	case Guest:
		return "guest"
	case Registered:
		return "user"
	case App:
		return "app"
	default:
		return "anonymous"
	}
}

// RoomListTopic is the hub topic of room list changes (KindRooms
// signals). Streams follow it when the client asks to watch "rooms".
const RoomListTopic = "@:rooms"

// TypingTopic is the hub topic of room's typing signals. Streams follow
// it for their rooms when the client asks to watch "typing", so that
// clients that do not show typing never receive it.
func TypingTopic(room string) string { return "@:typing:" + room }

// UserTopic is the hub topic that reaches every connection of one user:
// direct messages are published to it.
func UserTopic(name string) string { return "@" + name }
