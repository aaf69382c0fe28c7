package appperf

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, 100 on every Linux architecture Go supports.
const clockTicks = 100

// ProcessTreeCPU is the user+system CPU time of pid and its direct children
// (nginx's workers), read from /proc. Zero where /proc is missing.
func ProcessTreeCPU(pid int) time.Duration {
	total := statCPU(strconv.Itoa(pid))
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "stat"))
		if err != nil {
			continue
		}
		if f := statFields(string(b)); len(f) > 1 && f[1] == strconv.Itoa(pid) {
			total += statCPU(filepath.Base(d))
		}
	}
	return total
}

// statFields are /proc/PID/stat's fields after the command name: state,
// ppid, ... (the name may contain spaces, so split after its closing paren).
func statFields(stat string) []string {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(stat[i+1:])
}

func statCPU(pid string) time.Duration {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		return 0
	}
	f := statFields(string(b))
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64) // field 14 of the whole line
	stime, _ := strconv.ParseInt(f[12], 10, 64) // field 15
	return time.Duration(utime+stime) * time.Second / clockTicks
}
