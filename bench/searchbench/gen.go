// Package searchbench fills a store with a realistic chat log and
// measures full-text search over it; "parley bench -search" runs it.
//
// The log is synthetic but shaped like chat: a vocabulary of made-up
// words whose frequencies follow Zipf's law (a few words are everywhere,
// most are rare, as in natural language), lines of 1 to 30 words with a
// median near 6, a few dozen speakers and rooms, and times that grow with
// IDs over a year. Everything comes from a seeded generator, so a given
// seed and size always give the same log.
package searchbench

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/parley-chat/parley"
)

// Config shapes a generated log.
type Config struct {
	Messages int     // chat lines to append
	Rooms    int     // rooms, named r00, r01, ...; default 20
	Speakers int     // distinct names; default 50
	Vocab    int     // distinct words; default 50,000
	Zipf     float64 // Zipf exponent s (> 1); default 1.07
	Batch    int     // messages per Append; default 2,000
	Seed     uint64
	Start    time.Time // time of the first message; default a year before now
	// Progress, if set, is called after each batch with the count so far.
	Progress func(done int)
}

func (c *Config) defaults() {
	if c.Rooms <= 0 {
		c.Rooms = 20
	}
	if c.Speakers <= 0 {
		c.Speakers = 50
	}
	if c.Vocab <= 0 {
		c.Vocab = 50_000
	}
	if c.Zipf <= 1 {
		c.Zipf = 1.07
	}
	if c.Batch <= 0 {
		c.Batch = 2000
	}
	if c.Start.IsZero() {
		c.Start = time.Now().UTC().Add(-365 * 24 * time.Hour).Truncate(time.Second)
	}
}

// RoomName names generated room i.
func RoomName(i int) string { return fmt.Sprintf("r%02d", i) }

// Vocabulary returns n distinct made-up words; word i is the i-th most
// frequent. Words are pronounceable syllable strings, 2 to 12 letters.
func Vocabulary(n int, seed uint64) []string {
	syll := []string{
		"ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "ba", "gu", "ve", "zo", "chi",
		"an", "el", "or", "un", "is", "ar", "en", "ol", "ut", "im", "sh", "th", "qu", "st",
	}
	r := rand.New(rand.NewPCG(seed, 0x766f636162))
	seen := make(map[string]bool, n)
	words := make([]string, 0, n)
	for len(words) < n {
		// Frequent words are short, as in natural language.
		parts := 1 + r.IntN(2)
		if len(words) > 200 {
			parts = 2 + r.IntN(3)
		}
		var b strings.Builder
		for range parts {
			b.WriteString(syll[r.IntN(len(syll))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}

// Generator makes chat lines.
type Generator struct {
	cfg   Config
	words []string
	r     *rand.Rand
	zipf  *rand.Zipf
}

// NewGenerator returns a generator for cfg.
func NewGenerator(cfg Config) *Generator {
	cfg.defaults()
	r := rand.New(rand.NewPCG(cfg.Seed, 0x7061726c6579))
	return &Generator{
		cfg:   cfg,
		words: Vocabulary(cfg.Vocab, cfg.Seed),
		r:     r,
		zipf:  rand.NewZipf(r, cfg.Zipf, 1, uint64(cfg.Vocab-1)),
	}
}

// Words returns the vocabulary, most frequent first.
func (g *Generator) Words() []string { return g.words }

// Line returns one chat line.
func (g *Generator) Line() string {
	// Lengths: 1 + a geometric-like spread, capped at 30 words.
	n := 1 + int(g.r.ExpFloat64()*7)
	n = min(n, 30)
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(g.words[g.zipf.Uint64()])
	}
	return b.String()
}

// Fill creates the rooms (those that exist are kept) and appends
// cfg.Messages chat lines in batches, with times spread evenly from
// cfg.Start to now.
func Fill(ctx context.Context, store parley.Store, cfg Config) error {
	cfg.defaults()
	g := NewGenerator(cfg)
	for i := range cfg.Rooms {
		err := store.CreateRoom(ctx, &parley.Room{Name: RoomName(i)})
		if err != nil && parley.ErrorCode(err) != parley.EConflict {
			return err
		}
	}
	span := time.Since(cfg.Start)
	step := span / time.Duration(max(cfg.Messages, 1))
	batch := make([]*parley.Message, 0, cfg.Batch)
	for done := 0; done < cfg.Messages; {
		batch = batch[:0]
		for len(batch) < cfg.Batch && done+len(batch) < cfg.Messages {
			i := done + len(batch)
			batch = append(batch, &parley.Message{
				Room: RoomName(g.r.IntN(cfg.Rooms)),
				Kind: parley.KindMessage,
				From: fmt.Sprintf("user%02d", g.r.IntN(cfg.Speakers)),
				Text: g.Line(),
				Time: cfg.Start.Add(time.Duration(i) * step),
			})
		}
		if err := store.Append(ctx, batch); err != nil {
			return err
		}
		done += len(batch)
		if cfg.Progress != nil {
			cfg.Progress(done)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	return nil
}
