package bench

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// With -metrics, the tool reads the server's own goroutines, live heap and
// long-poll sessions from its Prometheus endpoint (parley serve
// --metrics-addr), before subscribing, when idle, after delivery, and once
// more after closing every subscription, waiting (up to settleWait) for the
// goroutine count to come back to where it started: a transport that
// leaks shows up as a count that never settles.

// settleWait bounds the wait for the server to settle after the
// subscriptions close.
const settleWait = 10 * time.Second

// The metrics the tool reads.
const (
	metricGoroutines   = "go_goroutines"
	metricHeapLive     = "go_gc_heap_live_bytes"
	metricPollSessions = "parley_poll_sessions"
)

// healthSample is the part of the server's metrics the tool reads.
type healthSample struct {
	Goroutines int64
	HeapLive   int64
	Sessions   int64
}

// RuntimeReport is the server's runtime as its metrics report it. The
// heap is the live heap after the server's most recent GC.
type RuntimeReport struct {
	GoroutinesBefore int64   `json:"goroutines_before"`
	GoroutinesIdle   int64   `json:"goroutines_idle,omitempty"`
	GoroutinesAfter  int64   `json:"goroutines_after,omitempty"`
	GoroutinesClosed int64   `json:"goroutines_closed"`
	Settled          bool    `json:"settled"`        // closed <= before within settleWait
	SettleSeconds    float64 `json:"settle_seconds"` // from closing to the closed sample
	HeapBeforeKB     int64   `json:"heap_live_before_kb"`
	HeapIdleKB       int64   `json:"heap_live_idle_kb,omitempty"`
	HeapAfterKB      int64   `json:"heap_live_after_kb,omitempty"`
	HeapClosedKB     int64   `json:"heap_live_closed_kb"`
	SessionsClosed   int64   `json:"sessions_closed"` // long-poll sessions left to lapse
}

// health samples the server's metrics; nil without -metrics, or when they
// cannot be read or lack the figures (the first failure is reported and
// sampling stops).
func (r *runner) health(ctx context.Context) *healthSample {
	if r.noHealth || r.cfg.metricsURL == "" {
		return nil
	}
	if r.healthClient == nil {
		// No keep-alive: the tool's own idle connection would count as a
		// server goroutine.
		r.healthClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	}
	s, err := r.scrape(ctx)
	if err != nil {
		r.noHealth = true
		r.warn("server runtime not reported: %v", err)
		return nil
	}
	return s
}

// scrape reads the runtime figures from the metrics endpoint.
func (r *runner) scrape(ctx context.Context) (*healthSample, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", r.cfg.metricsURL, nil)
	if err != nil {
		return nil, err
	}
	resp, err := r.healthClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", r.cfg.metricsURL, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", r.cfg.metricsURL, err)
	}
	var s healthSample
	for name, dst := range map[string]*int64{metricGoroutines: &s.Goroutines, metricHeapLive: &s.HeapLive, metricPollSessions: &s.Sessions} {
		f, ok := fams[name]
		if !ok || len(f.GetMetric()) == 0 {
			return nil, fmt.Errorf("GET %s: no %s (is it a Parley server's metrics endpoint?)", r.cfg.metricsURL, name)
		}
		m := f.GetMetric()[0]
		*dst = int64(m.GetGauge().GetValue() + m.GetUntyped().GetValue())
	}
	return &s, nil
}

// sampleClosed takes the last sample once the subscriptions are closed,
// after the posters' idle connections are closed too, waiting for the
// goroutine count to settle back to the first sample's.
func (r *runner) sampleClosed(interrupted bool) {
	if r.hBefore == nil {
		return
	}
	r.client.CloseIdleConnections()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), settleWait)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		s := r.health(ctx)
		if s != nil {
			r.hClosed = s
			r.settled = s.Goroutines <= r.hBefore.Goroutines
		}
		r.settle = time.Since(start)
		if r.settled || interrupted {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

func (r *runner) runtimeReport() *RuntimeReport {
	if r.hBefore == nil || r.hClosed == nil {
		return nil
	}
	rt := &RuntimeReport{
		GoroutinesBefore: r.hBefore.Goroutines,
		GoroutinesClosed: r.hClosed.Goroutines,
		Settled:          r.settled,
		SettleSeconds:    round3(r.settle.Seconds()),
		HeapBeforeKB:     r.hBefore.HeapLive / 1024,
		HeapClosedKB:     r.hClosed.HeapLive / 1024,
		SessionsClosed:   r.hClosed.Sessions,
	}
	if r.hIdle != nil {
		rt.GoroutinesIdle, rt.HeapIdleKB = r.hIdle.Goroutines, r.hIdle.HeapLive/1024
	}
	if r.hAfter != nil {
		rt.GoroutinesAfter, rt.HeapAfterKB = r.hAfter.Goroutines, r.hAfter.HeapLive/1024
	}
	return rt
}

// text formats the report's runtime lines.
func (rt *RuntimeReport) text() string {
	var b strings.Builder
	g := []string{strconv.FormatInt(rt.GoroutinesBefore, 10) + " before"}
	h := []string{kb(rt.HeapBeforeKB) + " before"}
	if rt.GoroutinesIdle > 0 {
		g = append(g, strconv.FormatInt(rt.GoroutinesIdle, 10)+" idle")
		h = append(h, kb(rt.HeapIdleKB)+" idle")
	}
	if rt.GoroutinesAfter > 0 {
		g = append(g, strconv.FormatInt(rt.GoroutinesAfter, 10)+" after delivery")
		h = append(h, kb(rt.HeapAfterKB)+" after delivery")
	}
	settled := "settled"
	if !rt.Settled {
		settled = "NOT settled"
	}
	g = append(g, fmt.Sprintf("%d after closing (%s in %s)", rt.GoroutinesClosed, settled, secs(rt.SettleSeconds)))
	h = append(h, kb(rt.HeapClosedKB)+" after closing")
	fmt.Fprintf(&b, "runtime     goroutines %s\n", strings.Join(g, ", "))
	fmt.Fprintf(&b, "            live heap (at the last GC) %s\n", strings.Join(h, ", "))
	if rt.SessionsClosed > 0 {
		fmt.Fprintf(&b, "            %d long-poll sessions left to lapse at their lease\n", rt.SessionsClosed)
	}
	return b.String()
}
