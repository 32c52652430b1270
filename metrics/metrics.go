// Package metrics exposes a node's figures in the Prometheus text format,
// with the official client library. Most figures are counted by the
// components themselves with atomic counters and read when Prometheus
// scrapes (a collector over Source), so that hot paths pay one atomic add
// at most; the posting path's histograms are the client library's own,
// fed through the chat service's Observer.
//
// Every Node has a registry of its own, never the global default, so that
// several servers in one process (tests, benchmarks) do not collide.
package metrics

import (
	"net/http"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/internal/buildinfo"
	"github.com/parley-chat/parley/stream"
	"github.com/parley-chat/parley/webhook"
)

// Source is what a node reports at scrape time. Every function must be
// cheap and safe for concurrent use; a nil one is left out.
type Source struct {
	// Connections returns each transport's connection counts ("sse",
	// "ws", "poll": polls held, "irc").
	Connections func() map[string]connlimit.Stats
	// Delivery returns each transport's delivery counters.
	Delivery func() map[string]stream.CountersSnapshot
	// Subscribers returns the live hub subscriptions.
	Subscribers func() int64
	// PollSessions returns the long-poll sessions alive (between polls
	// too, until their lease lapses).
	PollSessions func() int
	// Audit returns the audit records made, by action and outcome.
	Audit func() []audit.Count
	// Webhooks returns the webhook sender's counters; nil: no webhooks.
	Webhooks func() webhook.Stats
	// Cluster returns the cluster link's figures; nil: a single node.
	Cluster func() Cluster
}

// Cluster is what a cluster node reports of its link to the others.
type Cluster struct {
	BrokerConnected bool
	GapFills        uint64 // events read from the store that the broker did not bring in time
	GapFillErrors   uint64 // failed reads of the store for them
	SequencerLag    int64  // IDs known but not yet delivered, waiting for a gap to fill
	EventsReceived  uint64 // events received from other nodes over the broker
	NATSMessages    uint64 // messages received from NATS, of every kind
	ShardsFollowed  int    // shards received (see package broker/shard)
}

// Node holds a node's registry and the metrics it observes directly.
type Node struct {
	reg      *prometheus.Registry
	accepted atomic.Uint64

	postsAccepted prometheus.Counter
	postsRefused  *prometheus.CounterVec
	commitBatch   prometheus.Histogram
	commitSeconds prometheus.Histogram
	commitErrors  prometheus.Counter
}

// New returns a node's metrics: src's figures, the posting path's, the Go
// runtime's, the process's and the build's.
func New(src Source) *Node {
	n := &Node{
		reg: prometheus.NewRegistry(),
		postsAccepted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_posts_accepted_total",
			Help: "Messages posted and committed: chat lines, direct messages, published messages and notices.",
		}),
		postsRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parley_posts_refused_total",
			Help: "Posts refused before storage, by reason: validation, filter, rate_limit, access, other.",
		}, []string{"reason"}),
		commitBatch: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "parley_commit_batch_messages",
			Help:    "Messages stored by one commit (one transaction); batches grow under load.",
			Buckets: prometheus.ExponentialBuckets(1, 2, 10), // 1 to 512
		}),
		commitSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "parley_commit_seconds",
			Help:    "Time one commit (one transaction) took in the store.",
			Buckets: prometheus.ExponentialBuckets(0.0001, 2.5, 12), // 100µs to ~2.4s
		}),
		commitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "parley_commit_errors_total",
			Help: "Commits the store failed (the posts in them were refused, nothing stored).",
		}),
	}
	for _, reason := range []string{"validation", "filter", "rate_limit", "access", "other"} {
		n.postsRefused.WithLabelValues(reason) // exported at 0 from the start
	}
	n.reg.MustRegister(
		// The Go collector's defaults, plus the live heap after the last
		// GC: the figure to watch for memory per connection.
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(),
		&nodeCollector{src: src},
		n.postsAccepted, n.postsRefused, n.commitBatch, n.commitSeconds, n.commitErrors,
	)
	return n
}

// Handler serves the metrics in the Prometheus text format.
func (n *Node) Handler() http.Handler {
	return promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{Registry: n.reg})
}

// Accepted implements chat.Observer.
func (n *Node) Accepted(messages int) {
	n.postsAccepted.Add(float64(messages))
	n.accepted.Add(uint64(messages))
}

// AcceptedTotal returns the messages accepted so far.
func (n *Node) AcceptedTotal() uint64 { return n.accepted.Load() }

// Refused implements chat.Observer.
func (n *Node) Refused(reason string) { n.postsRefused.WithLabelValues(reason).Inc() }

// Committed implements chat.Observer.
func (n *Node) Committed(messages int, took time.Duration) {
	n.commitBatch.Observe(float64(messages))
	n.commitSeconds.Observe(took.Seconds())
}

// StoreFailed implements chat.Observer.
func (n *Node) StoreFailed() { n.commitErrors.Inc() }

// buildInfo is parley_build_info{version, revision, goversion}, always 1.
func buildInfo() prometheus.Collector {
	info := buildinfo.Read()
	revision := info.Revision
	if revision == "" {
		revision = "unknown"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "parley_build_info",
		Help:        "The running build: its module version, VCS revision and Go version.",
		ConstLabels: prometheus.Labels{"version": info.Version, "revision": revision, "goversion": info.GoVersion},
	})
	g.Set(1)
	return g
}
