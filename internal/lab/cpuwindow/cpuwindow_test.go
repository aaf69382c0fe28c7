package cpuwindow

import (
	"strings"
	"testing"
	"time"
)

// Hand-computed: 2 CPUs, 200 units a second; second 1 wholly busy, the
// next two half idle with 10% steal. (benchrun's TestMachineWindowFromSamples
// checks the same arithmetic through /proc/stat's samples.)
func TestWindow(t *testing.T) {
	t0 := time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	s := func(ms int, idle, busy, steal float64) Sample {
		return Sample{At: at(ms), Idle: idle, Steal: steal, Total: idle + busy + steal, CPUs: 2}
	}
	ss := []Sample{s(-100, 0, 0, 0), s(900, 0, 200, 0), s(1900, 100, 280, 20), s(2900, 200, 360, 40)}
	m := Window(ss, at(0), at(2800), "node a", "node-exporter")
	if m.IdleFraction == nil || *m.IdleFraction != 200.0/600 || *m.StealFraction != 40.0/600 || *m.MinIdleFraction != 0 || m.CPUs != 2 || m.WindowS != 3 {
		t.Fatalf("got %+v", m)
	}
	if m := Window(ss, at(-200), at(2800), "node a", "node-exporter"); m.IdleFraction != nil ||
		len(m.Unknown) != 1 || m.Unknown[0] != "node a: no node-exporter samples bracket the window (4 samples)" {
		t.Errorf("no sample before the start: %+v", m)
	}
	if m := Window(nil, at(0), at(1), "node a", "x"); m.IdleFraction != nil || len(m.Unknown) != 0 {
		t.Errorf("no samples at all: %+v", m)
	}
	back := append([]Sample(nil), ss...)
	back[2] = s(1900, 0, 10, 0) // a reboot inside the window
	if m := Window(back, at(0), at(2800), "node a", "x"); m.IdleFraction != nil || !strings.Contains(strings.Join(m.Unknown, ""), "went back") {
		t.Errorf("a counter went back: %+v", m)
	}
	flat := []Sample{s(0, 5, 5, 0), s(1000, 5, 5, 0)}
	if m := Window(flat, at(0), at(1000), "m", "x"); m.IdleFraction != nil || !strings.Contains(m.Unknown[0], "no CPU time passed") {
		t.Errorf("no time passed: %+v", m)
	}
}
