package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/parley-chat/parley/bench/searchbench"
)

const benchSearchUsage = `parley bench -search [-gen N] [-db PATH] [flags]

Fills a database with a synthetic chat log (with -gen) and measures
full-text search latency over it, straight on the store: p50, p95 and
p99 over many random two-word queries, the median of several runs.

  parley bench -search -gen 1000000 -db /tmp/s.db   generate, then measure
  parley bench -search -db /tmp/s.db                measure an existing log`

// isSearchBench reports whether "parley bench" was asked for the search
// benchmark rather than the load test.
func isSearchBench(args []string) bool {
	return slices.ContainsFunc(args, func(a string) bool {
		return a == "-search" || a == "--search" || strings.HasPrefix(a, "-search=") || strings.HasPrefix(a, "--search=")
	})
}

func benchSearch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("bench -search", benchSearchUsage, stderr)
	if err != nil {
		return err
	}
	fs.Bool("search", true, "run the search benchmark (this mode)")
	gen := fs.Int("gen", 0, "append this many generated chat lines first")
	queries := fs.Int("queries", 1000, "queries per run")
	runs := fs.Int("runs", 3, "runs; each percentile is the median over them")
	mixes := fs.String("mix", "zipf,uniform,common,prefix", "query word mixes: zipf (content words), uniform (rare words), common (worst case), prefix (a word and a 2-4 letter prefix)")
	seed := fs.Uint64("seed", 1, "random seed for the log and the queries")
	rooms := fs.Int("rooms", 20, "rooms to spread generated lines over")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos); err != nil {
		return err
	}
	if *gen == 0 {
		if _, err := os.Stat(*db); err != nil {
			return fmt.Errorf("database %s: %w: generate one with -gen N", *db, err)
		}
	}
	s, err := openStore(ctx, *db, false)
	if err != nil {
		return err
	}
	defer s.Close()

	cfg := searchbench.Config{Messages: *gen, Rooms: *rooms, Seed: *seed}
	if *gen > 0 {
		start := time.Now()
		last := time.Now()
		cfg.Progress = func(done int) {
			if time.Since(last) >= 5*time.Second || done == *gen {
				last = time.Now()
				fmt.Fprintf(stderr, "generated %d of %d lines (%.0f/s)\n", done, *gen, float64(done)/time.Since(start).Seconds())
			}
		}
		if err := searchbench.Fill(ctx, s, cfg); err != nil {
			return fmt.Errorf("generating: %w", err)
		}
		el := time.Since(start)
		fmt.Fprintf(stdout, "generated %d lines in %s (%.0f lines/s)\n", *gen, el.Round(time.Millisecond), float64(*gen)/el.Seconds())
	}

	all, err := s.Rooms(ctx)
	if err != nil {
		return err
	}
	names := make([]string, len(all))
	for i, r := range all {
		names[i] = r.Name
	}
	// A caller who may read every room, and one who may read half of them
	// (the store must then check each match's room).
	scopes := [][]string{names, names[:max(1, len(names)/2)]}
	last, err := s.LastID(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "search: %d messages (last ID), %d rooms, %s, GOMAXPROCS %d\n", last, len(names), runtime.Version(), runtime.GOMAXPROCS(0))
	gcfg := cfg
	gcfg.Messages = 0
	words := searchbench.NewGenerator(gcfg).Words()
	var results []searchbench.Result
	for _, m := range strings.Split(*mixes, ",") {
		qs, err := searchbench.Queries(words, searchbench.Mix(strings.TrimSpace(m)), *queries, 1.07, *seed)
		if err != nil {
			return err
		}
		for _, scope := range scopes {
			r, err := searchbench.Measure(ctx, s, scope, qs, *runs)
			if err != nil {
				return err
			}
			r.Mix = searchbench.Mix(m)
			results = append(results, r)
		}
	}
	searchbench.WriteText(stdout, results)
	return nil
}
