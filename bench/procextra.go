package bench

import (
	"bytes"
	"errors"
	"os"
	"strconv"
	"strings"
)

// fdCount returns how many files process pid has open and its soft
// RLIMIT_NOFILE ("Max open files" in /proc/<pid>/limits); -1 for what
// cannot be read.
func fdCount(pid string) (open, limit int64) {
	open, limit = -1, -1
	if ents, err := os.ReadDir("/proc/" + pid + "/fd"); err == nil {
		open = int64(len(ents))
	}
	if b, err := os.ReadFile("/proc/" + pid + "/limits"); err == nil {
		if n, err := parseLimitsNoFile(b); err == nil {
			limit = n
		}
	}
	return open, limit
}

// parseLimitsNoFile returns the soft limit of the "Max open files" line
// of /proc/<pid>/limits.
func parseLimitsNoFile(b []byte) (int64, error) {
	for _, line := range bytes.Split(b, []byte("\n")) {
		rest, ok := bytes.CutPrefix(line, []byte("Max open files"))
		if !ok {
			continue
		}
		f := bytes.Fields(rest)
		if len(f) < 1 {
			break
		}
		if string(f[0]) == "unlimited" {
			return -1, nil
		}
		return strconv.ParseInt(string(f[0]), 10, 64)
	}
	return 0, errors.New("no Max open files line")
}

// cpuOfNamed returns the CPU time (clock ticks) of every process whose
// command name (/proc/<pid>/comm) is name, summed, and their number. A
// name of the form "comm:text" also requires text in the process's
// command line: "postgres:scale_bench" is the backends serving that
// database, whose process titles name it. Processes that exited since
// the last call take their time with them: compare two calls only for
// long-lived processes (a database's server and its pooled backends, a
// message broker).
func cpuOfNamed(name string) (ticks int64, procs int) {
	comm, text, _ := strings.Cut(name, ":")
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return 0, 0
	}
	for _, e := range ents {
		pid := e.Name()
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		c, err := os.ReadFile("/proc/" + pid + "/comm")
		if err != nil || string(bytes.TrimSpace(c)) != comm {
			continue
		}
		if text != "" {
			cmdline, err := os.ReadFile("/proc/" + pid + "/cmdline")
			if err != nil || !bytes.Contains(cmdline, []byte(text)) {
				continue
			}
		}
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			continue
		}
		if ut, st, err := parseProcStat(stat); err == nil {
			ticks += ut + st
			procs++
		}
	}
	return ticks, procs
}

// machineCPU returns the busy and total clock ticks of all CPUs, from the
// first line of /proc/stat (busy: all but idle and iowait).
func machineCPU() (busy, total int64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseProcStatCPU(b)
}

func parseProcStatCPU(b []byte) (busy, total int64, err error) {
	line, _, _ := bytes.Cut(b, []byte("\n"))
	rest, ok := bytes.CutPrefix(line, []byte("cpu "))
	if !ok {
		return 0, 0, errors.New("/proc/stat: no cpu line")
	}
	for i, f := range bytes.Fields(rest) {
		n, err := strconv.ParseInt(string(f), 10, 64)
		if err != nil {
			return 0, 0, errors.New("/proc/stat: malformed cpu line")
		}
		if i >= 8 { // guest time is already in user
			break
		}
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total, nil
}
