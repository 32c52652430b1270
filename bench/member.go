package bench

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"time"
)

// A member is one subscriber group as the parent of a -rooms run sees it:
// in process (-procs 1) or a child process. The calls come in order:
// ready, drain, close.
type member interface {
	// ready waits until the group's subscriptions are open or failed.
	ready() (readyMsg, error)
	// drain hands over the posts acknowledged per room and returns when
	// the group has them all (or its -timeout passed).
	drain(want []int64) error
	// close ends the subscriptions and returns the group's counts.
	close() (*groupResult, error)
	// pid is the process whose CPU the group uses ("self" in process).
	pid() string
}

// localMember runs the group in this process.
type localMember struct {
	ctx  context.Context
	g    *group
	want []int64
}

func (m *localMember) ready() (readyMsg, error) { return m.g.subscribe(m.ctx), m.ctx.Err() }

func (m *localMember) drain(want []int64) error {
	m.want = want
	m.g.drain(m.ctx, want, m.g.cfg.timeout)
	return m.ctx.Err()
}

func (m *localMember) close() (*groupResult, error) {
	if m.want == nil {
		m.want = make([]int64, m.g.cfg.rooms)
	}
	return m.g.close(m.want), nil
}

func (m *localMember) pid() string { return "self" }

// wireMsg is one line between parent and child, JSON: the child sends
// Ready, then Drained, then Result; the parent sends Want, then Close.
type wireMsg struct {
	Ready   *readyMsg    `json:"ready,omitempty"`
	Drained bool         `json:"drained,omitempty"`
	Result  *groupResult `json:"result,omitempty"`
	Want    []int64      `json:"want,omitempty"`
	Close   bool         `json:"close,omitempty"`
	Error   string       `json:"error,omitempty"`
}

// childEnv marks a child process in its environment: a test binary's
// TestMain uses it to run the bench instead of the tests.
const childEnv = "PARLEY_BENCH_CHILD"

// remoteMember is a child process: this executable re-run as
// "bench <the parent's flags> -child j", speaking wireMsg lines on its
// stdin and stdout. Its stderr (progress) goes to the parent's.
type remoteMember struct {
	j   int
	cmd *exec.Cmd
	enc *json.Encoder
	in  io.Closer
	dec *json.Decoder
}

func startRemote(ctx context.Context, j int, args []string, stderr io.Writer) (*remoteMember, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("-procs: cannot find this executable to re-run: %w", err)
	}
	cargs := append(append([]string{"bench"}, args...), "-child", strconv.Itoa(j))
	cmd := exec.CommandContext(ctx, exe, cargs...)
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stderr = stderr
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("-procs: starting child %d: %w", j, err)
	}
	m := &remoteMember{j: j, cmd: cmd, enc: json.NewEncoder(in), in: in,
		dec: json.NewDecoder(bufio.NewReader(out))}
	return m, nil
}

func (m *remoteMember) read() (wireMsg, error) {
	var w wireMsg
	if err := m.dec.Decode(&w); err != nil {
		werr := m.cmd.Wait()
		return w, fmt.Errorf("child %d: %v (exit: %v)", m.j, err, werr)
	}
	if w.Error != "" {
		return w, fmt.Errorf("child %d: %s", m.j, w.Error)
	}
	return w, nil
}

func (m *remoteMember) ready() (readyMsg, error) {
	w, err := m.read()
	if err != nil {
		return readyMsg{}, err
	}
	if w.Ready == nil {
		return readyMsg{}, fmt.Errorf("child %d: expected a ready message", m.j)
	}
	return *w.Ready, nil
}

func (m *remoteMember) drain(want []int64) error {
	if err := m.enc.Encode(wireMsg{Want: want}); err != nil {
		return fmt.Errorf("child %d: %w", m.j, err)
	}
	w, err := m.read()
	if err == nil && !w.Drained {
		err = fmt.Errorf("child %d: expected a drained message", m.j)
	}
	return err
}

func (m *remoteMember) close() (*groupResult, error) {
	if err := m.enc.Encode(wireMsg{Close: true}); err != nil {
		return nil, fmt.Errorf("child %d: %w", m.j, err)
	}
	w, err := m.read()
	m.in.Close()
	if err != nil {
		return nil, err
	}
	if err := m.cmd.Wait(); err != nil {
		return nil, fmt.Errorf("child %d: %w", m.j, err)
	}
	if w.Result == nil {
		return nil, fmt.Errorf("child %d: expected a result", m.j)
	}
	return w.Result, nil
}

func (m *remoteMember) pid() string { return strconv.Itoa(m.cmd.Process.Pid) }

// runChild is "parley bench ... -child j": subscriber group j of -procs,
// driven by wireMsg lines on stdin, answering on stdout.
func runChild(ctx context.Context, cfg *config, stdin io.Reader, stdout, stderr io.Writer) error {
	j := cfg.child
	logf := func(format string, args ...any) {
		fmt.Fprintf(stderr, "bench[%d]: "+format+"\n", append([]any{j}, args...)...)
	}
	enc := json.NewEncoder(stdout)
	dec := json.NewDecoder(bufio.NewReader(stdin))
	l := cfg.layout()
	lo, hi := l.slice(j, cfg.procs)
	if limit, err := raiseNoFile(); err == nil && uint64(hi-lo+64) > limit {
		logf("warning: %d subscribers need about %d file descriptors but RLIMIT_NOFILE is %d", hi-lo, hi-lo+64, limit)
	}
	var src = sourceFor(cfg, j)
	g, err := newGroup(cfg, l, lo, hi, src, time.Now(), logf)
	if err != nil {
		_ = enc.Encode(wireMsg{Error: err.Error()})
		return err
	}
	logf("opening %d subscriptions (subscribers %d-%d) from %v", hi-lo, lo, hi-1, addrString(src))
	rm := g.subscribe(ctx)
	if err := enc.Encode(wireMsg{Ready: &rm}); err != nil {
		g.close(make([]int64, cfg.rooms))
		return err
	}
	var w wireMsg
	if err := dec.Decode(&w); err != nil || len(w.Want) != cfg.rooms {
		g.close(make([]int64, cfg.rooms))
		if err == nil {
			err = errors.New("bad want message")
		}
		return fmt.Errorf("bench[%d]: waiting for the posts: %w", j, err)
	}
	g.drain(ctx, w.Want, cfg.timeout)
	if err := enc.Encode(wireMsg{Drained: true}); err != nil {
		g.close(w.Want)
		return err
	}
	var c wireMsg
	err = dec.Decode(&c) // Close, or EOF when the parent gave up: close anyway
	res := g.close(w.Want)
	if err == nil {
		err = enc.Encode(wireMsg{Result: res})
	}
	return err
}

// sourceFor returns the source address of subscriber group j.
func sourceFor(cfg *config, j int) *net.TCPAddr {
	if len(cfg.sources) == 0 {
		return nil
	}
	return cfg.sources[j%len(cfg.sources)]
}

func addrString(a *net.TCPAddr) string {
	if a == nil {
		return "the default address"
	}
	return a.IP.String()
}
