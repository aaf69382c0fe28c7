package benchrun

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/cpuwindow"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// The window is cut from the samples that bracket it; the shares are of
// all CPU time; the busiest second shows in min_idle_fraction; a container
// read at one end only is unknown, never guessed.
func TestMachineWindowFromSamples(t *testing.T) {
	t0 := time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	// 2 CPUs, 100 ticks a second: 200 ticks of CPU time a second. Second
	// 1 is wholly busy (no idle), seconds 2 and 3 half idle, 10% steal.
	st := func(idle, busy, steal uint64) cpuwindow.ProcStat {
		return cpuwindow.ProcStat{User: busy, Idle: idle, Steal: steal, CPUs: 2}
	}
	samples := []machineSample{
		{at(-300), st(0, 0, 0)},
		{at(-100), st(0, 0, 0)}, // the last at or before the start
		{at(900), st(0, 200, 0)},
		{at(1900), st(100, 280, 20)},
		{at(2900), st(200, 360, 40)}, // the first at or after the end
		{at(3100), st(240, 360, 40)},
	}
	m := machineWindow(samples, at(0), at(2800))
	if m.CPUs != 2 || m.WindowS != 3 || m.From != at(-100).Format(time.RFC3339Nano) || m.To != at(2900).Format(time.RFC3339Nano) {
		t.Errorf("window: %+v", m)
	}
	if m.IdleFraction == nil || *m.IdleFraction != 200.0/600 || *m.StealFraction != 40.0/600 || *m.MinIdleFraction != 0 {
		t.Errorf("idle %v steal %v min %v, want 1/3, 1/15, 0", deref(m.IdleFraction), deref(m.StealFraction), deref(m.MinIdleFraction))
	}
	if sat, known := m.Saturated(0.05, false); !known || sat {
		t.Errorf("whole window: saturated %v known %v, want false, true", sat, known)
	}
	if sat, known := m.Saturated(0.05, true); !known || !sat {
		t.Errorf("busiest second: saturated %v known %v, want true, true", sat, known)
	}
	if idle, ok := m.IdleCPUs(); !ok || idle != 2.0/3 {
		t.Errorf("idle CPUs %v %v", idle, ok)
	}
	if m := machineWindow(samples, at(-400), at(2800)); m.IdleFraction != nil || len(m.Unknown) != 1 {
		t.Errorf("no sample before the start: %+v, want unknown", m)
	}
	if m := machineWindow(samples, at(0), at(3200)); m.IdleFraction != nil {
		t.Errorf("no sample after the end: %+v, want unknown", m)
	}
	if _, known := (*report.Machine)(nil).Saturated(0.05, true); known {
		t.Error("no figures: known")
	}

	cs := []containerSample{{at(-200), 5 * time.Second}, {at(950), 6 * time.Second}, {at(2950), 7500 * time.Millisecond}}
	if secs, why := containerWindow(cs, at(0), at(2800)); secs == nil || *secs != 2.5 || why != "" {
		t.Errorf("container: %v %q, want 2.5", deref(secs), why)
	}
	if secs, why := containerWindow(cs[1:], at(0), at(2800)); secs != nil || !strings.Contains(why, "started after") {
		t.Errorf("container seen after the start: %v %q, want unknown", deref(secs), why)
	}
	if secs, why := containerWindow(cs[:2], at(0), at(2800)); secs != nil || why == "" {
		t.Errorf("container gone before the end: %v %q, want unknown", deref(secs), why)
	}
	back := []containerSample{{at(-200), 5 * time.Second}, {at(2950), time.Second}}
	if secs, why := containerWindow(back, at(0), at(2800)); secs != nil || !strings.Contains(why, "restarted") {
		t.Errorf("counter went back: %v %q", deref(secs), why)
	}
	m.Containers, m.WindowS = map[string]*float64{"app": ptr(1.5), "postgres": nil}, 3
	if c, ok := m.ContainerCPUs("app"); !ok || c != 0.5 {
		t.Errorf("app CPUs %v %v", c, ok)
	}
	if _, ok := m.ContainerCPUs("postgres"); ok {
		t.Error("unknown container: ok")
	}
}

// From outside: the real /proc/stat, sampled through a window in which
// this process burns every CPU, reads no idle time; a window in which it
// sleeps reads more (unless other work on the machine kept it busy then).
func TestMachineSamplerSeesABusyLoop(t *testing.T) {
	if _, err := os.Stat(procStatPath); err != nil {
		testenv.Missing(t, "no /proc/stat: %v", err)
	}
	window := func(burn bool) *report.Machine {
		s := startMachineSampler(context.Background(), nil, "", "no engine in this test")
		var stop atomic.Bool
		if burn {
			for range runtime.NumCPU() {
				go func() {
					x := 0
					for !stop.Load() {
						x++
					}
					_ = x
				}()
			}
		}
		// The window read is widened to the samples around it (up to a
		// sample interval each side): they too fall within the burn.
		time.Sleep(2 * sampleInterval)
		from := time.Now()
		time.Sleep(1500 * time.Millisecond)
		to := time.Now()
		time.Sleep(2 * sampleInterval)
		stop.Store(true)
		s.Stop()
		return s.Window(from, to)
	}
	busy := window(true)
	quiet := window(false)
	t.Logf("busy: idle %.3f (min %.3f) steal %.3f over %.2fs; quiet: idle %.3f (min %.3f)", deref(busy.IdleFraction), deref(busy.MinIdleFraction),
		deref(busy.StealFraction), busy.WindowS, deref(quiet.IdleFraction), deref(quiet.MinIdleFraction))
	if busy.IdleFraction == nil || quiet.IdleFraction == nil || busy.CPUs != runtime.NumCPU() && busy.CPUs < 1 {
		t.Fatalf("busy %+v quiet %+v", busy, quiet)
	}
	if sat, _ := busy.Saturated(0.1, false); !sat {
		t.Errorf("every CPU busy: idle %.3f, want under 0.1", *busy.IdleFraction)
	}
	if len(busy.Unknown) != 1 || !strings.Contains(busy.Unknown[0], "no engine in this test") || len(busy.Containers) != 0 {
		t.Errorf("containers: %v %v, want unknown with the reason", busy.Containers, busy.Unknown)
	}
	if *quiet.IdleFraction < 0.3 {
		t.Logf("the machine was busy with other work in the quiet window: no comparison")
	} else if *quiet.IdleFraction < *busy.IdleFraction+0.2 {
		t.Errorf("quiet idle %.3f not clearly above busy idle %.3f", *quiet.IdleFraction, *busy.IdleFraction)
	}
}

// A measured run through the Runner records its machine figures (the local
// executor: containers unknown, with the reason).
func TestRunRecordsTheMachine(t *testing.T) {
	binaries(t)
	srv, _ := serve(t, map[string]http.Handler{"/index": jsonHandler([]byte(`{"hello":"world"}`))})
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), benchArgs(srv.URL, out, "--endpoints", "/index", "--scenarios", "saturation",
		"--connections", "2", "--threads", "1", "--duration", "1s"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	r := s.Cells[0].Runs[0]
	m := r.Machine
	if m == nil || m.IdleFraction == nil || m.CPUs < 1 {
		t.Fatalf("machine: %+v", m)
	}
	// The window is cut from the samples bracketing the generator's own:
	// the last at or before its start, the first at or after its end. Their
	// distance from it is the sampler's interval (250 ms) on an idle
	// machine; the bound allows a look delayed by up to 1 s on each side
	// (a loaded machine), never the whole sampling.
	from, err1 := time.Parse(time.RFC3339Nano, m.From)
	to, err2 := time.Parse(time.RFC3339Nano, m.To)
	run := r.End.Sub(r.Start).Seconds()
	if err1 != nil || err2 != nil || from.After(r.Start) || to.Before(r.End) || math.Abs(m.WindowS-to.Sub(from).Seconds()) > 1e-6 ||
		m.WindowS > run+2*(sampleInterval.Seconds()+1) {
		t.Fatalf("machine window %s – %s (%gs), the generator's %s – %s (%gs)", m.From, m.To, m.WindowS, r.Start, r.End, run)
	}
	if len(m.Unknown) != 1 || !strings.Contains(m.Unknown[0], "local executor") {
		t.Errorf("unknown: %v", m.Unknown)
	}
	b, _ := os.ReadFile(out + "/summary.json")
	for _, key := range []string{`"machine"`, `"idle_fraction"`, `"steal_fraction"`, `"min_idle_fraction"`, `"containers"`, `"window_s"`} {
		if !bytes.Contains(b, []byte(key)) {
			t.Errorf("summary.json has no %s", key)
		}
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func ptr(f float64) *float64 { return &f }
