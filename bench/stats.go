package bench

import (
	"math"
	"math/bits"
	"sync/atomic"
)

// Histogram geometry: log-linear buckets (as in HdrHistogram). Values below
// 2*histSub are exact; above, each power of two is split into histSub
// buckets, so a bucket's width is at most 1/histSub (1.6 %) of its value.
const (
	histSubBits  = 6
	histSub      = 1 << histSubBits // 64
	histMaxShift = 34               // largest exact range: values < 128<<34 ns (about 36 minutes)
	histBuckets  = histMaxShift*histSub + 2*histSub
)

// Histogram records non-negative int64 values (nanoseconds, here) for
// percentile queries. Record is safe for concurrent use and lock-free;
// it never allocates, so thousands of subscribers can share one histogram.
// The zero value is ready to use.
type Histogram struct {
	counts [histBuckets]atomic.Uint64
	sum    atomic.Int64
	max    atomic.Int64
	min    atomic.Int64 // stored as value+1 so that 0 means "none yet"
}

// bucketOf returns the bucket index for v >= 0.
func bucketOf(v int64) int {
	if v < 0 {
		v = 0
	}
	u := uint64(v)
	shift := bits.Len64(u) - (histSubBits + 1)
	if shift <= 0 {
		return int(u) // 0..127, exact
	}
	if shift > histMaxShift {
		return histBuckets - 1
	}
	return shift*histSub + int(u>>uint(shift))
}

// bucketRange returns the smallest and largest value of bucket b.
func bucketRange(b int) (lo, hi int64) {
	if b < 2*histSub {
		return int64(b), int64(b)
	}
	shift := b/histSub - 1
	m := int64(b - shift*histSub) // histSub..2*histSub-1
	lo = m << uint(shift)
	return lo, lo + (int64(1) << uint(shift)) - 1
}

// Record adds one value. Negative values count as 0.
func (h *Histogram) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)].Add(1)
	h.sum.Add(v)
	for {
		m := h.max.Load()
		if v <= m || h.max.CompareAndSwap(m, v) {
			break
		}
	}
	for {
		m := h.min.Load()
		if (m != 0 && v+1 >= m) || h.min.CompareAndSwap(m, v+1) {
			break
		}
	}
}

// Count returns the number of recorded values.
func (h *Histogram) Count() uint64 {
	var n uint64
	for i := range h.counts {
		n += h.counts[i].Load()
	}
	return n
}

// Max returns the largest recorded value, exactly; 0 when empty.
func (h *Histogram) Max() int64 { return h.max.Load() }

// Min returns the smallest recorded value, exactly; 0 when empty.
func (h *Histogram) Min() int64 {
	if m := h.min.Load(); m > 0 {
		return m - 1
	}
	return 0
}

// Mean returns the mean of the recorded values; 0 when empty.
func (h *Histogram) Mean() float64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	return float64(h.sum.Load()) / float64(n)
}

// Quantile returns the value at quantile q (0 < q <= 1): the smallest
// recorded value v such that at least q of all values are <= v, to within
// the bucket's precision (the midpoint of its bucket, clamped to the exact
// min and max). It returns 0 when empty. Call it after recording is done.
func (h *Histogram) Quantile(q float64) int64 {
	n := h.Count()
	if n == 0 {
		return 0
	}
	if q >= 1 {
		return h.Max()
	}
	rank := uint64(math.Ceil(q * float64(n)))
	if rank < 1 {
		rank = 1
	}
	var cum uint64
	for b := range h.counts {
		cum += h.counts[b].Load()
		if cum >= rank {
			lo, hi := bucketRange(b)
			v := lo + (hi-lo)/2
			if mx := h.Max(); v > mx {
				v = mx
			}
			if mn := h.Min(); v < mn {
				v = mn
			}
			return v
		}
	}
	return h.Max()
}

// Merge adds o's values to h. Neither may be recorded into meanwhile.
func (h *Histogram) Merge(o *Histogram) {
	for i := range o.counts {
		if n := o.counts[i].Load(); n > 0 {
			h.counts[i].Add(n)
		}
	}
	h.sum.Add(o.sum.Load())
	if m := o.max.Load(); m > h.max.Load() {
		h.max.Store(m)
	}
	if m := o.min.Load(); m != 0 && (h.min.Load() == 0 || m < h.min.Load()) {
		h.min.Store(m)
	}
}
