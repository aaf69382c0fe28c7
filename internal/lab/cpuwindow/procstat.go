package cpuwindow

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
)

// ProcStat is the kernel's aggregate CPU time (the "cpu" line of
// /proc/stat), in clock ticks, and the number of online CPUs.
type ProcStat struct {
	User, Nice, System, Idle, IOWait, IRQ, SoftIRQ, Steal uint64
	CPUs                                                  int
}

// Total is all the time accounted: guest time is already in user and nice.
func (p ProcStat) Total() uint64 {
	return p.User + p.Nice + p.System + p.Idle + p.IOWait + p.IRQ + p.SoftIRQ + p.Steal
}

// IdleTicks is idle time, waiting for I/O included (a CPU waiting for I/O could
// run something else).
func (p ProcStat) IdleTicks() uint64 { return p.Idle + p.IOWait }

// ParseProcStat reads /proc/stat's text.
func ParseProcStat(text string) (ProcStat, error) {
	var p ProcStat
	found := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 || !strings.HasPrefix(f[0], "cpu") {
			continue
		}
		if f[0] != "cpu" {
			p.CPUs++
			continue
		}
		if len(f) < 5 {
			return p, fmt.Errorf("/proc/stat: short cpu line %q", sc.Text())
		}
		vals := make([]uint64, 8)
		for i := range vals {
			if i+1 >= len(f) {
				break // older kernels: no steal column
			}
			v, err := strconv.ParseUint(f[i+1], 10, 64)
			if err != nil {
				return p, fmt.Errorf("/proc/stat: cpu line %q: %v", sc.Text(), err)
			}
			vals[i] = v
		}
		p.User, p.Nice, p.System, p.Idle, p.IOWait, p.IRQ, p.SoftIRQ, p.Steal = vals[0], vals[1], vals[2], vals[3], vals[4], vals[5], vals[6], vals[7]
		found = true
	}
	if !found {
		return p, fmt.Errorf("/proc/stat: no cpu line")
	}
	return p, sc.Err()
}
