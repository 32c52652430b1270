package server_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/parley-chat/parley/server"
)

// scrape reads the node's metrics with the Prometheus client library's
// own text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	ts := httptest.NewServer(h)
	defer ts.Close()
	resp, err := http.Get(ts.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing metrics: %v", err)
	}
	return fams
}

// value returns the sample of family name whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		match := true
		for k, v := range want {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == k && l.GetValue() == v {
					found = true
				}
			}
			match = match && found
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

// The metrics endpoint reports open connections by transport and audit
// records by action and outcome, in the Prometheus text format.
func TestMetrics(t *testing.T) {
	n := peopleNode(t, server.Config{}, "ada")
	h := n.srv.MetricsHandler()
	if v, ok := value(scrape(t, h), "parley_connections_open", map[string]string{"transport": "sse"}); !ok || v != 0 {
		t.Errorf("sse connections before any: %v (%v), want 0", v, ok)
	}
	n.subscribe("rooms=lobby", "")
	n.subscribe("rooms=lobby", "")
	if resp, _ := n.do("POST", "/api/session", `{"name":"ada","password":"wrong password"}`, asJSON...); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	fams := scrape(t, h)
	if v, _ := value(fams, "parley_connections_open", map[string]string{"transport": "sse"}); v != 2 {
		t.Errorf("sse connections = %v, want 2", v)
	}
	if v, _ := value(fams, "parley_audit_events_total", map[string]string{"action": "login", "outcome": "failed"}); v != 1 {
		t.Errorf("failed logins = %v, want 1", v)
	}
	if _, ok := value(fams, "parley_build_info", nil); !ok {
		t.Error("no parley_build_info")
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}
