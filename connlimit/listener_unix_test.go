//go:build unix

package connlimit_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/parley-chat/parley/connlimit"
)

// The helper process: an HTTP server whose handler holds every request
// open (as an event stream does), behind connlimit.Listener, with
// RLIMIT_NOFILE lowered so that a few dozen connections exhaust it.
func TestMain(m *testing.M) {
	if os.Getenv("PARLEY_FD_HELPER") == "1" {
		runHelper()
		return
	}
	os.Exit(m.Run())
}

func runHelper() {
	lim := syscall.Rlimit{Cur: 40, Max: 40}
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		fmt.Println("setrlimit:", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("listen:", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().String())
	hs := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusOK)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})}
	go func() { _ = hs.Serve(connlimit.NewListener(ln, connlimit.HTTPRefusal(5), nil)) }()
	// Ends when the test closes stdin.
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
}

// status opens a connection, sends a request and returns the status line
// (the connection stays open while held is true).
func status(t *testing.T, addr string) (net.Conn, string) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(nc, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		return nc, "error: " + err.Error()
	}
	line := resp.Status
	if resp.StatusCode == http.StatusServiceUnavailable {
		line += " Retry-After=" + resp.Header.Get("Retry-After")
	}
	return nc, line
}

// Past the file limit, connections get 503 with Retry-After, the process
// keeps running, and once connections close new ones are served again.
func TestOutOfFilesRefusesWith503AndRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a helper process")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "PARLEY_FD_HELPER=1")
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	addr, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("helper: %v", err)
	}
	addr = strings.TrimSpace(addr)
	if strings.Contains(addr, ":") == false {
		t.Fatalf("helper said %q", addr)
	}

	var held []net.Conn
	ok, refused := 0, 0
	for range 60 {
		nc, line := status(t, addr)
		switch {
		case line == "200 OK":
			ok++
			held = append(held, nc)
		case line == "503 Service Unavailable Retry-After=5":
			refused++
			nc.Close()
		default:
			t.Fatalf("unexpected answer %q after %d served, %d refused", line, ok, refused)
		}
	}
	if ok == 0 || refused == 0 {
		t.Fatalf("%d served, %d refused: want both", ok, refused)
	}
	if cmd.ProcessState != nil {
		t.Fatal("helper exited")
	}
	// Freed descriptors are used again: the accept loop goes on.
	for _, nc := range held {
		nc.Close()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		nc, line := status(t, addr)
		nc.Close()
		if line == "200 OK" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after closing every connection, still %q", line)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
