package ws

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/authn"
	"github.com/parley-chat/parley/internal/strictjson"
	"github.com/parley-chat/parley/stream"
)

// readLoop is a reader goroutine for the connection's whole life, for
// sockets the readPoller cannot watch (TLS, other systems). It returns
// when reading is over: the client closed, went silent, broke the
// protocol, or the socket was closed by the writer.
func (c *conn) readLoop() {
	defer c.readerExit()
	for {
		if c.in.process() != nil {
			return
		}
		if err := c.in.fillBlocking(); err != nil {
			c.h.log.Debug("websocket read ended", "err", err)
			return
		}
	}
}

// readBurst is the reader goroutine of a socket the readPoller watches,
// started when the client sent something. It reads and handles what
// came, and ends once the socket holds nothing more, arming it again: an
// idle connection has no reader goroutine, and a frame that arrives in
// part waits in the buffer, not in a goroutine.
func (c *conn) readBurst() {
	for {
		if c.in.process() != nil {
			c.readerExit()
			return
		}
		err := c.in.fill()
		if err == errWouldBlock {
			if c.h.poller.rearm(c) {
				return
			}
			c.readerExit() // the socket is closing
			return
		}
		if err != nil {
			c.h.log.Debug("websocket read ended", "err", err)
			c.readerExit()
			return
		}
	}
}

// readerExit ends the reading side: the connection stops and the writer
// finishes it.
func (c *conn) readerExit() {
	c.stop()
	c.mu.Lock()
	c.kickLocked()
	c.readerEnded = true
	if c.readerDone != nil {
		close(c.readerDone)
	}
	c.mu.Unlock()
}

// extendRead moves the read deadline past the next ping's answer: a client
// that sends nothing, not even a pong, for PingInterval+PongTimeout is
// gone. Called on every message, ping and pong, by the reader.
func (c *conn) extendRead() {
	now := time.Now()
	c.lastRead.Store(now.UnixNano())
	if c.blockingReads {
		_ = c.wire.SetReadDeadline(now.Add(c.h.cfg.PingInterval + c.h.cfg.PongTimeout))
	}
}

// silent reports whether the client has sent nothing, not even a pong,
// for PingInterval+PongTimeout. A reader blocked in a read finds that out
// by its deadline; the pinger checks connections whose reader waits in
// the readPoller.
func (c *conn) silent(now time.Time) bool {
	return now.UnixNano()-c.lastRead.Load() > int64(c.h.cfg.PingInterval+c.h.cfg.PongTimeout)
}

// clientMessage is any client-to-server message; which fields apply
// depends on Type.
type clientMessage struct {
	Type   string          `json:"type"`
	Ref    json.RawMessage `json:"ref"`
	Room   string          `json:"room"`
	Text   *string         `json:"text"`
	Name   string          `json:"name"`
	Rooms  []string        `json:"rooms"`
	Cursor json.RawMessage `json:"cursor"`
}

// maxRef bounds the ref a client attaches to a request, in bytes of JSON.
const maxRef = 64

// handle answers one client message. Every mistake gets an error frame;
// the connection stays up.
func (c *conn) handle(text bool, data []byte) {
	if !text {
		c.reject(nil, parley.Errorf(parley.EInvalid, "binary frames are not supported: send JSON objects in text frames"))
		return
	}
	if !utf8.Valid(data) {
		c.reject(nil, parley.Errorf(parley.EInvalid, "frame is not valid UTF-8: text frames must hold UTF-8 JSON"))
		return
	}
	var m clientMessage
	if err := decode(data, &m); err != nil {
		c.reject(salvageRef(data), err)
		return
	}
	ref, err := checkRef(m.Ref)
	if err != nil {
		c.reject(nil, err)
		return
	}
	switch m.Type {
	case "send":
		c.send(ref, m)
	case "subscribe", "unsubscribe":
		c.changeRooms(ref, m)
	case "":
		c.reject(ref, parley.Errorf(parley.EInvalid, `message has no "type": use send, subscribe or unsubscribe`))
	default:
		c.reject(ref, parley.Errorf(parley.EInvalid, "unknown message type %.40q: use send, subscribe or unsubscribe", m.Type))
	}
}

// send posts a message and answers with an ack holding the stored message.
// The message's own event reaches every subscriber, this connection
// included if it is in the room, independently of the ack.
func (c *conn) send(ref json.RawMessage, m clientMessage) {
	if m.Text == nil {
		c.reject(ref, parley.Errorf(parley.EInvalid, `"send" has no "text" field`))
		return
	}
	id := *c.id
	if c.revoked.Load() || id.Expired(time.Now()) {
		c.reject(ref, parley.Errorf(parley.EUnauthorized, "your session has ended or your token has expired: log in again and reconnect"))
		return
	}
	if id.Kind == parley.Anonymous {
		if m.Name == "" {
			c.reject(ref, parley.Errorf(parley.EUnauthorized, "choose a name or log in to post"))
			return
		}
		var err error
		if id, err = c.h.guest(authn.WithGuestKey(c.h.ctx, c.guestKey), m.Name); err != nil {
			c.reject(ref, err)
			return
		}
	}
	msg, err := c.h.chat.PostAs(c.h.ctx, id, c.key, m.Room, *m.Text)
	if err != nil {
		c.reject(ref, err)
		return
	}
	c.answer(ackFrame{Type: "ack", Ref: ref, Message: msg})
}

// changeRooms validates a subscribe or unsubscribe against the rooms the
// connection will have once earlier changes are applied, and hands it to
// the writer.
func (c *conn) changeRooms(ref json.RawMessage, m clientMessage) {
	if len(m.Rooms) == 0 {
		c.reject(ref, parley.Errorf(parley.EInvalid, `%q needs a non-empty "rooms" list`, m.Type))
		return
	}
	if len(m.Rooms) > stream.MaxRooms {
		c.reject(ref, parley.Errorf(parley.EInvalid, "too many rooms: %d named, at most %d per connection", len(m.Rooms), stream.MaxRooms))
		return
	}
	listed := make([]string, 0, len(m.Rooms))
	for _, r := range m.Rooms {
		r = strings.TrimSpace(r)
		if !slices.Contains(listed, r) {
			listed = append(listed, r)
		}
	}
	ch := &change{subscribe: m.Type == "subscribe", ref: ref, listed: listed}
	if !ch.subscribe {
		if len(m.Cursor) > 0 {
			c.reject(ref, parley.Errorf(parley.EInvalid, `"unsubscribe" takes no "cursor"`))
			return
		}
		// Carried topics (direct conversations, the user's topic) cannot
		// be unsubscribed: direct messages always arrive. A room's typing
		// signals go with the room.
		dropped := make(map[string]bool)
		for _, r := range listed {
			if !stream.Carried(r) {
				dropped[r] = true
				dropped[parley.TypingTopic(r)] = true
			}
		}
		for _, r := range c.wanted {
			if !dropped[r] {
				ch.rooms = append(ch.rooms, r)
			}
		}
		c.wanted = ch.rooms
		c.movePresence(ch.rooms)
		c.hand(command{change: ch})
		return
	}
	var err error
	if ch.cursor, ch.hasCursor, err = parseCursor(m.Cursor); err != nil {
		c.reject(ref, err)
		return
	}
	for _, r := range listed {
		if err := c.h.chat.CanRead(c.h.ctx, *c.id, r); err != nil {
			c.reject(ref, err)
			return
		}
		if !slices.Contains(c.wanted, r) {
			ch.added = append(ch.added, r)
		}
	}
	// Carried topics do not count against the limit.
	if n := len(stream.Present(c.wanted)) + len(ch.added); n > stream.MaxRooms {
		c.reject(ref, parley.Errorf(parley.EInvalid, "too many rooms: subscribing would make %d, at most %d per connection; unsubscribe from some first", n, stream.MaxRooms))
		return
	}
	ch.rooms = append(slices.Clip(c.wanted), ch.added...)
	ch.rooms = append(ch.rooms, stream.Watch{Typing: c.watch.Typing}.Topics(ch.added)...)
	c.wanted = ch.rooms
	c.movePresence(ch.rooms)
	c.hand(command{change: ch})
}

// parseCursor reads a subscribe's cursor: a JSON number, or a string of
// digits as in a query, with the query's rules. Absent or null: no cursor.
func parseCursor(raw json.RawMessage) (int64, bool, error) {
	s := string(bytes.TrimSpace(raw))
	if s == "" || s == "null" {
		return 0, false, nil
	}
	if s[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false, parley.Errorf(parley.EInvalid, "cursor is not a message ID")
		}
		if s == "" {
			return 0, false, parley.Errorf(parley.EInvalid, "cursor is empty: give a message ID, or leave it out")
		}
	}
	return parley.ParseCursor(s)
}

// reject answers a request with an error frame.
func (c *conn) reject(ref json.RawMessage, err error) {
	code := parley.ErrorCode(err)
	if code == parley.EInternal {
		c.h.log.Error("websocket request failed", "err", err)
	}
	body := errorBody{Code: code, Message: parley.ErrorMessage(err)}
	switch code {
	case parley.ERateLimited:
		body.RetryAfter = 1
	case parley.EUnavailable:
		body.RetryAfter = 2
	}
	c.answer(errorFrame{Type: "error", Ref: ref, Error: body})
}

// answer hands a control message to the writer.
func (c *conn) answer(v any) {
	b, err := json.Marshal(v)
	if err != nil {
		c.h.log.Error("encoding websocket answer", "err", err)
		return
	}
	c.hand(command{frame: appendFrame(nil, opText, b)})
}

// hand queues a command for the writer, waiting while the queue is full.
// Once the writer is gone it drops the command: the reader goes on reading
// until the socket closes, so that a closing handshake completes.
func (c *conn) hand(cmd command) {
	c.mu.Lock()
	if c.cmds == nil {
		c.cmds = make(chan command, cmdQueueLen)
	}
	cmds, done := c.cmds, c.doneLocked()
	c.mu.Unlock()
	select {
	case cmds <- cmd:
		c.kick()
	case <-done:
	}
}

// decode reads exactly one JSON object, strictly (see package strictjson).
func decode(data []byte, v *clientMessage) error {
	return strictjson.Decode(data, v, "message")
}

// checkRef accepts a request's ref: absent or null, a string or a number,
// at most maxRef bytes; it is echoed verbatim in the answer.
func checkRef(raw json.RawMessage) (json.RawMessage, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if len(raw) > maxRef || !(raw[0] == '"' || raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9') {
		return nil, parley.Errorf(parley.EInvalid, `"ref" must be a string or number of at most %d bytes`, maxRef)
	}
	return raw, nil
}

// salvageRef finds the ref of a message that failed strict decoding, so
// that the error still reaches the request it answers.
func salvageRef(data []byte) json.RawMessage {
	var m struct {
		Ref json.RawMessage `json:"ref"`
	}
	if json.Unmarshal(data, &m) != nil {
		return nil
	}
	ref, err := checkRef(m.Ref)
	if err != nil {
		return nil
	}
	return ref
}

// movePresence follows a change of rooms.
func (c *conn) movePresence(rooms []string) {
	c.hereMu.Lock()
	defer c.hereMu.Unlock()
	if c.here != nil {
		c.here.Move(rooms)
	}
}

// enterPresence marks a named connection present; a connection that has
// already stopped leaves at once.
func (c *conn) enterPresence(rooms []string) {
	p := c.h.cfg.Presence.Enter(*c.id, rooms)
	if p == nil {
		return
	}
	c.hereMu.Lock()
	defer c.hereMu.Unlock()
	if c.isStopped() {
		p.Leave()
	} else {
		c.here = p
	}
}
