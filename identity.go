package parley

// Identity is who is behind a request or a connection.
type Identity struct {
	Name  string // "" when anonymous
	Kind  IdentityKind
	Admin bool // a server administrator (users only)

	// Rooms, when not nil, limits a connection to these rooms: an
	// application's connection token names the rooms it allows.
	Rooms []string
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

// UserTopic is the hub topic that reaches every connection of one user:
// direct messages are published to it.
func UserTopic(name string) string { return "@" + name }
