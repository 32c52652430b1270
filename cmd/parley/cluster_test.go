package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/servicetest"
)

// buildParley builds this command into a temporary directory.
func buildParley(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "parley")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs "parley serve" as its own process and returns its URL.
func startProcess(t *testing.T, bin string, args ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() {
		if i := strings.Index(lines.Text(), "http://"); i >= 0 {
			go func() {
				for lines.Scan() {
				}
			}()
			return strings.TrimSuffix(strings.Fields(lines.Text()[i:])[0], "/"), cmd
		}
	}
	t.Fatalf("parley serve %q printed no URL", args)
	return "", nil
}

func members(t *testing.T, url string) []string {
	t.Helper()
	resp, err := http.Get(url + "/api/rooms/lobby/members")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Members []struct{ Name string } `json:"members"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range body.Members {
		names = append(names, m.Name)
	}
	return names
}

// stream opens an event stream and returns a channel of its messages.
func stream(t *testing.T, url, query string) <-chan parley.Message {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", url+"/api/events?"+query, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/events?%s: %d", query, resp.StatusCode)
	}
	out := make(chan parley.Message, 100)
	go func() {
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var m parley.Message
				if json.Unmarshal([]byte(data), &m) == nil {
					out <- m
				}
			}
		}
		close(out)
	}()
	return out
}

// A node killed with SIGKILL says goodbye to no one: its people lapse on
// the other nodes within the presence lease, with one leave notice.
func TestClusterNodeDeathLapsesItsPeople(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the parley binary")
	}
	db, nats := servicetest.PostgresDB(t), servicetest.NATS(t)
	bin := buildParley(t)
	const lease = 2 * time.Second
	cluster := servicetest.Subject()
	var urls []string
	var cmds []*exec.Cmd
	for _, name := range []string{"a", "b", "c"} {
		url, cmd := startProcess(t, bin, "--db", db, "--broker", nats, "--cluster", cluster,
			"--node", name, "--presence-lease", lease.String(), "--rate-limit", "0")
		urls, cmds = append(urls, url), append(cmds, cmd)
	}
	watch := stream(t, urls[0], "rooms=lobby")
	stream(t, urls[2], "rooms=lobby&name=bob")
	next := func() parley.Message {
		select {
		case m := <-watch:
			return m
		case <-time.After(10 * time.Second):
			t.Fatal("no event on A's stream within 10s")
			return parley.Message{}
		}
	}
	if m := next(); m.Kind != parley.KindJoin || m.From != "bob" {
		t.Fatalf("A's stream got %+v, want bob's join on C", m)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !slices.Equal(members(t, urls[0]), []string{"bob"}) || !slices.Equal(members(t, urls[1]), []string{"bob"}) {
		if time.Now().After(deadline) {
			t.Fatalf("members on A %q, on B %q: want bob on both", members(t, urls[0]), members(t, urls[1]))
		}
		time.Sleep(20 * time.Millisecond) // polling the member list: there is no event for it
	}

	killed := time.Now()
	if err := cmds[2].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if m := next(); m.Kind != parley.KindLeave || m.From != "bob" {
		t.Fatalf("A's stream got %+v, want bob's leave after C died", m)
	}
	if took := time.Since(killed); took > lease {
		t.Errorf("bob lapsed %v after C died; the lease is %v", took, lease)
	}
	for _, url := range urls[:2] {
		for got := members(t, url); len(got) != 0; got = members(t, url) {
			if time.Since(killed) > lease {
				t.Fatalf("members on %s %v after C died = %q, want none within the lease", url, time.Since(killed), got)
			}
			time.Sleep(20 * time.Millisecond) // polling the member list: there is no event for it
		}
	}
	// One leave for the cluster, not one per surviving node.
	resp, err := http.Post(urls[1]+"/api/rooms/lobby/messages", "application/json", strings.NewReader(`{"text":"marker","name":"cy"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for m := next(); m.Text != "marker"; m = next() {
		if m.Kind == parley.KindLeave {
			t.Fatalf("a second leave notice %+v", m)
		}
	}
}
