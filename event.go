package parley

import (
	"encoding/json"
	"strconv"
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

// ID returns the message ID, which is also the event's cursor.
func (e *Event) ID() int64 { return e.Message.ID }

// JSON returns the message as a JSON object. The slice must not be modified.
func (e *Event) JSON() []byte {
	e.jsonOnce.Do(func() {
		b, err := json.Marshal(&e.Message)
		if err != nil {
			// Message holds only strings, numbers and a time: Marshal
			// cannot fail for it.
			panic("parley: encoding message: " + err.Error())
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
		j := e.JSON()
		kind := e.Message.Kind
		if kind == "" {
			kind = KindMessage
		}
		b := make([]byte, 0, len(j)+len(kind)+40)
		b = append(b, "id: "...)
		b = strconv.AppendInt(b, e.Message.ID, 10)
		b = append(b, "\nevent: "...)
		b = append(b, kind...)
		b = append(b, "\ndata: "...)
		// encoding/json escapes U+2028/U+2029 and never emits a raw
		// newline, so the JSON fits on one data line.
		b = append(b, j...)
		b = append(b, "\n\n"...)
		e.sse = b
	})
	return e.sse
}
