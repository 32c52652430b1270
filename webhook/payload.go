package webhook

import (
	"crypto/rand"
	"strconv"
	"time"

	"github.com/parley-chat/parley"
)

// Types of payload, and the event kinds Config.Events selects from.
const (
	TypeMessage = parley.KindMessage // a chat line was committed
	TypeJoin    = parley.KindJoin    // someone entered a room
	TypeLeave   = parley.KindLeave   // someone left a room
	TypeDelete  = parley.KindDelete  // a message was deleted
	// Changes to a message (issue 13), sent only when Config.Events names
	// them: the payload's Message is the change entry, whose ref is the
	// message changed.
	TypeEdit    = parley.KindEdit    // a chat line was edited by its author
	TypeReact   = parley.KindReact   // someone reacted to a message
	TypeUnreact = parley.KindUnreact // someone took a reaction back
)

// types lists every payload type, in the order error messages name them.
var types = [...]string{TypeMessage, TypeJoin, TypeLeave, TypeDelete, TypeEdit, TypeReact, TypeUnreact}

// defaultTypes are the types sent when Config.Events names none: those
// of the first webhook release, so that an existing receiver is not sent
// payloads it does not know.
var defaultTypes = types[:4]

func validType(t string) bool {
	for _, v := range types {
		if t == v {
			return true
		}
	}
	return false
}

// Payload is the JSON body of one webhook request:
//
//	{"id": "msg-42", "type": "message", "time": "2026-11-21T19:20:54.123456789Z",
//	 "room": "lobby", "user": "ada", "message": {"id": 42, ...}}
//
// Build payloads with MessagePayload, JoinPayload and LeavePayload.
type Payload struct {
	// ID is the same on every attempt to deliver this payload; receivers
	// dedupe on it. "msg-<message ID>" for messages, "join-<random>" and
	// "leave-<random>" for presence. Enqueue fills in a random ID when it is
	// empty.
	ID   string `json:"id"`
	Type string `json:"type"` // TypeMessage, TypeJoin, TypeLeave or TypeDelete
	// Time is when it happened, sent in UTC; for a message, its commit
	// time. Enqueue fills in the current time when it is zero.
	Time time.Time `json:"time"`
	Room string    `json:"room"`
	User string    `json:"user"` // who posted, joined, left or deleted
	// Message is the committed message, for TypeMessage, and the change
	// entry for TypeEdit, TypeReact and TypeUnreact, in the form the HTTP
	// API uses. The payload owns it: do not change it after Enqueue.
	Message *parley.Message `json:"message,omitempty"`
	// Deleted is the ID of the deleted message, for TypeDelete only.
	Deleted int64 `json:"deleted,omitempty"`
}

// MessagePayload returns the payload for a committed chat line (Kind
// parley.KindMessage). Its ID depends only on the message ID, so it is the
// same however often the payload is built. Join and leave notices stored
// in the log are not messages to the application: presence reports them,
// with JoinPayload and LeavePayload.
func MessagePayload(m parley.Message) Payload {
	return Payload{
		ID:      "msg-" + strconv.FormatInt(m.ID, 10),
		Type:    TypeMessage,
		Time:    m.Time,
		Room:    m.Room,
		User:    m.From,
		Message: &m,
	}
}

// DeletePayload returns the payload for a committed deletion entry (Kind
// parley.KindDelete, whose text is the deleted message's ID). Like a
// message's, its ID depends only on the entry's ID.
func DeletePayload(m parley.Message) Payload {
	deleted, _ := strconv.ParseInt(m.Text, 10, 64)
	return Payload{
		ID:      "del-" + strconv.FormatInt(m.ID, 10),
		Type:    TypeDelete,
		Time:    m.Time,
		Room:    m.Room,
		User:    m.From,
		Deleted: deleted,
	}
}

// ChangePayload returns the payload for a committed change entry (Kind
// parley.KindEdit, KindReact or KindUnreact; Message.Ref is the message
// changed). Its ID depends only on the entry's ID.
func ChangePayload(m parley.Message) Payload {
	return Payload{
		ID:      m.Kind + "-" + strconv.FormatInt(m.ID, 10),
		Type:    m.Kind,
		Time:    m.Time,
		Room:    m.Room,
		User:    m.From,
		Message: &m,
	}
}

// JoinPayload returns the payload for user entering room at t, with a
// fresh random ID.
func JoinPayload(room, user string, t time.Time) Payload {
	return Payload{ID: randomID(TypeJoin), Type: TypeJoin, Time: t, Room: room, User: user}
}

// LeavePayload returns the payload for user leaving room at t, with a
// fresh random ID.
func LeavePayload(room, user string, t time.Time) Payload {
	return Payload{ID: randomID(TypeLeave), Type: TypeLeave, Time: t, Room: room, User: user}
}

// randomID returns prefix, a dash and 130 random bits in base32.
func randomID(prefix string) string { return prefix + "-" + rand.Text() }
