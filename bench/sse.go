package bench

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// sseKind says what sseReader.Next found.
type sseKind int

const (
	sseEvent sseKind = iota + 1 // a blank line dispatched an event: Data, Event, LastID
	sseRetry                    // a valid retry: field was read: Retry
)

// maxSSELine bounds one line (a long data: line is gathered from several
// buffer fills); a longer line is a protocol error for this tool.
const maxSSELine = 1 << 20

var errSSELineTooLong = errors.New("sse: line longer than 1 MiB")

// sseReader parses a text/event-stream body following the WHATWG
// event-stream interpretation, allocation-free in the steady state: lines
// are read with bufio.Reader.ReadSlice and copied into buffers that are
// reused from event to event. Lines end with "\n" or "\r\n" (a lone "\r"
// line ending, which Parley never sends, is not recognised).
//
// After Next returns sseEvent, Data, Event and LastID hold the event until
// the following call to Next.
type sseReader struct {
	br *bufio.Reader

	Data   []byte // the event's data lines, joined with "\n"
	Event  []byte // the event: field, empty when absent
	LastID []byte // the last event ID buffer: persists across events, as in the spec
	IDSeen bool   // whether this event carried its own id: field
	Retry  int64  // the last valid retry: value, in milliseconds

	Comments int64 // comment lines (": ping" heartbeats) seen so far

	dataSeen   bool // a data: field was seen since the last dispatch
	dispatched bool // the previous Next returned an event: reset first
	long       []byte
}

func newSSEReader(br *bufio.Reader) *sseReader {
	return &sseReader{br: br, Retry: -1}
}

// readLine returns the next line without its line ending. The slice is
// only valid until the next read.
func (r *sseReader) readLine() ([]byte, error) {
	line, err := r.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		r.long = append(r.long[:0], line...)
		for err == bufio.ErrBufferFull {
			line, err = r.br.ReadSlice('\n')
			r.long = append(r.long, line...)
			if len(r.long) > maxSSELine {
				return nil, errSSELineTooLong
			}
		}
		line = r.long
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			// A final line without its line ending: per the spec the
			// incomplete event is discarded at end of stream.
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// Next reads until an event is dispatched or a retry: field is read. At
// the end of the stream it returns io.EOF (io.ErrUnexpectedEOF when it ends
// inside a line).
func (r *sseReader) Next() (sseKind, error) {
	if r.dispatched {
		r.Data = r.Data[:0]
		r.Event = r.Event[:0]
		r.IDSeen = false
		r.dataSeen = false
		r.dispatched = false
	}
	for {
		line, err := r.readLine()
		if err != nil {
			return 0, err
		}
		if len(line) == 0 {
			if !r.dataSeen {
				// No data: nothing to dispatch; the event type resets.
				r.Event = r.Event[:0]
				r.IDSeen = false
				continue
			}
			r.dispatched = true
			return sseEvent, nil
		}
		if line[0] == ':' {
			r.Comments++
			continue
		}
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) { // no allocation: the compiler optimises string(b) in a switch
		case "data":
			if r.dataSeen {
				r.Data = append(r.Data, '\n')
			}
			r.Data = append(r.Data, value...)
			r.dataSeen = true
		case "event":
			r.Event = append(r.Event[:0], value...)
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				r.LastID = append(r.LastID[:0], value...)
				r.IDSeen = true
			}
		case "retry":
			if ms, ok := parseDigits(value); ok {
				r.Retry = ms
				return sseRetry, nil
			}
		}
	}
}

// parseDigits parses a non-empty string of ASCII digits, without
// allocating. It fails on anything else or on overflow.
func parseDigits(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}
