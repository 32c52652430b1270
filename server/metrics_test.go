package server_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/server"
)

// The metrics endpoint reports open connections by transport and audit
// records by action and outcome, in the Prometheus text format.
func TestMetrics(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada")
	h := n.srv.MetricsHandler()
	if v, ok := metricstest.Scrape(t, h).Value("parley_connections_open", map[string]string{"transport": "sse"}); !ok || v != 0 {
		t.Errorf("sse connections before any: %v (%v), want 0", v, ok)
	}
	n.subscribe("rooms=lobby", "")
	n.subscribe("rooms=lobby", "")
	for range 2 {
		if resp, _ := n.do("POST", "/api/session", `{"name":"ada","password":"wrong password"}`, asJSON...); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", resp.StatusCode)
		}
	}
	fams := metricstest.Scrape(t, h)
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"parley_connections_open", map[string]string{"transport": "sse"}, 2},
		{"parley_connections_total", map[string]string{"transport": "sse"}, 2},
		{"parley_audit_events_total", map[string]string{"action": "login", "outcome": "failed"}, 2},
		{"parley_login_failures_total", map[string]string{"via": "web"}, 2},
		{"parley_login_lockouts_total", map[string]string{"via": "web"}, 0},
		{"parley_build_info", nil, 1},
	} {
		if v, ok := fams.Value(c.name, c.labels); !ok || v != c.want {
			t.Errorf("%s%v = %v (exported: %v), want %v", c.name, c.labels, v, ok, c.want)
		}
	}
	for _, name := range []string{"go_goroutines", "go_gc_heap_live_bytes", "process_open_fds", "parley_poll_sessions", "parley_hub_subscriptions"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	// A single node reports no cluster figures, and no webhooks when none
	// are configured.
	for _, name := range []string{"parley_cluster_broker_connected", "parley_webhooks_sent_total"} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s exported by a single node without it", name)
		}
	}
}

// Posts accepted and refused are counted by reason, each commit is
// observed in the batch-size and latency histograms, and deliveries are
// counted by transport.
func TestMetricsCountPostsAndDeliveries(t *testing.T) {
	n := startNode(t, server.Config{FilterMode: chat.FilterReject, WordList: []string{"verboten"}, RateLimit: 0.001, RateBurst: 3})
	h := n.srv.MetricsHandler()
	sse := n.subscribe("rooms=lobby", "")
	ws := n.ws("rooms=lobby")

	var ids []int64
	for i := range 2 {
		ids = append(ids, n.post("lobby", "ada", "line "+strconv.Itoa(i)).ID)
	}
	refusals := []struct {
		body   string
		status int
	}{
		{`{"text":"","name":"ada"}`, http.StatusBadRequest},                 // validation
		{`{"text":"this is verboten","name":"ada"}`, http.StatusBadRequest}, // filter
		{`{"text":"no name"}`, http.StatusUnauthorized},                     // access: anonymous
		{`{"text":"third","name":"ada"}`, http.StatusCreated},               // the last of the burst
		{`{"text":"over the rate","name":"ada"}`, http.StatusTooManyRequests},
	}
	for _, r := range refusals {
		status, body := n.postRaw("lobby", "application/json", r.body)
		if status != r.status {
			t.Fatalf("post %s: %d %s, want %d", r.body, status, body, r.status)
		}
		if status == http.StatusCreated {
			var m struct{ ID int64 }
			_ = json.Unmarshal(body, &m)
			ids = append(ids, m.ID)
		}
	}
	for _, id := range ids {
		if ev := sse.next(5 * time.Second); ev.id != id {
			t.Fatalf("sse got %d, want %d", ev.id, id)
		}
	}
	for _, id := range ids {
		if f := ws.next(); f.ID != id {
			t.Fatalf("ws got %s, want id %d", f.raw, id)
		}
	}
	if a := n.poll("rooms=lobby&cursor=0"); !slices.Equal(a.ids(), ids) {
		t.Fatalf("poll got %v, want %v", a.ids(), ids)
	}

	fams := metricstest.Scrape(t, h)
	want := map[string]float64{
		"parley_posts_accepted_total":                     3,
		`parley_posts_refused_total{reason="validation"}`: 1,
		`parley_posts_refused_total{reason="filter"}`:     1,
		`parley_posts_refused_total{reason="access"}`:     1,
		`parley_posts_refused_total{reason="rate_limit"}`: 1,
		`parley_events_delivered_total{transport="sse"}`:  3,
		`parley_events_delivered_total{transport="ws"}`:   3,
		`parley_events_delivered_total{transport="poll"}`: 3,
		`parley_connections_open{transport="ws"}`:         1,
		`parley_queue_overflows_total{transport="sse"}`:   0,
		`parley_slow_consumers_total{transport="ws"}`:     0,
		`parley_commit_errors_total`:                      0,
	}
	for _, key := range slices.Sorted(maps.Keys(want)) {
		name, labels := splitKey(key)
		if v, ok := fams.Value(name, labels); !ok || v != want[key] {
			t.Errorf("%s = %v (exported: %v), want %v", key, v, ok, want[key])
		}
	}
	// Every commit is observed: at least one, at most one per message.
	for _, name := range []string{"parley_commit_seconds", "parley_commit_batch_messages"} {
		hist := fams.Metric(name, nil).GetHistogram()
		if c := hist.GetSampleCount(); c < 1 || c > 3 {
			t.Errorf("%s observed %d commits, want 1 to 3", name, c)
		}
	}
	if sum := fams.Metric("parley_commit_batch_messages", nil).GetHistogram().GetSampleSum(); sum != 3 {
		t.Errorf("commits stored %v messages in all, want 3", sum)
	}
}

// splitKey splits `name{k="v"}` into the name and its labels.
func splitKey(key string) (string, map[string]string) {
	i := 0
	for i < len(key) && key[i] != '{' {
		i++
	}
	if i == len(key) {
		return key, nil
	}
	labels := map[string]string{}
	rest := key[i+1 : len(key)-1]
	for rest != "" {
		eq := 0
		for rest[eq] != '=' {
			eq++
		}
		end := eq + 2
		for rest[end] != '"' {
			end++
		}
		labels[rest[:eq]] = rest[eq+2 : end]
		rest = rest[end+1:]
		if len(rest) > 0 && rest[0] == ',' {
			rest = rest[1:]
		}
	}
	return key[:i], labels
}

// /healthz says healthy and nothing else: no runtime figures (they are
// metrics now).
func TestHealthzSaysHealthyAndNothingElse(t *testing.T) {
	n := startNode(t, server.Config{})
	status, body := n.get("/healthz")
	var h map[string]any
	if err := json.Unmarshal(body, &h); err != nil || status != http.StatusOK || len(h) != 1 || h["status"] != "ok" {
		t.Fatalf("/healthz = %d %s, want 200 {\"status\":\"ok\"} only", status, body)
	}
	// A failing store or broker is named under "failing" with a 503:
	// TestClusterSurvivesLosingNATS and TestClusterSurvivesLosingPostgres cut
	// each in turn.
}

// The fifth wrong password locks the account out: the lockout is counted,
// and the next attempt is refused without counting a new failure.
func TestMetricsCountLoginLockouts(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada")
	h := n.srv.MetricsHandler()
	for i := range 5 {
		if resp, _ := n.do("POST", "/api/session", `{"name":"ada","password":"wrong password"}`, asJSON...); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong password %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, _ := n.do("POST", "/api/session", `{"name":"ada","password":"wrong password"}`, asJSON...)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("attempt while locked out: %d, want 429", resp.StatusCode)
	}
	fams := metricstest.Scrape(t, h)
	if v, ok := fams.Value("parley_login_lockouts_total", map[string]string{"via": "web"}); !ok || v < 1 {
		t.Errorf("parley_login_lockouts_total{via=web} = %v (%v), want at least 1", v, ok)
	}
	if v, _ := fams.Value("parley_login_failures_total", map[string]string{"via": "web"}); v != 5 {
		t.Errorf("parley_login_failures_total{via=web} = %v, want 5", v)
	}
}
