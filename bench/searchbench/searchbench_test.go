package searchbench_test

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/bench/searchbench"
	"github.com/parley-chat/parley/store/sqlite"
)

func TestVocabularyAndZipf(t *testing.T) {
	words := searchbench.Vocabulary(5000, 7)
	if len(words) != 5000 || !slices.Equal(words, searchbench.Vocabulary(5000, 7)) {
		t.Fatal("vocabulary is not deterministic")
	}
	seen := map[string]bool{}
	for _, w := range words {
		if seen[w] || w == "" {
			t.Fatalf("word %q repeated or empty", w)
		}
		seen[w] = true
	}
	g := searchbench.NewGenerator(searchbench.Config{Vocab: 5000, Seed: 7})
	counts := map[string]int{}
	total := 0
	for range 20000 {
		for _, w := range strings.Fields(g.Line()) {
			counts[w]++
			total++
		}
	}
	// Zipf: the top word is far more frequent than the 100th.
	if top, hundredth := counts[words[0]], counts[words[99]]; top < 20*hundredth || top < total/20 {
		t.Errorf("top word %d times, 100th %d, of %d: not Zipf-like", top, hundredth, total)
	}
}

func TestFillAndMeasure(t *testing.T) {
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	cfg := searchbench.Config{Messages: 3000, Rooms: 4, Vocab: 2000, Batch: 500, Seed: 3, Start: time.Now().Add(-time.Hour)}
	if err := searchbench.Fill(t.Context(), s, cfg); err != nil {
		t.Fatal(err)
	}
	if last, _ := s.LastID(t.Context()); last != 3000 {
		t.Fatalf("LastID after Fill = %d", last)
	}
	words := searchbench.NewGenerator(cfg).Words()
	for _, mix := range searchbench.Mixes {
		qs, err := searchbench.Queries(words, mix, 50, 1.07, 1)
		if err != nil {
			t.Fatal(err)
		}
		rooms := []string{searchbench.RoomName(0), searchbench.RoomName(1), searchbench.RoomName(2), searchbench.RoomName(3)}
		r, err := searchbench.Measure(t.Context(), s, rooms, qs, 3)
		if err != nil {
			t.Fatal(err)
		}
		if r.P50 <= 0 || r.P50 > r.P95 || r.P95 > r.P99 {
			t.Errorf("%s: percentiles %v %v %v", mix, r.P50, r.P95, r.P99)
		}
		if mix == searchbench.MixCommon && r.Matching < 0.5 {
			t.Errorf("common words matched only %.0f%% of queries", 100*r.Matching)
		}
	}
	if _, err := searchbench.Queries(words, "bogus", 1, 1.07, 1); err == nil {
		t.Error("an unknown mix was accepted")
	}
}
