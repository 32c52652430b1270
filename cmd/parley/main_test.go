package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// startServe runs "parley serve" in-process on a free port and returns
// its base URL, a stop function, and the error channel of run.
func startServe(t *testing.T, args ...string) (string, context.CancelFunc, <-chan error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	go func() {
		errc <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-level", "error"}, args...), pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		cancel()
		t.Fatalf("serve printed nothing: %v (run: %v)", err, <-errc)
	}
	go io.Copy(io.Discard, pr)
	i := strings.Index(line, "http")
	if i < 0 {
		cancel()
		t.Fatalf("no URL in %q", line)
	}
	return strings.TrimSuffix(strings.Fields(line[i:])[0], "/"), cancel, errc
}

func TestServeRunsAndShutsDownCleanly(t *testing.T) {
	db := filepath.Join(t.TempDir(), "p.db")
	t.Setenv("PARLEY_MAX_TEXT", "5") // environment equivalent of --max-text
	url, stop, errc := startServe(t, "--db", db)

	resp, err := http.Post(url+"/api/rooms/lobby/messages", "application/json", strings.NewReader(`{"text":"hello","name":"ada"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("post: %d", resp.StatusCode)
	}
	resp, _ = http.Post(url+"/api/rooms/lobby/messages", "application/json", strings.NewReader(`{"text":"hello!","name":"ada"}`))
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("PARLEY_MAX_TEXT=5 not applied: 6 characters got %d", resp.StatusCode)
	}

	// An open stream must end at shutdown, so that clients reconnect.
	stream, err := http.Get(url + "/api/events?rooms=lobby")
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Body.Close()
	ended := make(chan struct{})
	go func() { io.Copy(io.Discard, stream.Body); close(ended) }()

	stop() // as SIGINT does
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("serve returned %v after shutdown", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("event stream still open after shutdown")
	}

	// The store was closed cleanly: the message is there.
	conn, err := sql.Open("sqlite", db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n int
	if err := conn.QueryRow(`SELECT count(*) FROM messages`).Scan(&n); err != nil || n != 1 {
		t.Errorf("after shutdown the store holds %d messages (%v), want 1", n, err)
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	dir := t.TempDir()
	newer := filepath.Join(dir, "newer.db")
	conn, err := sql.Open("sqlite", newer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(`PRAGMA user_version = 999`); err != nil {
		t.Fatal(err)
	}
	conn.Close()

	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()

	cases := []struct {
		name string
		args []string
		want string
	}{
		{"address in use", []string{"--db", filepath.Join(dir, "e.db"), "--addr", taken.Addr().String()}, "another program is listening there"},
		{"newer database", []string{"--db", newer}, "schema version 999"},
		{"bad filter mode", []string{"--db", filepath.Join(dir, "a.db"), "--filter", "strict"}, "off, mask or reject"},
		{"missing word list", []string{"--db", filepath.Join(dir, "b.db"), "--word-list", filepath.Join(dir, "nope.txt")}, "word list"},
		{"bad log level", []string{"--log-level", "loud"}, "log level"},
		{"stray argument", []string{"extra"}, "no arguments"},
		{"missing database directory", []string{"--db", filepath.Join(dir, "no", "such", "dir", "p.db")}, "mkdir -p " + filepath.Join(dir, "no", "such", "dir")},
		{"address without a port", []string{"--db", filepath.Join(dir, "c.db"), "--addr", "nohost"}, "host:port"},
		{"unresolvable host", []string{"--db", filepath.Join(dir, "d.db"), "--addr", "no-such-host.invalid:8080"}, "does not resolve"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := run(context.Background(), append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("run = %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
	if err := run(context.Background(), []string{"frobnicate"}, io.Discard, io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
}
