package bench

import (
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"
)

// ScaleReport is the result of a -rooms run; -json prints it as is.
type ScaleReport struct {
	URLs        []string          `json:"urls"`
	Subs        int               `json:"subs"`
	Rooms       int               `json:"rooms"`
	RoomDist    string            `json:"room_dist"`
	RoomSizes   RoomSizesReport   `json:"room_sizes"`
	Mix         string            `json:"mix"`
	Procs       int               `json:"procs"`
	SourceAddrs []string          `json:"source_addrs,omitempty"`
	Rate        float64           `json:"rate"`
	Messages    int               `json:"messages"`
	Posters     int               `json:"posters"`
	Warnings    []string          `json:"warnings,omitempty"`
	OK          bool              `json:"ok"` // every subscriber subscribed and got exactly its room's posts, in order
	Subscribe   *SubscribeReport  `json:"subscribe"`
	Posting     *PostingReport    `json:"posting"`
	Delivery    *RoomDelivery     `json:"delivery"`
	Transports  []TransportReport `json:"transports"`
	Nodes       []ScaleNodeReport `json:"nodes"`
	Watched     []WatchedReport   `json:"watched,omitempty"`
	Client      *ClientReport     `json:"client,omitempty"` // the subscriber processes, summed
	Poster      *ClientReport     `json:"poster,omitempty"` // the parent process (posting), with -procs > 1
	Machine     *MachineReport    `json:"machine,omitempty"`
	Saturation  string            `json:"saturation,omitempty"`

	postStart time.Time
	want      []int64
	lat       Histogram
	nodeLat   []Histogram
	kindLat   []Histogram
	connect   Histogram
	nodeTot   []roomTotals
	kindTot   []roomTotals
	tot       roomTotals
}

// RoomSizesReport summarises the room sizes.
type RoomSizesReport struct {
	Largest  []int `json:"largest"` // the five largest
	Median   int   `json:"median"`
	Smallest int   `json:"smallest"`
	Over1000 int   `json:"over_1000"` // rooms of more than 1,000 subscribers
	Upto100  int   `json:"up_to_100"` // rooms of 100 or fewer
}

// RoomDelivery is what the subscribers of a -rooms run received. Expected
// is, summed over the subscribed, the posts acknowledged in their room.
type RoomDelivery struct {
	roomTotals
	Missing      int64            `json:"missing"`
	Dropped      int64            `json:"dropped"` // streams the server ended early
	DropErrors   map[string]int64 `json:"drop_errors,omitempty"`
	TimedOut     bool             `json:"timed_out"`
	LatencyMs    Percentiles      `json:"latency_ms"` // publish (the post's send) to delivery
	Seconds      float64          `json:"seconds"`    // first post to last delivery
	PerSecond    float64          `json:"per_second"`
	DrainSeconds float64          `json:"drain_seconds"` // last acknowledgement to last delivery
}

// TransportReport is one transport's share.
type TransportReport struct {
	Transport  string      `json:"transport"`
	Subscribed int64       `json:"subscribed"`
	Delivered  int64       `json:"delivered"`
	LatencyMs  Percentiles `json:"latency_ms"`
}

// ScaleNodeReport is one node: its subscribers and, with -pid (one per
// node, in -url order), its process. RSS per connection is (idle - before)
// / subscribed; CPU is from idle (all subscribed) to drained.
type ScaleNodeReport struct {
	URL              string           `json:"url"`
	PID              int              `json:"pid,omitempty"`
	Subscribed       int64            `json:"subscribed"`
	ByTransport      map[string]int64 `json:"by_transport"` // as laid out
	Delivered        int64            `json:"delivered"`
	LatencyMs        Percentiles      `json:"latency_ms"`
	RSSBeforeKB      int64            `json:"rss_before_kb,omitempty"`
	RSSIdleKB        int64            `json:"rss_idle_kb,omitempty"`
	RSSAfterKB       int64            `json:"rss_after_kb,omitempty"`
	RSSPerConnBytes  float64          `json:"rss_per_conn_bytes,omitempty"`
	CPUSubscribeUs   float64          `json:"cpu_per_subscribe_us,omitempty"` // node CPU while subscribing, per subscriber
	CPUSeconds       float64          `json:"cpu_seconds,omitempty"`
	CPUPercent       float64          `json:"cpu_percent,omitempty"` // of one core
	CPUPerDeliveryUs float64          `json:"cpu_per_delivery_us,omitempty"`
	// With -idle: the node's CPU while every connection was open and
	// nothing was posted (heartbeats, pings, re-polls, timers), and the
	// CPU per delivery above that baseline.
	IdleCPUPercent          float64 `json:"idle_cpu_percent,omitempty"`
	CPUPerDeliveryAboveIdle float64 `json:"cpu_per_delivery_above_idle_us,omitempty"`
	FDs                     int64   `json:"fds,omitempty"` // open when idle
	FDLimit                 int64   `json:"fd_limit,omitempty"`
}

// WatchedReport is the CPU of the processes named in -watch.
type WatchedReport struct {
	Name       string  `json:"name"`
	Procs      int     `json:"procs"`
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUPercent float64 `json:"cpu_percent"` // of one core
}

// MachineReport is the whole machine's CPU over the posting and delivery.
type MachineReport struct {
	Cores       int     `json:"cores"`
	BusyPercent float64 `json:"busy_percent"` // of all cores
}

func newScaleReport(cfg *config, l *layout) *ScaleReport {
	rep := &ScaleReport{
		URLs:     make([]string, len(cfg.nodes)),
		Subs:     cfg.subs,
		Rooms:    cfg.rooms,
		RoomDist: cfg.roomDist,
		Mix:      cfg.rawMix,
		Procs:    cfg.procs,
		Rate:     cfg.rate,
		Messages: cfg.messages,
		Posters:  cfg.posters,
		Subscribe: &SubscribeReport{
			Requested: cfg.subs,
		},
		nodeLat: make([]Histogram, len(cfg.nodes)),
		kindLat: make([]Histogram, len(cfg.kindNames)),
		nodeTot: make([]roomTotals, len(cfg.nodes)),
		kindTot: make([]roomTotals, len(cfg.kindNames)),
	}
	for i, u := range cfg.nodes {
		rep.URLs[i] = u.String()
	}
	if rep.Mix == "" {
		rep.Mix = cfg.transport + "=100"
	}
	for _, a := range cfg.sources {
		rep.SourceAddrs = append(rep.SourceAddrs, a.IP.String())
	}
	s := l.sizes
	rs := RoomSizesReport{Largest: s[:min(5, len(s))], Median: s[len(s)/2], Smallest: s[len(s)-1]}
	for _, n := range s {
		if n > 1000 {
			rs.Over1000++
		}
		if n <= 100 {
			rs.Upto100++
		}
	}
	rep.RoomSizes = rs
	return rep
}

func (rep *ScaleReport) setPosting(p *posting, start time.Time) {
	pr := &PostingReport{
		Attempted:    p.attempted.Load(),
		Acknowledged: p.ok.Load(),
		Errors:       p.errs,
		LatencyMs:    percentiles(&p.lat),
	}
	if last := p.lastAck.Load(); last > 0 {
		d := time.Duration(last - start.UnixNano())
		pr.Seconds = round3(d.Seconds())
		if d > 0 {
			pr.PerSecond = math1(float64(pr.Acknowledged) / d.Seconds())
		}
	}
	rep.Posting = pr
}

// addResults adds up the groups' counts and histograms.
func (rep *ScaleReport) addResults(results []*groupResult) {
	d := &RoomDelivery{DropErrors: map[string]int64{}}
	s := rep.Subscribe
	s.Errors = map[string]int64{}
	for _, res := range results {
		rep.tot.add(res.Totals)
		for i := range rep.nodeTot {
			if i < len(res.Nodes) {
				rep.nodeTot[i].add(res.Nodes[i])
			}
			if i < len(res.NodeLatency) {
				rep.nodeLat[i].Merge(res.NodeLatency[i])
			}
		}
		for i := range rep.kindTot {
			if i < len(res.Kinds) {
				rep.kindTot[i].add(res.Kinds[i])
			}
			if i < len(res.KindLatency) {
				rep.kindLat[i].Merge(res.KindLatency[i])
			}
		}
		rep.lat.Merge(res.Latency)
		rep.connect.Merge(res.Connect)
		s.Failed += res.Failed
		addCounts(s.Errors, res.ConnErrors)
		d.Dropped += res.Dropped
		addCounts(d.DropErrors, res.DropErrors)
		d.TimedOut = d.TimedOut || res.TimedOut
	}
	s.Subscribed = rep.tot.Ready
	if s.Seconds > 0 {
		s.PerSecond = math1(float64(s.Subscribed) / s.Seconds)
	}
	s.ConnectMs = percentiles(&rep.connect)
	d.roomTotals = rep.tot
	d.Missing = max(d.Expected-d.Delivered, 0)
	d.LatencyMs = percentiles(&rep.lat)
	if d.LastRecv > 0 && !rep.postStart.IsZero() {
		span := time.Duration(d.LastRecv - rep.postStart.UnixNano())
		d.Seconds = round3(span.Seconds())
		if span > 0 {
			d.PerSecond = math1(float64(d.Delivered) / span.Seconds())
		}
		if rep.Posting != nil && rep.Posting.Seconds > 0 {
			lastAck := rep.postStart.Add(time.Duration(rep.Posting.Seconds * float64(time.Second)))
			d.DrainSeconds = round3(max(time.Duration(d.LastRecv-lastAck.UnixNano()), 0).Seconds())
		}
	}
	rep.Delivery = d
	rep.OK = s.Failed == 0 && d.Dropped == 0 && !d.TimedOut && d.ok() && d.Expected > 0
}

func addCounts(into, from map[string]int64) {
	for k, v := range from {
		into[k] += v
	}
}

// fill computes the per-node, per-transport and machine figures.
func (rep *ScaleReport) fill(r *scaleRunner) {
	cfg := r.cfg
	for i, k := range cfg.kindNames {
		rep.Transports = append(rep.Transports, TransportReport{
			Transport: k, Subscribed: rep.kindTot[i].Ready, Delivered: rep.kindTot[i].Delivered,
			LatencyMs: percentiles(&rep.kindLat[i]),
		})
	}
	laid := make([]map[string]int64, len(cfg.nodes))
	for n := range laid {
		laid[n] = map[string]int64{}
	}
	for i := range cfg.subs {
		laid[r.l.nodeOf(i)][r.l.kindOf(i)]++
	}
	var wall float64
	if r.idle != nil && r.after != nil {
		wall = r.after.at.Sub(r.idle.at).Seconds()
	}
	for n, u := range cfg.nodes {
		nr := ScaleNodeReport{URL: u.String(), Subscribed: rep.nodeTot[n].Ready, ByTransport: laid[n],
			Delivered: rep.nodeTot[n].Delivered, LatencyMs: percentiles(&rep.nodeLat[n])}
		if n < len(cfg.pids) && r.before != nil && r.idle != nil && r.after != nil {
			nr.PID = cfg.pids[n]
			b, i, a := r.before.nodes[n], r.idle.nodes[n], r.after.nodes[n]
			if b != nil && i != nil && a != nil {
				nr.RSSBeforeKB, nr.RSSIdleKB, nr.RSSAfterKB = b.rssKB, i.rssKB, a.rssKB
				if nr.Subscribed > 0 {
					nr.RSSPerConnBytes = math1(float64(i.rssKB-b.rssKB) * 1024 / float64(nr.Subscribed))
				}
				if sb := r.subscribed; sb != nil && sb.nodes[n] != nil && nr.Subscribed > 0 {
					nr.CPUSubscribeUs = math1((sb.nodes[n].cpuSeconds() - b.cpuSeconds()) * 1e6 / float64(nr.Subscribed))
				}
				cpu := a.cpuSeconds() - i.cpuSeconds()
				nr.CPUSeconds = round3(cpu)
				if wall > 0 {
					nr.CPUPercent = math1(100 * cpu / wall)
				}
				if nr.Delivered > 0 {
					nr.CPUPerDeliveryUs = round3(cpu * 1e6 / float64(nr.Delivered))
				}
				if sb := r.subscribed; sb != nil && sb.nodes[n] != nil {
					if iw := i.at.Sub(sb.at).Seconds(); iw >= 1 {
						rate := (i.cpuSeconds() - sb.nodes[n].cpuSeconds()) / iw
						nr.IdleCPUPercent = math1(100 * rate)
						if nr.Delivered > 0 && wall > 0 {
							nr.CPUPerDeliveryAboveIdle = round3(max(cpu-rate*wall, 0) * 1e6 / float64(nr.Delivered))
						}
					}
				}
			}
			nr.FDs, nr.FDLimit = r.idle.fds[n], r.idle.limits[n]
		}
		rep.Nodes = append(rep.Nodes, nr)
	}
	if r.idle == nil || r.after == nil || wall <= 0 {
		return
	}
	for w, name := range cfg.watch {
		cpu := float64(r.after.watch[w]-r.idle.watch[w]) / clockTicks
		rep.Watched = append(rep.Watched, WatchedReport{Name: name, Procs: r.after.watchProcs[w],
			CPUSeconds: round3(cpu), CPUPercent: math1(100 * cpu / wall)})
	}
	var ccpu float64
	for m := range min(len(r.idle.members), len(r.after.members)) {
		if i, a := r.idle.members[m], r.after.members[m]; i != nil && a != nil {
			ccpu += a.cpuSeconds() - i.cpuSeconds()
		}
	}
	rep.Client = &ClientReport{CPUSeconds: round3(ccpu), CPUPercent: math1(100 * ccpu / wall), Cores: runtime.NumCPU()}
	if r.idle.self != nil && r.after.self != nil {
		pcpu := r.after.self.cpuSeconds() - r.idle.self.cpuSeconds()
		rep.Poster = &ClientReport{CPUSeconds: round3(pcpu), CPUPercent: math1(100 * pcpu / wall), Cores: runtime.NumCPU()}
	}
	if tot := r.after.total - r.idle.total; tot > 0 {
		rep.Machine = &MachineReport{Cores: runtime.NumCPU(), BusyPercent: math1(100 * float64(r.after.busy-r.idle.busy) / float64(tot))}
	}
	rep.Saturation = rep.saturation()
}

// saturation names what ran out first, from the figures: the machine's
// CPU (and who used it), open files, or posting falling behind its rate.
func (rep *ScaleReport) saturation() string {
	type use struct {
		who string
		pct float64 // of one core
	}
	var uses []use
	var nodes float64
	for _, n := range rep.Nodes {
		nodes += n.CPUPercent
	}
	uses = append(uses, use{"the nodes", nodes})
	if rep.Client != nil {
		uses = append(uses, use{"the bench subscribers", rep.Client.CPUPercent})
	}
	if rep.Poster != nil {
		uses = append(uses, use{"the bench poster", rep.Poster.CPUPercent})
	}
	watched := map[string]bool{}
	for _, w := range rep.Watched {
		watched[w.Name] = true
	}
	for _, w := range rep.Watched {
		// "postgres:mydb" is part of "postgres" when both are watched.
		if comm, _, sub := strings.Cut(w.Name, ":"); sub && watched[comm] {
			continue
		}
		uses = append(uses, use{w.Name, w.CPUPercent})
	}
	if m := rep.Machine; m != nil {
		// What the machine spent beyond the processes above: other
		// processes (other work on a shared machine) and the kernel's
		// time not charged to a process.
		rest := m.BusyPercent * float64(m.Cores)
		for _, u := range uses {
			rest -= u.pct
		}
		uses = append(uses, use{"everything else", max(rest, 0)})
	}
	sort.Slice(uses, func(a, b int) bool { return uses[a].pct > uses[b].pct })
	var parts []string
	for _, u := range uses {
		parts = append(parts, fmt.Sprintf("%s %.0f%%", u.who, u.pct))
	}
	cpu := "CPU (of one core): " + strings.Join(parts, ", ")
	var fdWorst float64
	fdWho := ""
	for _, n := range rep.Nodes {
		if n.FDLimit > 0 {
			if f := float64(n.FDs) / float64(n.FDLimit); f > fdWorst {
				fdWorst, fdWho = f, n.URL
			}
		}
	}
	var lines []string
	if m := rep.Machine; m != nil {
		lines = append(lines, fmt.Sprintf("machine CPU %.0f%% busy of %d cores", m.BusyPercent, m.Cores))
	}
	if fdWho != "" {
		lines = append(lines, fmt.Sprintf("open files: at most %.0f%% of the limit (%s)", 100*fdWorst, fdWho))
	}
	if p := rep.Posting; p != nil && rep.Rate > 0 {
		lines = append(lines, fmt.Sprintf("posting %.0f/s of %.0f/s asked, post p99 %s", p.PerSecond, rep.Rate, msStr(p.LatencyMs.P99)))
	}
	first := "nothing reached its limit"
	switch {
	case rep.Machine != nil && rep.Machine.BusyPercent >= 90:
		first = "the machine's CPU, used most by " + uses[0].who
	case fdWorst >= 0.9:
		first = "open files on " + fdWho
	case rep.Posting != nil && rep.Rate > 0 && rep.Posting.PerSecond < 0.95*rep.Rate:
		first = "posting (the store's commits): it fell behind -rate"
	case len(uses) > 0:
		first += "; the largest CPU user is " + uses[0].who
	}
	return "first: " + first + "; " + strings.Join(lines, "; ") + "; " + cpu
}

func (rep *ScaleReport) writeText(w interface{ Write([]byte) (int, error) }) error {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	status := "OK: every subscriber got exactly its room's posts, in order"
	if !rep.OK {
		status = "FAILED: see delivery"
	}
	p("parley bench: %d subscribers (%s) in %d rooms (%s) on %d node(s) from %d process(es); %d posts at %g/s\n",
		rep.Subs, rep.Mix, rep.Rooms, rep.RoomDist, len(rep.URLs), rep.Procs, rep.Messages, rep.Rate)
	p("%s\n", status)
	rs := rep.RoomSizes
	p("rooms       largest %v, median %d, smallest %d; %d over 1,000, %d of 100 or fewer\n",
		rs.Largest, rs.Median, rs.Smallest, rs.Over1000, rs.Upto100)
	if s := rep.Subscribe; s != nil {
		p("subscribe   %d/%d subscribed in %s (%.0f/s), %d failed%s\n", s.Subscribed, s.Requested, secs(s.Seconds), s.PerSecond, s.Failed, errList(s.Errors))
		p("            connect p50 %s  p99 %s  max %s\n", msStr(s.ConnectMs.P50), msStr(s.ConnectMs.P99), msStr(s.ConnectMs.Max))
	}
	if s := rep.Posting; s != nil {
		p("posting     %d/%d acknowledged in %s: %.0f/s%s; post p50 %s  p99 %s\n",
			s.Acknowledged, s.Attempted, secs(s.Seconds), s.PerSecond, errList(s.Errors), msStr(s.LatencyMs.P50), msStr(s.LatencyMs.P99))
	}
	if d := rep.Delivery; d != nil {
		p("delivery    %d/%d delivered (%.0f/s), %d missing, %d duplicates, %d out of order, %d of other rooms, %d dropped%s\n",
			d.Delivered, d.Expected, d.PerSecond, d.Missing, d.Duplicates, d.OutOfOrder, d.Foreign, d.Dropped, errList(d.DropErrors))
		if d.Incomplete > 0 || d.Extra > 0 || d.TimedOut {
			p("            %d subscribers incomplete, %d with unacknowledged extras, timed out: %v\n", d.Incomplete, d.Extra, d.TimedOut)
		}
		p("            latency p50 %s  p90 %s  p99 %s  p99.9 %s  max %s; drained %s after the last post\n",
			msStr(d.LatencyMs.P50), msStr(d.LatencyMs.P90), msStr(d.LatencyMs.P99), msStr(d.LatencyMs.P999), msStr(d.LatencyMs.Max), secs(d.DrainSeconds))
	}
	for _, t := range rep.Transports {
		p("  %-5s     %d subscribed, %d delivered, p50 %s  p99 %s\n", t.Transport, t.Subscribed, t.Delivered, msStr(t.LatencyMs.P50), msStr(t.LatencyMs.P99))
	}
	p("node                      subs  delivered   p50      p99      RSS idle  RSS/conn  CPU s   CPU%%   CPU/deliv  fds\n")
	for _, n := range rep.Nodes {
		p("%-24s %6d %10d  %-8s %-8s %-9s %-9s %-7.1f %-6.0f %-10s %d/%d\n", n.URL, n.Subscribed, n.Delivered,
			msStr(n.LatencyMs.P50), msStr(n.LatencyMs.P99), kb(n.RSSIdleKB), bytesStr(n.RSSPerConnBytes),
			n.CPUSeconds, n.CPUPercent, fmt.Sprintf("%.1f µs", n.CPUPerDeliveryUs), n.FDs, n.FDLimit)
	}
	for _, wr := range rep.Watched {
		p("watched     %s (%d processes): %.1f CPU s, %.0f%% of a core\n", wr.Name, wr.Procs, wr.CPUSeconds, wr.CPUPercent)
	}
	if c := rep.Client; c != nil {
		p("client      subscriber processes: %.1f CPU s, %.0f%% of a core\n", c.CPUSeconds, c.CPUPercent)
	}
	if c := rep.Poster; c != nil {
		p("            poster (this process): %.1f CPU s, %.0f%% of a core\n", c.CPUSeconds, c.CPUPercent)
	}
	var subUs []string
	for _, n := range rep.Nodes {
		if n.CPUSubscribeUs > 0 {
			subUs = append(subUs, fmt.Sprintf("%.0f", n.CPUSubscribeUs))
		}
	}
	if len(subUs) > 0 {
		p("subscribing node CPU per subscriber (µs): %s\n", strings.Join(subUs, " "))
	}
	var idle []string
	for _, n := range rep.Nodes {
		if n.IdleCPUPercent > 0 {
			idle = append(idle, fmt.Sprintf("%.1f%%/%.1fµs", n.IdleCPUPercent, n.CPUPerDeliveryAboveIdle))
		}
	}
	if len(idle) > 0 {
		p("idle nodes CPU (all connections open, no posts) / CPU per delivery above it: %s\n", strings.Join(idle, " "))
	}
	if rep.Saturation != "" {
		p("saturation  %s\n", rep.Saturation)
	}
	for _, wn := range rep.Warnings {
		p("warning     %s\n", wn)
	}
	_, err := w.Write([]byte(b.String()))
	return err
}
