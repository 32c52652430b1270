package bench

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"
)

// clockTicks is USER_HZ, the unit of utime and stime in /proc/<pid>/stat.
// It is 100 on every mainstream Linux platform; the standard library
// cannot ask sysconf(_SC_CLK_TCK), so it is assumed.
const clockTicks = 100

// procSample is one reading of a process's CPU time and memory.
type procSample struct {
	at       time.Time
	cpuTicks int64 // utime + stime, in clock ticks
	rssKB    int64 // VmRSS
}

func (s procSample) cpuSeconds() float64 { return float64(s.cpuTicks) / clockTicks }

// sampleProc reads /proc/<pid>/stat and /proc/<pid>/status; pid may be
// "self".
func sampleProc(pid string) (procSample, error) {
	s := procSample{at: time.Now()}
	stat, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return s, err
	}
	ut, st, err := parseProcStat(stat)
	if err != nil {
		return s, fmt.Errorf("/proc/%s/stat: %w", pid, err)
	}
	s.cpuTicks = ut + st
	status, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return s, err
	}
	if s.rssKB, err = parseProcStatusRSS(status); err != nil {
		return s, fmt.Errorf("/proc/%s/status: %w", pid, err)
	}
	return s, nil
}

// parseProcStat returns utime and stime (fields 14 and 15, in clock ticks)
// from the contents of /proc/<pid>/stat. The command name (field 2) is in
// parentheses and may itself hold spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStat(b []byte) (utime, stime int64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("no ')' after the command name")
	}
	f := bytes.Fields(b[i+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, fmt.Errorf("only %d fields after the command name", len(f))
	}
	if utime, err = strconv.ParseInt(string(f[11]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("utime: %w", err)
	}
	if stime, err = strconv.ParseInt(string(f[12]), 10, 64); err != nil {
		return 0, 0, fmt.Errorf("stime: %w", err)
	}
	return utime, stime, nil
}

// parseProcStatusRSS returns VmRSS in kB from the contents of
// /proc/<pid>/status ("VmRSS:	   12345 kB").
func parseProcStatusRSS(b []byte) (int64, error) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		rest, ok := bytes.CutPrefix(line, []byte("VmRSS:"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) != 2 || string(f[1]) != "kB" {
			return 0, fmt.Errorf("malformed line %q", line)
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, errors.New("no VmRSS line (a kernel thread or a zombie?)")
}
