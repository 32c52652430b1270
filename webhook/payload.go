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
)

// types lists every payload type, in the order error messages name them.
var types = [...]string{TypeMessage, TypeJoin, TypeLeave}

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
	Type string `json:"type"` // TypeMessage, TypeJoin or TypeLeave
	// Time is when it happened, sent in UTC; for a message, its commit
	// time. Enqueue fills in the current time when it is zero.
	Time time.Time `json:"time"`
	Room string    `json:"room"`
	User string    `json:"user"` // who posted, joined or left
	// Message is the committed message, for TypeMessage only, in the form
	// the HTTP API uses. The payload owns it: do not change it after
	// Enqueue.
	Message *parley.Message `json:"message,omitempty"`
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
