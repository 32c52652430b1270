package postgres_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parley-chat/parley"
)

const benchText = "the quick brown fox jumps over the lazy dog"

// BenchmarkAppend measures durable appends (one commit, so one WAL flush,
// per batch) from one goroutine. An op is one Append call; msgs/s is the
// resulting message rate.
func BenchmarkAppend(b *testing.B) {
	for _, size := range []int{1, 64, 256} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			s := open(b, tempDB(b))
			batch := make([]*parley.Message, size)
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				for i := range batch {
					batch[i] = &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bench", Text: benchText}
				}
				if err := s.Append(b.Context(), batch); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*size)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkAppendCluster has 16 posters on two Stores (two nodes, two
// pools) append concurrently to one database, each call carrying batch
// messages: batch=1 is the floor with no batching in front of the store,
// batch=64 what the service's group commit hands it under load. Every
// Append serialises on the ID counter, so this is the cluster's write
// ceiling. An op is one message.
func BenchmarkAppendCluster(b *testing.B) {
	for _, size := range []int{1, 64} {
		b.Run(fmt.Sprintf("batch=%d", size), func(b *testing.B) {
			dsn := tempDB(b)
			stores := []parley.Store{open(b, dsn), open(b, dsn)}
			const posters = 16
			var (
				left = atomic.Int64{}
				wg   sync.WaitGroup
			)
			left.Store(int64(b.N))
			b.ResetTimer()
			start := time.Now()
			for p := range posters {
				s := stores[p%len(stores)]
				wg.Go(func() {
					for {
						n := min(int64(size), left.Add(-int64(size))+int64(size))
						if n <= 0 {
							return
						}
						batch := make([]*parley.Message, n)
						for i := range batch {
							batch[i] = &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bench", Text: benchText}
						}
						if err := s.Append(b.Context(), batch); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
		})
	}
}

// BenchmarkAppendNodes models the nodes of a cluster as the store sees
// them: each node has one committer, which appends a batch, waits for the
// commit, and appends the next. Every commit takes the ID counter's row
// lock until it is durable, so commits from all nodes queue on that one
// row: this finds where the single global ID sequence saturates. An op is
// one message.
func BenchmarkAppendNodes(b *testing.B) {
	for _, nodes := range []int{1, 3, 6} {
		for _, size := range []int{1, 16, 64} {
			b.Run(fmt.Sprintf("nodes=%d/batch=%d", nodes, size), func(b *testing.B) {
				dsn := tempDB(b)
				var left atomic.Int64
				left.Store(int64(b.N))
				stores := make([]parley.Store, nodes)
				for i := range stores {
					stores[i] = open(b, dsn)
				}
				var commits atomic.Int64
				var wg sync.WaitGroup
				b.ResetTimer()
				start := time.Now()
				for _, s := range stores {
					wg.Go(func() {
						for {
							n := min(int64(size), left.Add(-int64(size))+int64(size))
							if n <= 0 {
								return
							}
							batch := make([]*parley.Message, n)
							for i := range batch {
								batch[i] = &parley.Message{Room: "lobby", Kind: parley.KindMessage, From: "bench", Text: benchText}
							}
							if err := s.Append(b.Context(), batch); err != nil {
								b.Error(err)
								return
							}
							commits.Add(1)
						}
					})
				}
				wg.Wait()
				secs := time.Since(start).Seconds()
				b.ReportMetric(float64(b.N)/secs, "msgs/s")
				b.ReportMetric(float64(commits.Load())/secs, "commits/s")
			})
		}
	}
}
