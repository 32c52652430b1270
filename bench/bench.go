// Package bench is Parley's load tool, run as "parley bench [flags]".
//
// It measures a running server from the outside. -subs subscribers hold
// event streams on -room; once every one of them is subscribed, -posters
// concurrent posters post -messages messages at -rate per second through
// POST /api/rooms/{room}/messages; then the tool waits (up to -timeout)
// until every subscriber has every acknowledged message, and reports:
//
//   - subscribing: how many subscribed, failures by cause, connect time;
//   - posting: messages acknowledged (201) per second, post round trip,
//     refusals by status and error code;
//   - delivery: delivered versus expected (subscribers × acknowledged
//     messages), missing, duplicates, out-of-order IDs, streams the server
//     dropped, and publish-to-delivery latency (p50, p90, p99, p99.9, max)
//     and deliveries per second;
//   - with -pid, the server's RSS before subscribing, when idle and after
//     delivery, RSS per connection, and its CPU time per delivery (or per
//     post), read from /proc (Linux; CLK_TCK is assumed to be 100);
//   - the tool's own CPU use, to tell when the client is the bottleneck.
//
// Text goes to stdout, or a JSON summary with -json; progress and warnings
// go to stderr. Typical runs:
//
//	parley bench -subs 10000 -messages 50 -rate 5 -pid $(pidof parley)   # fan-out latency
//	parley bench -subs 10000 -messages 0 -idle 10s -pid $(pidof parley) # idle RSS per connection
//	parley bench -subs 0 -messages 50000 -posters 16                     # durable post throughput
//
// Each message's text is "bench <seq> <unix-nanos-at-send>"; subscribers
// find it in the event's JSON without decoding it and compute latency
// against the same clock the posters used. Subscribers are cheap on
// purpose, so that ten thousand of them fit on a small machine next to the
// server: each is one goroutine on a raw TCP connection with a hand-written
// HTTP/1.1 request and a 1 KiB read buffer (2 KiB when the response is
// chunked), and all of them record into one lock-free histogram. The SSE
// transport reads both a chunked response (plain net/http) and a body that
// runs to the end of the connection (a hijacked stream). A subscriber
// counts as subscribed when the stream's first retry: line arrives.
//
// With -rooms the tool runs the many-rooms benchmark instead (see
// layout.go, scalerun.go): many rooms of Zipf-distributed sizes, a mix of
// transports, subscribers optionally spread over child processes (-procs)
// and source addresses, each subscriber checking that it gets exactly its
// room's posts in ID order; the report has a row per node.
//
// The tool raises its RLIMIT_NOFILE soft limit to the hard limit and warns
// when -subs needs more. Interrupting it (cancelling ctx) stops every phase,
// closes all connections and still prints a partial report.
package bench

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
)

// Command runs "parley bench" with args (without the command name),
// writing the report to stdout and progress to stderr. It returns nil
// after -h. When ctx is cancelled it prints a partial report and returns
// an error wrapping ctx's cause.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case cfg.child >= 0:
		return runChild(ctx, cfg, os.Stdin, stdout, stderr)
	case cfg.rooms > 0:
		return scaleCommand(ctx, cfg, args, stdout, stderr)
	}
	rep, err := newRunner(cfg, stderr).run(ctx)
	if rep != nil {
		var werr error
		if cfg.json {
			werr = rep.writeJSON(stdout)
		} else {
			werr = rep.writeText(stdout)
		}
		if err == nil {
			err = werr
		}
	}
	return err
}

// scaleCommand runs a -rooms benchmark and prints its report.
func scaleCommand(ctx context.Context, cfg *config, args []string, stdout, stderr io.Writer) error {
	rep, err := runScale(ctx, cfg, args, stderr)
	if err != nil {
		return err
	}
	if cfg.json {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = rep.writeText(stdout)
	}
	if err == nil && !rep.OK {
		err = errors.New("bench: delivery check failed: not every subscriber got exactly its room's posts in order")
	}
	return err
}
