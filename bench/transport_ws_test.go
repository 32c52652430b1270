package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/bench"
	"github.com/parley-chat/parley/server"
)

// The WebSocket transport against the real server: every subscriber gets
// every message once, in order, and the server's goroutines settle back
// after the subscribers leave.
func TestWSTransportAgainstServer(t *testing.T) {
	srv, err := server.New(context.Background(), server.Config{DB: filepath.Join(t.TempDir(), "parley.db")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	mts := httptest.NewServer(srv.MetricsHandler())
	t.Cleanup(func() {
		ts.Close()
		mts.Close()
		srv.Close()
	})
	var stdout, stderr bytes.Buffer
	err = bench.Command(context.Background(), []string{
		"-url", ts.URL, "-metrics", mts.URL, "-transport", "ws",
		"-subs", "30", "-messages", "20", "-posters", "2", "-json", "-timeout", "10s",
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var rep bench.Report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	d := rep.Delivery
	if rep.Subscribe.Subscribed != 30 || d == nil || d.Delivered != 600 || d.Missing != 0 || d.Duplicates != 0 || d.OutOfOrder != 0 || d.Dropped != 0 {
		t.Fatalf("subscribe %+v delivery %+v\n%s", rep.Subscribe, d, stderr.String())
	}
	rt := rep.Runtime
	if rt == nil || rt.GoroutinesBefore == 0 || rt.HeapBeforeKB == 0 {
		t.Fatalf("runtime report %+v: the server's metrics were not read", rt)
	}
	if !rt.Settled {
		t.Errorf("server goroutines did not settle: %d before, %d after closing", rt.GoroutinesBefore, rt.GoroutinesClosed)
	}
}
