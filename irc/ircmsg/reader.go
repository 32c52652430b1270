package ircmsg

import (
	"bufio"
	"fmt"
	"io"
)

// ErrLineTooLong is returned by Reader.ReadLine for a line longer than the
// reader's limit. It wraps ErrInputTooLong.
var ErrLineTooLong = fmt.Errorf("line over the reader's limit: %w", ErrInputTooLong)

// Reader reads IRC lines from a stream with bounded memory: it buffers at
// most one line's limit, whatever the peer sends. Lines end with CRLF or a
// bare LF.
//
// A Reader is owned by one goroutine (the connection's read loop); it is
// not safe for concurrent use.
type Reader struct {
	br       *bufio.Reader
	max      int
	skipping bool // the rest of an over-long line is still to be discarded
}

// NewReader returns a Reader whose lines, terminator included, may be at
// most maxLen bytes; maxLen <= 0 means MaxLineLen, the IRC limit with
// tags. The Reader allocates one buffer of that size.
func NewReader(r io.Reader, maxLen int) *Reader {
	if maxLen <= 0 {
		maxLen = MaxLineLen
	}
	return &Reader{br: bufio.NewReaderSize(r, maxLen), max: maxLen}
}

// ReadLine returns the next line without its CRLF or LF. The slice points
// into the Reader's buffer and is valid only until the next call: convert
// it with string(line) to keep it (Parse takes a string).
//
// A line over the limit yields ErrLineTooLong as soon as the limit is
// reached, without waiting for its end; the next call discards the rest
// of that line, up to and including its LF, and goes on with the line
// after. A client that sends an endless line thus costs no memory, only
// the time the gateway's read deadline allows.
//
// At the end of the stream, a last line without terminator is returned
// like any other, then io.EOF. Any other error comes from the underlying
// reader; the Reader must not be used after it.
func (r *Reader) ReadLine() ([]byte, error) {
	for {
		line, err := r.br.ReadSlice('\n')
		if r.skipping {
			switch err {
			case nil:
				r.skipping = false // the LF ending the long line
			case bufio.ErrBufferFull:
				// more of the long line
			default:
				return nil, err
			}
			continue
		}
		switch err {
		case nil:
			if len(line) > r.max { // a wrapped *bufio.Reader may hold more than max
				return nil, ErrLineTooLong
			}
			return trimEOL(line), nil
		case bufio.ErrBufferFull:
			r.skipping = true
			return nil, ErrLineTooLong
		case io.EOF:
			if len(line) == 0 {
				return nil, io.EOF
			}
			if len(line) > r.max {
				return nil, ErrLineTooLong
			}
			return trimEOL(line), nil
		default:
			return nil, err
		}
	}
}

func trimEOL(line []byte) []byte {
	if n := len(line); n > 0 && line[n-1] == '\n' {
		line = line[:n-1]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
	}
	return line
}
