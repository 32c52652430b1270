package sqlite_test

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

// BenchmarkAppend measures durable appends (synchronous=FULL: one fsync per
// batch) from one goroutine. An op is one Append call; msgs/s is the
// resulting message rate.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := open(b, filepath.Join(b.TempDir(), "bench.db"))
			batch := make([]*parley.Message, size)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				for i := range batch {
					batch[i] = &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bench", Text: "the quick brown fox jumps over the lazy dog"}
				}
				if err := s.Append(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkAppendParallel has 16 goroutines append single messages with no
// batching in front of the store: the floor the service layer's group
// commit improves on.
func BenchmarkAppendParallel(b *testing.B) {
	s := open(b, filepath.Join(b.TempDir(), "bench.db"))
	const posters = 16
	start := time.Now()
	var wg sync.WaitGroup
	per := b.N/posters + 1
	for range posters {
		wg.Go(func() {
			for range per {
				m := &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bench", Text: "the quick brown fox"}
				if err := s.Append(b.Context(), []*parley.Message{m}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.ReportMetric(float64(per*posters)/time.Since(start).Seconds(), "msgs/s")
}
