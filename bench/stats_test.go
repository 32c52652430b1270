package bench

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
)

func TestHistogramBuckets(t *testing.T) {
	prevHi := int64(-1)
	for b := range histBuckets {
		lo, hi := bucketRange(b)
		if lo != prevHi+1 || hi < lo {
			t.Fatalf("bucket %d = [%d, %d], previous ended at %d", b, lo, hi, prevHi)
		}
		if bucketOf(lo) != b || bucketOf(hi) != b {
			t.Fatalf("bucket %d = [%d, %d] but bucketOf gives %d, %d", b, lo, hi, bucketOf(lo), bucketOf(hi))
		}
		if lo >= 2*histSub && float64(hi-lo+1)/float64(lo) > 1.0/histSub+1e-12 {
			t.Fatalf("bucket %d = [%d, %d] is wider than 1/%d of its value", b, lo, hi, histSub)
		}
		prevHi = hi
	}
	if bucketOf(math.MaxInt64) != histBuckets-1 || bucketOf(-5) != 0 {
		t.Fatal("out-of-range values are not clamped")
	}
}

// exactQuantile is the reference: the smallest v with at least q of the
// values <= v.
func exactQuantile(sorted []int64, q float64) int64 {
	rank := int(math.Ceil(q * float64(len(sorted))))
	return sorted[max(rank, 1)-1]
}

func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dist := range []struct {
		name string
		gen  func() int64
	}{
		{"uniform 0-100ms", func() int64 { return rng.Int64N(100e6) }},
		{"exponential ~2ms", func() int64 { return int64(rng.ExpFloat64() * 2e6) }},
		{"small exact", func() int64 { return rng.Int64N(100) }},
	} {
		var h Histogram
		vals := make([]int64, 20000)
		for i := range vals {
			vals[i] = dist.gen()
			h.Record(vals[i])
		}
		slices.Sort(vals)
		if h.Count() != uint64(len(vals)) || h.Max() != vals[len(vals)-1] || h.Min() != vals[0] {
			t.Fatalf("%s: count %d max %d min %d", dist.name, h.Count(), h.Max(), h.Min())
		}
		for _, q := range []float64{0.001, 0.5, 0.9, 0.99, 0.999, 1} {
			got, want := h.Quantile(q), exactQuantile(vals, q)
			if d := math.Abs(float64(got - want)); d > float64(want)/histSub+1 {
				t.Errorf("%s: q%g = %d, want %d (±1/%d)", dist.name, q, got, want, histSub)
			}
		}
	}
}

func TestHistogramSmallSets(t *testing.T) {
	var h Histogram
	if h.Quantile(0.5) != 0 || h.Max() != 0 || h.Mean() != 0 {
		t.Fatal("empty histogram is not all zero")
	}
	for _, v := range []int64{1000, 2000, 3000, 4000} {
		h.Record(v)
	}
	// p50 of four values is the second; p99 and p100 the fourth.
	if got := h.Quantile(0.5); math.Abs(float64(got-2000)) > 2000/histSub {
		t.Errorf("p50 = %d", got)
	}
	if got := h.Quantile(0.99); got != 4000 { // clamped to the exact max
		t.Errorf("p99 = %d", got)
	}
	if h.Mean() != 2500 {
		t.Errorf("mean = %v", h.Mean())
	}
	var one Histogram
	one.Record(123456789)
	if one.Quantile(0.5) != 123456789 {
		t.Errorf("single value: p50 = %d", one.Quantile(0.5))
	}
}

func TestHistogramConcurrent(t *testing.T) {
	var h Histogram
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				h.Record(int64(g*1000 + i))
			}
		}()
	}
	wg.Wait()
	if h.Count() != 8000 || h.Max() != 7999 || h.Min() != 0 {
		t.Fatalf("count %d max %d min %d", h.Count(), h.Max(), h.Min())
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	b.RunParallel(func(pb *testing.PB) {
		v := int64(1)
		for pb.Next() {
			h.Record(v)
			v = v*7 + 1&0xffffff
		}
	})
}
