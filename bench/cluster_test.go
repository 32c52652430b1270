package bench

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseURLs(t *testing.T) {
	nodes, err := parseURLs("http://a:1, http://b:2/x/ ,https://c?q=1#f")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range nodes {
		got = append(got, u.String())
	}
	if want := []string{"http://a:1", "http://b:2/x", "https://c"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"", "http://a:1,", "http://a:1,ftp://b", "http://a,http://"} {
		if _, err := parseURLs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParsePIDs(t *testing.T) {
	for in, want := range map[string][]int{"": nil, " ": nil, "7": {7}, "7, 8,9": {7, 8, 9}} {
		if got, err := parsePIDs(in); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"0", "-3", "7,", "x", "7,,8"} {
		if _, err := parsePIDs(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// Subscribers go round-robin over the nodes: the counts differ by at most
// one, the first nodes getting the extra ones.
func TestSpreadOverNodes(t *testing.T) {
	var lat Histogram
	p := newPool(make([]transport, 3), 10, 1, 1, &lat, time.Now())
	count := make([]int, 3)
	for i := range p.subs {
		if n := p.subs[i].node; n != i%3 {
			t.Errorf("subscriber %d on node %d", i, n)
		}
		count[p.subs[i].node]++
	}
	if !reflect.DeepEqual(count, []int{4, 3, 3}) {
		t.Errorf("per node %v", count)
	}
	if one := newPool(nil, 5, 1, 1, &lat, time.Now()); one.subs[4].node != 0 || len(one.nodeLat) != 1 {
		t.Errorf("without transports: node %d, %d histograms", one.subs[4].node, len(one.nodeLat))
	}
}

func TestHistogramMerge(t *testing.T) {
	var a, b, all Histogram
	for v := int64(1); v <= 1000; v++ {
		all.Record(v * 1000)
		if v%3 == 0 {
			a.Record(v * 1000)
		} else {
			b.Record(v * 1000)
		}
	}
	var m Histogram
	m.Merge(&a)
	m.Merge(&b)
	if m.Count() != all.Count() || m.Min() != all.Min() || m.Max() != all.Max() || m.Mean() != all.Mean() {
		t.Errorf("merged: n %d min %d max %d mean %g; want %d %d %d %g", m.Count(), m.Min(), m.Max(), m.Mean(), all.Count(), all.Min(), all.Max(), all.Mean())
	}
	for _, q := range []float64{0.5, 0.9, 0.99} {
		if m.Quantile(q) != all.Quantile(q) {
			t.Errorf("q%g: %d, want %d", q, m.Quantile(q), all.Quantile(q))
		}
	}
}

// Two "nodes" in front of one fake server: every subscriber gets every
// message, subscribers are split evenly, and the report gives the posting
// node and the cross-node latency apart.
func TestCommandCluster(t *testing.T) {
	f, ts := newFakeServer(t, true)
	ts2 := httptest.NewServer(ts.Config.Handler)
	t.Cleanup(ts2.Close)
	stdout, stderr, err := runCommand(t, context.Background(), "-url", ts.URL+","+ts2.URL, "-subs", "21", "-messages", "10", "-json", "-timeout", "10s")
	if err != nil {
		t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
	}
	var rep Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	d := rep.Delivery
	if rep.URL != ts.URL || len(rep.URLs) != 2 || d == nil || d.Delivered != 210 || d.Missing != 0 {
		t.Fatalf("report: %s", stdout)
	}
	if len(d.Nodes) != 2 || d.Nodes[0].Subscribed != 11 || d.Nodes[1].Subscribed != 10 ||
		d.Nodes[0].Delivered != 110 || d.Nodes[1].Delivered != 100 || d.Nodes[1].URL != ts2.URL {
		t.Errorf("nodes: %+v", d.Nodes)
	}
	if d.LocalLatencyMs == nil || d.CrossNodeLatencyMs == nil || d.CrossNodeLatencyMs.Max <= 0 ||
		*d.CrossNodeLatencyMs != d.Nodes[1].LatencyMs || *d.LocalLatencyMs != d.Nodes[0].LatencyMs {
		t.Errorf("local %+v cross %+v nodes %+v", d.LocalLatencyMs, d.CrossNodeLatencyMs, d.Nodes)
	}
	waitClosed(t, f)

	// The text report names the nodes.
	stdout, stderr, err = runCommand(t, context.Background(), "-url", ts.URL+","+ts2.URL, "-subs", "4", "-messages", "2")
	if err != nil {
		t.Fatalf("Command: %v\nstderr:\n%s", err, stderr)
	}
	for _, want := range []string{"(posting to the first)", "cross-node p50", "node " + ts2.URL + ": 2 subscribed, 4 delivered"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	waitClosed(t, f)
}
