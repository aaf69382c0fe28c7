package loadgen

import (
	"math"
	"os"
	"path/filepath"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// The engine's small rules, each at its edges, with the figures the
// documentation gives (docs/generator.md).

// Each invalid field is refused, naming it as the command line spells it;
// the values just inside each limit are accepted.
func TestConfigValidate(t *testing.T) {
	good := Config{Threads: 2, Connections: 2, Duration: time.Nanosecond, Rate: 1, Timeout: time.Nanosecond}
	for _, c := range []struct {
		change func(*Config)
		want   string // "" when valid
	}{
		{func(*Config) {}, ""},
		{func(c *Config) { c.Rate = 0 }, ""},   // closed loop
		{func(c *Config) { c.Rate = 1e9 }, ""}, // the highest rate
		{func(c *Config) { c.Threads, c.Connections = 1, 1 }, ""},
		{func(c *Config) { c.Part, c.Parts = 2, 2 }, ""},
		{func(c *Config) { c.Part, c.Parts = 1, 2 }, ""},
		{func(c *Config) { c.Threads = 0 }, "-t/--threads must be at least 1, got 0"},
		{func(c *Config) { c.Connections = 0 }, "-c/--connections must be at least 1, got 0"},
		{func(c *Config) { c.Connections = 1 }, "-c/--connections (1) must be at least -t/--threads (2)"},
		{func(c *Config) { c.Duration = 0 }, "-d/--duration must be positive"},
		{func(c *Config) { c.Warmup = -1 }, "--warmup must not be negative"},
		{func(c *Config) { c.Rate = 0.5 }, "-R/--rate must be at least 1 request/s, got 0.5"},
		{func(c *Config) { c.Rate = -1 }, "-R/--rate must be at least 1"},
		{func(c *Config) { c.Rate = 1e9 + 1 }, "-R/--rate 1.000000001e+09 is beyond what one process can send"},
		{func(c *Config) { c.Timeout = 0 }, "--timeout must be positive"},
		{func(c *Config) { c.Part, c.Parts = 0, 2 }, "--part 0/2"},
		{func(c *Config) { c.Part, c.Parts = 3, 2 }, "--part 3/2"},
		{func(c *Config) { c.Part, c.Parts = 1, -1 }, "--part 1/-1"},
		{func(c *Config) { c.Part, c.Parts = 1, 0 }, "--part 1/0"},
		{func(c *Config) { c.Threads, c.Connections, c.Part, c.Parts = 2, 2, 1, 3 }, "-c/--connections (2) must be at least the parts of --part (3)"},
		{func(c *Config) { c.Threads, c.Connections, c.Part, c.Parts = 2, 3, 1, 3 }, "-t/--threads (2) must be at least the parts of --part (3)"},
	} {
		cfg := good
		c.change(&cfg)
		err := cfg.Validate()
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%+v: Validate() = %v, want %q", cfg, err, c.want)
		}
	}
}

// Late by any part of a millisecond is late by that millisecond.
func TestErrLateMessage(t *testing.T) {
	for late, ms := range map[time.Duration]string{time.Nanosecond: "1", time.Millisecond: "1", time.Millisecond + 1: "2", 250 * time.Millisecond: "250"} {
		if got, want := (ErrLate{late}).Error(), "cannot start on time: ready "+ms+" ms after --start-at"; got != want {
			t.Errorf("ErrLate{%v} = %q, want %q", late, got, want)
		}
	}
}

// Latencies are recorded in µs, rounded to the nearest, within 1 µs – 1 h.
func TestToMicros(t *testing.T) {
	for ns, us := range map[int64]int64{0: 1, 499: 1, 1499: 1, 1500: 2, 2499: 2, 2500: 3, int64(time.Hour): 3600_000_000, int64(2 * time.Hour): 3600_000_000} {
		if got := toMicros(ns); got != us {
			t.Errorf("toMicros(%d ns) = %d µs, want %d", ns, got, us)
		}
	}
}

// Open-loop connections wake on the 1 ms grid at least 1 ms before their
// due time (at most 2 ms before it).
func TestWakeAt(t *testing.T) {
	ms := int64(time.Millisecond)
	for due, wake := range map[int64]int64{5 * ms: 4 * ms, 5*ms + 1: 4 * ms, 6*ms - 1: 4 * ms, 6 * ms: 5 * ms, 0: -ms} {
		if got := wakeAt(due); got != wake {
			t.Errorf("wakeAt(%d) = %d, want %d", due, got, wake)
		}
	}
}

// A connection that cannot connect waits 10 ms before it tries again, or in
// an open loop its own interval between requests (-c/-R), 10 ms – 1 s.
func TestConnectBackoff(t *testing.T) {
	for _, c := range []struct {
		rate  float64
		conns int
		want  time.Duration
	}{
		{0, 10, 10 * time.Millisecond},      // closed loop
		{100, 4, 40 * time.Millisecond},     // 4 connections at 100/s: 40 ms apart each
		{1000, 4, 10 * time.Millisecond},    // 4 ms, raised to 10 ms
		{1, 3, time.Second},                 // 3 s, capped at 1 s
		{1000, 10, 10 * time.Millisecond},   // exactly 10 ms
		{10, 10, time.Second},               // exactly 1 s
		{100, 50, 500 * time.Millisecond},   // in between
		{400, 400, time.Second},             // 1 s again
		{1e6, 400, 10 * time.Millisecond},   // far below 10 ms
		{10, 1, 100 * time.Millisecond},     // one connection
		{3, 2, 666666666 * time.Nanosecond}, // not rounded
	} {
		r := &runner{cfg: Config{Rate: c.rate}}
		if c.rate > 0 {
			r.sched = newSchedule(c.conns, c.rate)
		}
		if got := (&conn{r: r}).connectBackoff(); got != c.want {
			t.Errorf("-R %g -c %d: back-off %v, want %v", c.rate, c.conns, got, c.want)
		}
	}
}

// within: v is u µs to the histograms' 3 digits.
func within(v, u int64) bool { return v >= u-u/1000 && v <= u+u/1000 }

// A response is a status error when its status is outside 200–399, in the
// window's count and in the live metrics alike; a late one is a timeout of
// the window; a response to a warm-up request counts nowhere but in the
// progress line.
func TestRecordStatusAndTimeout(t *testing.T) {
	w := newWorker()
	m := NewMetrics("r", "/")
	for _, status := range []int{100, 199, 200, 299, 399, 400, 404, 500} {
		w.record(1000, 1000, 10, status, true, false)
		m.observe(1000, 1000, status)
	}
	if w.errors[ErrStatus] != 5 || w.requests != 8 || w.bytes != 80 || w.responses != 8 {
		t.Errorf("status errors %d, requests %d, bytes %d: want 5 (100, 199, 400, 404, 500), 8, 80", w.errors[ErrStatus], w.requests, w.bytes)
	}
	if got := testutil.ToFloat64(m.errors[ErrStatus]); got != 5 {
		t.Errorf("loadtest_errors_total{class=status} = %v, want 5", got)
	}
	w.record(3_000_000_000, 2_000_000_000, 10, 200, true, true)
	if w.errors[ErrTimeout] != 1 || !within(w.corrected.Max(), 3_000_000) || !within(w.uncorrected.Max(), 2_000_000) {
		t.Errorf("timeouts %d, max corrected %dus uncorrected %dus: want 1, 3 s and 2 s", w.errors[ErrTimeout], w.corrected.Max(), w.uncorrected.Max())
	}
	w.record(1000, 1000, 10, 500, false, true)
	if w.requests != 9 || w.responses != 10 || w.errors[ErrStatus] != 5 || w.errors[ErrTimeout] != 1 || w.bytes != 90 {
		t.Errorf("a warm-up response counted in the window: %+v", w.errors)
	}
	w.fail(ErrRead, false)
	w.fail(ErrRead, true)
	w.inFlightAtEnd(true)
	w.inFlightAtEnd(false)
	if w.errors[ErrRead] != 1 || w.allErrors != 2 || w.inFlight != 2 || w.errors[ErrTimeout] != 2 {
		t.Errorf("read errors %d (all %d), in flight %d, timeouts %d: want 1 (2), 2, 2", w.errors[ErrRead], w.allErrors, w.inFlight, w.errors[ErrTimeout])
	}
	if names := []string{ErrConnect.String(), ErrRead.String(), ErrWrite.String(), ErrTimeout.String(), ErrStatus.String()}; strings.Join(names, " ") != "connect read write timeout status" {
		t.Errorf("class names %v", names)
	}
}

// The run-queue delay is the sum of the threads' schedstat second fields
// (ns); without schedstat files, or with one it cannot read as such, there
// is none.
func TestReadRunDelay(t *testing.T) {
	defer func(d string) { taskDir = d }(taskDir)
	for _, c := range []struct {
		name  string
		files map[string]string // thread: its schedstat
		want  time.Duration
		ok    bool
	}{
		{"two threads", map[string]string{"1": "100 2500 7\n", "2": "9 1000000 3\n"}, 1_002_500, true},
		{"one thread", map[string]string{"1": "0 42 1\n"}, 42, true},
		{"no threads", map[string]string{}, 0, false},
		{"a short line", map[string]string{"1": "100 2500 7\n", "2": "9\n"}, 0, false},
		{"not a number", map[string]string{"1": "100 x 7\n"}, 0, false},
	} {
		taskDir = t.TempDir()
		for thread, stat := range c.files {
			if err := os.MkdirAll(filepath.Join(taskDir, thread), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(taskDir, thread, "schedstat"), []byte(stat), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if d, ok := readRunDelay(); d != c.want || ok != c.ok {
			t.Errorf("%s: %v, %v; want %v, %v", c.name, d, ok, c.want, c.ok)
		}
	}
}

// The scheduler latency over the window is the change of each runtime
// bucket, the empty ones left out (a negative lower edge reads 0, an
// infinite upper edge its lower one); the run delay is the change of the
// threads' sum, never negative.
func TestHealthBetweenSchedAndRunDelay(t *testing.T) {
	edges := []float64{math.Inf(-1), 1e-6, 2e-6, math.Inf(1)}
	a := healthProbe{sched: &metrics.Float64Histogram{Counts: []uint64{0, 2, 3}, Buckets: edges}, runDelay: 5 * time.Millisecond, runDelayOK: true}
	z := healthProbe{sched: &metrics.Float64Histogram{Counts: []uint64{2, 2, 4}, Buckets: edges}, runDelay: 8 * time.Millisecond, runDelayOK: true}
	h := healthBetween(a, z, newHistogram())
	want := []runresult.Bucket{{LoS: 0, HiS: 1e-6, N: 2}, {LoS: 2e-6, HiS: 2e-6, N: 1}}
	if !slices.Equal(h.SchedLatency, want) {
		t.Errorf("scheduler latency %+v, want %+v", h.SchedLatency, want)
	}
	if h.RunDelay == nil || *h.RunDelay != 3*time.Millisecond {
		t.Errorf("run delay %v, want 3ms", h.RunDelay)
	}
	z.runDelay = 4 * time.Millisecond
	if h := healthBetween(a, z, newHistogram()); h.RunDelay == nil || *h.RunDelay != 0 {
		t.Errorf("run delay %v, want 0 (a thread that ended took its share)", h.RunDelay)
	}
	z.runDelayOK = false
	z.sched = &metrics.Float64Histogram{Counts: []uint64{2, 2}, Buckets: edges[:3]}
	if h := healthBetween(a, z, newHistogram()); h.RunDelay != nil || h.SchedLatency != nil {
		t.Errorf("run delay %v, scheduler latency %+v: want none (no schedstat at the end, other buckets)", h.RunDelay, h.SchedLatency)
	}
}

// The progress line's figures, about once a second: time since the start
// (warm-up included) of the whole, whether still warming up, responses so
// far (warm-up included) and their rate since the last call, errors (here
// the window's status errors: every response is a 500) and the window's
// corrected p99.
func TestProgress(t *testing.T) {
	t.Parallel()
	srv := recordingServer(t, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n", nil)
	var (
		mu    sync.Mutex
		calls []Progress
	)
	cfg := Config{URL: srv.URL, Threads: 1, Connections: 2, Warmup: 1500 * time.Millisecond, Duration: time.Second, Rate: 100,
		Progress: func(p Progress) { mu.Lock(); calls = append(calls, p); mu.Unlock() }}
	mustRun(t, cfg)
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 2 {
		t.Fatalf("%d progress calls in 2.5 s, want 2: %+v", len(calls), calls)
	}
	a, z := calls[0], calls[1]
	t.Logf("progress: %+v, %+v", a, z)
	if !a.Warmup || a.Elapsed < time.Second || a.Elapsed >= 1500*time.Millisecond || a.Total != 2500*time.Millisecond ||
		a.Responses == 0 || a.Errors != 0 || a.P99 != 0 || !near(a.Rate*a.Elapsed.Seconds(), float64(a.Responses)) {
		t.Errorf("in the warm-up: %+v; want its responses over its elapsed time as the rate, no errors and no p99 yet", a)
	}
	if z.Warmup || z.Elapsed < 2*time.Second || z.Elapsed >= 2500*time.Millisecond || z.Errors <= 0 || z.P99 < time.Microsecond ||
		!near(z.Rate*(z.Elapsed-a.Elapsed).Seconds(), float64(z.Responses-a.Responses)) {
		t.Errorf("in the window: %+v; want the window's status errors, its p99 and the rate since the first call", z)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }
