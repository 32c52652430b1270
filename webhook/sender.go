package webhook

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Errors of Run.
var (
	ErrClosed   = errors.New("webhook: the sender is closed")
	ErrRunTwice = errors.New("webhook: Run was called twice")
)

// Sender delivers payloads to one URL. Create it with New, start delivery
// with Run, queue payloads with Enqueue and stop with Close. Its methods
// are safe for concurrent use. A nil *Sender is a valid, disabled sender:
// Enqueue ignores payloads, Wants is false, Run and Close return at once,
// so callers need no "are webhooks on?" checks.
type Sender struct {
	cfg       Config          // read-only after New
	want      map[string]bool // payload types to send; read-only
	client    *http.Client
	ownClient bool // client was made by New, so Run's end may close its idle connections

	// ready holds the payloads due for an attempt: new ones, and retries
	// whose wait is over, first come first served. Its capacity is
	// QueueLen and every payload in it is counted in held, which never
	// exceeds QueueLen, so a send to it never blocks.
	ready    chan *delivery
	draining chan struct{} // closed by Close: workers stop when ready is empty
	stopped  chan struct{} // closed once Run's workers are gone and the books are closed

	closeOnce sync.Once

	// mu guards the fields from here to the counters.
	mu      sync.Mutex
	held    int                       // payloads queued, in flight or waiting for a retry
	closing bool                      // Close was called or Run ended: Enqueue refuses, nothing is retried
	started bool                      // Run was called
	abort   context.CancelFunc        // stops Run's workers, cancelling requests in flight
	timers  map[*delivery]*time.Timer // retries waiting out their backoff
	full    bool                      // Enqueue is dropping: logged once per burst
	burst   int                       // payloads dropped in the current burst
	failing bool                      // the last outcome was a failure: logged once per streak
	streak  int                       // payloads dropped since failing began

	delivered        atomic.Uint64
	failedAttempts   atomic.Uint64
	retries          atomic.Uint64
	droppedFull      atomic.Uint64
	droppedExhausted atomic.Uint64
	droppedRejected  atomic.Uint64
	droppedClosed    atomic.Uint64
}

// delivery is one payload on its way. It has one owner at a time: the
// ready channel, a worker, or a retry timer, in turn.
type delivery struct {
	p       Payload
	body    []byte // encoded at the first attempt; the same bytes on every attempt
	attempt int    // attempts made
}

// New validates cfg and returns a Sender that queues payloads but sends
// none until Run is called.
func New(cfg Config) (*Sender, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, err
	}
	s := &Sender{
		cfg:      cfg,
		want:     make(map[string]bool),
		client:   cfg.Client,
		ready:    make(chan *delivery, cfg.QueueLen),
		draining: make(chan struct{}),
		stopped:  make(chan struct{}),
		timers:   make(map[*delivery]*time.Timer),
	}
	if len(cfg.Events) == 0 {
		cfg.Events = defaultTypes
	}
	for _, e := range cfg.Events {
		s.want[e] = true
	}
	if s.client == nil {
		// An own transport, so that its idle connections can be closed
		// when the sender stops without touching anyone else's.
		tr := http.DefaultTransport
		if t, ok := tr.(*http.Transport); ok {
			tr = t.Clone()
		}
		s.ownClient = true
		s.client = &http.Client{
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	return s, nil
}

// Wants reports whether payloads of type typ are sent, so that a caller
// can skip building ones that are not.
func (s *Sender) Wants(typ string) bool { return s != nil && s.want[typ] }

// Enqueue queues p for delivery and returns at once; it never blocks on
// the network or on a full queue. It fills in an empty p.ID with a random
// one and a zero p.Time with the current time.
//
// It returns false when p is lost: the sender already holds QueueLen
// payloads (counted in Stats.DroppedFull), it is closed (DroppedClosed),
// or p.Type is not a payload type (a bug; logged). A payload of a type
// that Config.Events leaves out is ignored, and that is not a loss: the
// result is true, as it is for a nil Sender.
//
// Why drop rather than wait or grow: Enqueue is called on the chat
// service's commit path and from presence, which must not slow down
// because the application server does; and memory must stay bounded when
// the receiver is down for long. Dropping the newest payloads loses
// nothing durable: every message is in the log, and the webhook only
// tells the application about it. A full queue is logged once per burst
// of drops, with the count when the queue accepts again.
func (s *Sender) Enqueue(p Payload) bool {
	if s == nil {
		return true
	}
	if !validType(p.Type) {
		s.cfg.Logger.Error("webhook payload has an unknown type; not sent", "type", p.Type, "webhook_id", p.ID)
		return false
	}
	if !s.want[p.Type] {
		return true
	}
	if p.ID == "" {
		p.ID = randomID(p.Type)
	}
	if p.Time.IsZero() {
		p.Time = time.Now()
	}
	p.Time = p.Time.UTC()

	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		s.droppedClosed.Add(1)
		return false
	}
	if s.held >= s.cfg.QueueLen {
		first := !s.full
		s.full = true
		s.burst++
		s.mu.Unlock()
		s.droppedFull.Add(1)
		if first {
			s.cfg.Logger.Warn("webhook queue is full: dropping new payloads until the receiver catches up",
				"queue_len", s.cfg.QueueLen)
		}
		return false
	}
	s.held++
	endBurst, dropped := s.full, s.burst
	s.full, s.burst = false, 0
	s.mu.Unlock()

	s.ready <- &delivery{p: p}
	if endBurst {
		s.cfg.Logger.Info("webhook queue accepts payloads again", "dropped", dropped)
	}
	return true
}

// Run delivers payloads with Config.Workers goroutines until Close is
// called (it returns nil once Close has drained the queue) or ctx is done
// (it returns ctx.Err() at once, abandoning what is queued and cancelling
// requests in flight). Either way the sender is closed when Run returns.
// Call it once, in its own goroutine. Run after Close returns ErrClosed; a
// second Run returns ErrRunTwice.
//
// For a graceful shutdown, give Run a context that outlives the last
// Enqueue (such as context.WithoutCancel of the server's) and call Close
// after the last producer has stopped.
func (s *Sender) Run(ctx context.Context) error {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	switch {
	case s.started:
		s.mu.Unlock()
		return ErrRunTwice
	case s.closing:
		s.mu.Unlock()
		return ErrClosed
	}
	s.started = true
	wctx, cancel := context.WithCancel(ctx)
	s.abort = cancel
	s.mu.Unlock()

	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() { s.work(wctx) })
	}
	wg.Wait()
	cancel()
	s.finish()
	close(s.stopped)
	select {
	case <-s.draining:
		return nil
	default:
		return ctx.Err()
	}
}

// Close stops the sender: Enqueue refuses new payloads, retries waiting
// for their backoff are abandoned, and the workers give every payload
// still queued one attempt, for at most Config.DrainTimeout; then requests
// in flight are cancelled. Close returns when Run's workers have stopped.
// Payloads abandoned are counted in Stats.DroppedClosed. Calling Close
// again does nothing.
func (s *Sender) Close() {
	if s == nil {
		return
	}
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closing = true
		started, abort := s.started, s.abort
		timers := s.timers
		s.timers = nil
		s.mu.Unlock()
		for _, t := range timers {
			t.Stop()
		}
		close(s.draining)
		if !started {
			s.finish()
			return
		}
		if s.cfg.DrainTimeout < 0 {
			abort()
		} else {
			t := time.AfterFunc(s.cfg.DrainTimeout, abort)
			defer t.Stop()
		}
		<-s.stopped
	})
}

// finish closes the books once no worker runs: whatever the sender still
// holds (queued, aborted in flight, waiting for a retry) is dropped.
func (s *Sender) finish() {
	s.mu.Lock()
	s.closing = true
	timers := s.timers
	s.timers = nil
	s.mu.Unlock()
	for _, t := range timers {
		t.Stop()
	}
	for len(s.ready) > 0 {
		<-s.ready
	}
	s.mu.Lock()
	n := s.held
	s.held = 0
	s.mu.Unlock()
	s.droppedClosed.Add(uint64(n))
	if n > 0 {
		s.cfg.Logger.Warn("webhook sender stopped with payloads undelivered; dropped", "dropped", n)
	}
	if s.ownClient {
		s.client.CloseIdleConnections()
	}
}

// Stats are a Sender's counters since New, for metrics.
type Stats struct {
	Delivered        uint64 // payloads answered with a 2xx status
	FailedAttempts   uint64 // attempts that met an error, a timeout or a non-2xx status
	Retries          uint64 // failed attempts scheduled to be tried again
	DroppedFull      uint64 // payloads Enqueue refused because the sender held QueueLen
	DroppedExhausted uint64 // payloads dropped after MaxAttempts failed attempts
	DroppedRejected  uint64 // payloads dropped, not retried, on a status that is not retried (3xx, 4xx but 408 and 429)
	DroppedClosed    uint64 // payloads refused after Close or abandoned when the sender stopped
	Pending          int    // payloads held now: queued, in flight or waiting for a retry
}

// Stats returns the counters. The zero Stats for a nil Sender.
func (s *Sender) Stats() Stats {
	if s == nil {
		return Stats{}
	}
	s.mu.Lock()
	pending := s.held
	s.mu.Unlock()
	return Stats{
		Delivered:        s.delivered.Load(),
		FailedAttempts:   s.failedAttempts.Load(),
		Retries:          s.retries.Load(),
		DroppedFull:      s.droppedFull.Load(),
		DroppedExhausted: s.droppedExhausted.Load(),
		DroppedRejected:  s.droppedRejected.Load(),
		DroppedClosed:    s.droppedClosed.Load(),
		Pending:          pending,
	}
}

// logAttrs are the attributes every delivery log line carries. Neither
// the secret nor the URL (which may hold a token) is among them.
func logAttrs(d *delivery) []any {
	return []any{"webhook_id", d.p.ID, "type", d.p.Type, "attempt", d.attempt}
}
