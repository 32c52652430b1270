package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// The frame reader: ready once, events with their IDs, answers to
// requests skipped, pings answered with a masked pong, long payloads, and
// the server's close frame as an error.
func TestWSStreamFrames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	server, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	long := `{"id":7,"room":"lobby","kind":"message","from":"a","text":"` + strings.Repeat("z", 2000) + `"}`
	var in bytes.Buffer
	for _, f := range [][]byte{
		frameOf(0x1, `{"type":"ready","rooms":["lobby"],"cursor":3}`),
		frameOf(0x1, `{"id":4,"room":"lobby","kind":"message","from":"a","text":"bench 1 5"}`),
		frameOf(0x9, "hi"),
		frameOf(0x1, `{"type":"ack","ref":"x","message":{}}`),
		frameOf(0x1, long),
		frameOf(0x8, "\x03\xf4server restarting: reconnect"),
	} {
		in.Write(f)
	}
	pong := make(chan []byte, 1)
	go func() {
		server.Write(in.Bytes())
		b := make([]byte, 8)
		n, _ := io.ReadFull(server, b)
		pong <- b[:n]
	}()
	s := &wsStream{conn: client, br: bufio.NewReaderSize(client, connBufSize), stop: func() bool { return true }}

	f, err := s.next()
	if err != nil || !f.ready {
		t.Fatalf("first: %+v %v, want ready", f, err)
	}
	if f, err := s.next(); err != nil || f.id != 4 || !bytes.Contains(f.data, []byte("bench 1 5")) {
		t.Fatalf("second: %+v %v, want event 4", f, err)
	}
	f, err = s.next() // answers the ping on the way
	if err != nil || f.id != 7 || len(f.data) != len(long) {
		t.Fatalf("third: id %d, %d bytes, %v; want the long event 7", f.id, len(f.data), err)
	}
	if got := <-pong; !bytes.Equal(got, []byte{0x8A, 0x82, 0, 0, 0, 0, 'h', 'i'}) {
		t.Errorf("pong %x", got)
	}
	_, err = s.next()
	var closed *wsClosed
	if !errors.As(err, &closed) || closed.code != 1012 {
		t.Fatalf("after the close frame: %v, want close 1012", err)
	}
}

func frameOf(op byte, payload string) []byte {
	b := []byte{0x80 | op}
	switch n := len(payload); {
	case n < 126:
		b = append(b, byte(n))
	default:
		b = append(b, 126, byte(n>>8), byte(n))
	}
	return append(b, payload...)
}
