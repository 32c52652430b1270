package parley

import (
	"encoding/json"
	"sync"
)

// Event is a committed message on its way to subscribers. It is created
// once per message and shared, read-only, by every subscriber on the node;
// each wire format is encoded at most once, on first use, and the same
// bytes are written to every connection (encode once, write many).
type Event struct {
	Message Message

	// Also lists hub topics, besides Message.Room, whose subscribers get
	// the event: a direct message also goes to both users' UserTopic, so
	// that it reaches every session of each.
	Also []string

	// Revoke names a user who has just lost access to Message.Room (a
	// kick): before the event is delivered, every subscription of that
	// user's UserTopic on the node stops receiving the room, and
	// transports with their own room subscriptions (IRC) drop it. The
	// event itself still reaches the user through the UserTopic.
	Revoke string

	// Topic, on a signal (see NewSignal), is the one hub topic the event
	// goes to, instead of Message.Room and Also.
	Topic string

	jsonOnce sync.Once
	json     []byte
	sseOnce  sync.Once
	sse      []byte
}

// NewEvent wraps a committed message.
func NewEvent(m Message) *Event { return &Event{Message: m} }

// EventFor wraps a committed message read back from the store, with the
// topics derived from its room: a message in a direct conversation also
// goes to both users' UserTopic, as it did when it was committed. (Topics
// given to one event at commit time only, such as a kick notice to the
// removed user, are not recovered.)
func EventFor(m Message) *Event {
	ev := &Event{Message: m}
	if a, b, ok := DirectUsers(m.Room); ok {
		ev.Also = []string{UserTopic(a), UserTopic(b)}
	}
	return ev
}

// NewSignal makes an ephemeral event: one that is not stored, has no ID
// (Message.ID is 0) and is never replayed on resume, such as "ada is
// typing" or "the room list changed". It goes to the subscribers of topic
// only (see TypingTopic and RoomListTopic); a client that was not
// connected when it was sent never sees it. Transports deliver a signal
// without moving the client's cursor.
func NewSignal(topic string, m Message) *Event {
	m.ID = 0
	return &Event{Message: m, Topic: topic}
}

// ID returns the message ID, which is also the event's cursor.
func (e *Event) ID() int64 { return e.Message.ID }

// Signal reports whether the event is ephemeral (see NewSignal).
func (e *Event) Signal() bool { return e.Message.ID == 0 }

// JSON returns the message as a JSON object. The slice must not be modified.
func (e *Event) JSON() []byte {
	e.jsonOnce.Do(func() {
		if !e.Signal() {
			e.json = e.Message.AppendJSON(make([]byte, 0, 160+len(e.Message.Text)))
			return
		}
		// No ID and no stored time: nothing a client could take for a
		// cursor.
		b, err := json.Marshal(signalJSON{Room: e.Message.Room, Kind: e.Message.Kind, From: e.Message.From, Text: e.Message.Text, Guest: e.Message.Guest})
		if err != nil {
			panic("parley: encoding signal: " + err.Error()) // strings and a bool only
		}
		e.json = b
	})
	return e.json
}

// SSE returns the event as a complete Server-Sent Events frame:
//
//	id: 42
//	event: message
//	data: {"id":42,...}
//
// The slice must not be modified.
func (e *Event) SSE() []byte {
	e.sseOnce.Do(func() {
		// The frame is built around the encode-once JSON, which
		// WebSocket connections share.
		j := e.JSON()
		e.sse = appendSSEFrame(make([]byte, 0, len(j)+len(e.Message.Kind)+40), e.Message.ID, e.Message.Kind, j)
	})
	return e.sse
}

// signalJSON is a signal as clients see it: a message without ID and time.
type signalJSON struct {
	Room  string `json:"room"`
	Kind  string `json:"kind"`
	From  string `json:"from,omitempty"`
	Text  string `json:"text,omitempty"`
	Guest bool   `json:"guest,omitempty"`
}
