package bench

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
)

// config is the parsed and checked command line.
type config struct {
	rawURL         string
	nodes          []*url.URL // -url: one base URL per node, paths without trailing slash
	base           *url.URL   // nodes[0]: room creation, posting, /healthz
	room           string
	subs           int
	catchups       int   // -catchups: streams resuming from cursor 0
	catchup        int   // -catchup: messages each of them reads
	startAfter     int64 // streams resume after this ID; -1: live (the default)
	messages       int
	rate           float64 // messages per second over all posters; 0 = as fast as possible
	posters        int
	timeout        time.Duration // drain wait after the last post; also the per-request timeout
	rawPIDs        string
	metricsURL     string // -metrics: the server's Prometheus endpoint
	pids           []int  // -pid: server processes, sampled and summed
	idle           time.Duration
	json           bool
	transport      string
	concurrency    int           // handshakes in flight while subscribing
	connectTimeout time.Duration // dial + response headers + retry: line, per subscriber
	pollTimeout    time.Duration // -transport poll: the hold asked for (timeout=); 0 = the server's default
	readBuf        int           // read buffer per connection; 0: connBufSize (catch-ups use a larger one)

	// The many-rooms mode (-rooms; see layout.go and scale.go).
	rooms      int
	roomDist   string
	roomMin    int
	roomMax    int
	rawMix     string
	mix        []string // the transport pattern (parseMix); [transport] without -mix
	kindNames  []string // the distinct transports of mix, in order of first appearance
	duration   time.Duration
	procs      int
	rawSources string
	sources    []*net.TCPAddr
	seed       int64
	child      int    // -child: this process is subscriber group j of a -procs run; -1: not
	rawWatch   string // -watch: process names whose CPU is reported
	watch      []string
}

const usageText = `Usage: parley bench [flags]

Load-tests a running Parley server: -subs subscribers hold event streams on
-room while -posters post -messages at -rate; every subscriber checks that it
got each message once and in order, and measures publish-to-delivery latency.

Examples:
  parley bench -subs 10000 -messages 50 -rate 5 -pid $(pidof parley) -metrics http://127.0.0.1:9090/metrics
  parley bench -subs 10000 -messages 0 -idle 10s -pid $(pidof parley)
  parley bench -subs 0 -messages 50000 -posters 16
  parley bench -url http://a:8081,http://b:8082,http://c:8083 -subs 3000 -messages 1000 -rate 100
  parley bench -url $URLS -pid $PIDS -subs 100000 -rooms 1000 -mix sse=60,ws=30,poll=10 \
      -rate 200 -duration 60s -posters 64 -procs 6 -source-addrs 127.0.0.2-127.0.0.7 (bench/scale.sh)

With several -url nodes (a cluster), subscribers are spread over them in
turn and posters post to the first; the report gives delivery latency for
subscribers on the posting node and on the others (cross-node) apart.

With -rooms N, -subs subscribers are spread over N rooms (-room-dist), each
subscriber on node i%nodes with a transport from -mix; -rate posts/s for
-duration go to rooms drawn at random, round-robin over the nodes; each
subscriber must get exactly its room's posts, in ID order. -procs K runs
the subscribers in K child processes (this binary, re-executed), each
dialling from its own -source-addrs address; the report has one row per
node (RSS per connection, CPU per delivery with -pid in -url order).

Flags:
`

// parseFlags parses args into a config. It returns flag.ErrHelp after
// printing the usage for -h.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	c := &config{startAfter: -1}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.rawURL, "url", "http://127.0.0.1:8080", "base `URL` of the server; comma-separated for the nodes of a cluster (posts go to the first)")
	fs.StringVar(&c.room, "room", "lobby", "`room` to subscribe and post to (created when missing)")
	fs.IntVar(&c.subs, "subs", 100, "number of subscribers; 0 for a pure posting benchmark")
	fs.IntVar(&c.catchups, "catchups", 0, "subscribers that resume from the start of the log (cursor 0) while the run goes on, each reading -catchup messages (sse or ws)")
	fs.IntVar(&c.catchup, "catchup", 100000, "with -catchups: messages each catch-up reads (the log must hold that many in the room)")
	fs.IntVar(&c.messages, "messages", 100, "number of messages to post; 0 to only subscribe (idle memory)")
	fs.Float64Var(&c.rate, "rate", 0, "messages per second, over all posters; 0 = as fast as possible")
	fs.IntVar(&c.posters, "posters", 1, "concurrent posters (keep-alive HTTP connections)")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "how long to wait for deliveries after the last post; also the per-post timeout")
	fs.StringVar(&c.rawPIDs, "pid", "", "server process `id`s, comma-separated: sample their CPU time and RSS (summed) from /proc")
	fs.DurationVar(&c.idle, "idle", 0, "wait this long after all are subscribed before sampling idle RSS (lets the Go scavenger settle)")
	fs.BoolVar(&c.json, "json", false, "print a JSON summary instead of text")
	fs.StringVar(&c.metricsURL, "metrics", "", "the server's metrics `URL` (parley serve --metrics-addr): report its goroutines, live heap and long-poll sessions before, during and after the run")
	fs.StringVar(&c.transport, "transport", "sse", "subscriber transport: sse, ws or poll")
	fs.IntVar(&c.concurrency, "connect-concurrency", 200, "subscriber handshakes in flight at once")
	fs.DurationVar(&c.connectTimeout, "connect-timeout", 10*time.Second, "per subscriber: dial, response headers and the first retry: line")
	fs.IntVar(&c.rooms, "rooms", 0, "many-rooms mode: spread -subs over this many rooms named <room>-<n> (created when missing); 0: one room, -room")
	fs.StringVar(&c.roomDist, "room-dist", "zipf", "with -rooms: room sizes, zipf (the n-th room ~1/n of the subscribers, clamped to -room-min..-room-max) or uniform")
	fs.IntVar(&c.roomMin, "room-min", 10, "with -rooms and zipf: the smallest room")
	fs.IntVar(&c.roomMax, "room-max", 10000, "with -rooms and zipf: the largest room")
	fs.StringVar(&c.rawMix, "mix", "", "with -rooms: transports by weight, e.g. sse=60,ws=30,poll=10 (default: -transport only)")
	fs.DurationVar(&c.duration, "duration", 0, "with -rooms and -rate: post for this long (sets -messages to rate×duration)")
	fs.IntVar(&c.procs, "procs", 1, "with -rooms: run the subscribers in this many child processes")
	fs.StringVar(&c.rawSources, "source-addrs", "", "with -rooms: local addresses the subscribers dial from, one per process in turn: a list or a range (127.0.0.2-127.0.0.7)")
	fs.Int64Var(&c.seed, "seed", 1, "with -rooms: seed of the posts' room draw")
	fs.IntVar(&c.child, "child", -1, "internal: run as subscriber process `j` of -procs (started by the parent)")
	fs.StringVar(&c.rawWatch, "watch", "", "with -rooms: comma-separated process names (e.g. postgres,nats-server) whose CPU the report gives, summed over their processes; name:text also requires text in the command line (postgres:mydb: that database's backends)")
	fs.DurationVar(&c.pollTimeout, "poll-timeout", 0, "with -transport poll: how long the server may hold each poll (sent as timeout=); 0 leaves it to the server")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return nil, fmt.Errorf("bench: unexpected argument %q: all options are flags", fs.Arg(0))
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	return c, nil
}

func (c *config) check() error {
	nodes, err := parseURLs(c.rawURL)
	if err != nil {
		return err
	}
	c.nodes, c.base = nodes, nodes[0]
	if c.pids, err = parsePIDs(c.rawPIDs); err != nil {
		return err
	}
	if !validRoom(c.room) {
		return fmt.Errorf("-room %q: room names are 1-32 lowercase letters, digits, '-' and '_', starting with a letter or digit", c.room)
	}
	switch {
	case c.subs < 0:
		return errors.New("-subs must be 0 or more")
	case c.messages < 0:
		return errors.New("-messages must be 0 or more")
	case c.posters < 1:
		return errors.New("-posters must be 1 or more")
	case c.rate < 0:
		return errors.New("-rate must be 0 (as fast as possible) or more")
	case c.timeout <= 0:
		return errors.New("-timeout must be positive")
	case c.idle < 0:
		return errors.New("-idle must not be negative")
	case c.concurrency < 1:
		return errors.New("-connect-concurrency must be 1 or more")
	case c.pollTimeout < 0:
		return errors.New("-poll-timeout must not be negative")
	case c.connectTimeout <= 0:
		return errors.New("-connect-timeout must be positive")
	case c.catchups < 0 || c.catchups > 0 && c.catchup < 1:
		return errors.New("-catchups must be 0 or more, and -catchup 1 or more")
	case c.catchups > 0 && c.transport == "poll":
		return errors.New("-catchups works with -transport sse or ws")
	case c.subs == 0 && c.messages == 0 && c.catchups == 0:
		return errors.New("nothing to do: -subs and -messages are both 0")
	}
	if _, ok := transports[c.transport]; !ok {
		return fmt.Errorf("-transport %q: supported: %s", c.transport, strings.Join(transportNames(), ", "))
	}
	if err := c.checkRooms(); err != nil {
		return err
	}
	if c.messages > 0 && c.posters > c.messages {
		c.posters = c.messages
	}
	for _, pid := range c.pids {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid) + "/stat"); err != nil {
			return fmt.Errorf("-pid %d: cannot read the process's /proc entry: %v", pid, err)
		}
	}
	return nil
}

// parseURLs parses -url: one or more comma-separated http(s) base URLs,
// returned without query, fragment or trailing slash.
func parseURLs(s string) ([]*url.URL, error) {
	var nodes []*url.URL
	for _, raw := range strings.Split(s, ",") {
		raw = strings.TrimSpace(raw)
		u, err := url.Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("-url %q: %v", raw, err)
		}
		if u.Scheme != "http" && u.Scheme != "https" {
			return nil, fmt.Errorf("-url %q: want an http:// or https:// URL", raw)
		}
		if u.Host == "" {
			return nil, fmt.Errorf("-url %q: no host", raw)
		}
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		u.RawQuery, u.Fragment = "", ""
		nodes = append(nodes, u)
	}
	return nodes, nil
}

// parsePIDs parses -pid: empty, or comma-separated positive process IDs.
func parsePIDs(s string) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var pids []int
	for _, f := range strings.Split(s, ",") {
		pid, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || pid <= 0 {
			return nil, fmt.Errorf("-pid %q: want process ids, comma-separated", s)
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// nodeOf returns the node (index into -url) of subscriber i: round-robin.
func nodeOf(i, nodes int) int { return i % nodes }

// validRoom reports whether name is a valid room name (see docs/API.md).
func validRoom(name string) bool {
	if len(name) < 1 || len(name) > 32 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}

// endpoint returns the absolute URL of an API path under the base URL.
func (c *config) endpoint(path string) string {
	u := *c.base
	u.Path = c.base.Path + path
	return u.String()
}
