package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Report is the result of a run; -json prints it as is. Times are in
// milliseconds or seconds, as the field names say.
type Report struct {
	URL         string   `json:"url"`            // the first node: posts go there
	URLs        []string `json:"urls,omitempty"` // every node, with several
	Transport   string   `json:"transport"`
	Room        string   `json:"room"`
	Subs        int      `json:"subs"`
	Messages    int      `json:"messages"`
	Posters     int      `json:"posters"`
	Rate        float64  `json:"rate"` // messages per second requested; 0 = as fast as possible
	Interrupted string   `json:"interrupted,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`

	Subscribe *SubscribeReport `json:"subscribe,omitempty"`
	Posting   *PostingReport   `json:"posting,omitempty"`
	Delivery  *DeliveryReport  `json:"delivery,omitempty"`
	Server    *ServerReport    `json:"server,omitempty"`
	Runtime   *RuntimeReport   `json:"runtime,omitempty"` // from /healthz
	Client    *ClientReport    `json:"client,omitempty"`
	CatchUp   *CatchUpReport   `json:"catch_up,omitempty"`
}

// Percentiles summarises a distribution, in milliseconds.
type Percentiles struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// SubscribeReport covers opening the subscriptions.
type SubscribeReport struct {
	Requested  int              `json:"requested"`
	Subscribed int64            `json:"subscribed"`
	Failed     int64            `json:"failed"`
	Errors     map[string]int64 `json:"errors,omitempty"`
	Seconds    float64          `json:"seconds"`
	PerSecond  float64          `json:"per_second"`
	ConnectMs  Percentiles      `json:"connect_ms"` // dial to the retry: line
}

// PostingReport covers posting.
type PostingReport struct {
	Attempted    int64            `json:"attempted"`
	Acknowledged int64            `json:"acknowledged"` // 201 Created
	Errors       map[string]int64 `json:"errors,omitempty"`
	Seconds      float64          `json:"seconds"`    // first send to last acknowledgement
	PerSecond    float64          `json:"per_second"` // acknowledged / seconds
	LatencyMs    Percentiles      `json:"latency_ms"` // request round trip
}

// DeliveryReport covers what the subscribers received.
type DeliveryReport struct {
	Expected     int64            `json:"expected"`  // subscribed × acknowledged
	Delivered    int64            `json:"delivered"` // distinct (subscriber, message) pairs
	Missing      int64            `json:"missing"`
	Duplicates   int64            `json:"duplicates"`
	OutOfOrder   int64            `json:"out_of_order"`
	Other        int64            `json:"other_events"`           // events that were not this run's messages
	Incomplete   int64            `json:"incomplete_subscribers"` // subscribed but missing messages
	Dropped      int64            `json:"dropped"`                // streams the server ended early
	DropErrors   map[string]int64 `json:"drop_errors,omitempty"`
	TimedOut     bool             `json:"timed_out"`
	Seconds      float64          `json:"seconds"`       // first post to last delivery
	DrainSeconds float64          `json:"drain_seconds"` // last acknowledgement to last delivery
	PerSecond    float64          `json:"per_second"`    // delivered / seconds
	LatencyMs    Percentiles      `json:"latency_ms"`    // publish (send) to delivery

	// With several nodes: subscribers on the posting (first) node, on
	// the others, and each node's share.
	LocalLatencyMs     *Percentiles `json:"local_latency_ms,omitempty"`
	CrossNodeLatencyMs *Percentiles `json:"cross_node_latency_ms,omitempty"`
	Nodes              []NodeReport `json:"nodes,omitempty"`
}

// NodeReport is one node's share of the subscribers.
type NodeReport struct {
	URL        string      `json:"url"`
	Subscribed int64       `json:"subscribed"`
	Delivered  int64       `json:"delivered"`
	LatencyMs  Percentiles `json:"latency_ms"`
}

// ServerReport holds the -pid samples.
type ServerReport struct {
	PID              int     `json:"pid"`
	PIDs             []int   `json:"pids,omitempty"`         // with several -pid: figures are their sums
	ClockTicks       int     `json:"clock_ticks_per_second"` // assumed
	RSSBeforeKB      int64   `json:"rss_before_kb"`
	RSSIdleKB        int64   `json:"rss_idle_kb,omitempty"`
	RSSAfterKB       int64   `json:"rss_after_kb,omitempty"`
	RSSClosedKB      int64   `json:"rss_closed_kb,omitempty"`      // after closing the subscriptions
	RSSPerConnBytes  float64 `json:"rss_per_conn_bytes,omitempty"` // (idle - before) / subscribed
	CPUSeconds       float64 `json:"cpu_seconds,omitempty"`        // posting and drain
	CPUPercent       float64 `json:"cpu_percent,omitempty"`        // of one core, same window
	CPUPerDeliveryUs float64 `json:"cpu_per_delivery_us,omitempty"`
	CPUPerPostUs     float64 `json:"cpu_per_post_us,omitempty"`
}

// ClientReport is this tool's own CPU use while posting and draining, to
// tell whether the client was the bottleneck.
type ClientReport struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUPercent float64 `json:"cpu_percent"` // of one core
	Cores      int     `json:"cores"`
}

func percentiles(h *Histogram) Percentiles {
	return Percentiles{
		P50:  ms(h.Quantile(0.50)),
		P90:  ms(h.Quantile(0.90)),
		P99:  ms(h.Quantile(0.99)),
		P999: ms(h.Quantile(0.999)),
		Max:  ms(h.Max()),
		Mean: round3(h.Mean() / 1e6),
	}
}

func ms(ns int64) float64 { return round3(float64(ns) / 1e6) }

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

func (r *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func (r *Report) writeText(w io.Writer) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	rate := "as fast as possible"
	if r.Rate > 0 {
		rate = fmt.Sprintf("at %g/s", r.Rate)
	}
	subs := "no subscribers"
	if r.Subs > 0 {
		subs = fmt.Sprintf("%d %s subscribers", r.Subs, r.Transport)
	}
	target := r.URL
	if len(r.URLs) > 1 {
		target = strings.Join(r.URLs, ",") + " (posting to the first)"
	}
	p("parley bench: %s, room %q: %s, %d messages %s from %d poster(s)\n",
		target, r.Room, subs, r.Messages, rate, r.Posters)
	if r.Interrupted != "" {
		p("PARTIAL: interrupted while %s\n", r.Interrupted)
	}
	if s := r.Subscribe; s != nil {
		p("subscribe   %d/%d subscribed in %s (%.0f/s), %d failed%s\n",
			s.Subscribed, s.Requested, secs(s.Seconds), s.PerSecond, s.Failed, errList(s.Errors))
		p("            connect p50 %s  p99 %s  max %s\n", msStr(s.ConnectMs.P50), msStr(s.ConnectMs.P99), msStr(s.ConnectMs.Max))
	}
	if c := r.CatchUp; c != nil {
		p("catch-up    %d streams from cursor 0, %d messages each, %d failed, done in %s\n",
			c.Streams, c.Messages, c.Failed, secs(c.Seconds))
		p("            per stream %.0f msg/s median (slowest %.0f, fastest %.0f); %.0f msg/s in all\n",
			c.RateMedian, c.RateMin, c.RateMax, c.RateTotal)
	}
	if s := r.Posting; s != nil {
		p("posting     %d/%d acknowledged in %s: %.0f msg/s%s\n",
			s.Acknowledged, s.Attempted, secs(s.Seconds), s.PerSecond, errList(s.Errors))
		p("            post latency p50 %s  p99 %s  max %s\n", msStr(s.LatencyMs.P50), msStr(s.LatencyMs.P99), msStr(s.LatencyMs.Max))
	}
	if d := r.Delivery; d != nil {
		p("delivery    %d/%d delivered, %d missing, %d duplicates, %d out of order, %d dropped%s\n",
			d.Delivered, d.Expected, d.Missing, d.Duplicates, d.OutOfOrder, d.Dropped, errList(d.DropErrors))
		if d.Incomplete > 0 || d.TimedOut {
			timedOut := ""
			if d.TimedOut {
				timedOut = " (timed out waiting)"
			}
			p("            %d subscribers incomplete%s\n", d.Incomplete, timedOut)
		}
		if d.Other > 0 {
			p("            %d other events ignored\n", d.Other)
		}
		p("latency     p50 %s  p90 %s  p99 %s  p99.9 %s  max %s  (publish to delivery)\n",
			msStr(d.LatencyMs.P50), msStr(d.LatencyMs.P90), msStr(d.LatencyMs.P99), msStr(d.LatencyMs.P999), msStr(d.LatencyMs.Max))
		if d.LocalLatencyMs != nil && d.CrossNodeLatencyMs != nil {
			p("            posting node p50 %s  p99 %s;  cross-node p50 %s  p99 %s  p99.9 %s  max %s\n",
				msStr(d.LocalLatencyMs.P50), msStr(d.LocalLatencyMs.P99),
				msStr(d.CrossNodeLatencyMs.P50), msStr(d.CrossNodeLatencyMs.P99), msStr(d.CrossNodeLatencyMs.P999), msStr(d.CrossNodeLatencyMs.Max))
		}
		for _, n := range d.Nodes {
			p("            node %s: %d subscribed, %d delivered, p50 %s  p99 %s\n",
				n.URL, n.Subscribed, n.Delivered, msStr(n.LatencyMs.P50), msStr(n.LatencyMs.P99))
		}
		p("throughput  %.0f deliveries/s over %s (drain %s after the last acknowledgement)\n",
			d.PerSecond, secs(d.Seconds), secs(d.DrainSeconds))
	}
	if s := r.Server; s != nil {
		if len(s.PIDs) > 1 {
			p("server      pids %s (summed): RSS %s before", joinInts(s.PIDs), kb(s.RSSBeforeKB))
		} else {
			p("server      pid %d: RSS %s before", s.PID, kb(s.RSSBeforeKB))
		}
		if s.RSSIdleKB > 0 {
			p(", %s idle", kb(s.RSSIdleKB))
		}
		if s.RSSPerConnBytes != 0 {
			p(" (%s/conn)", bytesStr(s.RSSPerConnBytes))
		}
		if s.RSSAfterKB > 0 {
			p(", %s after", kb(s.RSSAfterKB))
		}
		if s.RSSClosedKB > 0 {
			p(", %s after closing", kb(s.RSSClosedKB))
		}
		p("\n")
		if s.CPUSeconds > 0 || s.CPUPerDeliveryUs > 0 || s.CPUPerPostUs > 0 {
			p("            CPU %.2fs (%.0f%% of a core)", s.CPUSeconds, s.CPUPercent)
			if s.CPUPerDeliveryUs > 0 {
				p(", %.2fµs/delivery", s.CPUPerDeliveryUs)
			} else if s.CPUPerPostUs > 0 {
				p(", %.1fµs/post", s.CPUPerPostUs)
			}
			p(" (CLK_TCK assumed %d)\n", s.ClockTicks)
		}
	}
	if r.Runtime != nil {
		b.WriteString(r.Runtime.text())
	}
	if c := r.Client; c != nil {
		p("client      CPU %.2fs (%.0f%% of a core, %d cores) while posting and draining\n", c.CPUSeconds, c.CPUPercent, c.Cores)
	}
	for _, w := range r.Warnings {
		p("warning: %s\n", w)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// errList formats error counts, most frequent first: " (HTTP 429 rate_limited: 3, timeout: 1)".
func errList(m map[string]int64) string {
	if len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s: %d", k, m[k])
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, ",")
}

func urlStrings(us []*url.URL) []string {
	if len(us) < 2 {
		return nil
	}
	s := make([]string, len(us))
	for i, u := range us {
		s[i] = u.String()
	}
	return s
}

func msStr(m float64) string {
	d := time.Duration(m * float64(time.Millisecond))
	switch {
	case d == 0:
		return "0"
	case d < 10*time.Microsecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	case d < time.Millisecond:
		return fmt.Sprintf("%.0fµs", float64(d)/1e3)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.0fms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2fs", float64(d)/1e9)
	}
}

func secs(s float64) string { return msStr(s * 1000) }

func kb(k int64) string {
	if k >= 10*1024 {
		return fmt.Sprintf("%.1f MiB", float64(k)/1024)
	}
	return fmt.Sprintf("%d KiB", k)
}

func bytesStr(b float64) string {
	if math.Abs(b) >= 1024 {
		return fmt.Sprintf("%.1f KiB", b/1024)
	}
	return fmt.Sprintf("%.0f B", b)
}
