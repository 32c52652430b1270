package bench

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseLimitsNoFile(t *testing.T) {
	b := []byte("Limit                     Soft Limit           Hard Limit           Units     \n" +
		"Max processes             95000                95000                processes \n" +
		"Max open files            20000                20000                files     \n")
	if n, err := parseLimitsNoFile(b); err != nil || n != 20000 {
		t.Errorf("got %d, %v", n, err)
	}
	if _, err := parseLimitsNoFile([]byte("Max processes 1 1\n")); err == nil {
		t.Error("no error without the line")
	}
}

func TestParseProcStatCPU(t *testing.T) {
	busy, total, err := parseProcStatCPU([]byte("cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 1 2 3\n"))
	if err != nil || busy != 160 || total != 1000 {
		t.Errorf("busy %d total %d, %v", busy, total, err)
	}
	if _, _, err := parseProcStatCPU([]byte("intr 1 2\n")); err == nil {
		t.Error("no error without a cpu line")
	}
}

// cpuOfNamed finds this test process by its name, and by its name and a
// word of its command line, but not by a word the command line lacks.
func TestCPUOfNamed(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Skip(err)
	}
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Skip("no /proc")
	}
	name := string(comm[:len(comm)-1])
	if _, n := cpuOfNamed(name); n < 1 {
		t.Errorf("%q: %d processes", name, n)
	}
	if _, n := cpuOfNamed(name + ":" + filepath.Base(exe)); n < 1 {
		t.Errorf("%q with its executable's name: %d processes", name, n)
	}
	if _, n := cpuOfNamed(name + ":no-such-word-in-any-command-line"); n != 0 {
		t.Errorf("%q with a missing word: %d processes", name, n)
	}
}
