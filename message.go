package parley

import (
	"strconv"
	"time"
)

// Kinds of message. Every kind is stored in the log and delivered in ID
// order; the kind becomes the SSE "event:" field.
const (
	KindMessage = "message" // a chat line
	KindJoin    = "join"    // someone entered a room
	KindLeave   = "leave"   // someone left a room
	KindNotice  = "notice"  // a system notice
	// KindDelete records that a message was deleted: its Text is the
	// deleted message's ID in decimal. Appending it deletes that message
	// in the same transaction (see MessageDeleter), and like every entry
	// it is delivered live and on resume, so clients drop the message.
	KindDelete = "delete"

	// Change entries (see conversation.go): each references the message
	// it changes by Ref and is folded into it by reads for display.
	KindEdit    = "edit"    // Text is the new text of message Ref
	KindReact   = "react"   // From reacts to message Ref with the emoji Text
	KindUnreact = "unreact" // From takes back the reaction Text on message Ref
)

// Kinds of signal: ephemeral events, never stored (see NewSignal).
const (
	// KindTyping says that From is typing in Room; it lapses by itself
	// (clients stop showing it after TypingLapse) or when From's line
	// arrives.
	KindTyping = "typing"
	// KindRooms says that the room list changed: Room was created
	// (Text "created"), deleted ("deleted") or changed who may see it
	// ("visibility"). Clients read GET /api/rooms again.
	KindRooms = "rooms"
)

// TypingLapse is how long a typing signal stands: a client stops showing
// "is typing" this long after the last signal. Typing clients repeat the
// signal more often than that while they type.
const TypingLapse = 6 * time.Second

// Message is one entry of a room's log. The store assigns ID and Time.
type Message struct {
	ID   int64     `json:"id"`
	Room string    `json:"room"`
	Kind string    `json:"kind"`
	From string    `json:"from"`
	Text string    `json:"text"`
	Time time.Time `json:"time"`
	// Guest is set when From is a guest's display name (no account):
	// pages and transcripts mark such lines, so that a guest cannot pass
	// for someone with an account.
	Guest bool `json:"guest,omitempty"`

	// Ref is the message a change entry (edit, react, unreact, delete)
	// applies to; 0 on other kinds.
	Ref int64 `json:"ref,omitempty"`
	// ReplyTo is the message of the same room a chat line answers; 0 for
	// none.
	ReplyTo int64 `json:"reply_to,omitempty"`
	// Edited is the time of the latest edit of a chat line; zero if never
	// edited. The store keeps Text the current (edited) text.
	Edited time.Time `json:"edited,omitzero"`
	// Reactions are the current reactions to a chat line, set by reads
	// for display (history, search, transcripts); resume delivers the
	// react and unreact entries themselves instead.
	Reactions []Reaction `json:"reactions,omitempty"`

	// Idem, on the first message a request stores, records the request's
	// idempotency key (see IdempotencyStore). Stored, never sent.
	Idem *Idem `json:"-"`
}

// Idem is an idempotency key as stored: the key scoped to its caller, the
// fingerprint of the request that first used it, and how many messages
// that request stored.
type Idem struct {
	Key     string
	Request string
	Count   int
}

// Room is a named channel that messages are posted to.
type Room struct {
	Name    string    `json:"name"`
	Topic   string    `json:"topic,omitempty"`
	Created time.Time `json:"created"`
}

// DefaultRoom exists in every store from its first migration on.
const DefaultRoom = "lobby"

// ParseCursor parses a client-supplied cursor (a message ID). The empty
// string means "no cursor" and yields ok == false with a nil error.
func ParseCursor(s string) (id int64, ok bool, err error) {
	if s == "" {
		return 0, false, nil
	}
	if len(s) > 19 {
		return 0, false, Errorf(EInvalid, "cursor %.24q is not a message ID: expected a non-negative integer", s)
	}
	id, perr := strconv.ParseInt(s, 10, 64)
	if perr != nil || id < 0 || (len(s) > 1 && s[0] == '0') || s[0] == '+' || s[0] == '-' {
		return 0, false, Errorf(EInvalid, "cursor %q is not a message ID: expected a non-negative integer", s)
	}
	return id, true, nil
}
