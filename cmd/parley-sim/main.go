// Command parley-sim replays a modelled day of traffic against the
// sharded design of docs/SCALING.md and prints each component's load at
// its busiest instance (see package internal/sim).
//
//	parley-sim                       # the design target: 10M connections, 1M posts/s
//	parley-sim -nodes 60 -shards 128 # what a smaller deployment would carry
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/parley-chat/parley/internal/sim"
)

func main() {
	cfg := sim.Default()
	fs := flag.NewFlagSet("parley-sim", flag.ExitOnError)
	fs.IntVar(&cfg.PeakConnections, "connections", cfg.PeakConnections, "open connections at the daily peak")
	fs.Float64Var(&cfg.PeakPostsPerSec, "posts", cfg.PeakPostsPerSec, "posts per second at the daily peak")
	fs.IntVar(&cfg.Rooms, "rooms", cfg.Rooms, "rooms with members")
	fs.Float64Var(&cfg.ZipfS, "zipf", cfg.ZipfS, "room size ~ rank^-zipf")
	fs.Float64Var(&cfg.RoomsPerConn, "rooms-per-conn", cfg.RoomsPerConn, "rooms a connection follows on average")
	fs.IntVar(&cfg.Nodes, "nodes", cfg.Nodes, "gateway nodes")
	fs.IntVar(&cfg.CoresPerNode, "cores", cfg.CoresPerNode, "cores per gateway node")
	fs.IntVar(&cfg.LogShards, "shards", cfg.LogShards, "log shards (each its own ID sequence and writer)")
	fs.IntVar(&cfg.PGServers, "pg", cfg.PGServers, "PostgreSQL primaries")
	fs.IntVar(&cfg.NATSServers, "nats", cfg.NATSServers, "NATS servers")
	fs.Float64Var(&cfg.CommitSeconds, "commit", cfg.CommitSeconds, "a shard commit's fixed cost, seconds")
	fs.Float64Var(&cfg.RowMicros, "row-us", cfg.RowMicros, "a shard commit's cost per message, µs")
	fs.Float64Var(&cfg.DeliveryMicros, "delivery-us", cfg.DeliveryMicros, "gateway CPU per delivery, µs")
	fs.Float64Var(&cfg.ReceiveMicros, "receive-us", cfg.ReceiveMicros, "gateway CPU per event received from NATS, µs")
	fs.Float64Var(&cfg.PostMicros, "post-us", cfg.PostMicros, "gateway CPU per post accepted, µs")
	fs.IntVar(&cfg.StepMinutes, "step", cfg.StepMinutes, "minutes per replayed step")
	seed := fs.Uint64("seed", cfg.Seed, "random seed (the same seed replays the same day)")
	_ = fs.Parse(os.Args[1:])
	cfg.Seed = *seed
	if cfg.Nodes <= 0 || cfg.LogShards <= 0 || cfg.PGServers <= 0 || cfg.NATSServers <= 0 || cfg.Rooms <= 0 {
		fmt.Fprintln(os.Stderr, "parley-sim: -nodes, -shards, -pg, -nats and -rooms must be positive")
		os.Exit(2)
	}
	sim.Run(cfg).Print(os.Stdout)
}
