package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"strconv"
	"time"
)

// progressEvery is how often long phases print progress on stderr.
const progressEvery = 2 * time.Second

// runner holds one run's state, from setup to report.
type runner struct {
	cfg    *config
	stderr io.Writer
	rep    *Report
	client *http.Client

	pool       *pool
	cancelSubs context.CancelFunc
	catchUps   *catchUps // -catchups, while they run
	subStart   time.Time
	subDur     time.Duration
	lat        Histogram // publish-to-delivery, ns

	post      *posting
	postStart time.Time
	postEnd   time.Time
	timedOut  bool

	before, idle, after *procSample // server (-pid)
	closed              *procSample // server (-pid), after closing the subscriptions
	selfIdle, selfAfter *procSample // this process

	// /healthz samples (see health.go)
	healthClient                    *http.Client
	noHealth                        bool
	hBefore, hIdle, hAfter, hClosed *healthSample
	settled                         bool
	settle                          time.Duration
}

func newRunner(cfg *config, stderr io.Writer) *runner {
	return &runner{
		cfg:    cfg,
		stderr: stderr,
		rep: &Report{
			URL:       cfg.base.String(),
			URLs:      urlStrings(cfg.nodes),
			Transport: cfg.transport,
			Room:      cfg.room,
			Subs:      cfg.subs,
			Messages:  cfg.messages,
			Posters:   cfg.posters,
			Rate:      cfg.rate,
		},
	}
}

func (r *runner) logf(format string, args ...any) {
	fmt.Fprintf(r.stderr, "bench: "+format+"\n", args...)
}

func (r *runner) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.rep.Warnings = append(r.rep.Warnings, msg)
	r.logf("warning: %s", msg)
}

// run performs the benchmark. It returns a report unless setup failed; the
// report is partial (Interrupted set) when ctx was cancelled, and then the
// error is ctx's.
func (r *runner) run(ctx context.Context) (*Report, error) {
	cfg := r.cfg
	need := cfg.subs + cfg.posters + 64
	if limit, err := raiseNoFile(); err != nil {
		if cfg.subs > 1000 {
			r.warn("cannot raise the open-file limit: %v", err)
		}
	} else if uint64(need) > limit {
		r.warn("%d subscribers need about %d file descriptors but RLIMIT_NOFILE is %d (the hard limit): "+
			"raise it (ulimit -Hn, LimitNOFILE=) or expect \"too many open files\"", cfg.subs, need, limit)
	}

	r.client = newHTTPClient(cfg.posters, cfg.timeout)
	defer r.client.CloseIdleConnections()
	if err := createRoom(ctx, r.client, cfg.endpoint("/api/rooms"), cfg.room); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("bench: creating room %q on %s: %w", cfg.room, cfg.base, err)
	}

	r.before = r.sampleServer("before subscribing")
	r.hBefore = r.health(ctx)
	r.steps(ctx)
	if r.catchUps != nil {
		r.rep.CatchUp = r.catchUps.wait()
	}
	r.finish()
	if r.rep.Interrupted != "" {
		return r.rep, fmt.Errorf("bench: interrupted while %s: %w", r.rep.Interrupted, context.Cause(ctx))
	}
	if s := r.rep.Subscribe; s != nil && s.Subscribed == 0 {
		return r.rep, errors.New("bench: no subscription succeeded")
	}
	return r.rep, nil
}

// steps runs the phases in order, stopping early when ctx is cancelled.
func (r *runner) steps(ctx context.Context) {
	cfg := r.cfg
	runStart := time.Now()
	interrupted := func(phase string) bool {
		if ctx.Err() != nil {
			r.rep.Interrupted = phase
			return true
		}
		return false
	}

	// Subscribe.
	if cfg.subs > 0 {
		trs, err := r.transports()
		if err != nil {
			r.warn("transport %s: %v", cfg.transport, err)
			return
		}
		subCtx, cancel := context.WithCancel(ctx)
		r.cancelSubs = cancel
		r.pool = newPool(trs, cfg.subs, cfg.messages, cfg.concurrency, &r.lat, runStart)
		r.logf("opening %d %s subscriptions to room %q on %d node(s) (%d at a time)", cfg.subs, cfg.transport, cfg.room, len(trs), cfg.concurrency)
		r.subStart = time.Now()
		r.pool.start(subCtx)
		r.waitSubscribed(ctx)
		r.subDur = time.Since(r.subStart)
		if interrupted("subscribing") {
			return
		}
		p := r.pool
		r.logf("%d/%d subscribed in %s (%d failed)", p.ready.Load(), cfg.subs, r.subDur.Round(time.Millisecond), p.failed.Load())
		if p.ready.Load() == 0 {
			r.warn("no subscriber got subscribed: not posting")
			return
		}
		if cfg.idle > 0 {
			r.logf("idling %s before sampling", cfg.idle)
			t := time.NewTimer(cfg.idle)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
			if interrupted("idling") {
				return
			}
		}
	}
	r.idle = r.sampleServer("idle")
	r.hIdle = r.health(ctx)
	if cfg.catchups > 0 {
		// Resuming subscribers run alongside the posting and the live
		// subscribers' deliveries: their cost shows in the live latency.
		cu, err := startCatchUps(ctx, cfg, r.logf)
		if err != nil {
			r.warn("catch-ups: %v", err)
		}
		r.catchUps = cu
	}
	if cfg.messages == 0 {
		return
	}

	// Post.
	r.selfIdle = r.sample("self", "")
	r.post = newPosting(r.client, cfg.endpoint("/api/rooms/"+cfg.room+"/messages"), cfg.messages, cfg.rate)
	r.logf("posting %d messages with %d poster(s)", cfg.messages, cfg.posters)
	r.postStart = time.Now()
	stopProgress := r.progress(func() string {
		return fmt.Sprintf("posted %d/%d", r.post.ok.Load(), cfg.messages)
	})
	r.post.run(ctx, cfg.posters, r.postStart)
	stopProgress()
	r.postEnd = time.Now()
	if interrupted("posting") {
		return
	}

	// Drain.
	if r.pool != nil {
		want := r.post.ok.Load()
		expected := want * r.pool.ready.Load()
		stopProgress := r.progress(func() string {
			return fmt.Sprintf("delivered %d/%d", r.pool.delivered(), expected)
		})
		deadline := time.Now().Add(cfg.timeout)
		tick := time.NewTicker(2 * time.Millisecond)
		for !r.pool.complete(want) {
			if time.Now().After(deadline) {
				r.timedOut = true
				break
			}
			select {
			case <-tick.C:
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		tick.Stop()
		stopProgress()
		interrupted("waiting for deliveries") // still sampled and reported
	}
	r.sampleAfter()
}

// waitSubscribed waits until every subscriber is ready or has failed.
func (r *runner) waitSubscribed(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		r.pool.handshakes.Wait()
		close(done)
	}()
	tick := time.NewTicker(progressEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			r.logf("subscribed %d/%d (%d failed)", r.pool.ready.Load(), r.cfg.subs, r.pool.failed.Load())
		}
	}
}

// progress prints msg() every progressEvery until the returned func is
// called.
func (r *runner) progress(msg func() string) (stop func()) {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.logf("%s", msg())
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

// transports returns one transport per node, in -url order.
func (r *runner) transports() ([]transport, error) {
	trs := make([]transport, len(r.cfg.nodes))
	for i, u := range r.cfg.nodes {
		tr, err := transports[r.cfg.transport](r.cfg, u)
		if err != nil {
			return nil, err
		}
		trs[i] = tr
	}
	return trs, nil
}

// sampleServer samples the -pid processes, summed; nil without -pid or
// when one of them cannot be read.
func (r *runner) sampleServer(what string) *procSample {
	var sum *procSample
	for _, pid := range r.cfg.pids {
		s := r.sample(strconv.Itoa(pid), what)
		if s == nil {
			return nil
		}
		if sum == nil {
			sum = s
			continue
		}
		sum.cpuTicks += s.cpuTicks
		sum.rssKB += s.rssKB
	}
	return sum
}

// nodeReports fills in d's per-node figures and the latency of
// subscribers on the posting node (the first) against the others.
func (r *runner) nodeReports(d *DeliveryReport) {
	p := r.pool
	var cross Histogram
	for i, t := range p.nodeTotals() {
		d.Nodes = append(d.Nodes, NodeReport{
			URL:        r.cfg.nodes[i].String(),
			Subscribed: t.ready,
			Delivered:  t.delivered,
			LatencyMs:  percentiles(&p.nodeLat[i]),
		})
		if i > 0 {
			cross.Merge(&p.nodeLat[i])
		}
	}
	local, crossNode := d.Nodes[0].LatencyMs, percentiles(&cross)
	d.LocalLatencyMs, d.CrossNodeLatencyMs = &local, &crossNode
}

func (r *runner) sample(pid, what string) *procSample {
	s, err := sampleProc(pid)
	if err != nil {
		if what != "" { // "" is the client's own sample: best effort
			r.warn("sampling pid %s %s: %v", pid, what, err)
		}
		return nil
	}
	return &s
}

// sampleAfter takes the after-delivery samples, once, while the
// subscriptions are still open.
func (r *runner) sampleAfter() {
	if r.post == nil || r.selfAfter != nil {
		return
	}
	r.selfAfter = r.sample("self", "")
	r.after = r.sampleServer("after delivery")
	r.hAfter = r.health(context.Background())
}

// finish closes everything and fills in the report.
func (r *runner) finish() {
	cfg := r.cfg
	rep := r.rep
	r.sampleAfter()
	var tot subTotals
	if r.pool != nil {
		r.cancelSubs()
		r.pool.stop()
		r.sampleClosed(rep.Interrupted != "")
		r.closed = r.sampleServer("after closing")
		rep.Runtime = r.runtimeReport()
		p := r.pool
		rep.Subscribe = &SubscribeReport{
			Requested:  cfg.subs,
			Subscribed: p.ready.Load(),
			Failed:     p.failed.Load(),
			Errors:     p.connErrs,
			Seconds:    round3(r.subDur.Seconds()),
			ConnectMs:  percentiles(&p.connect),
		}
		if r.subDur > 0 {
			rep.Subscribe.PerSecond = math1(float64(p.ready.Load()) / r.subDur.Seconds())
		}
	}

	var lastAck int64
	if r.post != nil {
		p := r.post
		lastAck = p.lastAck.Load()
		pr := &PostingReport{
			Attempted:    p.attempted.Load(),
			Acknowledged: p.ok.Load(),
			Errors:       p.errs,
			LatencyMs:    percentiles(&p.lat),
		}
		if lastAck > 0 {
			d := time.Duration(lastAck - r.postStart.UnixNano())
			pr.Seconds = round3(d.Seconds())
			if d > 0 {
				pr.PerSecond = math1(float64(pr.Acknowledged) / d.Seconds())
			}
		}
		rep.Posting = pr
	}

	if r.pool != nil && r.post != nil {
		want := r.post.ok.Load()
		tot = r.pool.totals(want)
		d := &DeliveryReport{
			Expected:   want * tot.ready,
			Delivered:  tot.delivered,
			Duplicates: tot.dups,
			OutOfOrder: tot.ooo,
			Other:      tot.other,
			Incomplete: tot.incomplete,
			Dropped:    r.pool.dropped.Load(),
			DropErrors: r.pool.dropErrs,
			TimedOut:   r.timedOut,
			LatencyMs:  percentiles(&r.lat),
		}
		if len(cfg.nodes) > 1 {
			r.nodeReports(d)
		}
		d.Missing = max(d.Expected-d.Delivered, 0)
		if tot.lastRecv > 0 {
			span := time.Duration(tot.lastRecv - r.postStart.UnixNano())
			d.Seconds = round3(span.Seconds())
			if span > 0 {
				d.PerSecond = math1(float64(d.Delivered) / span.Seconds())
			}
			if lastAck > 0 {
				d.DrainSeconds = round3(max(time.Duration(tot.lastRecv-lastAck), 0).Seconds())
			}
		}
		rep.Delivery = d
	}

	if len(cfg.pids) > 0 && r.before != nil {
		s := &ServerReport{PID: cfg.pids[0], ClockTicks: clockTicks, RSSBeforeKB: r.before.rssKB}
		if len(cfg.pids) > 1 {
			s.PIDs = cfg.pids
		}
		if r.idle != nil && r.pool != nil {
			s.RSSIdleKB = r.idle.rssKB
			if r.pool.ready.Load() > 0 {
				s.RSSPerConnBytes = math1(float64(r.idle.rssKB-r.before.rssKB) * 1024 / float64(r.pool.ready.Load()))
			}
		}
		if r.closed != nil {
			s.RSSClosedKB = r.closed.rssKB
		}
		if r.after != nil {
			s.RSSAfterKB = r.after.rssKB
			if r.idle != nil {
				cpu := r.after.cpuSeconds() - r.idle.cpuSeconds()
				s.CPUSeconds = round3(cpu)
				if wall := r.after.at.Sub(r.idle.at).Seconds(); wall > 0 {
					s.CPUPercent = math1(100 * cpu / wall)
				}
				if rep.Delivery != nil && rep.Delivery.Delivered > 0 {
					s.CPUPerDeliveryUs = round3(cpu * 1e6 / float64(rep.Delivery.Delivered))
				}
				if rep.Posting != nil && rep.Posting.Acknowledged > 0 {
					s.CPUPerPostUs = round3(cpu * 1e6 / float64(rep.Posting.Acknowledged))
				}
			}
		}
		rep.Server = s
	}

	if r.selfIdle != nil && r.selfAfter != nil {
		cpu := r.selfAfter.cpuSeconds() - r.selfIdle.cpuSeconds()
		c := &ClientReport{CPUSeconds: round3(cpu), Cores: runtime.NumCPU()}
		if wall := r.selfAfter.at.Sub(r.selfIdle.at).Seconds(); wall > 0 {
			c.CPUPercent = math1(100 * cpu / wall)
			if wall > 1 && c.CPUPercent > 80*float64(c.Cores) {
				r.warn("the bench client used %.0f%% of %d cores: results may be limited by the client, not the server", c.CPUPercent, c.Cores)
			}
		}
		rep.Client = c
	}
}

// math1 rounds to one decimal.
func math1(f float64) float64 { return math.Round(f*10) / 10 }
