package sse

import (
	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/stream"
)

// pageBuffer gathers what a stream sends before it goes live (its
// context, then each page of a replay) into one buffer, written in one go
// per page: a catch-up of many pages costs a write per page, and each
// message is encoded straight into the buffer. add and flush are the
// callbacks of stream.Replayer.Replay.
type pageBuffer struct {
	out      []byte // may start with what must precede the first page
	n        int    // messages added since the last flush
	counters *stream.Counters
	write    func([]byte) error
}

func (p *pageBuffer) add(m *parley.Message) error {
	p.out = m.AppendSSE(p.out)
	p.n++
	return nil
}

// flush writes what was added and counts it as delivered.
func (p *pageBuffer) flush() error {
	p.counters.Delivered(p.n)
	p.n = 0
	if len(p.out) == 0 {
		return nil
	}
	err := p.write(p.out)
	p.out = p.out[:0]
	return err
}
