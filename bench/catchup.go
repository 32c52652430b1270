package bench

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sync"
	"time"
)

// CatchUpReport describes -catchups: subscribers that resume from the
// start of the log (cursor 0) and read -catchup messages each, while the
// rest of the run goes on.
type CatchUpReport struct {
	Streams  int     `json:"streams"`
	Messages int     `json:"messages"` // each stream reads this many
	Failed   int     `json:"failed"`
	Seconds  float64 `json:"seconds"` // until the last one finished
	// Per stream, messages per second: slowest, median, fastest.
	RateMin    float64 `json:"rate_min"`
	RateMedian float64 `json:"rate_median"`
	RateMax    float64 `json:"rate_max"`
	// All streams together.
	RateTotal float64 `json:"rate_total"`
}

// catchUps runs the -catchups streams; wait returns their report.
type catchUps struct {
	wg    sync.WaitGroup
	start time.Time
	mu    sync.Mutex
	durs  []time.Duration
	fail  int
	n     int
	k     int
}

// startCatchUps opens cfg.catchups streams of cfg.transport with cursor 0,
// each reading cfg.catchup message events, in the background.
func startCatchUps(ctx context.Context, cfg *config, logf func(string, ...any)) (*catchUps, error) {
	c := *cfg
	c.startAfter = 0
	// A catch-up reads a long burst: a large buffer takes it in a few
	// big reads instead of one per kilobyte.
	c.readBuf = catchUpBufSize
	tr, err := transports[cfg.transport](&c, cfg.nodes[0])
	if err != nil {
		return nil, err
	}
	cu := &catchUps{start: time.Now(), n: cfg.catchup, k: cfg.catchups}
	logf("starting %d %s catch-ups of %d messages each (cursor 0)", cfg.catchups, cfg.transport, cfg.catchup)
	for range cfg.catchups {
		cu.wg.Add(1)
		go func() {
			defer cu.wg.Done()
			t0 := time.Now()
			err := readFromStart(ctx, tr, cfg.catchup)
			cu.mu.Lock()
			defer cu.mu.Unlock()
			if err != nil {
				logf("catch-up failed: %v", err)
				cu.fail++
				return
			}
			cu.durs = append(cu.durs, time.Since(t0))
		}()
	}
	return cu, nil
}

// catchUpBufSize is a catch-up stream's read buffer.
const catchUpBufSize = 64 << 10

// readFromStart reads n message events from a stream opened at cursor 0.
// It checks what can be checked cheaply from each event's ID alone
// (the id: line, the start of a WebSocket frame): that IDs strictly
// increase, so none is repeated or out of order. It does not decode the
// JSON nor check for gaps; the live subscribers check everything.
func readFromStart(ctx context.Context, tr transport, n int) error {
	s, err := tr.open(ctx)
	if err != nil {
		return err
	}
	defer s.close()
	got := 0
	var last int64
	for got < n {
		f, err := s.next()
		if err != nil {
			return fmt.Errorf("after %d of %d messages: %w", got, n, err)
		}
		if f.id <= 0 {
			continue
		}
		if f.id <= last {
			return fmt.Errorf("after %d of %d messages: event %d after %d (repeated or out of order)", got, n, f.id, last)
		}
		last = f.id
		got++
	}
	return nil
}

func (cu *catchUps) wait() *CatchUpReport {
	cu.wg.Wait()
	rep := &CatchUpReport{Streams: cu.k, Messages: cu.n, Failed: cu.fail, Seconds: time.Since(cu.start).Seconds()}
	if len(cu.durs) == 0 {
		return rep
	}
	rates := make([]float64, len(cu.durs))
	for i, d := range cu.durs {
		rates[i] = float64(cu.n) / d.Seconds()
	}
	slices.Sort(rates)
	rep.RateMin, rep.RateMedian, rep.RateMax = rates[0], rates[len(rates)/2], rates[len(rates)-1]
	rep.RateTotal = float64(cu.n*len(cu.durs)) / rep.Seconds
	return rep
}

// resumeQuery is the query suffix that starts a stream after startAfter
// (lastEventId works for both SSE and WebSocket); "" for none.
func resumeQuery(startAfter int64) string {
	if startAfter < 0 {
		return ""
	}
	return "&lastEventId=" + url.QueryEscape(fmt.Sprint(startAfter))
}
