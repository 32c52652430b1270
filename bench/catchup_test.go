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

// -catchups: streams resuming from cursor 0 read the whole room, on both
// push transports, while live subscribers still get every message.
func TestCatchUpsAgainstServer(t *testing.T) {
	srv, err := server.New(context.Background(), server.Config{DB: filepath.Join(t.TempDir(), "parley.db")})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	run := func(args ...string) bench.Report {
		t.Helper()
		var stdout, stderr bytes.Buffer
		if err := bench.Command(context.Background(), append([]string{"-url", ts.URL, "-json", "-timeout", "10s"}, args...), &stdout, &stderr); err != nil {
			t.Fatalf("bench %v: %v\n%s", args, err, stderr.String())
		}
		var rep bench.Report
		if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
			t.Fatalf("report: %v\n%s", err, stdout.String())
		}
		return rep
	}
	run("-subs", "0", "-messages", "300", "-posters", "4")
	for _, tr := range []string{"sse", "ws"} {
		rep := run("-transport", tr, "-subs", "5", "-messages", "20", "-catchups", "3", "-catchup", "300")
		c := rep.CatchUp
		if c == nil || c.Streams != 3 || c.Failed != 0 || c.Messages != 300 || c.RateMin <= 0 || c.RateTotal <= 0 {
			t.Fatalf("%s: catch-up report %+v", tr, c)
		}
		if d := rep.Delivery; d == nil || d.Delivered != 100 || d.Missing != 0 || d.Duplicates != 0 || d.OutOfOrder != 0 {
			t.Fatalf("%s: live delivery %+v", tr, d)
		}
	}
}
