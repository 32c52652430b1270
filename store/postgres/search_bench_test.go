package postgres_test

import (
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/bench/searchbench"
)

// TestSearchLatency measures search over a generated log, like
// "parley bench -search" does for SQLite. It runs only when
// PARLEY_BENCH_SEARCH gives the number of messages:
//
//	PARLEY_BENCH_SEARCH=1000000 go test -run SearchLatency -v -timeout 1h ./store/postgres/
func TestSearchLatency(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("PARLEY_BENCH_SEARCH"))
	if n <= 0 {
		t.Skip("set PARLEY_BENCH_SEARCH to a number of messages to run")
	}
	dsn := tempDB(t)
	s := open(t, dsn)
	cfg := searchbench.Config{Messages: n, Seed: 1}
	start := time.Now()
	if err := searchbench.Fill(t.Context(), s, cfg); err != nil {
		t.Fatal(err)
	}
	t.Logf("generated %d lines in %v", n, time.Since(start).Round(time.Millisecond))
	if _, err := rawConn(t, dsn).Exec(t.Context(), "VACUUM ANALYZE messages"); err != nil {
		t.Fatal(err)
	}
	rooms, err := s.Rooms(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rooms {
		names = append(names, r.Name)
	}
	words := searchbench.NewGenerator(cfg).Words()
	var results []searchbench.Result
	for _, mix := range searchbench.Mixes {
		qs, err := searchbench.Queries(words, mix, 300, 1.07, 1)
		if err != nil {
			t.Fatal(err)
		}
		r, err := searchbench.Measure(t.Context(), s, names, qs, 3)
		if err != nil {
			t.Fatal(err)
		}
		r.Mix = mix
		results = append(results, r)
	}
	var b strings.Builder
	searchbench.WriteText(&b, results)
	t.Log("\n" + b.String())
}
