package ws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/api"
	"github.com/parley-chat/parley/broker/mem"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/store/sqlite"
	"github.com/parley-chat/parley/transport/ws"
)

// stack is the part of a node a WebSocket needs, on a real SQLite file,
// behind a real HTTP server on loopback.
type stack struct {
	t     *testing.T
	store *sqlite.Store
	hub   *hub.Hub
	chat  *chat.Service
	ws    *ws.Handler
	ts    *httptest.Server
}

func newStack(t *testing.T, cfg ws.Config, chatCfg chat.Config) *stack {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "parley.db"))
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, store: store, hub: hub.New()}
	s.chat = chat.New(store, mem.New(s.hub), chatCfg)
	if s.ws, err = ws.New(s.hub, store, s.chat, cfg); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /api/ws", s.ws.Serve(api.Errors{Log: slog.New(slog.DiscardHandler)}.Write))
	s.ts = httptest.NewServer(mux)
	t.Cleanup(func() {
		s.ws.Close()
		s.ts.Close()
		s.chat.Close()
		s.hub.Close()
		store.Close()
	})
	return s
}

func (s *stack) url(query string) string {
	return "ws://" + s.ts.Listener.Addr().String() + "/api/ws?" + query
}

func (s *stack) post(room, name, text string) parley.Message {
	s.t.Helper()
	m, err := s.chat.PostAs(context.Background(), parley.Identity{Name: name, Kind: parley.Guest}, "test", room, text)
	if err != nil {
		s.t.Fatalf("post %q to %s: %v", text, room, err)
	}
	return m
}

func (s *stack) createRoom(name string) {
	s.t.Helper()
	if _, err := s.chat.CreateRoom(context.Background(), name); err != nil {
		s.t.Fatal(err)
	}
}

// frame is any server frame: an event (no type) or a control message.
type frame struct {
	raw []byte

	Type    string          `json:"type"`
	Ref     json.RawMessage `json:"ref"`
	Rooms   []string        `json:"rooms"`
	Cursor  *int64          `json:"cursor"`
	Message *parley.Message `json:"message"`
	Error   *struct {
		Code       string `json:"code"`
		Message    string `json:"message"`
		RetryAfter int    `json:"retry_after"`
	} `json:"error"`

	// event fields
	ID   int64  `json:"id"`
	Room string `json:"room"`
	Kind string `json:"kind"`
	From string `json:"from"`
	Text string `json:"text"`
}

func (f frame) String() string { return string(f.raw) }

// client is a test WebSocket client.
type client struct {
	t *testing.T
	c *websocket.Conn
}

// dial connects and returns the client with its ready frame read.
func (s *stack) dial(query string) (*client, frame) {
	s.t.Helper()
	c, resp, err := s.dialRaw(query, nil)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		s.t.Fatalf("dial %q: %v (status %d)", query, err, status)
	}
	ready := c.next()
	if ready.Type != "ready" {
		s.t.Fatalf("first frame %s, want ready", ready)
	}
	return c, ready
}

func (s *stack) dialRaw(query string, header http.Header) (*client, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, s.url(query), &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	c.SetReadLimit(1 << 20)
	cl := &client{t: s.t, c: c}
	s.t.Cleanup(func() { c.CloseNow() })
	return cl, resp, nil
}

// next reads the next frame, failing the test after 5 seconds.
func (c *client) next() frame {
	c.t.Helper()
	f, err := c.nextErr(5 * time.Second)
	if err != nil {
		c.t.Fatalf("reading frame: %v", err)
	}
	return f
}

func (c *client) nextErr(timeout time.Duration) (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	typ, b, err := c.c.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	if typ != websocket.MessageText {
		return frame{}, fmt.Errorf("got a %v frame, want text", typ)
	}
	f := frame{raw: b}
	if err := json.Unmarshal(b, &f); err != nil {
		return frame{}, fmt.Errorf("frame %q: %v", b, err)
	}
	return f, nil
}

// event reads the next frame and fails unless it is an event.
func (c *client) event() frame {
	c.t.Helper()
	f := c.next()
	if f.Type != "" || f.ID == 0 {
		c.t.Fatalf("got %s, want an event", f)
	}
	return f
}

// texts reads n events and returns their texts.
func (c *client) texts(n int) []string {
	c.t.Helper()
	out := make([]string, 0, n)
	for range n {
		out = append(out, c.event().Text)
	}
	return out
}

// expect reads the next frame and fails unless it is a control message of
// type typ.
func (c *client) expect(typ string) frame {
	c.t.Helper()
	f := c.next()
	if f.Type != typ {
		c.t.Fatalf("got %s, want a %q frame", f, typ)
	}
	return f
}

// control reads frames, skipping events (a send's own message may come
// before or after its ack), until a control message, which must be of
// type typ.
func (c *client) control(typ string) frame {
	c.t.Helper()
	for {
		f := c.next()
		if f.Type == "" {
			continue
		}
		if f.Type != typ {
			c.t.Fatalf("got %s, want a %q frame", f, typ)
		}
		return f
	}
}

func (c *client) write(s string) {
	c.t.Helper()
	c.writeType(websocket.MessageText, []byte(s))
}

func (c *client) writeType(typ websocket.MessageType, b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, typ, b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// closeStatus reads until the connection ends and returns its close code.
func (c *client) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for {
		_, err := c.nextErr(10 * time.Second)
		if err == nil {
			continue
		}
		if code := websocket.CloseStatus(err); code != -1 {
			return code
		}
		if errors.Is(err, context.DeadlineExceeded) {
			c.t.Fatalf("connection still open")
		}
		return -1
	}
}

// waitFor polls cond: used only where the server offers no signal to wait
// on (a connection being dropped in the background).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func sendJSON(ref, room, name, text string) string {
	return fmt.Sprintf(`{"type":"send","ref":%s,"room":%s,"name":%s,"text":%s}`, quote(ref), quote(room), quote(name), quote(text))
}
