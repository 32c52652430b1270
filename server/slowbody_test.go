package server_test

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/server"
)

// A POST whose body trickles in is cut at the body deadline with 408 and
// its connection closed (issue 14): a slow client cannot hold a
// connection and a handler forever. Nothing is stored.
func TestSlowBodyIsCutAtTheDeadline(t *testing.T) {
	n := startNode(t, server.Config{BodyTimeout: 300 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(n.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := `{"text":"slowly","name":"ada"}`
	head := "POST /api/rooms/lobby/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
		itoa(int64(len(body))) + "\r\n\r\n"
	if _, err := conn.Write([]byte(head)); err != nil {
		t.Fatal(err)
	}
	// One byte every 100 ms: the whole body would take 3 s.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for i := 0; i < len(body); i++ {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
		}
	}()
	start := time.Now()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to the trickling POST: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Errorf("status %d, want 408", resp.StatusCode)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("answered after %v, want about the 300 ms deadline", took)
	}
	// The server closes the connection instead of waiting for the rest.
	if _, err := bufio.NewReader(conn).ReadByte(); err == nil {
		t.Error("the connection is still open after the 408")
	}
	if ids := historyIDs(t, n, "lobby"); len(ids) != 0 {
		t.Errorf("the cut POST stored %v", ids)
	}
}
