package nodecpu

import (
	"context"
	"math"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/cpuwindow"
)

// procLook is this machine's /proc/stat at one moment.
type procLook struct {
	at   time.Time
	stat cpuwindow.ProcStat
}

// A real node-exporter (the pinned build, $MACROBENCH_NODE_EXPORTER_BIN)
// scraped every second by a real Prometheus ($MACROBENCH_PROMETHEUS_BIN):
// the idle share Read reports for this machine over a window with one CPU
// kept busy is /proc/stat's, read directly every 20 ms, over the same
// bracketing scrapes, within 0.03; its CPUs are /proc/stat's; a node with no
// samples, and this one before its exporter started, are unknown.
func TestReadAgainstProcStat(t *testing.T) {
	prom := testenv.StartNodeExporter(t, Job)
	started := time.Now()
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// /proc/stat every 20 ms from before the window's first scrape to the end.
	var mu sync.Mutex
	var looks []procLook
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			if b, err := os.ReadFile("/proc/stat"); err == nil {
				if st, err := cpuwindow.ParseProcStat(string(b)); err == nil {
					mu.Lock()
					looks = append(looks, procLook{time.Now(), st})
					mu.Unlock()
				}
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	defer func() { close(stop); <-sampled }()

	time.Sleep(1500 * time.Millisecond) // a scrape and looks before the window
	from := time.Now()
	busy(3500 * time.Millisecond)
	to := time.Now()
	nodes, err := Read(ctx, prom, []string{host, "ghost"}, from, to)
	if err != nil {
		t.Fatal(err)
	}
	m := nodes[host]
	if m == nil || m.IdleFraction == nil {
		t.Fatalf("this node (%s): %+v; all: %v", host, m, nodes)
	}
	a, b := parse(t, m.From), parse(t, m.To)
	mu.Lock()
	pa, pb := nearest(looks, a), nearest(looks, b)
	mu.Unlock()
	want := float64(pb.stat.Idle+pb.stat.IOWait-pa.stat.Idle-pa.stat.IOWait) / float64(pb.stat.Total()-pa.stat.Total())
	t.Logf("window %s–%s (%.2fs): node-exporter idle %.4f (min %.4f, steal %.4f), /proc/stat %.4f (looks %s and %s off)",
		m.From, m.To, m.WindowS, *m.IdleFraction, *m.MinIdleFraction, *m.StealFraction, want, pa.at.Sub(a), pb.at.Sub(b))
	if math.Abs(*m.IdleFraction-want) > 0.03 {
		t.Errorf("idle %.4f, /proc/stat says %.4f over the same scrapes", *m.IdleFraction, want)
	}
	if m.CPUs != pb.stat.CPUs {
		t.Errorf("CPUs %d, /proc/stat has %d", m.CPUs, pb.stat.CPUs)
	}
	if a.After(from) || b.Before(to) || m.WindowS > to.Sub(from).Seconds()+2.5 {
		t.Errorf("window %s–%s does not bracket %s–%s by the nearest scrapes", a, b, from, to)
	}
	if g := nodes["ghost"]; g == nil || g.IdleFraction != nil || len(g.Unknown) == 0 {
		t.Errorf("a node with no samples: %+v, want unknown", g)
	}
	before, err := Read(ctx, prom, []string{host}, started.Add(-40*time.Second), started.Add(-30*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if m := before[host]; m == nil || m.IdleFraction != nil || len(m.Unknown) == 0 {
		t.Errorf("a window before the exporter started: %+v, want unknown", m)
	}
}

// busy keeps one CPU busy for d.
func busy(d time.Duration) {
	end := time.Now().Add(d)
	x := 0
	for time.Now().Before(end) {
		for i := 0; i < 1000; i++ {
			x += i
		}
	}
	_ = x
}

func parse(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// nearest is the look closest in time to at.
func nearest(looks []procLook, at time.Time) procLook {
	best := looks[0]
	for _, l := range looks {
		if l.at.Sub(at).Abs() < best.at.Sub(at).Abs() {
			best = l
		}
	}
	return best
}
