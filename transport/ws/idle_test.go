package ws_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/transport/ws"
)

// maskedFrame builds a client frame (masked, with a fixed key).
func maskedFrame(fin bool, op byte, payload []byte) []byte {
	b0 := op
	if fin {
		b0 |= 0x80
	}
	key := [4]byte{1, 2, 3, 4}
	f := []byte{b0, 0x80 | byte(len(payload))}
	f = append(f, key[:]...)
	for i, c := range payload {
		f = append(f, c^key[i&3])
	}
	return f
}

// readFrame reads one server frame (unmasked, short or 16-bit length).
func readRawFrame(t *testing.T, conn net.Conn, br *bufio.Reader) (op byte, payload []byte) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	var h [2]byte
	if _, err := io.ReadFull(br, h[:]); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	n := int(h[1] & 0x7f)
	if n == 126 {
		var l [2]byte
		io.ReadFull(br, l[:])
		n = int(binary.BigEndian.Uint16(l[:]))
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return h[0] & 0x0f, payload
}

// nextOf reads frames until one with opcode op.
func nextOf(t *testing.T, conn net.Conn, br *bufio.Reader, op byte, contains string) []byte {
	t.Helper()
	for {
		o, p := readRawFrame(t, conn, br)
		if o == op && bytes.Contains(p, []byte(contains)) {
			return p
		}
	}
}

// Idle connections hold no goroutine: the hub writes their events, and
// the poller starts a reader only when a client sends. They still get
// every event, and answer pings and messages.
func TestIdleConnectionsHoldNoGoroutine(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	base := runtime.NumGoroutine()
	const n = 40
	conns := make([]net.Conn, n)
	brs := make([]*bufio.Reader, n)
	for i := range n {
		conns[i], brs[i] = s.rawDial("rooms=lobby", 0)
		nextOf(t, conns[i], brs[i], 0x1, `"type":"ready"`)
	}
	waitFor(t, "no goroutine per idle connection", func() bool { return runtime.NumGoroutine() < base+n/4 })

	s.post("lobby", "ada", "to all idle ones")
	for i := range n {
		nextOf(t, conns[i], brs[i], 0x1, "to all idle ones")
	}
	// A ping is answered with its payload, by a reader started for it.
	conns[0].Write(maskedFrame(true, 0x9, []byte("hello")))
	if p := nextOf(t, conns[0], brs[0], 0xA, ""); string(p) != "hello" {
		t.Errorf("pong payload %q, want hello", p)
	}
	// A message in two fragments, the second sent later, is one message.
	msg := []byte(sendJSON("frag", "lobby", "ada", "in two parts"))
	conns[1].Write(maskedFrame(false, 0x1, msg[:10]))
	time.Sleep(20 * time.Millisecond) // let the reader see the first part alone
	conns[1].Write(maskedFrame(true, 0x0, msg[10:]))
	nextOf(t, conns[1], brs[1], 0x1, `"ref":"frag"`)
	waitFor(t, "readers ended once the sockets were drained", func() bool { return runtime.NumGoroutine() < base+n/4 })
}

// A frame that breaks the protocol gets close 1002.
func TestProtocolErrorCloses1002(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	cases := map[string][]byte{
		"unmasked":              {0x81, 0x02, '{', '}'},
		"reserved bits":         maskedFrame(true, 0x1|0x40, []byte("{}")),
		"continuation first":    maskedFrame(true, 0x0, []byte("{}")),
		"fragmented ping":       maskedFrame(false, 0x9, nil),
		"unknown opcode":        maskedFrame(true, 0x3, nil),
		"one-byte close":        maskedFrame(true, 0x8, []byte{3}),
		"close with a bad code": maskedFrame(true, 0x8, []byte{0x03, 0xED}), // 1005
	}
	for name, frame := range cases {
		t.Run(name, func(t *testing.T) {
			conn, br := s.rawDial("rooms=lobby", 0)
			conn.Write(frame)
			p := nextOf(t, conn, br, 0x8, "")
			if code := binary.BigEndian.Uint16(p); code != 1002 {
				t.Errorf("close code %d, want 1002", code)
			}
		})
	}
	waitFor(t, "connections released", func() bool { return s.ws.Conns() == 0 })
}

// A client's close is echoed with its code, and the connection ends.
func TestClientCloseIsEchoed(t *testing.T) {
	s := newStack(t, ws.Config{}, chat.Config{})
	conn, br := s.rawDial("rooms=lobby", 0)
	conn.Write(maskedFrame(true, 0x8, []byte{0x0F, 0xA0, 'b', 'y', 'e'})) // 4000
	p := nextOf(t, conn, br, 0x8, "")
	if code := binary.BigEndian.Uint16(p); code != 4000 {
		t.Errorf("echoed close code %d, want 4000", code)
	}
	waitFor(t, "connection released", func() bool { return s.ws.Conns() == 0 })
}
