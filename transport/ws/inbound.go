package ws

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"syscall"
)

// opPong is the pong opcode; opPing, opClose and opText are in wire.go.
const opPong = 0xA

// inboundBufSize bounds what inbound holds: a frame header (at most 14
// bytes) and a control frame's payload (at most 125) fit with room to
// spare.
const inboundBufSize = 512

// inbound sits between the socket and the library's buffered reader. It
// takes the client's well-formed pings and pongs out of the byte stream
// and answers them itself (a pong for a ping; both extend the read
// deadline), and passes every other frame to the library byte for byte.
//
// This is what lets a connection wait for its client without a goroutine:
// the library's Read handles control frames inside, and keeps blocking
// until a data message comes, so a reader started for a pong would stay
// for good. With pongs taken out here, the reader started when the socket
// becomes readable (readPoller) reads what the client sent and ends.
type inbound struct {
	c   *conn
	raw syscall.RawConn // the socket, for reads that do not wait; nil: none
	buf []byte          // bytes read and not yet passed or taken; nil when empty
	// pass counts the bytes of the current frame still to pass through
	// to the library.
	pass int64
	err  error // the socket's read error, given to the library's next read
}

// Read implements io.Reader for the library's buffered reader: it waits
// for the socket as the library expects.
func (in *inbound) Read(p []byte) (int, error) {
	for {
		if n := in.take(p); n > 0 {
			return n, nil
		}
		if in.err != nil {
			return 0, in.err
		}
		in.grow()
		n, err := in.c.wire.Read(in.buf[len(in.buf):cap(in.buf)])
		in.buf = in.buf[:len(in.buf)+n]
		if err != nil {
			in.err = err
		}
	}
}

// poll reads what the socket holds without waiting, takes control frames
// out, and reports whether the library has anything to read: bytes of a
// frame for it, or an error. Called by a reader started by readPoller.
func (in *inbound) poll() bool {
	for {
		if in.err != nil || in.ready() {
			return true
		}
		if in.raw == nil {
			return true // cannot read without waiting: let the library wait
		}
		in.grow()
		var n int
		var err error
		if rerr := in.raw.Read(func(fd uintptr) bool {
			n, err = syscall.Read(int(fd), in.buf[len(in.buf):cap(in.buf)])
			return true // never wait: this read is only a look
		}); rerr != nil {
			err = rerr
		}
		switch {
		case err == syscall.EAGAIN:
			in.release()
			return false
		case err == syscall.EINTR:
			continue
		case err != nil:
			in.err = err
		case n == 0:
			in.err = io.EOF
		default:
			in.buf = in.buf[:len(in.buf)+n]
		}
	}
}

// ready takes out complete control frames at the front and reports
// whether bytes for the library are there.
func (in *inbound) ready() bool {
	if in.pass > 0 {
		return len(in.buf) > 0
	}
	in.take(nil)
	return in.pass > 0 && len(in.buf) > 0
}

// take moves frame bytes for the library into p, after answering and
// dropping the control frames that come first. With p empty it only
// does the latter. It returns 0 when it needs more bytes.
func (in *inbound) take(p []byte) int {
	for len(in.buf) > 0 {
		if in.pass > 0 {
			if len(p) == 0 {
				return 0
			}
			n := copy(p, in.buf[:min(int64(len(in.buf)), in.pass)])
			in.advance(n)
			in.pass -= int64(n)
			return n
		}
		size, control, complete := frameSize(in.buf)
		if !complete {
			return 0 // wait for the rest of the header, or of the control frame
		}
		if !control {
			in.pass = size
			continue
		}
		in.control(in.buf[:size])
		in.advance(int(size))
	}
	in.release()
	return 0
}

// frameSize reads the header at the front of b: the frame's whole size,
// whether it is a control frame inbound answers itself (a well-formed,
// masked ping or pong), and whether b holds enough to act on (the whole
// header, and for such a control frame its payload too). Anything else,
// malformed frames included, goes to the library, which refuses them.
func frameSize(b []byte) (size int64, control, complete bool) {
	if len(b) < 2 {
		return 0, false, false
	}
	op := b[0] & 0x0f
	masked := b[1]&0x80 != 0
	n := int64(b[1] & 0x7f)
	hlen := int64(2)
	switch n {
	case 126:
		hlen = 4
	case 127:
		hlen = 10
	}
	if masked {
		hlen += 4
	}
	if int64(len(b)) < hlen {
		return 0, false, false
	}
	switch n {
	case 126:
		n = int64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		u := binary.BigEndian.Uint64(b[2:10])
		if u > uint64(math.MaxInt64-hlen) {
			return math.MaxInt64, false, true // invalid: the library refuses it
		}
		n = int64(u)
	}
	if b[0]&0xf0 == 0x80 && masked && n <= 125 && (op == opPing || op == opPong) {
		return hlen + n, true, int64(len(b)) >= hlen+n
	}
	return hlen + n, false, true
}

// control answers a ping with a pong carrying its payload; both extend
// the read deadline.
func (in *inbound) control(f []byte) {
	in.c.extendRead()
	if f[0]&0x0f != opPing {
		return
	}
	key, payload := f[2:6], f[6:]
	out := make([]byte, 0, 2+len(payload))
	out = append(out, 0x80|opPong, byte(len(payload)))
	for i, b := range payload {
		out = append(out, b^key[i&3])
	}
	if err := in.c.wire.writeFrames(out, false); err != nil && !errors.Is(err, errCloseSent) {
		in.err = err
	}
}

func (in *inbound) advance(n int) {
	in.buf = in.buf[n:]
	if len(in.buf) == 0 {
		in.release()
	}
}

// grow makes room to read into.
func (in *inbound) grow() {
	switch {
	case in.buf == nil:
		in.buf = make([]byte, 0, inboundBufSize)
	case cap(in.buf)-len(in.buf) < inboundBufSize/2:
		in.buf = append(make([]byte, 0, max(inboundBufSize, 2*len(in.buf))), in.buf...)
	}
}

// release drops the buffer once it is empty: an idle connection holds
// none.
func (in *inbound) release() {
	if len(in.buf) == 0 {
		in.buf = nil
	}
}
