package bench_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/parley-chat/parley/bench"
	"github.com/parley-chat/parley/server"
)

// TestMain lets this test binary stand in for "parley bench" when a
// -procs run re-executes it as a child (bench.Command starts
// "<executable> bench <flags> -child j" with PARLEY_BENCH_CHILD=1).
func TestMain(m *testing.M) {
	if os.Getenv("PARLEY_BENCH_CHILD") == "1" && len(os.Args) > 1 && os.Args[1] == "bench" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
		err := bench.Command(ctx, os.Args[2:], os.Stdout, os.Stderr)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func newRoomsServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv, err := server.New(context.Background(), server.Config{
		DB:                 filepath.Join(t.TempDir(), "parley.db"),
		RoomCreationBurst:  100,
		MaxRoomsPerCreator: -1,
		MaxConnsPerClient:  -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts.Close()
		srv.Close()
	})
	return ts
}

// Children whose subscriptions all fail (their source address is not
// this machine's) end the run with an error, without hanging.
func TestRoomsChildrenFail(t *testing.T) {
	ts := newRoomsServer(t)
	var stdout, stderr bytes.Buffer
	err := bench.Command(context.Background(), []string{
		"-url", ts.URL, "-subs", "20", "-rooms", "2", "-room-min", "1", "-messages", "5",
		"-procs", "2", "-source-addrs", "192.0.2.1", "-connect-timeout", "2s",
	}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "no subscription succeeded") {
		t.Fatalf("error %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
}

// A many-rooms run against the real server, split over two child
// processes dialling from two loopback addresses, with all three
// transports and two "nodes" (two listeners on one server): every
// subscriber gets exactly its room's posts, in order, once.
func TestRoomsMultiProcess(t *testing.T) {
	srv, err := server.New(context.Background(), server.Config{
		DB:                 filepath.Join(t.TempDir(), "parley.db"),
		RoomCreationBurst:  100,
		MaxRoomsPerCreator: -1,
		MaxConnsPerClient:  -1,
	})
	if err != nil {
		t.Fatal(err)
	}
	ts1 := httptest.NewServer(srv.Handler())
	ts2 := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		ts1.Close()
		ts2.Close()
		srv.Close()
	})
	pid := strconv.Itoa(os.Getpid())
	var stdout, stderr bytes.Buffer
	err = bench.Command(context.Background(), []string{
		"-url", ts1.URL + "," + ts2.URL, "-pid", pid + "," + pid,
		"-subs", "90", "-rooms", "5", "-room-min", "3", "-room-max", "60",
		"-mix", "sse=1,ws=1,poll=1", "-messages", "40", "-rate", "200", "-posters", "3",
		"-procs", "2", "-source-addrs", "127.0.0.1-127.0.0.2", "-poll-timeout", "5s",
		"-json", "-timeout", "20s",
	}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var rep bench.ScaleReport
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	d := rep.Delivery
	if !rep.OK || rep.Subscribe.Subscribed != 90 || d.Expected == 0 || d.Delivered != d.Expected ||
		d.Duplicates != 0 || d.OutOfOrder != 0 || d.Foreign != 0 || d.Incomplete != 0 || rep.Posting.Acknowledged != 40 {
		t.Fatalf("report:\n%s\nstderr:\n%s", stdout.String(), stderr.String())
	}
	var kinds []string
	for _, tr := range rep.Transports {
		kinds = append(kinds, tr.Transport)
		if tr.Subscribed != 30 || tr.Delivered == 0 {
			t.Errorf("transport %+v", tr)
		}
	}
	if !slices.Equal(kinds, []string{"sse", "ws", "poll"}) {
		t.Errorf("transports %v", kinds)
	}
	if len(rep.Nodes) != 2 || rep.Nodes[0].Subscribed != 45 || rep.Nodes[1].Subscribed != 45 ||
		rep.Nodes[0].Delivered+rep.Nodes[1].Delivered != d.Delivered || rep.Nodes[0].PID != os.Getpid() {
		t.Errorf("nodes %+v", rep.Nodes)
	}
	if d.LatencyMs.P50 <= 0 || rep.Client == nil || rep.Saturation == "" {
		t.Errorf("latency %+v client %+v saturation %q", d.LatencyMs, rep.Client, rep.Saturation)
	}
}
