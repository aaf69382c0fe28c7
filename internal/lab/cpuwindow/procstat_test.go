package cpuwindow

import (
	"os"
	"testing"
)

// /proc/stat as this machine's kernel wrote it (2 CPUs, with steal, guest
// and guest_nice columns), and a kernel of old without the steal column.
const procStatText = `cpu  71762 3 19464 17724 318 0 306 209 0 0
cpu0 35852 3 9296 9528 39 0 84 96 0 0
cpu1 35909 0 10168 8196 279 0 221 113 0 0
intr 1499809 0 0 0 0 0 0 0 0 0
ctxt 3003198
btime 1765071000
processes 51234
procs_running 3
procs_blocked 0
softirq 512345 0 1000 2 3 4 0 5 6 7 8
`

func TestParseProcStat(t *testing.T) {
	p, err := ParseProcStat(procStatText)
	if err != nil {
		t.Fatal(err)
	}
	want := ProcStat{User: 71762, Nice: 3, System: 19464, Idle: 17724, IOWait: 318, IRQ: 0, SoftIRQ: 306, Steal: 209, CPUs: 2}
	if p != want {
		t.Errorf("got %+v, want %+v", p, want)
	}
	if p.Total() != 71762+3+19464+17724+318+306+209 {
		t.Errorf("total %d", p.Total())
	}
	old, err := ParseProcStat("cpu  10 0 5 100 1 0 0\ncpu0 10 0 5 100 1 0 0\n")
	if err != nil || old.Steal != 0 || old.Idle != 100 || old.CPUs != 1 {
		t.Errorf("a kernel without steal: %+v, %v", old, err)
	}
	for _, bad := range []string{"", "intr 1 2\n", "cpu  1 x 3 4\n", "cpu 1 2\n"} {
		if _, err := ParseProcStat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		if p, err := ParseProcStat(string(b)); err != nil || p.CPUs < 1 || p.Total() == 0 {
			t.Errorf("this machine's /proc/stat: %+v, %v", p, err)
		}
	}
}
