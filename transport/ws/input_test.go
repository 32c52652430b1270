package ws_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/transport/ws"
)

// Mistakes get an error frame, with the request's ref when it has one, and
// the connection stays up.
func TestBadMessagesGetErrorFrames(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	tooMany := make([]string, 33)
	for i := range tooMany {
		tooMany[i] = strconv.Quote("r" + strconv.Itoa(i))
	}
	cases := []struct {
		name, frame   string
		code, ref     string
		messageSubstr string
	}{
		{"malformed JSON", `{"type":"send",`, "invalid", "", "not valid JSON"},
		{"not an object", `[1,2]`, "invalid", "", "JSON object"},
		{"two objects", `{"type":"send"} {}`, "invalid", "", "after the JSON object"},
		{"empty", ``, "invalid", "", "empty"},
		{"no type", `{"ref":"r1"}`, "invalid", `"r1"`, `no "type"`},
		{"unknown type", `{"type":"shout","ref":"r2"}`, "invalid", `"r2"`, "unknown message type"},
		{"unknown field keeps its ref", `{"type":"send","ref":"r3","colour":"red"}`, "invalid", `"r3"`, "unknown field"},
		{"bad ref", `{"type":"send","ref":{"a":1}}`, "invalid", "", `"ref"`},
		{"send without text", `{"type":"send","ref":"r4","room":"lobby","name":"ada"}`, "invalid", `"r4"`, `"text"`},
		{"empty text", `{"type":"send","ref":"r5","room":"lobby","name":"ada","text":"  "}`, "invalid", `"r5"`, "empty"},
		{"bad name", `{"type":"send","ref":"r6","room":"lobby","name":"a b","text":"hi"}`, "invalid", `"r6"`, "name"},
		{"text too long", `{"type":"send","ref":"r7","room":"lobby","name":"ada","text":"` + strings.Repeat("x", 2001) + `"}`, "too_large", `"r7"`, "2000"},
		{"send to unknown room", `{"type":"send","ref":8,"room":"nope","name":"ada","text":"hi"}`, "not_found", `8`, ""},
		{"subscribe unknown room", `{"type":"subscribe","ref":"r9","rooms":["nope"]}`, "not_found", `"r9"`, ""},
		{"subscribe bad room name", `{"type":"subscribe","rooms":["No!"]}`, "invalid", "", "room name"},
		{"subscribe no rooms", `{"type":"subscribe","rooms":[]}`, "invalid", "", "non-empty"},
		{"subscribe too many", `{"type":"subscribe","rooms":[` + strings.Join(tooMany, ",") + `]}`, "invalid", "", "too many rooms"},
		{"negative cursor", `{"type":"subscribe","rooms":["lobby"],"cursor":-1}`, "invalid", "", "cursor"},
		{"text cursor", `{"type":"subscribe","rooms":["lobby"],"cursor":"abc"}`, "invalid", "", "cursor"},
		{"fraction cursor", `{"type":"subscribe","rooms":["lobby"],"cursor":1.5}`, "invalid", "", "cursor"},
		{"cursor overflow", `{"type":"subscribe","rooms":["lobby"],"cursor":99999999999999999999}`, "invalid", "", "cursor"},
		{"cursor on unsubscribe", `{"type":"unsubscribe","rooms":["lobby"],"cursor":1}`, "invalid", "", "cursor"},
		{"rooms not a list", `{"type":"subscribe","rooms":"lobby"}`, "invalid", "", `"rooms"`},
	}
	c, _ := s.dial("rooms=lobby")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c.t = t
			c.write(tc.frame)
			f := c.expect("error")
			if f.Error.Code != tc.code || string(f.Ref) != tc.ref || !strings.Contains(f.Error.Message, tc.messageSubstr) {
				t.Errorf("got %s, want code %s, ref %s, message with %q", f, tc.code, tc.ref, tc.messageSubstr)
			}
		})
	}
	c.t = t

	t.Run("invalid UTF-8", func(t *testing.T) {
		c.t = t
		c.writeType(websocket.MessageText, []byte("{\"type\":\"send\",\"ref\":\"u\",\"room\":\"lobby\",\"name\":\"ada\",\"text\":\"\xff\xfe\"}"))
		if f := c.expect("error"); f.Error.Code != "invalid" || !strings.Contains(f.Error.Message, "UTF-8") {
			t.Errorf("got %s", f)
		}
	})
	t.Run("binary frame", func(t *testing.T) {
		c.t = t
		c.writeType(websocket.MessageBinary, []byte(`{"type":"send"}`))
		if f := c.expect("error"); f.Error.Code != "invalid" || !strings.Contains(f.Error.Message, "binary") {
			t.Errorf("got %s", f)
		}
	})
	c.t = t

	// Still up, and nothing was stored.
	c.write(sendJSON("ok", "lobby", "ada", "fine"))
	if f := c.control("ack"); string(f.Ref) != `"ok"` {
		t.Fatalf("after the errors: %s", f)
	}
	if got := len(ids(t, s, "lobby")); got != 1 {
		t.Errorf("store holds %d messages, want only the good one", got)
	}
}

func TestOversizedMessageCloses1009(t *testing.T) {
	s := newStack(t, ws.Config{MaxMessage: 1024}, chat.Config{})
	c, _ := s.dial("rooms=lobby")
	c.write(sendJSON("a", "lobby", "ada", strings.Repeat("x", 900)))
	c.control("ack")
	c.write(sendJSON("b", "lobby", "ada", strings.Repeat("x", 1100)))
	if code := c.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Fatalf("close status %v, want 1009", code)
	}
	waitFor(t, "connection released", func() bool { return s.ws.Conns() == 0 })
}

func TestDefaultSizeLimitIs16KiB(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	c, _ := s.dial("rooms=lobby")
	pad := strings.Repeat(" ", 16<<10-100)
	c.write(`{"type":"send","ref":"a","room":"lobby","name":"ada","text":"small"}` + pad)
	c.control("ack")
	c.write(`{"type":"send","ref":"b","room":"lobby","name":"ada","text":"big"}` + pad + strings.Repeat(" ", 200))
	if code := c.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Fatalf("close status %v, want 1009", code)
	}
}

func TestHandshakeRefusals(t *testing.T) {
	s := newStack(t, ws.Config{AllowedOrigins: []string{"https://app.example", "http://localhost:3000"}}, chat.Config{})
	tooMany := make([]string, 33)
	for i := range tooMany {
		tooMany[i] = "r" + strconv.Itoa(i)
	}
	host := s.ts.Listener.Addr().String()
	cases := []struct {
		name, query, origin string
		status              int
	}{
		{"other origin", "rooms=lobby", "https://evil.example", http.StatusForbidden},
		{"null origin", "rooms=lobby", "null", http.StatusForbidden},
		{"allowed origin's other port", "rooms=lobby", "https://app.example:8443", http.StatusForbidden},
		{"unknown room", "rooms=nope", "", http.StatusNotFound},
		{"bad room name", "rooms=Lobby!", "", http.StatusBadRequest},
		{"too many rooms", "rooms=" + strings.Join(tooMany, ","), "", http.StatusBadRequest},
		{"negative cursor", "rooms=lobby&cursor=-1", "", http.StatusBadRequest},
		{"text cursor", "rooms=lobby&lastEventId=abc", "", http.StatusBadRequest},
		{"cursors disagree", "rooms=lobby&cursor=1&lastEventId=2", "", http.StatusBadRequest},
		{"bad last", "rooms=lobby&last=-5", "", http.StatusBadRequest},
		{"same origin", "rooms=lobby", "http://" + host, http.StatusSwitchingProtocols},
		{"allowed origin", "rooms=lobby", "https://app.example", http.StatusSwitchingProtocols},
		{"allowed origin, default port", "rooms=lobby", "https://app.example:443", http.StatusSwitchingProtocols},
		{"allowed origin, case", "rooms=lobby", "HTTP://LOCALHOST:3000", http.StatusSwitchingProtocols},
		{"no origin (not a browser)", "rooms=lobby", "", http.StatusSwitchingProtocols},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.origin != "" {
				h.Set("Origin", tc.origin)
			}
			c, resp, err := s.dialRaw(tc.query, h)
			if tc.status == http.StatusSwitchingProtocols {
				if err != nil {
					t.Fatalf("dial: %v", err)
				}
				c.expect("ready")
				return
			}
			if err == nil || resp == nil || resp.StatusCode != tc.status {
				t.Fatalf("dial: %v (response %v), want status %d", err, resp, tc.status)
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("error Content-Type = %q, want the API's JSON error", ct)
			}
		})
	}

	t.Run("not a websocket request", func(t *testing.T) {
		resp, err := http.Get(s.ts.URL + "/api/ws?rooms=lobby")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("plain GET: status %d, want 400", resp.StatusCode)
		}
	})
}

func TestBadAllowedOrigin(t *testing.T) {
	for _, o := range []string{"app.example", "ftp://app.example", "https://app.example/path", "https://"} {
		if _, err := ws.New(nil, nil, nil, ws.Config{AllowedOrigins: []string{o}}); err == nil {
			t.Errorf("allowed origin %q accepted", o)
		}
	}
}
