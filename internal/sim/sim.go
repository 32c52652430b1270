// Package sim replays a modelled day of traffic against the sharded
// design in docs/SCALING.md and reports each component's load: gateway
// nodes (connections, deliveries, NATS messages in), log shards (posts,
// commits, batch size, time the shard's ID row is held), PostgreSQL
// servers (rows and commits written) and NATS (messages in and out).
//
// The day is replayed in steps (five minutes by default). In each step
// the number of connections and the post rate follow a diurnal curve;
// every room's posts are drawn around its share of the rate (Poisson),
// and the rooms are placed on gateway nodes by where their members'
// connections landed. A rebalancer moves the hottest rooms off a shard
// whose ID row would be held more than a target fraction of the time,
// which is how the design keeps hot rooms from saturating one sequence.
//
// It is a flow model, not a packet simulation: its figures are rates per
// step, and its costs per operation are the measured ones of
// docs/BENCHMARKS.md or stated assumptions (Config).
package sim

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// Config describes the deployment and the day. Zero fields take the
// defaults of Default.
type Config struct {
	Seed uint64

	// Traffic at the daily peak.
	PeakConnections int     // open connections
	PeakPostsPerSec float64 // posts per second over all rooms
	Rooms           int     // rooms with members
	ZipfS           float64 // room size ~ rank^-ZipfS
	RoomsPerConn    float64 // rooms a connection follows on average
	RoomMaxPosts    float64 // posts/s a room is allowed at most (slow mode)
	RoomMaxFanout   float64 // deliveries/s a room may cause: big rooms post slowly (slow mode scaled by size)
	TroughFraction  float64 // connections and posts at the quietest hour, as a fraction of peak
	StepMinutes     int

	// Deployment.
	Nodes       int // gateway nodes behind the load balancer
	LogShards   int // log shards, each with its own ID sequence and writer
	PGServers   int // PostgreSQL primaries the log shards are spread over
	NATSServers int // NATS cluster size

	// Costs.
	CommitSeconds  float64 // a shard commit's fixed cost: durable flush (with a synchronous replica); the ID row is held throughout
	RowMicros      float64 // a shard commit's cost per message (insert, indexes)
	ShardTarget    float64 // the rebalancer keeps each shard's writer at most this busy with rows
	DeliveryMicros float64 // gateway CPU per delivery (SSE raw write)
	ReceiveMicros  float64 // gateway CPU per event received from NATS (decode, order, hub)
	PostMicros     float64 // gateway CPU per post accepted (HTTP, validation, publish)
	ConnKiB        float64 // gateway memory per idle connection
	CoresPerNode   int
}

// Default is the design target: 10 million connections and a million
// posts per second at the daily peak.
func Default() Config {
	return Config{
		Seed:            1,
		PeakConnections: 10_000_000,
		PeakPostsPerSec: 1_000_000,
		Rooms:           200_000,
		ZipfS:           1.1,
		RoomsPerConn:    3,
		RoomMaxPosts:    200,
		RoomMaxFanout:   200_000,
		TroughFraction:  0.25,
		StepMinutes:     5,
		Nodes:           120,
		LogShards:       512,
		PGServers:       16,
		NATSServers:     9,
		CommitSeconds:   0.002,
		RowMicros:       20,
		ShardTarget:     0.5,
		DeliveryMicros:  2.5,
		ReceiveMicros:   20,
		PostMicros:      80,
		ConnKiB:         4,
		CoresPerNode:    32,
	}
}

func (c *Config) fill() {
	d := Default()
	set := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	setF := func(p *float64, v float64) {
		if *p <= 0 {
			*p = v
		}
	}
	set(&c.PeakConnections, d.PeakConnections)
	setF(&c.PeakPostsPerSec, d.PeakPostsPerSec)
	set(&c.Rooms, d.Rooms)
	setF(&c.ZipfS, d.ZipfS)
	setF(&c.RoomsPerConn, d.RoomsPerConn)
	setF(&c.RoomMaxPosts, d.RoomMaxPosts)
	setF(&c.RoomMaxFanout, d.RoomMaxFanout)
	setF(&c.TroughFraction, d.TroughFraction)
	set(&c.StepMinutes, d.StepMinutes)
	set(&c.Nodes, d.Nodes)
	set(&c.LogShards, d.LogShards)
	set(&c.PGServers, d.PGServers)
	set(&c.NATSServers, d.NATSServers)
	setF(&c.CommitSeconds, d.CommitSeconds)
	setF(&c.RowMicros, d.RowMicros)
	setF(&c.ShardTarget, d.ShardTarget)
	setF(&c.DeliveryMicros, d.DeliveryMicros)
	setF(&c.ReceiveMicros, d.ReceiveMicros)
	setF(&c.PostMicros, d.PostMicros)
	setF(&c.ConnKiB, d.ConnKiB)
	set(&c.CoresPerNode, d.CoresPerNode)
}

// Load is the peak and the daily total of one figure.
type Load struct {
	Peak  float64 // highest value in any step (a rate, or a count)
	Total float64 // summed over the day, for rates (rate x seconds)
}

func (l *Load) add(v, seconds float64) {
	l.Peak = max(l.Peak, v)
	l.Total += v * seconds
}

// Report is what a day cost each component, at its busiest instance.
type Report struct {
	Config Config
	Steps  int

	Posts      Load // posts/s, cluster
	Deliveries Load // deliveries/s, cluster

	NodeConnections Load    // connections on the busiest node
	NodeDeliveries  Load    // deliveries/s on the busiest node
	NodeReceived    Load    // events/s from NATS on the busiest node
	NodeCPU         Load    // cores busy on the busiest node
	NodeMemoryGiB   Load    // connection memory on the busiest node
	NodeRoomsShare  float64 // at the peak: mean fraction of all rooms' events a node receives

	ShardPosts    Load    // posts/s on the busiest log shard
	ShardCommits  Load    // commits/s on the busiest log shard
	ShardBusy     Load    // the busiest shard writer's time spent on rows (1: saturated)
	ShardBatch    float64 // posts per commit on the busiest shard at the peak
	ShardCommitMs float64 // its commit time at the peak (a post waits about 1.5 of them)

	PGRows    Load // rows/s on the busiest PostgreSQL server
	PGCommits Load // commits/s on the busiest PostgreSQL server

	NATSIn  Load // messages/s published, cluster
	NATSOut Load // messages/s delivered to nodes, cluster

	RoomMoves int // rooms moved between shards over the day
}

// room is one room: its members, its posting weight and its placement.
type room struct {
	members float64 // connections in the room at the peak
	rate    float64 // posts/s at the peak
	shard   int
	nodes   float64 // gateway nodes with a member at the peak (expected)
}

// Run replays the day and returns the report.
func Run(cfg Config) Report {
	cfg.fill()
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	rooms := makeRooms(cfg)
	rep := Report{Config: cfg}
	steps := 24 * 60 / cfg.StepMinutes
	rep.Steps = steps
	stepSecs := float64(cfg.StepMinutes * 60)

	shardPosts := make([]float64, cfg.LogShards)
	for step := range steps {
		level := diurnal(float64(step)/float64(steps), cfg.TroughFraction)
		conns := float64(cfg.PeakConnections) * level
		postRate := cfg.PeakPostsPerSec * level

		clear(shardPosts)
		var posts, deliveries, natsIn, natsOut, nodeRecv float64
		for i := range rooms {
			r := &rooms[i]
			mean := r.rate * level
			p := poisson(rng, mean*stepSecs) / stepSecs
			if p == 0 {
				continue
			}
			online := r.members * level
			nodes := spread(float64(cfg.Nodes), online)
			posts += p
			deliveries += p * online
			shardPosts[r.shard] += p
			// One publish per post batch per room subject, delivered
			// to every node following the room.
			natsIn += p
			natsOut += p * nodes
			nodeRecv += p * nodes
		}
		rep.Posts.add(posts, stepSecs)
		rep.Deliveries.add(deliveries, stepSecs)
		rep.NATSIn.add(natsIn, stepSecs)
		rep.NATSOut.add(natsOut, stepSecs)

		// Gateway nodes: the load balancer spreads connections evenly;
		// the busiest node carries a little more (1 + 3/sqrt(n) of the
		// mean, a three-sigma excess for random placement).
		skew := 1 + 3/math.Sqrt(conns/float64(cfg.Nodes)+1)
		perNode := func(v float64) float64 { return v / float64(cfg.Nodes) * skew }
		nConns := perNode(conns)
		nDeliv := perNode(deliveries)
		nRecv := perNode(nodeRecv)
		nPosts := perNode(posts)
		rep.NodeConnections.add(nConns, 0)
		rep.NodeDeliveries.add(nDeliv, stepSecs)
		rep.NodeReceived.add(nRecv, stepSecs)
		cpu := (nDeliv*cfg.DeliveryMicros + nRecv*cfg.ReceiveMicros + nPosts*cfg.PostMicros) / 1e6
		rep.NodeCPU.add(cpu, stepSecs)
		rep.NodeMemoryGiB.add(nConns*cfg.ConnKiB/(1<<20), 0)
		if posts > 0 && postRate == cfg.PeakPostsPerSec {
			rep.NodeRoomsShare = nodeRecv / float64(cfg.Nodes) / posts
		}

		// Log shards: one writer each, committing every post waiting
		// (group commit) and holding the shard's ID row for the commit.
		pgRows := make([]float64, cfg.PGServers)
		pgCommits := make([]float64, cfg.PGServers)
		var busiest float64
		var w writer
		for s, p := range shardPosts {
			sw := shardWriter(cfg, p)
			if p > busiest {
				busiest, w = p, sw
			}
			pgRows[s%cfg.PGServers] += p
			pgCommits[s%cfg.PGServers] += sw.commits
		}
		rep.ShardPosts.add(busiest, stepSecs)
		rep.ShardCommits.add(w.commits, stepSecs)
		rep.ShardBusy.add(busiest*cfg.RowMicros/1e6, 0)
		if postRate == cfg.PeakPostsPerSec {
			rep.ShardBatch, rep.ShardCommitMs = w.batch, w.seconds*1000
		}
		rep.PGRows.add(slices.Max(pgRows), stepSecs)
		rep.PGCommits.add(slices.Max(pgCommits), stepSecs)

		rep.RoomMoves += rebalance(cfg, rooms, shardPosts, postRate)
	}
	return rep
}

// makeRooms draws Zipf-sized rooms whose memberships add up to
// PeakConnections x RoomsPerConn, posting in proportion to the square
// root of their size (big rooms are read far more than written) within
// each room's cap, and places each on the shard its name hashes to (here:
// its index, mixed).
func makeRooms(cfg Config) []room {
	rooms := make([]room, cfg.Rooms)
	var sizeSum float64
	for i := range rooms {
		rooms[i].members = math.Pow(float64(i+1), -cfg.ZipfS)
		sizeSum += rooms[i].members
	}
	memberships := float64(cfg.PeakConnections) * cfg.RoomsPerConn
	weights := make([]float64, len(rooms))
	caps := make([]float64, len(rooms))
	for i := range rooms {
		r := &rooms[i]
		r.members = math.Max(2, r.members/sizeSum*memberships)
		weights[i] = math.Sqrt(r.members)
		caps[i] = min(cfg.RoomMaxPosts, cfg.RoomMaxFanout/r.members)
		r.shard = int(mix(uint64(i)) % uint64(cfg.LogShards))
		r.nodes = spread(float64(cfg.Nodes), r.members)
	}
	// Water-filling: rooms at their cap keep it, and what they could not
	// take goes to the others by weight.
	capped := make([]bool, len(rooms))
	left := cfg.PeakPostsPerSec
	for range 20 {
		var w float64
		for i := range rooms {
			if !capped[i] {
				w += weights[i]
			}
		}
		if w == 0 || left <= 0 {
			break
		}
		changed := false
		for i := range rooms {
			if capped[i] {
				continue
			}
			rooms[i].rate = left * weights[i] / w
			if rooms[i].rate > caps[i] {
				changed = true
			}
		}
		if !changed {
			break
		}
		for i := range rooms {
			if !capped[i] && rooms[i].rate > caps[i] {
				rooms[i].rate = caps[i]
				capped[i] = true
				left -= caps[i]
			}
		}
	}
	return rooms
}

// writer is a shard writer's steady state at one post rate.
type writer struct {
	commits float64 // per second
	batch   float64 // posts per commit
	seconds float64 // one commit
}

// shardWriter solves a group-committing writer at p posts/s: below one
// post per commit time it commits each post alone; above, commits run
// back to back and each takes what arrived during the last one, so
// batch = p x commit and commit = CommitSeconds + batch x RowMicros.
// It saturates as p x RowMicros reaches 1.
func shardWriter(cfg Config, p float64) writer {
	row := cfg.RowMicros / 1e6
	if p <= 0 {
		return writer{}
	}
	if p*(cfg.CommitSeconds+row) <= 1 {
		return writer{commits: p, batch: 1, seconds: cfg.CommitSeconds + row}
	}
	if p*row >= 1 {
		return writer{commits: 1 / (cfg.CommitSeconds + row), batch: math.Inf(1), seconds: math.Inf(1)}
	}
	b := p * cfg.CommitSeconds / (1 - p*row)
	return writer{commits: p / b, batch: b, seconds: cfg.CommitSeconds + b*row}
}

// rebalance moves the hottest rooms off shards whose writer is busier
// with rows than the target, to the coolest shards, and returns how many
// moved. A move costs the room a pause of one commit (see SCALING.md).
func rebalance(cfg Config, rooms []room, shardPosts []float64, postRate float64) int {
	limit := cfg.ShardTarget / (cfg.RowMicros / 1e6) // posts/s a shard may take
	hot := func(s int) bool { return shardPosts[s] > limit }
	moves := 0
	for s := range shardPosts {
		if !hot(s) {
			continue
		}
		var here []int
		for i := range rooms {
			if rooms[i].shard == s {
				here = append(here, i)
			}
		}
		sort.Slice(here, func(a, b int) bool { return rooms[here[a]].rate > rooms[here[b]].rate })
		for _, i := range here {
			if !hot(s) {
				break
			}
			rate := rooms[i].rate * postRate / cfg.PeakPostsPerSec
			to := coolest(shardPosts)
			if to == s || shardPosts[to]+rate > limit {
				break // nowhere cooler to go: the shard count is too small
			}
			rooms[i].shard = to
			shardPosts[s] -= rate
			shardPosts[to] += rate
			moves++
		}
	}
	return moves
}

func coolest(shardPosts []float64) int {
	best := 0
	for s, p := range shardPosts {
		if p < shardPosts[best] {
			best = s
		}
	}
	return best
}

// spread is the expected number of n nodes holding at least one of m
// connections placed uniformly at random.
func spread(n, m float64) float64 {
	if m <= 0 {
		return 0
	}
	return n * (1 - math.Pow(1-1/n, m))
}

// diurnal is the load at fraction f of the day: TroughFraction at 04:00,
// 1 at 16:00, a cosine in between.
func diurnal(f, trough float64) float64 {
	phase := 2 * math.Pi * (f - 16.0/24)
	return trough + (1-trough)*(1+math.Cos(phase))/2
}

// poisson draws a Poisson variate with the given mean (normal
// approximation above 50).
func poisson(rng *rand.Rand, mean float64) float64 {
	if mean <= 0 {
		return 0
	}
	if mean > 50 {
		return math.Max(0, math.Round(mean+math.Sqrt(mean)*rng.NormFloat64()))
	}
	l, k, p := math.Exp(-mean), 0.0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}

// mix scatters room indexes over shards as a name hash would.
func mix(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Print writes the report as a table of components.
func (r Report) Print(w io.Writer) {
	c := r.Config
	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("modelled day: %d steps of %d min; peak %s connections, %s posts/s over %s rooms (Zipf s=%.2f, %.1f rooms per connection)\n",
		r.Steps, c.StepMinutes, si(float64(c.PeakConnections)), si(c.PeakPostsPerSec), si(float64(c.Rooms)), c.ZipfS, c.RoomsPerConn)
	p("deployment: %d gateway nodes (%d cores), %d log shards on %d PostgreSQL servers, %d NATS servers\n\n",
		c.Nodes, c.CoresPerNode, c.LogShards, c.PGServers, c.NATSServers)
	p("%-34s %14s %16s\n", "component (busiest instance)", "peak", "day total")
	row := func(name string, l Load, unit string) {
		p("%-34s %14s %16s\n", name, si(l.Peak)+unit, si(l.Total))
	}
	row("cluster posts", r.Posts, "/s")
	row("cluster deliveries", r.Deliveries, "/s")
	p("%-34s %14s\n", "node connections", si(r.NodeConnections.Peak))
	p("%-34s %14s\n", "node connection memory", fmt.Sprintf("%.2f GiB", r.NodeMemoryGiB.Peak))
	row("node deliveries", r.NodeDeliveries, "/s")
	row("node events from NATS", r.NodeReceived, "/s")
	p("%-34s %14s %16s\n", "node CPU", fmt.Sprintf("%.1f of %d cores", r.NodeCPU.Peak, c.CoresPerNode), "")
	p("%-34s %14s\n", "share of events a node receives", fmt.Sprintf("%.1f%%", 100*r.NodeRoomsShare))
	row("log shard posts", r.ShardPosts, "/s")
	row("log shard commits", r.ShardCommits, "/s")
	p("%-34s %14s\n", "log shard writer busy with rows", fmt.Sprintf("%.0f%%", 100*r.ShardBusy.Peak))
	p("%-34s %14s\n", "posts per commit (busiest, peak)", fmt.Sprintf("%.1f", r.ShardBatch))
	p("%-34s %14s\n", "commit time (busiest, peak)", fmt.Sprintf("%.1f ms", r.ShardCommitMs))
	row("PostgreSQL server rows", r.PGRows, "/s")
	row("PostgreSQL server commits", r.PGCommits, "/s")
	row("NATS messages in (cluster)", r.NATSIn, "/s")
	row("NATS messages out (cluster)", r.NATSOut, "/s")
	p("%-34s %14s\n", "NATS messages out per server", si(r.NATSOut.Peak/float64(c.NATSServers))+"/s")
	p("%-34s %14d\n", "rooms moved between shards", r.RoomMoves)
}

// si formats v with a k/M/G suffix.
func si(v float64) string {
	switch a := math.Abs(v); {
	case a >= 1e9:
		return fmt.Sprintf("%.2fG", v/1e9)
	case a >= 1e6:
		return fmt.Sprintf("%.2fM", v/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.1fk", v/1e3)
	default:
		return fmt.Sprintf("%.1f", v)
	}
}
