package postgres

import (
	"context"
	"encoding/binary"

	"github.com/parley-chat/parley"
)

// The batch ring (migration 0009) is counters.ring: the last ringSize
// batches committed, oldest first, each ringEntry bytes:
//
//	last ID   int64, big-endian (written by the UPDATE itself: int8send)
//	size      uint32, the batch's message count, so first = last-size+1
//	key count uint16, ringUnknown when the keys were not recorded
//	keys      parley.BatchKeysMax × uint16, unused ones zero
//
// appendSQL appends the batch's entry and drops the oldest in the UPDATE
// that takes its IDs, under the counter's row lock, so consecutive
// entries tile the IDs with no hole: every commit goes through it. A
// hole appears only where the counter was moved by other means (a
// transfer from SQLite), and decodeRing stops at it.
const (
	ringEntry   = 8 + 4 + 2 + 2*parley.BatchKeysMax
	ringSize    = 32
	ringBytes   = ringEntry * ringSize
	ringUnknown = 0xFFFF
)

// ringTail encodes an entry without its last ID: what appendSQL adds
// after int8send(value + n).
func ringTail(size int, keys []uint16, known bool) []byte {
	b := make([]byte, ringEntry-8)
	binary.BigEndian.PutUint32(b, uint32(size))
	if !known || len(keys) > parley.BatchKeysMax {
		binary.BigEndian.PutUint16(b[4:], ringUnknown)
		return b
	}
	binary.BigEndian.PutUint16(b[4:], uint16(len(keys)))
	for i, k := range keys {
		binary.BigEndian.PutUint16(b[6+2*i:], k)
	}
	return b
}

// decodeRing returns the batches of ring, oldest first, from the newest
// back to the first hole in the IDs.
func decodeRing(ring []byte) []parley.Batch {
	n := len(ring) / ringEntry
	out := make([]parley.Batch, n)
	kept := 0
	for i := n - 1; i >= 0; i-- {
		e := ring[i*ringEntry : (i+1)*ringEntry]
		last := int64(binary.BigEndian.Uint64(e))
		size := int64(binary.BigEndian.Uint32(e[8:]))
		b := parley.Batch{First: last - size + 1, Last: last}
		if size == 0 || (kept > 0 && out[n-kept].First != last+1) {
			break
		}
		if count := binary.BigEndian.Uint16(e[12:]); count != ringUnknown && int(count) <= parley.BatchKeysMax {
			b.Keys = make([]uint16, count)
			for k := range b.Keys {
				b.Keys[k] = binary.BigEndian.Uint16(e[14+2*k:])
			}
		}
		kept++
		out[n-kept] = b
	}
	return out[n-kept:]
}

// AppendRing is Append that records keys with the batch in the ring; it
// implements parley.BatchRing. More than parley.BatchKeysMax keys are
// recorded as unknown.
func (s *Store) AppendRing(ctx context.Context, msgs []*parley.Message, keys []uint16) ([]parley.Batch, error) {
	ring, err := s.appendBatch(ctx, msgs, keys, true)
	if err != nil || ring == nil {
		return nil, err
	}
	return decodeRing(ring), nil
}
