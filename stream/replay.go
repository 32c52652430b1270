package stream

import (
	"context"
	"runtime"

	"golang.org/x/time/rate"

	"github.com/parley-chat/parley"
)

// pageSize is how many messages a replay reads from the store at a time.
const pageSize = 500

// Replayer reads what resuming clients missed from the store, a page at a
// time, and bounds how many pages are read and encoded at once across all
// of them (its slots).
//
// A catch-up is CPU work from end to end: the store's rows, each
// message's encoding. Left alone, a hundred of them at once are a hundred
// runnable goroutines, and the Go scheduler gives each its time slice in
// turn: a hub partition or the committer, woken for a live event, waits
// behind them (measured: live p99 from 20 ms to 600 ms with 100 catch-ups
// on two cores). With slots, the catch-ups that wait for one are blocked,
// not runnable; those that hold one give it back after every page, so
// live work waits for at most a page of someone's replay, and the
// catch-ups take turns page by page (the slots are handed over in the
// order asked for).
//
// A slot covers the store read and the encoding into memory, never a
// write to the client: a slow client must not hold the others up.
//
// A nil *Replayer is not usable; construct one with NewReplayer.
type Replayer struct {
	store parley.Store
	slots chan struct{} // nil: no bound
	rate  *rate.Limiter // nil: no bound
	live  func() bool   // whether rate applies now; nil: always
}

// DefaultSlots is the default number of catch-up pages in flight: half the
// CPUs, at least one, so that replays leave cores to live delivery.
func DefaultSlots() int { return max(1, runtime.GOMAXPROCS(0)/2) }

// NewReplayer returns a Replayer over store with slots pages in flight at
// once; slots < 0 means no bound, 0 means DefaultSlots.
func NewReplayer(store parley.Store, slots int) *Replayer {
	r := &Replayer{store: store}
	if slots == 0 {
		slots = DefaultSlots()
	}
	if slots > 0 {
		r.slots = make(chan struct{}, slots)
	}
	return r
}

// LimitRate bounds the messages that every replay together reads a
// second while live reports true (perSecond <= 0: no bound; live nil:
// always). Slots bound how many pages are read at once, but a page is
// soon done and the next one taken: a hundred catch-ups in turn keep the
// store and the encoder busy on as many cores as the slots allow, and
// the writes that follow each page take more, so live messages wait for
// CPU. A rate while live messages flow leaves the machine to them; when
// none flow, catch-ups run at full speed.
func (r *Replayer) LimitRate(perSecond int, live func() bool) {
	if perSecond <= 0 {
		r.rate, r.live = nil, nil
		return
	}
	r.rate, r.live = rate.NewLimiter(rate.Limit(perSecond), pageSize), live
}

// DefaultRate is the default bound of LimitRate: 50,000 messages a second
// per CPU, all catch-ups together, which on two cores kept live delivery's
// p99 within a fifth of its value without catch-ups (docs/BENCHMARKS.md).
func DefaultRate() int { return 50_000 * runtime.GOMAXPROCS(0) }

// Slots returns the bound on pages in flight, 0 for none.
func (r *Replayer) Slots() int { return cap(r.slots) }

// Store returns the store the replayer reads.
func (r *Replayer) Store() parley.Store { return r.store }

// Page reads the messages after cursor in rooms, up to a page of them,
// and passes each to add in ID order, holding a slot meanwhile: add
// should only encode into memory. Messages with an ID above upTo end the
// page (upTo <= 0: no limit). It returns the ID of the last message added
// (cursor if none) and whether there may be more before upTo.
func (r *Replayer) Page(ctx context.Context, rooms []string, cursor, upTo int64, add func(*parley.Message) error) (last int64, more bool, err error) {
	if err := r.enter(ctx); err != nil {
		return cursor, false, err
	}
	defer r.leave()
	page, err := r.store.After(ctx, rooms, cursor, pageSize)
	if err != nil {
		return cursor, false, err
	}
	for i := range page {
		m := &page[i]
		if upTo > 0 && m.ID > upTo {
			return cursor, false, nil
		}
		if err := add(m); err != nil {
			return cursor, false, err
		}
		cursor = m.ID
	}
	return cursor, len(page) == pageSize, nil
}

// Replay passes every message after cursor in rooms to add, in ID order,
// page by page (see Page), and calls flush after each page with the slot
// given back: flush writes what add encoded and may wait for the client.
// It returns the ID of the last message passed to add (cursor if none);
// after an error, messages up to it may not have been flushed.
func (r *Replayer) Replay(ctx context.Context, rooms []string, cursor int64, add func(*parley.Message) error, flush func() error) (int64, error) {
	for {
		last, more, err := r.Page(ctx, rooms, cursor, 0, add)
		if err != nil {
			return cursor, err
		}
		if err := flush(); err != nil {
			return cursor, err
		}
		cursor = last
		if !more {
			return cursor, nil
		}
	}
}

func (r *Replayer) enter(ctx context.Context) error {
	if r.rate != nil && (r.live == nil || r.live()) {
		// A page's worth, taken before the slot: the pages that wait for
		// the rate do not hold a slot meanwhile.
		if err := r.rate.WaitN(ctx, pageSize); err != nil {
			return err
		}
	}
	if r.slots == nil {
		return ctx.Err()
	}
	select {
	case r.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *Replayer) leave() {
	if r.slots != nil {
		<-r.slots
	}
}
