package ws_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/stream"
	"github.com/parley-chat/parley/transport/ws"
)

// rawDial opens a WebSocket by hand and returns the socket right after the
// 101 answer: a client that can stop reading, or never answer a ping.
func (s *stack) rawDial(query string, readBuffer int) (net.Conn, *bufio.Reader) {
	s.t.Helper()
	conn, err := net.Dial("tcp", s.ts.Listener.Addr().String())
	if err != nil {
		s.t.Fatal(err)
	}
	s.t.Cleanup(func() { conn.Close() })
	if readBuffer > 0 {
		conn.(*net.TCPConn).SetReadBuffer(readBuffer)
	}
	io.WriteString(conn, "GET /api/ws?"+query+" HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReaderSize(conn, 64)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		s.t.Fatalf("raw handshake: %v %v", resp, err)
	}
	return conn, br
}

// A client that stops reading is cut off by the write deadline, without
// stalling anyone else, and the server holds no more than its bounds for
// it meanwhile.
func TestSlowConsumerStallsNobody(t *testing.T) {
	counters := new(stream.Counters)
	s := newStack(t, ws.Config{WriteTimeout: 500 * time.Millisecond, QueueLen: 16, Counters: counters}, chat.Config{})
	slow, _ := s.rawDial("rooms=lobby", 4096)
	fast, _ := s.dial("rooms=lobby")
	waitFor(t, "both connections registered", func() bool { return s.ws.Conns() == 2 })

	big := strings.Repeat("x", 1900)
	const count = 400 // ~800 KB: far over the socket buffers
	received := make(chan []int64, 1)
	go func() { // the fast client reads as a real one does, while posts go on
		var ids []int64
		for range count {
			f, err := fast.nextErr(10 * time.Second)
			if err != nil {
				break
			}
			ids = append(ids, f.ID)
		}
		received <- ids
	}()
	ids := make([]int64, 0, count)
	start := time.Now()
	for i := range count {
		ids = append(ids, s.post("lobby", "ada", big+strconv.Itoa(i)).ID)
	}
	if got := <-received; !slices.Equal(got, ids) {
		t.Fatalf("fast subscriber got %d of %d messages in order", len(got), count)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("posting and delivering took %v: the slow client stalled the room", d)
	}
	waitFor(t, "slow connection dropped", func() bool { return s.ws.Conns() == 1 })

	// Once it reads, the slow client finds its connection ended after at
	// most the socket buffers' worth.
	slow.SetReadDeadline(time.Now().Add(10 * time.Second))
	n, _ := io.Copy(io.Discard, slow)
	if limit := int64(2 << 20); n > limit {
		t.Errorf("slow client received %d bytes: the server buffered beyond its bounds", n)
	}
	if n >= count*1900 {
		t.Errorf("slow client received everything (%d bytes): it was never cut off", n)
	}
	if c := counters.Snapshot(); c.CutOff != 1 {
		t.Errorf("counted %d clients cut off, want 1", c.CutOff)
	}
}

// A client that falls behind, but is still reading, catches up from the
// store: nothing is lost, nothing repeated.
func TestQueueOverflowCatchesUpFromTheStore(t *testing.T) {
	// The write timeout is long: posting may be slow (race detector, a busy
	// machine) and a client silent for that long is cut off, not caught up.
	counters := new(stream.Counters)
	s := newStack(t, ws.Config{QueueLen: 2, WriteTimeout: time.Minute, Counters: counters}, chat.Config{})
	// A receive buffer far smaller than that, but not so small that
	// loopback's 64 KiB segments stall on TCP's silly-window avoidance.
	conn, br := s.rawDial("rooms=lobby", 64<<10)
	if f := readFrame(t, br); f.Type != "ready" {
		t.Fatalf("first frame %s", f)
	}
	big := strings.Repeat("y", 1900)
	var ids []int64
	for i := range 500 { // ~1 MB while the client reads nothing
		ids = append(ids, s.post("lobby", "ada", big+strconv.Itoa(i)).ID)
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i, want := range ids {
		if f := readFrame(t, br); f.ID != want {
			t.Fatalf("event %d: %s, want id %d", i, f, want)
		}
	}
	c := counters.Snapshot()
	if c.Overflows == 0 {
		t.Error("counted no overflow, though the client fell 500 events behind a queue of 2")
	}
	if c.Delivered != uint64(len(ids)) {
		t.Errorf("counted %d events delivered, want %d", c.Delivered, len(ids))
	}
}

// readFrame reads a server frame from a raw connection, skipping pings.
func readFrame(t *testing.T, br *bufio.Reader) frame {
	t.Helper()
	for {
		var h [2]byte
		if _, err := io.ReadFull(br, h[:]); err != nil {
			t.Fatalf("reading frame: %v", err)
		}
		n := int(h[1] & 0x7f)
		switch n {
		case 126:
			var l [2]byte
			io.ReadFull(br, l[:])
			n = int(binary.BigEndian.Uint16(l[:]))
		case 127:
			t.Fatal("unexpectedly long frame")
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(br, p); err != nil {
			t.Fatalf("reading frame: %v", err)
		}
		if h[0] != 0x81 {
			continue
		}
		f := frame{raw: p}
		if err := json.Unmarshal(p, &f); err != nil {
			t.Fatal(err)
		}
		return f
	}
}

func TestSilentClientIsCutOff(t *testing.T) {
	// Pinged often, given a second to answer: ample for a reading client
	// even on a loaded machine.
	s := newStack(t, ws.Config{PingInterval: 50 * time.Millisecond, PongTimeout: time.Second}, chat.Config{})
	silent, br := s.rawDial("rooms=lobby", 0)
	live, _ := s.dial("rooms=lobby")
	// The live client reads all along, so it answers pings.
	frames := make(chan frame, 16)
	go func() {
		for {
			f, err := live.nextErr(time.Minute)
			if err != nil {
				close(frames)
				return
			}
			frames <- f
		}
	}()
	waitFor(t, "silent connection dropped", func() bool { return s.ws.Conns() == 1 })

	// It was pinged before being dropped.
	silent.SetReadDeadline(time.Now().Add(5 * time.Second))
	rest, _ := io.ReadAll(br)
	if !bytes.Contains(rest, []byte{0x89, 0x00}) {
		t.Errorf("silent client got %x, want pings", rest)
	}
	// The live one, pinged as often, is still up.
	live.write(sendJSON("k", "lobby", "ada", "still here"))
	for f := range frames {
		if f.Type == "ack" {
			return
		}
	}
	t.Fatal("live client's connection ended")
}

func TestShutdownClosesWithServiceRestart(t *testing.T) {
	s := newStack(t, ws.Config{CloseTimeout: 300 * time.Millisecond}, chat.Config{})
	a, _ := s.dial("rooms=lobby")
	b, _ := s.dial("rooms=lobby")
	// A client that never reads or answers must not hold up the shutdown
	// past CloseTimeout.
	s.rawDial("rooms=lobby", 0)
	waitFor(t, "connections registered", func() bool { return s.ws.Conns() == 3 })
	done := make(chan struct{})
	go func() {
		s.ws.Close()
		close(done)
	}()
	for _, c := range []*client{a, b} {
		if code := c.closeStatus(); code != websocket.StatusServiceRestart {
			t.Errorf("close status %v, want 1012 (service restart)", code)
		}
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if n := s.ws.Conns(); n != 0 {
		t.Errorf("%d connections left after Close", n)
	}
	_, resp, err := s.dialRaw("rooms=lobby", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Close: %v %v, want 503", resp, err)
	}
}

func TestClientCloseReleasesTheConnection(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	c, _ := s.dial("rooms=lobby")
	waitFor(t, "registered", func() bool { return s.ws.Conns() == 1 })
	if err := c.c.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatalf("close handshake: %v", err)
	}
	waitFor(t, "released", func() bool { return s.ws.Conns() == 0 && s.hub.Subscribers() == 0 })
}

// A client may send its first message right behind the handshake, before
// the 101 arrives; it must not be lost.
func TestMessagePipelinedWithTheHandshake(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	conn, err := net.Dial("tcp", s.ts.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	payload := []byte(sendJSON("early", "lobby", "ada", "pipelined"))
	frame := append([]byte{0x81, 0x80 | byte(len(payload)), 0, 0, 0, 0}, payload...) // masked, zero key
	req := "GET /api/ws?rooms=lobby HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	conn.Write(append([]byte(req), frame...))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	br := bufio.NewReader(conn)
	if resp, err := http.ReadResponse(br, nil); err != nil || resp.StatusCode != 101 {
		t.Fatalf("handshake: %v %v", resp, err)
	}
	var seen []byte
	for !bytes.Contains(seen, []byte(`"type":"ack"`)) {
		b := make([]byte, 4096)
		n, err := br.Read(b)
		if err != nil {
			t.Fatalf("no ack for the pipelined message; got %q (%v)", seen, err)
		}
		seen = append(seen, b[:n]...)
	}
	if !bytes.Contains(seen, []byte(`"ref":"early"`)) {
		t.Errorf("ack without the ref: %q", seen)
	}
}
