// Package metrics exposes a node's figures in the Prometheus text format,
// with the official client library. Figures are read from the components
// that already count them, when Prometheus scrapes (collectors and
// GaugeFuncs), so that hot paths pay nothing for metrics.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/internal/buildinfo"
)

// Source is what a node reports. Every function is called at scrape time
// and must be cheap and safe for concurrent use.
type Source struct {
	// Connections returns the open connections of each transport ("sse",
	// "ws", "poll", "irc").
	Connections func() map[string]int
	// Subscribers returns the live hub subscriptions.
	Subscribers func() int64
	// Audit returns the audit records made, by action and outcome.
	Audit func() []audit.Count
}

// Handler returns the metrics endpoint for src, on a registry of its own
// (never the global default): src's figures, the Go runtime's, the
// process's and the build's.
func Handler(src Source) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		buildInfo(),
		&nodeCollector{src: src},
	)
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
}

// buildInfo is parley_build_info{version, revision}, always 1.
func buildInfo() prometheus.Collector {
	info := buildinfo.Read()
	revision := info.Revision
	if revision == "" {
		revision = "unknown"
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "parley_build_info",
		Help:        "The running build: its module version and VCS revision.",
		ConstLabels: prometheus.Labels{"version": info.Version, "revision": revision, "goversion": info.GoVersion},
	})
	g.Set(1)
	return g
}

var (
	connectionsDesc = prometheus.NewDesc("parley_connections_open",
		"Open client connections, by transport (sse, ws, poll: polls held, irc).", []string{"transport"}, nil)
	subscribersDesc = prometheus.NewDesc("parley_hub_subscriptions",
		"Live subscriptions in the node's fan-out hub.", nil, nil)
	auditDesc = prometheus.NewDesc("parley_audit_events_total",
		"Audit records made: logins, refusals, revocations, administrative actions; by action and outcome.", []string{"action", "outcome"}, nil)
)

// nodeCollector reads Source when scraped.
type nodeCollector struct{ src Source }

func (c *nodeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- connectionsDesc
	ch <- subscribersDesc
	ch <- auditDesc
}

func (c *nodeCollector) Collect(ch chan<- prometheus.Metric) {
	if c.src.Connections != nil {
		for transport, n := range c.src.Connections() {
			ch <- prometheus.MustNewConstMetric(connectionsDesc, prometheus.GaugeValue, float64(n), transport)
		}
	}
	if c.src.Subscribers != nil {
		ch <- prometheus.MustNewConstMetric(subscribersDesc, prometheus.GaugeValue, float64(c.src.Subscribers()))
	}
	if c.src.Audit != nil {
		for _, a := range c.src.Audit() {
			ch <- prometheus.MustNewConstMetric(auditDesc, prometheus.CounterValue, float64(a.N), a.Action, a.Outcome)
		}
	}
}
