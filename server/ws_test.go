package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/server"
)

// wsClient is a WebSocket client of a test node.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

// wsFrame is any server frame: an event (no type) or a control message.
type wsFrame struct {
	raw     []byte
	Type    string          `json:"type"`
	Ref     string          `json:"ref"`
	Rooms   []string        `json:"rooms"`
	Cursor  *int64          `json:"cursor"`
	Message *parley.Message `json:"message"`
	Error   *struct{ Code, Message string }
	ID      int64  `json:"id"`
	Text    string `json:"text"`
}

func (n *node) wsDial(query string, header http.Header) (*wsClient, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(n.ts.URL, "http")+"/api/ws?"+query,
		&websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return nil, resp, err
	}
	n.t.Cleanup(func() { c.CloseNow() })
	return &wsClient{t: n.t, c: c}, resp, nil
}

// ws connects and reads the ready frame.
func (n *node) ws(query string) *wsClient {
	n.t.Helper()
	c, _, err := n.wsDial(query, nil)
	if err != nil {
		n.t.Fatalf("websocket %q: %v", query, err)
	}
	if f := c.next(); f.Type != "ready" {
		n.t.Fatalf("first frame %s, want ready", f.raw)
	}
	return c
}

func (c *wsClient) nextErr() (wsFrame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, b, err := c.c.Read(ctx)
	if err != nil {
		return wsFrame{}, err
	}
	f := wsFrame{raw: b}
	return f, json.Unmarshal(b, &f)
}

func (c *wsClient) next() wsFrame {
	c.t.Helper()
	f, err := c.nextErr()
	if err != nil {
		c.t.Fatalf("reading frame: %v", err)
	}
	return f
}

func (c *wsClient) send(v any) {
	c.t.Helper()
	b, _ := json.Marshal(v)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.c.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatal(err)
	}
}

// A message sent over a WebSocket is acknowledged once stored, and reaches
// WebSocket and SSE subscribers as the same JSON bytes.
func TestWebSocketSendReachesEveryTransport(t *testing.T) {
	n := startNode(t, server.Config{})
	sender := n.ws("rooms=lobby")
	other := n.ws("rooms=lobby")
	sse := n.subscribe("rooms=lobby", "")
	sender.send(map[string]string{"type": "send", "ref": "c1", "room": "lobby", "name": "ada", "text": "hello over ws"})

	var ack wsFrame
	for ack.Type != "ack" {
		if ack = sender.next(); ack.Type == "error" {
			t.Fatalf("send refused: %s", ack.raw)
		}
	}
	if ack.Ref != "c1" || ack.Message == nil || ack.Message.Text != "hello over ws" {
		t.Fatalf("ack %s", ack.raw)
	}
	ev := other.next()
	if ev.ID != ack.Message.ID {
		t.Fatalf("other websocket got %s, want message %d", ev.raw, ack.Message.ID)
	}
	se := sse.next(5 * time.Second)
	if se.id != ack.Message.ID || se.data != string(ev.raw) {
		t.Fatalf("SSE data\n %s\nwebsocket frame\n %s", se.data, ev.raw)
	}
	if ids := historyIDs(t, n, "lobby"); len(ids) != 1 || ids[0] != ack.Message.ID {
		t.Fatalf("history %v, want the one message", ids)
	}
}

func TestWebSocketResumeAcrossRestart(t *testing.T) {
	db := t.TempDir() + "/parley.db"
	a := startNode(t, server.Config{DB: db})
	seen := a.post("lobby", "ada", "seen")
	a.post("lobby", "ada", "unseen 1")
	a.post("lobby", "ada", "unseen 2")
	a.stop()

	b := startNode(t, server.Config{DB: db})
	c := b.ws("rooms=lobby&cursor=" + strconv.FormatInt(seen.ID, 10))
	for _, want := range []string{"unseen 1", "unseen 2"} {
		if f := c.next(); f.Text != want {
			t.Fatalf("after restart got %s, want %q", f.raw, want)
		}
	}
	after := b.post("lobby", "ada", "after restart")
	if f := c.next(); f.ID != after.ID {
		t.Fatalf("live after restart: %s, want %d", f.raw, after.ID)
	}
}

func TestWebSocketShutdownAsksClientsToReconnect(t *testing.T) {
	n := startNode(t, server.Config{})
	c := n.ws("rooms=lobby")
	errc := make(chan error, 1)
	go func() { // reading, the client answers the closing handshake at once
		_, err := c.nextErr()
		errc <- err
	}()
	n.srv.CloseStreams()
	err := <-errc
	if code := websocket.CloseStatus(err); code != websocket.StatusServiceRestart {
		t.Fatalf("connection ended with %v (%v), want close 1012 (service restart)", code, err)
	}
	_, resp, err := n.wsDial("rooms=lobby", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("websocket during shutdown: %v %v, want 503", resp, err)
	}
}

// Browser pages may connect from the server's own origin and from the
// origins allowed to post (CORS and trusted origins); others get 403
// before the upgrade.
func TestWebSocketOrigins(t *testing.T) {
	n := startNode(t, server.Config{
		CORSOrigins:    []string{"https://app.example", "*"},
		TrustedOrigins: []string{"https://admin.example"},
	})
	for _, tc := range []struct {
		origin string
		ok     bool
	}{
		{n.ts.URL, true},
		{"https://app.example", true},
		{"https://admin.example", true},
		{"https://evil.example", false}, // "*" lets pages read, not hold a socket that can post
	} {
		c, resp, err := n.wsDial("rooms=lobby", http.Header{"Origin": {tc.origin}})
		switch {
		case tc.ok && err != nil:
			t.Errorf("origin %s: %v", tc.origin, err)
		case tc.ok:
			c.c.CloseNow()
		case err == nil || resp == nil || resp.StatusCode != http.StatusForbidden:
			t.Errorf("origin %s: %v %v, want 403", tc.origin, resp, err)
		default:
			var body struct{ Error struct{ Code string } }
			if json.NewDecoder(resp.Body).Decode(&body); body.Error.Code != "forbidden" {
				t.Errorf("origin %s: body %+v, want the API's forbidden error", tc.origin, body)
			}
		}
	}
}

// A logged-in user's direct conversations ride along on every connection:
// they do not count against the room limit of a WebSocket subscribe, and
// unsubscribing cannot drop them.
func TestWebSocketConversationsDoNotCountAgainstTheRoomLimit(t *testing.T) {
	others := make([]string, 33)
	for i := range others {
		others[i] = fmt.Sprintf("u%d", i)
	}
	n := peopleNode(t, server.Config{}, append([]string{"ada"}, others...)...)
	ada := n.login("ada")
	for _, u := range others {
		if resp, body := n.do("POST", "/api/users/"+u+"/messages", `{"text":"hi"}`, with(ada, asJSON...)...); resp.StatusCode != http.StatusCreated {
			t.Fatalf("DM to %s: %d %s", u, resp.StatusCode, body)
		}
	}
	createRoom(t, n, "dev")
	c, _, err := n.wsDial("rooms=lobby", http.Header{"Authorization": {ada[1]}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.c.CloseNow()
	if f := c.next(); f.Type != "ready" {
		t.Fatalf("first frame %s, want ready", f.raw)
	}
	control := func() wsFrame { // skips events (ada's own presence notices)
		for {
			if f := c.next(); f.Type != "" {
				return f
			}
		}
	}
	c.send(map[string]any{"type": "subscribe", "ref": "s", "rooms": []string{"dev"}})
	if f := control(); f.Type != "subscribed" {
		t.Fatalf("subscribing to one more room with 33 conversations: %s", f.raw)
	}
	c.send(map[string]any{"type": "unsubscribe", "ref": "u", "rooms": []string{"@ada", parley.DirectRoomName("ada", "u0")}})
	if f := control(); f.Type != "unsubscribed" {
		t.Fatalf("unsubscribe: %s", f.raw)
	}
	u0 := n.login("u0")
	resp, body := n.do("POST", "/api/users/ada/messages", `{"text":"still reaches ada"}`, with(u0, asJSON...)...)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("DM from u0: %d %s", resp.StatusCode, body)
	}
	for {
		f := c.next()
		if f.Text == "still reaches ada" {
			break
		}
		if f.Type != "" {
			t.Fatalf("after unsubscribing, got %s; want u0's direct message", f.raw)
		}
	}
}
