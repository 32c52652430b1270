package searchbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/parley-chat/parley"
)

// Mix is how benchmark queries pick their two words from the vocabulary
// (ranked most frequent first).
type Mix string

const (
	// MixZipf draws each word with the log's own Zipf weights, skipping
	// the StopWords most frequent ranks: what people search for are
	// content words, not "the" and "and". The default.
	MixZipf Mix = "zipf"
	// MixUniform draws each word uniformly: mostly rare words.
	MixUniform Mix = "uniform"
	// MixCommon draws both words from the 100 most frequent: the worst
	// case, every query matching a large part of the log.
	MixCommon Mix = "common"
	// MixPrefix pairs a content word (as MixZipf) with the first 2 to 4
	// letters of another, as a prefix: "kalo mist*"-style queries typed
	// into a search-as-you-type box.
	MixPrefix Mix = "prefix"
)

// StopWords is how many top-ranked words MixZipf skips.
const StopWords = 50

// Mixes lists every mix, in report order.
var Mixes = []Mix{MixZipf, MixUniform, MixCommon, MixPrefix}

// Queries returns n two-word queries drawn with mix.
func Queries(words []string, mix Mix, n int, zipfS float64, seed uint64) ([]string, error) {
	r := rand.New(rand.NewPCG(seed, 0x71756572))
	var pick func() string
	switch mix {
	case MixZipf:
		z := rand.NewZipf(r, zipfS, 1, uint64(len(words)-StopWords-1))
		pick = func() string { return words[StopWords+int(z.Uint64())] }
	case MixUniform:
		pick = func() string { return words[r.IntN(len(words))] }
	case MixCommon:
		pick = func() string { return words[r.IntN(min(100, len(words)))] }
	case MixPrefix:
		z := rand.NewZipf(r, zipfS, 1, uint64(len(words)-StopWords-1))
		qs := make([]string, n)
		for i := range qs {
			a, b := words[StopWords+int(z.Uint64())], []rune(words[StopWords+int(z.Uint64())])
			qs[i] = a + " " + string(b[:min(len(b), 2+r.IntN(3))]) + "*"
		}
		return qs, nil
	default:
		return nil, fmt.Errorf("query mix %q is unknown: use zipf, uniform or common", mix)
	}
	qs := make([]string, n)
	for i := range qs {
		a, b := pick(), pick()
		for b == a {
			b = pick()
		}
		qs[i] = a + " " + b
	}
	return qs, nil
}

// Result is the latency of one query mix: each percentile is the median
// of that percentile over the runs.
type Result struct {
	Mix           Mix
	Rooms         int // rooms each query searched
	Queries, Runs int
	P50, P95, P99 time.Duration
	MeanHits      float64 // results per query (at most the page size)
	Matching      float64 // mean queries that found anything, 0..1
}

// Measure runs queries against s, runs times over the same list after one
// untimed warm-up pass over up to 50 of them, and returns the median
// percentiles. Each query asks for the default page (20) in rooms.
func Measure(ctx context.Context, s parley.Searcher, rooms []string, queries []string, runs int) (Result, error) {
	res := Result{Rooms: len(rooms), Queries: len(queries), Runs: runs}
	for _, q := range queries[:min(50, len(queries))] {
		if _, err := s.Search(ctx, parley.SearchQuery{Text: q, Rooms: rooms}); err != nil {
			return res, err
		}
	}
	var p50, p95, p99 []time.Duration
	hits, found := 0, 0
	lat := make([]time.Duration, len(queries))
	for run := range runs {
		for i, q := range queries {
			start := time.Now()
			page, err := s.Search(ctx, parley.SearchQuery{Text: q, Rooms: rooms})
			lat[i] = time.Since(start)
			if err != nil {
				return res, fmt.Errorf("query %q: %w", q, err)
			}
			if run == 0 {
				hits += len(page.Hits)
				if len(page.Hits) > 0 {
					found++
				}
			}
		}
		slices.Sort(lat)
		p50 = append(p50, percentile(lat, 0.50))
		p95 = append(p95, percentile(lat, 0.95))
		p99 = append(p99, percentile(lat, 0.99))
	}
	res.P50, res.P95, res.P99 = median(p50), median(p95), median(p99)
	res.MeanHits = float64(hits) / float64(len(queries))
	res.Matching = float64(found) / float64(len(queries))
	return res, nil
}

// percentile returns the p-quantile of sorted (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// WriteText prints results as a table.
func WriteText(w io.Writer, results []Result) {
	fmt.Fprintf(w, "%-8s %6s %8s %5s %10s %10s %10s %9s %9s\n", "mix", "rooms", "queries", "runs", "p50", "p95", "p99", "hits/q", "matching")
	for _, r := range results {
		fmt.Fprintf(w, "%-8s %6d %8d %5d %10s %10s %10s %9.1f %8.0f%%\n",
			r.Mix, r.Rooms, r.Queries, r.Runs, round(r.P50), round(r.P95), round(r.P99), r.MeanHits, 100*r.Matching)
	}
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}
