package metrics_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/audit"
	"github.com/parley-chat/parley/connlimit"
	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/metrics"
	"github.com/parley-chat/parley/stream"
	"github.com/parley-chat/parley/webhook"
)

// fullSource reports every figure, as a cluster node with webhooks does.
func fullSource() metrics.Source {
	return metrics.Source{
		Connections: func() map[string]connlimit.Stats {
			return map[string]connlimit.Stats{"sse": {Open: 3, Opened: 10, Closed: 7, RefusedClient: 2, RefusedFull: 1}}
		},
		Delivery: func() map[string]stream.CountersSnapshot {
			return map[string]stream.CountersSnapshot{"ws": {Delivered: 100, Overflows: 4, CutOff: 1}}
		},
		Subscribers:  func() int64 { return 5 },
		PollSessions: func() int { return 2 },
		Audit: func() []audit.Count {
			return []audit.Count{
				{Key: audit.Key{Action: "login", Outcome: "failed"}, N: 3},
				{Key: audit.Key{Action: "login.irc", Outcome: "refused"}, N: 1},
			}
		},
		Webhooks: func() webhook.Stats {
			return webhook.Stats{Delivered: 9, FailedAttempts: 3, Retries: 2, DroppedExhausted: 1, Pending: 4}
		},
		Cluster: func() metrics.Cluster {
			return metrics.Cluster{BrokerConnected: true, GapFills: 6, GapFillErrors: 1, SequencerLag: 2}
		},
	}
}

// Every figure of the source comes out under its documented name and
// labels, and the posting path's observations reach their histograms.
func TestNodeExportsEveryFigure(t *testing.T) {
	n := metrics.New(fullSource())
	n.Accepted(3)
	n.Refused("filter")
	n.Committed(3, 2*time.Millisecond)
	n.StoreFailed()
	fams := metricstest.Scrape(t, n.Handler())
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"parley_connections_open", map[string]string{"transport": "sse"}, 3},
		{"parley_connections_total", map[string]string{"transport": "sse"}, 10},
		{"parley_disconnections_total", map[string]string{"transport": "sse"}, 7},
		{"parley_connections_refused_total", map[string]string{"transport": "sse", "reason": "per_client"}, 2},
		{"parley_connections_refused_total", map[string]string{"transport": "sse", "reason": "full"}, 1},
		{"parley_events_delivered_total", map[string]string{"transport": "ws"}, 100},
		{"parley_queue_overflows_total", map[string]string{"transport": "ws"}, 4},
		{"parley_slow_consumers_total", map[string]string{"transport": "ws"}, 1},
		{"parley_hub_subscriptions", nil, 5},
		{"parley_poll_sessions", nil, 2},
		{"parley_login_failures_total", map[string]string{"via": "web"}, 3},
		{"parley_login_lockouts_total", map[string]string{"via": "irc"}, 1},
		{"parley_webhooks_sent_total", nil, 9},
		{"parley_webhook_failures_total", nil, 3},
		{"parley_webhook_retries_total", nil, 2},
		{"parley_webhooks_dropped_total", map[string]string{"reason": "exhausted"}, 1},
		{"parley_webhooks_pending", nil, 4},
		{"parley_cluster_broker_connected", nil, 1},
		{"parley_cluster_gap_fills_total", nil, 6},
		{"parley_store_errors_total", map[string]string{"operation": "gap_fill"}, 1},
		{"parley_cluster_sequencer_lag", nil, 2},
		{"parley_posts_accepted_total", nil, 3},
		{"parley_posts_refused_total", map[string]string{"reason": "filter"}, 1},
		{"parley_posts_refused_total", map[string]string{"reason": "rate_limit"}, 0},
		{"parley_commit_errors_total", nil, 1},
		{"parley_commit_seconds", nil, 1},        // one observation
		{"parley_commit_batch_messages", nil, 1}, // one observation
	} {
		if v, ok := fams.Value(c.name, c.labels); !ok || v != c.want {
			t.Errorf("%s%v = %v (exported: %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	if sum := fams.Metric("parley_commit_batch_messages", nil).GetHistogram().GetSampleSum(); sum != 3 {
		t.Errorf("parley_commit_batch_messages sum = %v, want 3", sum)
	}
}

// The Grafana dashboard in docs/ is valid JSON and every metric its
// queries use is one a node exports.
func TestGrafanaDashboardUsesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("docs/grafana-dashboard.json: %v", err)
	}
	if len(dash.Panels) == 0 {
		t.Fatal("the dashboard has no panels")
	}
	fams := metricstest.Scrape(t, metrics.New(fullSource()).Handler())
	name := regexp.MustCompile(`\b(?:parley|go|process)_[a-z_]+\b`)
	used := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, m := range name.FindAllString(target.Expr, -1) {
				used++
				family := m
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base, ok := strings.CutSuffix(m, suffix); ok && fams[base] != nil && fams[base].GetType().String() == "HISTOGRAM" {
						family = base
					}
				}
				if fams[family] == nil {
					t.Errorf("panel %q uses %s, which no node exports", p.Title, m)
				}
			}
		}
	}
	if used == 0 {
		t.Error("the dashboard's queries name no metric")
	}
}
