package irc

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/presence"
	"github.com/parley-chat/parley/stream"
)

// Defaults for Config.
const (
	DefaultServerName      = "parley"
	DefaultNetwork         = "Parley"
	DefaultPingInterval    = 60 * time.Second
	DefaultPingTimeout     = 60 * time.Second
	DefaultRegisterTimeout = 60 * time.Second
	DefaultWriteTimeout    = 15 * time.Second
	DefaultSendQ           = 512 << 10 // bytes waiting for a slow client
	DefaultFloodRate       = 5         // lines per second
	DefaultFloodBurst      = 20        // lines at once
	DefaultHistory         = 50        // lines played back on JOIN
	DefaultMaxConns        = 10000
	closeTimeout           = 3 * time.Second
)

// Config configures a Server. Zero fields take the defaults.
type Config struct {
	ServerName string // the server's name in replies; default "parley"
	Network    string // NETWORK in RPL_ISUPPORT; default "Parley"

	Hub   *hub.Hub
	Store parley.Store
	Chat  Chat
	Users parley.UserStore // WHOIS looks accounts up here
	// Rooms, when set, tells room owners and room admins apart: they,
	// and server admins, are channel operators (@).
	Rooms    parley.RoomAccessStore
	Presence stream.Presence // nil: IRC users are not present anywhere
	// Members returns who is present in a room (NAMES, WHO, LIST).
	Members func(room string) []presence.Person
	// Online reports whether someone of that name is connected anywhere
	// (any transport, any node); nil: only IRC connections count.
	Online func(name string) bool

	// Login checks an account's password (PASS and SASL PLAIN); client
	// is the rate-limit key (the client's address). It returns a
	// registered identity, EUnauthorized for a wrong name or password,
	// or ERateLimited.
	Login func(ctx context.Context, name, password, client string) (parley.Identity, error)
	// Guest returns the identity of an unauthenticated client under the
	// nick name, by the server's guest policy: EUnauthorized when guests
	// are refused, EConflict when the name is a registered user's.
	Guest func(ctx context.Context, name string) (parley.Identity, error)

	// PingInterval: a client silent this long is sent a PING; one silent
	// PingTimeout longer is disconnected ("Ping timeout").
	PingInterval time.Duration
	PingTimeout  time.Duration
	// RegisterTimeout: a connection must register within it.
	RegisterTimeout time.Duration
	// WriteTimeout bounds one write to a client.
	WriteTimeout time.Duration
	// SendQ bounds the bytes queued for one client; a client that falls
	// further behind is disconnected.
	SendQ int
	// FloodRate and FloodBurst are the token bucket of client lines: a
	// client that sends more than FloodBurst lines beyond the rate is
	// disconnected ("Excess Flood").
	FloodRate  float64
	FloodBurst int
	// History is how many recent messages JOIN plays back; negative: none.
	History  int
	MaxConns int
	// Limit caps connections per client address; nil: none (MaxConns
	// still bounds them in all).
	Limit *connlimit.Limiter
	// Counters count events delivered and clients cut off for falling
	// behind (SendQ exceeded); nil: not counted.
	Counters *stream.Counters

	Logger *slog.Logger
}

// Chat is what the gateway needs from the chat service (chat.Service).
type Chat interface {
	stream.RoomChecker
	PostAs(ctx context.Context, id parley.Identity, client, room, text string) (parley.Message, error)
	Direct(ctx context.Context, id parley.Identity, client, to, text string) (parley.Message, error)
	SetTopic(ctx context.Context, id parley.Identity, room, topic string) error
	Join(ctx context.Context, id parley.Identity, room string) error
	// CreateRoomAs creates a room as POST /api/rooms does: same policy,
	// limits and ownership.
	CreateRoomAs(ctx context.Context, id parley.Identity, client, name, visibility string) (parley.Room, error)
	KickWithReason(ctx context.Context, id parley.Identity, room, user, reason string) error
	Invite(ctx context.Context, id parley.Identity, room, user string) error
	ReadableRooms(ctx context.Context, id parley.Identity) ([]chat.RoomInfo, error)
	// CheckLive checks a line relayed and not stored (see chat.Service).
	CheckLive(id parley.Identity, client, text string) (string, error)
	// PostLine posts a line that may answer another (a reply).
	PostLine(ctx context.Context, id parley.Identity, client string, line chat.Line, idem *parley.Idem) (parley.Message, error)
	Typing(ctx context.Context, id parley.Identity, room string) error
	React(ctx context.Context, id parley.Identity, client string, msgID int64, emoji string, on bool) ([]parley.Reaction, error)
	DeleteMessage(ctx context.Context, id parley.Identity, msgID int64) (parley.Message, error)
}

func (c *Config) defaults() {
	if c.ServerName == "" {
		c.ServerName = DefaultServerName
	}
	if c.Network == "" {
		c.Network = DefaultNetwork
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout <= 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.RegisterTimeout <= 0 {
		c.RegisterTimeout = DefaultRegisterTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.SendQ <= 0 {
		c.SendQ = DefaultSendQ
	}
	if c.FloodRate <= 0 {
		c.FloodRate = DefaultFloodRate
	}
	if c.FloodBurst <= 0 {
		c.FloodBurst = DefaultFloodBurst
	}
	if c.History == 0 {
		c.History = DefaultHistory
	}
	if c.History > chat.MaxHistory {
		c.History = chat.MaxHistory
	}
	if c.MaxConns <= 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Members == nil {
		c.Members = func(string) []presence.Person { return nil }
	}
}

// ValidateServerName checks a server name: a host name of letters,
// digits, '-' and '.', at most 63 bytes, so that it fits every reply and
// cannot be mistaken for a nick!user@host source.
func ValidateServerName(name string) error {
	if name == "" || len(name) > 63 {
		return fmt.Errorf("server name %q must be 1 to 63 characters", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return fmt.Errorf("server name %q may hold only letters, digits, '-' and '.' (a host name)", name)
		}
	}
	if name[0] == '-' || name[0] == '.' || name[len(name)-1] == '.' {
		return fmt.Errorf("server name %q must start with a letter or digit and not end with '.'", name)
	}
	return nil
}
