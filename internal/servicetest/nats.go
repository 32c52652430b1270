package servicetest

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// DefaultNATS is the shared server tests use unless PARLEY_TEST_NATS names
// another.
const DefaultNATS = "nats://127.0.0.1:4222"

// NATS returns the URL of the shared NATS server, skipping t when it cannot
// be reached. Tests on a shared server keep apart with Subject.
func NATS(t testing.TB) string {
	t.Helper()
	url := DefaultNATS
	if u := os.Getenv("PARLEY_TEST_NATS"); u != "" {
		url = u
	}
	host := strings.TrimPrefix(url, "nats://")
	conn, err := net.DialTimeout("tcp", host, 2*time.Second)
	if err != nil {
		t.Skipf("NATS not reachable at %s: start nats-server or set PARLEY_TEST_NATS (%v)", host, err)
	}
	conn.Close()
	return url
}

// Subject returns a subject prefix no other test uses.
func Subject() string {
	var b [6]byte
	rand.Read(b[:])
	return "parleytest" + hex.EncodeToString(b[:])
}

// NATSServer is a private nats-server process that a test may stop and
// start again on the same port, to cut nodes off from their broker.
type NATSServer struct {
	t    testing.TB
	bin  string
	port int
	cmd  *exec.Cmd
}

// PrivateNATS starts a nats-server of t's own on a free loopback port and
// stops it when t ends. It skips t when no nats-server binary is found.
func PrivateNATS(t testing.TB) *NATSServer {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/nats-server"); statErr != nil {
			t.Skip("nats-server not found in PATH or /usr/sbin: install it (Debian package nats-server) to run this test")
		}
		bin = "/usr/sbin/nats-server"
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &NATSServer{t: t, bin: bin, port: port}
	s.Start()
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's client URL.
func (s *NATSServer) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.port) }

// Start starts the server (again) and waits until it accepts clients.
func (s *NATSServer) Start() {
	s.t.Helper()
	if s.cmd != nil {
		s.t.Fatal("nats-server already running")
	}
	cmd := exec.Command(s.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(s.port))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		s.t.Fatalf("starting nats-server: %v", err)
	}
	s.cmd = cmd
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Server is ready") {
				close(ready)
				break
			}
		}
		for sc.Scan() { // keep the pipe drained
		}
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		s.Stop()
		s.t.Fatal("nats-server did not report ready within 10s")
	}
}

// Stop kills the server (like a crash: clients see the connection drop).
func (s *NATSServer) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}
