package sim

import (
	"bytes"
	"math"
	"strings"
	"testing"
)

// small is a deployment small enough to replay in a test.
func small() Config {
	c := Default()
	c.PeakConnections = 100_000
	c.PeakPostsPerSec = 10_000
	c.Rooms = 2_000
	c.Nodes = 6
	c.LogShards = 16
	c.PGServers = 2
	c.StepMinutes = 30
	return c
}

func TestSameSeedSameDay(t *testing.T) {
	a, b := Run(small()), Run(small())
	if a != b {
		t.Fatalf("two runs with one seed differ:\n%+v\n%+v", a, b)
	}
	c := small()
	c.Seed = 2
	if Run(c) == a {
		t.Error("another seed replayed the very same day")
	}
}

// The posts of the day add up to the diurnal curve's integral, within the
// Poisson noise, and every post reaches its room's online members.
func TestDayConservesPosts(t *testing.T) {
	cfg := small()
	r := Run(cfg)
	// The mean of trough + (1-trough)(1+cos)/2 over a day.
	want := cfg.PeakPostsPerSec * (cfg.TroughFraction + (1-cfg.TroughFraction)/2) * 86400
	if got := r.Posts.Total; math.Abs(got-want)/want > 0.02 {
		t.Errorf("day's posts = %.0f, want %.0f ± 2%%", got, want)
	}
	if r.Posts.Peak > cfg.PeakPostsPerSec*1.02 || r.Posts.Peak < cfg.PeakPostsPerSec*0.9 {
		t.Errorf("peak posts/s = %.0f, want about %.0f", r.Posts.Peak, cfg.PeakPostsPerSec)
	}
	if r.Deliveries.Total <= r.Posts.Total {
		t.Errorf("deliveries %.0f not above posts %.0f: rooms have several members", r.Deliveries.Total, r.Posts.Total)
	}
	if r.NodeRoomsShare <= 0 || r.NodeRoomsShare > 1 {
		t.Errorf("share of events a node receives = %v, want in (0, 1]", r.NodeRoomsShare)
	}
}

// With too few shards for the load, the rebalancer moves rooms until no
// shard's ID row is held past the target; with enough, nothing moves.
func TestRebalancerKeepsShardsUnderTheTarget(t *testing.T) {
	cfg := small()
	cfg.LogShards = 64
	cfg.RowMicros = 4000 // the target is 125 posts/s a shard
	r := Run(cfg)
	if r.RoomMoves == 0 {
		t.Fatal("no room moved although shards were over the target")
	}
	limit := cfg.ShardTarget / (cfg.RowMicros / 1e6)
	// The peak is measured before each step's moves: allow a step's growth.
	if r.ShardPosts.Peak > 2*limit {
		t.Errorf("busiest shard took %.0f posts/s, target %.0f", r.ShardPosts.Peak, limit)
	}

	calm := small()
	calm.PeakPostsPerSec = 100
	if moved := Run(calm).RoomMoves; moved != 0 {
		t.Errorf("%d rooms moved at 100 posts/s over 16 shards", moved)
	}
}

func TestDefaultDesignFitsItsTarget(t *testing.T) {
	if testing.Short() {
		t.Skip("replays the full design day")
	}
	cfg := Default()
	cfg.StepMinutes = 60
	r := Run(cfg)
	if r.NodeCPU.Peak > float64(cfg.CoresPerNode)*0.7 {
		t.Errorf("busiest node needs %.1f of %d cores at the peak", r.NodeCPU.Peak, cfg.CoresPerNode)
	}
	if r.ShardBusy.Peak > cfg.ShardTarget || r.ShardCommitMs > 20 {
		t.Errorf("busiest shard writer %.0f%% busy with rows, commits take %.1f ms", 100*r.ShardBusy.Peak, r.ShardCommitMs)
	}
	if r.NodeMemoryGiB.Peak > 1 {
		t.Errorf("busiest node holds %.2f GiB of connections", r.NodeMemoryGiB.Peak)
	}
	var out bytes.Buffer
	r.Print(&out)
	for _, want := range []string{"node CPU", "log shard commits", "PostgreSQL server rows", "NATS messages out"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
	t.Log("\n" + out.String())
}

func TestShardWriterGroupCommits(t *testing.T) {
	cfg := Default() // 2 ms commits, 20 µs a row
	if w := shardWriter(cfg, 100); w.batch != 1 || w.commits != 100 {
		t.Errorf("at 100 posts/s: %+v, want each post committed alone", w)
	}
	w := shardWriter(cfg, 10_000)
	if w.batch < 20 || w.commits*w.batch < 9_999 || w.commits*w.batch > 10_001 {
		t.Errorf("at 10,000 posts/s: %+v, want batches of 20+ carrying every post", w)
	}
	if w := shardWriter(cfg, 60_000); !math.IsInf(w.batch, 1) {
		t.Errorf("at 60,000 posts/s (over 1/20 µs): %+v, want saturated", w)
	}
}
