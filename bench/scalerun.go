package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// scaleRunner runs a -rooms benchmark: it creates the rooms, starts the
// subscriber groups (members), posts, hands each group the posts
// acknowledged per room, samples the servers and the machine, and adds up
// the groups' counts.
type scaleRunner struct {
	cfg    *config
	args   []string // the command line, for the children
	stderr io.Writer
	l      *layout
	client *http.Client
	rep    *ScaleReport

	members []member
	acked   []atomic.Int64 // acknowledged posts per room

	before, subscribed, idle, after *scaleSample
}

// scaleSample is one reading of everything -rooms reports on.
type scaleSample struct {
	at          time.Time
	nodes       []*procSample // per -pid, nil where unreadable
	fds, limits []int64       // per -pid
	watch       []int64       // CPU ticks per -watch name
	watchProcs  []int
	members     []*procSample // per member
	self        *procSample   // this process: the posters
	busy, total int64         // machine CPU ticks
}

func (r *scaleRunner) logf(format string, args ...any) {
	fmt.Fprintf(r.stderr, "bench: "+format+"\n", args...)
}

func (r *scaleRunner) warn(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	r.rep.Warnings = append(r.rep.Warnings, msg)
	r.logf("warning: %s", msg)
}

func runScale(ctx context.Context, cfg *config, args []string, stderr io.Writer) (*ScaleReport, error) {
	// The children's stderr and this process's progress share stderr.
	stderr = &lockedWriter{w: stderr}
	r := &scaleRunner{cfg: cfg, args: args, stderr: stderr, l: cfg.layout()}
	r.rep = newScaleReport(cfg, r.l)
	r.acked = make([]atomic.Int64, cfg.rooms)
	if _, err := raiseNoFile(); err != nil {
		r.warn("cannot raise the open-file limit: %v", err)
	}
	r.client = newHTTPClient(cfg.posters, cfg.timeout)
	defer r.client.CloseIdleConnections()
	if err := r.createRooms(ctx); err != nil {
		return nil, err
	}
	r.before = r.sample()
	err := r.steps(ctx)
	if err != nil {
		for _, m := range r.members { // unblock and reap them
			_, _ = m.close()
		}
		return nil, err
	}
	r.rep.fill(r)
	return r.rep, nil
}

// createRooms creates the rooms on the first node, 16 at a time.
func (r *scaleRunner) createRooms(ctx context.Context) error {
	r.logf("creating %d rooms on %s", r.cfg.rooms, r.cfg.base)
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(16, r.cfg.rooms) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= r.cfg.rooms || ctx.Err() != nil {
					return
				}
				name := r.cfg.roomName(i)
				if err := createRoom(ctx, r.client, r.cfg.endpoint("/api/rooms"), name); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("bench: creating room %q on %s: %w", name, r.cfg.base, err)
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return first
}

func (r *scaleRunner) steps(ctx context.Context) error {
	cfg := r.cfg
	// Subscribe.
	r.logf("%d subscribers (%s) in %d rooms (%s, largest %d, smallest %d) on %d node(s), %d process(es)",
		cfg.subs, r.rep.Mix, cfg.rooms, cfg.roomDist, r.l.sizes[0], r.l.sizes[len(r.l.sizes)-1], len(cfg.nodes), cfg.procs)
	start := time.Now()
	if cfg.procs == 1 {
		lo, hi := r.l.slice(0, 1)
		g, err := newGroup(cfg, r.l, lo, hi, sourceFor(cfg, 0), start, r.logf)
		if err != nil {
			return err
		}
		r.members = []member{&localMember{ctx: ctx, g: g}}
	} else {
		for j := range cfg.procs {
			m, err := startRemote(ctx, j, r.args, r.stderr)
			if err != nil {
				return err
			}
			r.members = append(r.members, m)
		}
	}
	readies := make([]readyMsg, len(r.members))
	if err := r.each(func(i int, m member) (err error) {
		readies[i], err = m.ready()
		return err
	}); err != nil {
		return err
	}
	var ready readyMsg
	for _, rm := range readies {
		ready.Subscribed += rm.Subscribed
		ready.Failed += rm.Failed
	}
	r.rep.Subscribe.Seconds = round3(time.Since(start).Seconds())
	r.logf("%d/%d subscribed in %s (%d failed)", ready.Subscribed, cfg.subs, time.Since(start).Round(time.Millisecond), ready.Failed)
	if ready.Subscribed == 0 {
		return errors.New("bench: no subscription succeeded")
	}
	r.subscribed = r.sample()
	if cfg.idle > 0 {
		r.logf("idling %s before sampling", cfg.idle)
		select {
		case <-time.After(cfg.idle):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.idle = r.sample()

	// Post.
	post := newPosting(r.client, "", cfg.messages, cfg.rate)
	post.urlFor = func(seq int64) string {
		u := *cfg.nodes[r.l.postNode(seq)]
		u.Path += "/api/rooms/" + cfg.roomName(r.l.postRoom(seq)) + "/messages"
		return u.String()
	}
	post.onAck = func(seq int64) { r.acked[r.l.postRoom(seq)].Add(1) }
	r.logf("posting %d messages at %g/s with %d poster(s) over %d node(s)", cfg.messages, cfg.rate, cfg.posters, len(cfg.nodes))
	postStart := time.Now()
	stop := progress(r.stderr, func() string { return fmt.Sprintf("posted %d/%d", post.ok.Load(), cfg.messages) })
	post.run(ctx, cfg.posters, postStart)
	stop()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.rep.setPosting(post, postStart)

	// Drain.
	want := make([]int64, cfg.rooms)
	for i := range want {
		want[i] = r.acked[i].Load()
	}
	r.logf("waiting for deliveries (up to %s)", cfg.timeout)
	if err := r.each(func(_ int, m member) error { return m.drain(want) }); err != nil {
		return err
	}
	r.after = r.sample()
	r.rep.postStart = postStart
	r.rep.want = want

	// Close and count.
	results := make([]*groupResult, len(r.members))
	err := r.each(func(i int, m member) (err error) {
		results[i], err = m.close()
		return err
	})
	r.members = nil
	if err != nil {
		return err
	}
	r.rep.addResults(results)
	return nil
}

// each calls f for every member at once and returns the first error.
func (r *scaleRunner) each(f func(i int, m member) error) error {
	errs := make([]error, len(r.members))
	var wg sync.WaitGroup
	for i, m := range r.members {
		wg.Go(func() { errs[i] = f(i, m) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (r *scaleRunner) sample() *scaleSample {
	s := &scaleSample{at: time.Now()}
	for _, pid := range r.cfg.pids {
		p := strconv.Itoa(pid)
		ps, err := sampleProc(p)
		if err != nil {
			r.warn("sampling node pid %d: %v", pid, err)
			s.nodes = append(s.nodes, nil)
		} else {
			s.nodes = append(s.nodes, &ps)
		}
		open, limit := fdCount(p)
		s.fds, s.limits = append(s.fds, open), append(s.limits, limit)
	}
	for _, name := range r.cfg.watch {
		t, n := cpuOfNamed(name)
		s.watch, s.watchProcs = append(s.watch, t), append(s.watchProcs, n)
	}
	for _, m := range r.members {
		if ps, err := sampleProc(m.pid()); err == nil {
			s.members = append(s.members, &ps)
		} else {
			s.members = append(s.members, nil)
		}
	}
	if ps, err := sampleProc("self"); err == nil && r.cfg.procs > 1 {
		s.self = &ps
	}
	s.busy, s.total, _ = machineCPU()
	return s
}

// progress prints msg() every progressEvery until the returned func is
// called.
func progress(w io.Writer, msg func() string) (stop func()) {
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				fmt.Fprintf(w, "bench: %s\n", msg())
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
	}
}

// lockedWriter serialises writes to w.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
