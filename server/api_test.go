package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/parley-chat/parley/server"
)

// Every refused post answers a 4xx with a JSON error and stores nothing.
func TestPostRejectsBadInput(t *testing.T) {
	n := startNode(t, server.Config{MaxTextLen: 20, FilterMode: "reject", WordList: []string{"darn"}})
	cases := []struct {
		name, room, contentType, body string
		status                        int
		code                          string
	}{
		{"malformed JSON", "lobby", "application/json", `{"text": "hi", "name": "ada"`, 400, "invalid"},
		{"not an object", "lobby", "application/json", `["hi"]`, 400, "invalid"},
		{"two objects", "lobby", "application/json", `{"text":"a","name":"ada"}{"text":"b","name":"ada"}`, 400, "invalid"},
		{"trailing garbage", "lobby", "application/json", `{"text":"a","name":"ada"} x`, 400, "invalid"},
		{"unknown field", "lobby", "application/json", `{"text":"hi","name":"ada","admin":true}`, 400, "invalid"},
		{"duplicate key", "lobby", "application/json", `{"text":"hi","name":"ada","text":"bye"}`, 400, "invalid"},
		{"differently cased key", "lobby", "application/json", `{"Text":"hi","name":"ada"}`, 400, "invalid"},
		{"escaped lone surrogate", "lobby", "application/json", `{"text":"a\ud800b","name":"ada"}`, 400, "invalid"},
		{"zero-width only", "lobby", "application/json", `{"text":"\u200b\ufeff","name":"ada"}`, 400, "invalid"},
		{"bidi override", "lobby", "application/json", `{"text":"see \u202etxt.exe","name":"ada"}`, 400, "invalid"},
		{"lookalike name", "lobby", "application/json", `{"text":"hi","name":"\u0430lice"}`, 400, "invalid"},
		{"wrong type", "lobby", "application/json", `{"text":5,"name":"ada"}`, 400, "invalid"},
		{"empty body", "lobby", "application/json", ``, 400, "invalid"},
		{"no text", "lobby", "application/json", `{"name":"ada"}`, 400, "invalid"},
		{"empty text", "lobby", "application/json", `{"text":"","name":"ada"}`, 400, "invalid"},
		{"whitespace text", "lobby", "application/json", `{"text":"  \n\t ","name":"ada"}`, 400, "invalid"},
		{"too long", "lobby", "application/json", `{"text":"` + strings.Repeat("é", 21) + `","name":"ada"}`, 413, "too_large"},
		{"invalid UTF-8", "lobby", "application/json", "{\"text\":\"a\xff\",\"name\":\"ada\"}", 400, "invalid"},
		{"control character", "lobby", "application/json", `{"text":"a\u0007b","name":"ada"}`, 400, "invalid"},
		{"no name, not logged in", "lobby", "application/json", `{"text":"hi"}`, 401, "unauthorized"},
		{"bad name", "lobby", "application/json", `{"text":"hi","name":"<ada>"}`, 400, "invalid"},
		{"filtered word", "lobby", "application/json", `{"text":"oh darn","name":"ada"}`, 400, "invalid"},
		{"unknown room", "nope", "application/json", `{"text":"hi","name":"ada"}`, 404, "not_found"},
		{"bad room name", "NOPE", "application/json", `{"text":"hi","name":"ada"}`, 400, "invalid"},
		{"form post (CSRF)", "lobby", "application/x-www-form-urlencoded", `text=hi&name=ada`, 415, "unsupported_media_type"},
		{"text/plain post (CSRF)", "lobby", "text/plain", `{"text":"hi","name":"ada"}`, 415, "unsupported_media_type"},
		{"huge body", "lobby", "application/json", `{"text":"` + strings.Repeat("a", 70<<10) + `","name":"ada"}`, 413, "too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, body := n.postRaw(tc.room, tc.contentType, tc.body)
			if status != tc.status {
				t.Fatalf("status = %d, want %d (%s)", status, tc.status, body)
			}
			var e struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(body, &e); err != nil || e.Error.Code != tc.code || e.Error.Message == "" {
				t.Errorf("error body = %s, want code %q with a message", body, tc.code)
			}
		})
	}
	if ids := historyIDs(t, n, "lobby"); len(ids) != 0 {
		t.Errorf("refused posts stored %d messages", len(ids))
	}
	// And the server still works.
	if m := n.post("lobby", "ada", "still here"); m.ID == 0 {
		t.Error("no id after the bad input")
	}
}

func TestPostMasksFilteredWords(t *testing.T) {
	n := startNode(t, server.Config{WordList: []string{"darn"}})
	if m := n.post("lobby", "ada", "Darn it"); m.Text != "**** it" {
		t.Errorf("stored %q, want the word masked", m.Text)
	}
}

func TestCrossOriginPostIsRefused(t *testing.T) {
	n := startNode(t, server.Config{})
	req, _ := http.NewRequest("POST", n.ts.URL+"/api/rooms/lobby/messages", strings.NewReader(`{"text":"hi","name":"eve"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin post: status %d, want 403", resp.StatusCode)
	}
	if ids := historyIDs(t, n, "lobby"); len(ids) != 0 {
		t.Error("cross-origin post was stored")
	}
}

func TestRoomsAndHistory(t *testing.T) {
	n := startNode(t, server.Config{})
	createRoom(t, n, "design")
	status, body := n.get("/api/rooms")
	if status != 200 || !strings.Contains(string(body), `"name":"design"`) || !strings.Contains(string(body), `"name":"lobby"`) {
		t.Fatalf("rooms: %d %s", status, body)
	}
	resp, _ := http.Post(n.ts.URL+"/api/rooms", "application/json", strings.NewReader(`{"name":"design"}`))
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("duplicate room: %d, want 409", resp.StatusCode)
	}
	var ids []int64
	for _, s := range []string{"a", "b", "c", "d"} {
		ids = append(ids, n.post("design", "ada", s).ID)
	}
	page := func(q string) []string {
		status, body := n.get("/api/rooms/design/messages?" + q)
		if status != 200 {
			t.Fatalf("history %s: %d %s", q, status, body)
		}
		var p struct{ Messages []struct{ Text string } }
		json.Unmarshal(body, &p)
		var out []string
		for _, m := range p.Messages {
			out = append(out, m.Text)
		}
		return strings.Split(strings.Join(out, ","), ",")
	}
	check := func(q, want string) {
		if got := strings.Join(page(q), ","); got != want {
			t.Errorf("history?%s = %s, want %s", q, got, want)
		}
	}
	check("limit=2", "c,d")
	check("after=0&limit=2", "a,b")
	check("after="+itoa(ids[1]), "c,d")
	check("before="+itoa(ids[2])+"&limit=1", "b")

	for _, q := range []string{"after=x", "before=-1", "limit=0", "limit=501", "limit=x", "after=1&before=3"} {
		if status, _ := n.get("/api/rooms/design/messages?" + q); status != 400 {
			t.Errorf("history?%s: status %d, want 400", q, status)
		}
	}
	if status, _ := n.get("/api/rooms/nope/messages"); status != 404 {
		t.Errorf("history of unknown room: %d, want 404", status)
	}
}
