package ws

import "testing"

// FuzzParseHeader feeds arbitrary bytes to the client frame header parser:
// it never panics, and what it accepts is a header the reader can act on
// safely (a sane header size and a non-negative length, control frames
// short and unfragmented, masked).
func FuzzParseHeader(f *testing.F) {
	for _, seed := range [][]byte{
		{0x81, 0x85, 1, 2, 3, 4, 'h', 'e', 'l', 'l', 'o'}, // a masked "hello"
		{0x81, 0xfe, 0x01, 0x00, 1, 2, 3, 4},              // 256 bytes
		{0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0, 1, 2, 3, 4},  // 64 KiB
		{0x89, 0x80, 1, 2, 3, 4},                          // ping
		{0x88, 0x82, 1, 2, 3, 4, 0x03, 0xe8},              // close 1000
		{0x01, 0x80, 0, 0, 0, 0},                          // a first fragment
		{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'},             // unmasked: refused
		{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4},
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok, err := parseHeader(b)
		if err != nil || !ok {
			return
		}
		if h.hlen != 6 && h.hlen != 8 && h.hlen != 14 {
			t.Fatalf("header length %d", h.hlen)
		}
		if h.hlen > int64(len(b)) {
			t.Fatalf("accepted a %d-byte header from %d bytes", h.hlen, len(b))
		}
		if h.n < 0 || h.n > 1<<62 {
			t.Fatalf("payload length %d", h.n)
		}
		if h.op >= opClose && (h.n > 125 || !h.fin) {
			t.Fatalf("control frame of %d bytes, fin %v", h.n, h.fin)
		}
		if b[1]&0x80 == 0 {
			t.Fatal("an unmasked client frame was accepted")
		}
	})
}
