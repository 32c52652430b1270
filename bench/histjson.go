package bench

import (
	"encoding/json"
	"fmt"
)

// histJSON is a Histogram on the wire between the processes of a -procs
// run: the non-empty buckets only.
type histJSON struct {
	Buckets [][2]uint64 `json:"buckets"` // bucket index, count
	Sum     int64       `json:"sum"`
	Max     int64       `json:"max"`
	Min     int64       `json:"min"` // as stored: value+1, 0 for none
}

// MarshalJSON encodes the histogram. It must not be recorded into
// meanwhile.
func (h *Histogram) MarshalJSON() ([]byte, error) {
	j := histJSON{Sum: h.sum.Load(), Max: h.max.Load(), Min: h.min.Load(), Buckets: [][2]uint64{}}
	for i := range h.counts {
		if n := h.counts[i].Load(); n > 0 {
			j.Buckets = append(j.Buckets, [2]uint64{uint64(i), n})
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes into a zero Histogram.
func (h *Histogram) UnmarshalJSON(b []byte) error {
	var j histJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	for _, bc := range j.Buckets {
		if bc[0] >= histBuckets {
			return fmt.Errorf("histogram bucket %d out of range", bc[0])
		}
		h.counts[bc[0]].Store(bc[1])
	}
	h.sum.Store(j.Sum)
	h.max.Store(j.Max)
	h.min.Store(j.Min)
	return nil
}
