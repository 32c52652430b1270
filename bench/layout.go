package bench

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"
)

// The many-rooms mode (-rooms N) spreads -subs subscribers over N rooms and
// posts at -rate to rooms drawn at random. Everything in it is a pure
// function of the flags (and -seed): which room, node and transport each
// subscriber has, and which room each post goes to. That is what lets the
// load spread over several processes (-procs) that never talk to each
// other: each recomputes the same layout and takes its slice, and checks
// every delivery against the same post schedule the parent follows.

// layout places the subscribers. Subscriber i (0 <= i < subs) is in room
// roomOf(i) (rooms hold contiguous ranges of subscribers, the largest
// room first), connects to node i % nodes and uses the transport
// kinds[(i/nodes) % len(kinds)], so that every room spans the nodes and
// every node serves the mix.
type layout struct {
	sizes  []int    // subscribers per room
	starts []int    // first subscriber of each room; len(sizes)+1 entries
	nodes  int      // -url count
	kinds  []string // the transport of each slot of the mix pattern
	seed   uint64
}

func newLayout(sizes []int, nodes int, kinds []string, seed int64) *layout {
	l := &layout{sizes: sizes, starts: make([]int, len(sizes)+1), nodes: nodes, kinds: kinds, seed: uint64(seed)}
	for r, n := range sizes {
		l.starts[r+1] = l.starts[r] + n
	}
	return l
}

func (l *layout) subs() int { return l.starts[len(l.sizes)] }

// roomOf returns subscriber i's room.
func (l *layout) roomOf(i int) int {
	return sort.Search(len(l.sizes), func(r int) bool { return l.starts[r+1] > i })
}

func (l *layout) nodeOf(i int) int { return i % l.nodes }

func (l *layout) kindOf(i int) string { return l.kinds[(i/l.nodes)%len(l.kinds)] }

// postRoom returns the room of post seq (1-based): uniform at random over
// the rooms, the same in every process for a given -seed.
func (l *layout) postRoom(seq int64) int {
	return int(splitmix64(l.seed+uint64(seq)) % uint64(len(l.sizes)))
}

// postNode returns the node post seq is sent to: round-robin.
func (l *layout) postNode(seq int64) int { return int((seq - 1) % int64(l.nodes)) }

// slice returns the subscribers [lo, hi) that process j of procs runs.
func (l *layout) slice(j, procs int) (lo, hi int) {
	n := l.subs()
	return j * n / procs, (j + 1) * n / procs
}

// splitmix64 is a fixed 64-bit mixing function (SplitMix64's finaliser):
// a deterministic stand-in for a random draw.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// roomSizes splits subs subscribers over rooms rooms. "uniform" gives each
// room subs/rooms (the first ones one more). "zipf" makes the r-th room
// (from 1) proportional to 1/r (Zipf with s = 1), each clamped to
// [minSize, maxSize]; the scale is chosen so that the clamped sizes add up
// to subs, and the rounding is settled by largest remainder. Sizes come
// out in non-increasing order and always sum to exactly subs.
func roomSizes(dist string, subs, rooms, minSize, maxSize int) ([]int, error) {
	switch {
	case rooms < 1:
		return nil, errors.New("-rooms must be 1 or more")
	case subs < 1:
		return nil, errors.New("-subs must be 1 or more with -rooms")
	}
	sizes := make([]int, rooms)
	switch dist {
	case "uniform":
		for r := range sizes {
			sizes[r] = subs / rooms
			if r < subs%rooms {
				sizes[r]++
			}
		}
		if sizes[rooms-1] < 1 {
			return nil, fmt.Errorf("%d subscribers cannot fill %d rooms", subs, rooms)
		}
		return sizes, nil
	case "zipf":
	default:
		return nil, fmt.Errorf("-room-dist %q: want zipf or uniform", dist)
	}
	if minSize < 1 || maxSize < minSize {
		return nil, fmt.Errorf("room sizes [%d, %d]: want 1 <= -room-min <= -room-max", minSize, maxSize)
	}
	if int64(minSize)*int64(rooms) > int64(subs) || int64(maxSize)*int64(rooms) < int64(subs) {
		return nil, fmt.Errorf("%d subscribers do not fit %d rooms of %d to %d", subs, rooms, minSize, maxSize)
	}
	clamped := func(c float64, r int) float64 {
		return math.Min(math.Max(c/float64(r+1), float64(minSize)), float64(maxSize))
	}
	total := func(c float64) float64 {
		var t float64
		for r := range rooms {
			t += clamped(c, r)
		}
		return t
	}
	// total is non-decreasing in c: bisect for total(c) = subs.
	lo, hi := 0.0, float64(maxSize)*float64(rooms)
	for range 200 {
		mid := (lo + hi) / 2
		if total(mid) < float64(subs) {
			lo = mid
		} else {
			hi = mid
		}
	}
	exact := make([]float64, rooms)
	sum := 0
	for r := range sizes {
		exact[r] = clamped(hi, r)
		sizes[r] = int(math.Floor(exact[r]))
		sum += sizes[r]
	}
	// Hand out (or take back) the rounding, largest remainders first,
	// within the bounds. Each pass moves at least one subscriber because
	// the bounds were checked to admit subs.
	order := make([]int, rooms)
	for r := range order {
		order[r] = r
	}
	sort.SliceStable(order, func(a, b int) bool {
		return exact[order[a]]-math.Floor(exact[order[a]]) > exact[order[b]]-math.Floor(exact[order[b]])
	})
	for sum < subs {
		for _, r := range order {
			if sum < subs && sizes[r] < maxSize {
				sizes[r]++
				sum++
			}
		}
	}
	for sum > subs {
		for k := len(order) - 1; k >= 0; k-- {
			if r := order[k]; sum > subs && sizes[r] > minSize {
				sizes[r]--
				sum--
			}
		}
	}
	sort.Sort(sort.Reverse(sort.IntSlice(sizes)))
	return sizes, nil
}

// parseMix parses -mix: comma-separated transport=weight pairs
// ("sse=60,ws=30,poll=10"), each transport at most once, weights
// non-negative integers with a positive sum. It returns the repeating
// pattern of transports: each one's share of it is its weight over the
// sum (after dividing the weights by their greatest common divisor), and
// the transports are interleaved evenly (smooth weighted round-robin), so
// any run of the pattern is close to the mix.
func parseMix(s string) ([]string, error) {
	type entry struct {
		name string
		w    int
	}
	var entries []entry
	seen := map[string]bool{}
	g := 0
	for _, f := range strings.Split(s, ",") {
		name, w, ok := strings.Cut(strings.TrimSpace(f), "=")
		name = strings.TrimSpace(name)
		if !ok {
			return nil, fmt.Errorf("-mix %q: want transport=weight pairs, e.g. sse=60,ws=30,poll=10", s)
		}
		if _, known := transports[name]; !known {
			return nil, fmt.Errorf("-mix %q: unknown transport %q (supported: %s)", s, name, strings.Join(transportNames(), ", "))
		}
		if seen[name] {
			return nil, fmt.Errorf("-mix %q: %s given twice", s, name)
		}
		seen[name] = true
		n, err := strconv.Atoi(strings.TrimSpace(w))
		if err != nil || n < 0 || n > 1000 {
			return nil, fmt.Errorf("-mix %q: weight of %s must be an integer from 0 to 1000", s, name)
		}
		if n > 0 {
			entries = append(entries, entry{name, n})
			g = gcd(g, n)
		}
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("-mix %q: the weights add up to 0", s)
	}
	total := 0
	for i := range entries {
		entries[i].w /= g
		total += entries[i].w
	}
	pattern := make([]string, 0, total)
	credit := make([]int, len(entries))
	for range total {
		best := 0
		for i, e := range entries {
			credit[i] += e.w
			if credit[i] > credit[best] {
				best = i
			}
		}
		credit[best] -= total
		pattern = append(pattern, entries[best].name)
	}
	return pattern, nil
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// parseSourceAddrs parses -source-addrs: comma-separated IP addresses or
// ranges "127.0.0.2-127.0.0.7" (the last octets of IPv4 addresses
// counting up). Empty gives none (the kernel chooses).
func parseSourceAddrs(s string) ([]*net.TCPAddr, error) {
	var out []*net.TCPAddr
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		from, to, isRange := strings.Cut(f, "-")
		a, err := netip.ParseAddr(strings.TrimSpace(from))
		if err != nil {
			return nil, fmt.Errorf("-source-addrs %q: %q is not an IP address", s, from)
		}
		b := a
		if isRange {
			if b, err = netip.ParseAddr(strings.TrimSpace(to)); err != nil {
				return nil, fmt.Errorf("-source-addrs %q: %q is not an IP address", s, to)
			}
			if b.Less(a) || !a.Is4() || !b.Is4() {
				return nil, fmt.Errorf("-source-addrs %q: want an ascending IPv4 range", s)
			}
		}
		for ip := a; ; ip = ip.Next() {
			out = append(out, &net.TCPAddr{IP: ip.AsSlice()})
			if ip == b || len(out) > 1024 {
				break
			}
		}
		if len(out) > 1024 {
			return nil, fmt.Errorf("-source-addrs %q: more than 1024 addresses", s)
		}
	}
	return out, nil
}
