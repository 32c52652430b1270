package ws

import (
	"bytes"
	"encoding/binary"
	"errors"
	"syscall"
	"unicode/utf8"
)

// Client frame opcodes besides those in wire.go.
const (
	opContinuation = 0x0
	opBinary       = 0x2
	opPong         = 0xA
)

// Close codes for the client's mistakes.
const (
	closeNormal     = 1000
	closeProtocol   = 1002
	closeTooBig     = 1009
	closeNoStatus   = 1005 // "no status received": never sent on the wire
	inboundReadSize = 512  // bytes read from the socket at a time
)

// errWouldBlock says that the socket has nothing to read now.
var errWouldBlock = errors.New("websocket: nothing to read")

// errReadDone says that the reading side is over: the closing handshake
// is complete, or the client broke the protocol beyond recovery.
var errReadDone = errors.New("websocket: reading done")

// inbound reads and parses the client's frames (RFC 6455 section 5): it
// unmasks them, joins fragments into messages of at most MaxMessage bytes,
// answers pings, notes pongs, and takes part in the closing handshake. It
// holds bytes only while a frame is incomplete: an idle connection has no
// buffer, and with the readPoller no goroutine either.
//
// The bytes come either from reads that do not wait (fill, called by a
// reader the readPoller started when the socket became readable) or from
// blocking reads (readLoop, for sockets the poller cannot watch); process
// is the same for both.
type inbound struct {
	c   *conn
	raw syscall.RawConn // the socket, for reads that do not wait; nil: none
	buf []byte          // bytes read and not yet processed; nil when empty

	msg    []byte // the fragments of the message being received
	skip   int64  // bytes of an oversized frame still to discard
	msgOp  byte   // the message's opcode; 0: no message in progress
	closed bool   // a close frame went out for the client's mistake: wait for its close
}

// fillBlocking reads from the socket, waiting (under the read deadline).
func (in *inbound) fillBlocking() error {
	in.grow(inboundReadSize)
	n, err := in.c.wire.Read(in.buf[len(in.buf):cap(in.buf)])
	in.buf = in.buf[:len(in.buf)+n]
	if n > 0 {
		return nil
	}
	return err
}

// process handles every complete frame buffered and keeps the rest. It
// returns errReadDone when reading is over.
func (in *inbound) process() error {
	defer in.release()
	for len(in.buf) > 0 {
		if in.skip > 0 {
			n := min(in.skip, int64(len(in.buf)))
			in.buf = in.buf[n:]
			in.skip -= n
			continue
		}
		h, ok, err := parseHeader(in.buf)
		if err != nil {
			in.fail(closeProtocol, err.Error())
			return errReadDone
		}
		if !ok {
			return nil
		}
		if h.op < opClose { // a data frame
			if reason := in.checkData(h); reason != "" {
				in.fail(closeProtocol, reason)
				return errReadDone
			}
			if int64(len(in.msg))+h.n > int64(in.c.h.cfg.MaxMessage) {
				// Never buffered: the rest of the frame is discarded as it
				// comes, while the client is told (1009) and answers.
				in.fail(closeTooBig, "message too big")
				in.skip = h.hlen + h.n
				in.msg, in.msgOp = nil, 0
				continue
			}
		}
		size := int(h.hlen + h.n)
		if len(in.buf) < size {
			in.grow(size - len(in.buf))
			return nil
		}
		payload := in.buf[h.hlen:size]
		unmask(payload, h.key)
		err = in.frame(h, payload)
		in.buf = in.buf[size:]
		if err != nil {
			return err
		}
	}
	return nil
}

// checkData checks a data frame's place in the message sequence.
func (in *inbound) checkData(h header) string {
	switch {
	case h.op == opContinuation && in.msgOp == 0:
		return "continuation frame without a message to continue"
	case h.op != opContinuation && in.msgOp != 0:
		return "new message before the last one ended"
	}
	return ""
}

// frame acts on one complete, unmasked frame.
func (in *inbound) frame(h header, payload []byte) error {
	c := in.c
	switch h.op {
	case opPing:
		c.extendRead()
		return in.reply(appendFrame(nil, opPong, payload))
	case opPong:
		c.extendRead()
		return nil
	case opClose:
		return in.closeFrame(payload)
	}
	if in.closed {
		return nil // closing: the client's messages are no longer read
	}
	var msg []byte
	op := h.op
	switch {
	case h.fin && h.op != opContinuation:
		msg = bytes.Clone(payload) // the buffer is reused; answers may keep parts
	case h.op != opContinuation: // the first fragment
		in.msg, in.msgOp = append([]byte(nil), payload...), h.op
		return nil
	default:
		in.msg = append(in.msg, payload...)
		if !h.fin {
			return nil
		}
		msg, op = in.msg, in.msgOp
		in.msg, in.msgOp = nil, 0
	}
	c.extendRead()
	c.handle(op == opText, msg)
	return nil
}

// closeFrame handles the client's close frame: it ends reading, after
// echoing the client's code unless a close frame went out already.
func (in *inbound) closeFrame(payload []byte) error {
	code := closeNormal
	switch {
	case len(payload) == 1:
		in.fail(closeProtocol, "close frame with a one-byte payload")
		return errReadDone
	case len(payload) >= 2:
		code = int(binary.BigEndian.Uint16(payload))
		if !validCloseCode(code) || !utf8.Valid(payload[2:]) {
			in.fail(closeProtocol, "invalid close frame")
			return errReadDone
		}
	default:
		code = closeNoStatus
	}
	in.c.h.log.Debug("websocket client closed", "code", code)
	var echo []byte
	if code == closeNoStatus {
		echo = []byte{0x80 | opClose, 0}
	} else {
		echo = appendClose(nil, code, "")
	}
	_ = in.c.wire.writeFrames(echo, true) // errCloseSent: ours went first
	return errReadDone
}

// validCloseCode reports whether a client may send code (RFC 6455
// section 7.4).
func validCloseCode(code int) bool {
	switch {
	case code >= 3000 && code <= 4999:
		return true
	case code < 1000 || code > 1014:
		return false
	case code == 1004 || code == 1005 || code == 1006:
		return false
	}
	return true
}

// fail tells the client about its mistake with a close frame; reading
// goes on (see closed) until the client's close frame.
func (in *inbound) fail(code int, reason string) {
	in.c.h.log.Debug("websocket client broke the protocol", "code", code, "reason", reason)
	in.closed = true
	_ = in.c.wire.writeFrames(appendClose(nil, code, reason), true)
}

// reply writes a control frame answering the client.
func (in *inbound) reply(frame []byte) error {
	if err := in.c.wire.writeFrames(frame, false); err != nil && !errors.Is(err, errCloseSent) {
		return err
	}
	return nil
}

// header is a parsed frame header.
type header struct {
	fin  bool
	op   byte
	hlen int64 // header bytes, mask key included
	n    int64 // payload bytes
	key  [4]byte
}

// parseHeader reads the frame header at the front of b; ok is false
// while b holds only part of it. Errors are protocol errors.
func parseHeader(b []byte) (h header, ok bool, err error) {
	if len(b) < 2 {
		return h, false, nil
	}
	h.fin = b[0]&0x80 != 0
	h.op = b[0] & 0x0f
	if b[0]&0x70 != 0 {
		return h, false, errors.New("reserved bits set")
	}
	if b[1]&0x80 == 0 {
		return h, false, errors.New("client frames must be masked")
	}
	switch h.op {
	case opContinuation, opText, opBinary, opClose, opPing, opPong:
	default:
		return h, false, errors.New("unknown opcode")
	}
	n := int64(b[1] & 0x7f)
	h.hlen = 2
	switch n {
	case 126:
		h.hlen = 4
	case 127:
		h.hlen = 10
	}
	if h.op >= opClose && (n > 125 || !h.fin) {
		return h, false, errors.New("control frame fragmented or longer than 125 bytes")
	}
	h.hlen += 4
	if int64(len(b)) < h.hlen {
		return h, false, nil
	}
	switch n {
	case 126:
		n = int64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		u := binary.BigEndian.Uint64(b[2:10])
		if u > 1<<62 {
			return h, false, errors.New("frame length out of range")
		}
		n = int64(u)
	}
	h.n = n
	copy(h.key[:], b[h.hlen-4:h.hlen])
	return h, true, nil
}

// unmask undoes the client's masking in place.
func unmask(b []byte, key [4]byte) {
	for i := range b {
		b[i] ^= key[i&3]
	}
}

// grow makes room for at least n more bytes.
func (in *inbound) grow(n int) {
	if cap(in.buf)-len(in.buf) >= n {
		return
	}
	nb := make([]byte, len(in.buf), max(len(in.buf)+n, inboundReadSize))
	copy(nb, in.buf)
	in.buf = nb
}

// release drops the buffer once it is empty: an idle connection holds
// none.
func (in *inbound) release() {
	if len(in.buf) == 0 {
		in.buf = nil
	}
}
