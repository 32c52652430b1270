package bench

import (
	"os"
	"strconv"
	"testing"
)

func TestParseProcStat(t *testing.T) {
	// The command name holds spaces and parentheses.
	stat := "4242 (my (odd) srv) S 1 4242 4242 0 -1 4194560 1234 0 0 0 1500 320 0 0 20 0 12 0 98765 1234567890 5120 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n"
	ut, st, err := parseProcStat([]byte(stat))
	if err != nil || ut != 1500 || st != 320 {
		t.Fatalf("got %d, %d, %v; want 1500, 320", ut, st, err)
	}
	for _, bad := range []string{"", "4242 no parens S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 abc 320 0"} {
		if _, _, err := parseProcStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseProcStatusRSS(t *testing.T) {
	status := "Name:\tparley\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 1300000 kB\nVmHWM:\t   90000 kB\nVmRSS:\t   81234 kB\nRssAnon:\t   70000 kB\nThreads:\t12\n"
	kb, err := parseProcStatusRSS([]byte(status))
	if err != nil || kb != 81234 {
		t.Fatalf("got %d, %v; want 81234", kb, err)
	}
	if _, err := parseProcStatusRSS([]byte("Name:\tkthreadd\nThreads:\t1\n")); err == nil {
		t.Error("no VmRSS: no error")
	}
	if _, err := parseProcStatusRSS([]byte("VmRSS:\t12 MB\n")); err == nil {
		t.Error("bad unit: no error")
	}
}

func TestSampleProcSelf(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc")
	}
	s, err := sampleProc(strconv.Itoa(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	if s.rssKB <= 0 || s.cpuTicks < 0 {
		t.Fatalf("implausible sample %+v", s)
	}
}
