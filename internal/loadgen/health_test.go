package loadgen

import (
	"errors"
	"math"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// lagMS is a run's send lag: p99 and max in ms.
func lagMS(t *testing.T, res *Result) (p99, maxLag float64) {
	t.Helper()
	if res.Health == nil {
		t.Fatal("no health in the result")
	}
	h := res.Health.SendLag
	p99, maxLag = float64(h.ValueAtPercentile(99))/1000, float64(h.Max())/1000
	t.Logf("send lag: %d requests, p50 %dus p99 %.3fms max %.3fms", h.TotalCount(), h.ValueAtPercentile(50), p99, maxLag)
	return p99, maxLag
}

// lagAllowanceMS is the send lag a run may show with none of it the fault
// under test: 200 ms, plus twice the longest wait of a runnable goroutine
// for a thread over the window (the Go scheduler's latency, which takes in a
// process starved of CPU). A generator starved on a loaded machine really
// holds its requests back, and that shows as lag; on an idle machine the
// scheduler's waits are under a few ms, so a lag timed from the wrong
// instant (a 300 or 400 ms wait) stands out.
func lagAllowanceMS(t *testing.T, res *Result) float64 {
	t.Helper()
	ms := 200.0
	if b := res.Health.SchedLatency; len(b) > 0 {
		ms += 2 * 1000 * b[len(b)-1].HiS
		t.Logf("longest scheduler wait over the window: under %.3fms", 1000*b[len(b)-1].HiS)
	}
	return ms
}

// A server that holds each connection longer than the connection's
// interval: the target cannot keep the rate, every request is sent behind
// schedule, and the corrected latency grows without bound. None of that is
// the generator's: each request goes out as soon as its connection is free
// (its response read), so the send lag stays small however late the
// requests are against their due times.
func TestSendLagExcludesTheTargetsDelay(t *testing.T) {
	t.Parallel()
	const hold = 60 * time.Millisecond
	srv := recordingServer(t, okResponse, func(int) bool { time.Sleep(hold); return false })
	// 4 connections at 100 req/s: one request every 40 ms each, but each
	// takes 60 ms.
	res := mustRun(t, Config{URL: srv.URL, Threads: 1, Connections: 4, Duration: 2 * time.Second, Rate: 100})
	p99, _ := lagMS(t, res)
	corrected := float64(res.Corrected.ValueAtPercentile(50)) / 1000
	if res.Uncorrected.Min() < hold.Microseconds() || corrected < 200 {
		t.Fatalf("corrected p50 %.1fms, uncorrected min %dus: want the server's hold in every response and a growing backlog", corrected, res.Uncorrected.Min())
	}
	// Timed from the due time instead, the send lag would be the backlog
	// (the corrected latency less the hold); it is the generator's own
	// turnaround, a few µs, up to a preemption on a loaded machine.
	if p99 > corrected/5 {
		t.Errorf("send lag p99 %.3fms with a corrected p50 of %.1fms: the target's delay counted as the generator's", p99, corrected)
	}
	if n, sent := res.Health.SendLag.TotalCount(), res.Requests+res.InFlight+res.Errors[ErrRead]+res.Errors[ErrWrite]; n != sent {
		t.Errorf("send lag of %d requests, want every one sent in the window (%d)", n, sent)
	}
}

// The same in a closed loop, where the send lag is the turnaround between
// a response and the connection's next request.
func TestSendLagClosedLoopIsTheTurnaround(t *testing.T) {
	t.Parallel()
	const hold = 50 * time.Millisecond
	srv := recordingServer(t, okResponse, func(int) bool { time.Sleep(hold); return false })
	res := mustRun(t, Config{URL: srv.URL, Threads: 1, Connections: 3, Duration: time.Second})
	p99, _ := lagMS(t, res)
	if res.Uncorrected.Min() < hold.Microseconds() || p99 > 25 {
		t.Errorf("uncorrected min %dus, send lag p99 %.3fms: want responses of %v and turnarounds far shorter", res.Uncorrected.Min(), p99, hold)
	}
	// With no schedule there is nothing to correct: every request's
	// corrected latency is its own.
	if c, u := res.Corrected.Max(), res.Uncorrected.Max(); c != u || res.Corrected.TotalCount() != res.Uncorrected.TotalCount() {
		t.Errorf("corrected max %dus of %d, uncorrected %dus of %d: want the same", c, res.Corrected.TotalCount(), u, res.Uncorrected.TotalCount())
	}
}

// outageServer answers at once, hangs up on its third request and then
// refuses connections for 300 ms.
func outageServer(t *testing.T) (url string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	var (
		mu      sync.Mutex
		current = ln
		down    = make(chan struct{})
	)
	t.Cleanup(func() { mu.Lock(); current.Close(); mu.Unlock() })
	// The listener goes before the third request is hung up on (handle runs
	// first), so the generator's reconnect is refused whatever the
	// scheduling: closing it from another goroutine let a loaded machine
	// reconnect to the old listener first (seen once in CI).
	hangUp := func(n int) bool {
		if n == 3 {
			mu.Lock()
			current.Close()
			mu.Unlock()
			close(down)
		}
		return n == 3
	}
	srv := &recServer{resp: []byte(okResponse), handle: hangUp}
	serve := func(ln net.Listener) {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go srv.serve(c)
		}
	}
	go serve(ln)
	go func() {
		<-down
		time.Sleep(300 * time.Millisecond)
		for { // the port again, once the old listener let it go
			ln, err := net.Listen("tcp", addr)
			if err == nil {
				mu.Lock()
				current = ln
				mu.Unlock()
				go serve(ln)
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return "http://" + addr + "/"
}

// A connection that cannot connect waits before trying again; that wait
// is the target's (it refused), not send lag.
func TestSendLagExcludesConnectBackoff(t *testing.T) {
	t.Parallel()
	res := mustRun(t, Config{URL: outageServer(t), Threads: 1, Connections: 1, Duration: 2 * time.Second, Rate: 10})
	_, maxLag := lagMS(t, res)
	if res.Errors[ErrConnect] == 0 || res.Corrected.Max() < 250_000 {
		t.Fatalf("errors %v, corrected max %dus: want refused connects whose 300 ms is in the retry's corrected latency", res.Errors, res.Corrected.Max())
	}
	if allowed := lagAllowanceMS(t, res); maxLag > allowed {
		t.Errorf("send lag max %.3fms (%.3fms allowed): the connect back-off counted as the generator's lag", maxLag, allowed)
	}
}

func TestSendLagFormula(t *testing.T) {
	for _, c := range []struct{ sent, due, free, want int64 }{
		{100, 90, 50, 10},  // free before due: late against the due time
		{100, 50, 90, 10},  // due before free: late against the free connection
		{100, 120, 50, 0},  // sent early (the wake-up grid): no lag
		{100, -1, 70, 30},  // closed loop: the turnaround
		{100, 100, 100, 0}, // on time
	} {
		if got := sendLag(c.sent, c.due, c.free); got != c.want {
			t.Errorf("sendLag(sent %d, due %d, free %d) = %d, want %d", c.sent, c.due, c.free, got, c.want)
		}
	}
}

// The run's health carries the process's CPU set, and the scheduler
// latency of the window.
func TestHealthOfARun(t *testing.T) {
	t.Parallel()
	res := mustRun(t, Config{URL: leanServer(t, nil), Threads: 1, Connections: 2, Duration: 500 * time.Millisecond, Rate: 200})
	h := res.Health
	if h == nil || h.CPUSetCPUs < 1 || h.SendLag.TotalCount() < 50 {
		t.Fatalf("health %+v", h)
	}
	var n uint64
	for i, b := range h.SchedLatency {
		n += b.N
		if b.N == 0 || b.HiS < b.LoS || (i > 0 && b.LoS < h.SchedLatency[i-1].HiS) {
			t.Errorf("scheduler latency bucket %d: %+v", i, b)
		}
	}
	if n == 0 {
		t.Error("no scheduler latency over a window with hundreds of wake-ups")
	}
	if cpus, from := h.LimitCPUs(); cpus <= 0 || (from != "quota" && from != "cpuset") {
		t.Errorf("limit %v CPUs from %q", cpus, from)
	}
}

// The cgroup CPU quota: the tightest of the cgroup and its ancestors, v2
// (cpu.max) or v1 (cfs quota and period), found through the process's
// cgroups and the mounts; the throttling counters of that cgroup.
func TestCgroupQuota(t *testing.T) {
	const v2Mounts = "30 23 0:26 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw\n"
	// The cpuset hierarchy before cpu's (mountinfo's order is the mounts').
	const v1Mounts = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw,mode=755\n" +
		"33 31 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n" +
		"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n" +
		"34 31 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	for _, c := range []struct {
		name  string
		files map[string]string
		cpus  float64
		stat  string
		th    throttleStat
	}{
		{"v2, the parent's quota is tighter", map[string]string{
			"/proc/self/cgroup":               "0::/lab/gen\n",
			"/proc/self/mountinfo":            v2Mounts,
			"/sys/fs/cgroup/lab/gen/cpu.max":  "150000 100000\n",
			"/sys/fs/cgroup/lab/cpu.max":      "50000 100000\n",
			"/sys/fs/cgroup/cpu.max":          "max 100000\n",
			"/sys/fs/cgroup/lab/cpu.stat":     "usage_usec 9\nnr_periods 40\nnr_throttled 7\nthrottled_usec 2500\n",
			"/sys/fs/cgroup/lab/gen/cpu.stat": "nr_periods 1\nnr_throttled 0\nthrottled_usec 0\n",
		}, 0.5, "/sys/fs/cgroup/lab/cpu.stat", throttleStat{true, 40, 7, 2_500_000}},
		{"v2, the same quota twice: the process's own cgroup", map[string]string{
			"/proc/self/cgroup":               "0::/lab/gen\n",
			"/proc/self/mountinfo":            v2Mounts,
			"/sys/fs/cgroup/lab/gen/cpu.max":  "50000 100000\n",
			"/sys/fs/cgroup/lab/cpu.max":      "100000 200000\n",
			"/sys/fs/cgroup/lab/gen/cpu.stat": "nr_periods 5\nnr_throttled 1\nthrottled_usec 10\n",
		}, 0.5, "/sys/fs/cgroup/lab/gen/cpu.stat", throttleStat{true, 5, 1, 10_000}},
		{"mount lines short of proc(5)'s fields are no mounts", map[string]string{
			"/proc/self/cgroup":          "0::/lab\n",
			"/proc/self/mountinfo":       "30 23 0:26 / /sys/fs/cgroup - cgroup2 cgroup2 rw\n29 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2\n",
			"/sys/fs/cgroup/lab/cpu.max": "50000 100000\n",
		}, 0, "", throttleStat{}},
		{"v2, a period of 0 is no quota", map[string]string{
			"/proc/self/cgroup":          "0::/lab\n",
			"/proc/self/mountinfo":       v2Mounts,
			"/sys/fs/cgroup/lab/cpu.max": "50000 0\n",
		}, 0, "", throttleStat{}},
		{"v2, no quota", map[string]string{
			"/proc/self/cgroup":      "0::/\n",
			"/proc/self/mountinfo":   v2Mounts,
			"/sys/fs/cgroup/cpu.max": "max 100000\n",
		}, 0, "", throttleStat{}},
		{"v1 (hybrid host), quota on the container", map[string]string{
			"/proc/self/cgroup":    "4:cpuset:/docker/abc\n3:cpu,cpuacct:/docker/abc\n0::/docker/abc\n",
			"/proc/self/mountinfo": v1Mounts,
			"/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us":  "25000\n",
			"/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us": "100000\n",
			"/sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_quota_us":      "-1\n",
			"/sys/fs/cgroup/cpu,cpuacct/docker/cpu.cfs_period_us":     "100000\n",
			"/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.stat":          "nr_periods 12\nnr_throttled 3\nthrottled_time 4000000\n",
		}, 0.25, "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.stat", throttleStat{true, 12, 3, 4_000_000}},
		{"v1, in a cgroup namespace (the mount's root is the cgroup)", map[string]string{
			"/proc/self/cgroup":                            "3:cpu,cpuacct:/\n",
			"/proc/self/mountinfo":                         "40 30 0:29 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro - cgroup cgroup rw,cpu,cpuacct\n",
			"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_quota_us":  "200000\n",
			"/sys/fs/cgroup/cpu,cpuacct/cpu.cfs_period_us": "100000\n",
		}, 2, "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", throttleStat{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			read := func(name string) ([]byte, error) {
				if s, ok := c.files[name]; ok {
					return []byte(s), nil
				}
				return nil, os.ErrNotExist
			}
			q := findQuota(read)
			if math.Abs(q.cpus-c.cpus) > 1e-12 || (c.cpus > 0 && q.stat != c.stat) {
				t.Errorf("quota %v CPUs, stat %q; want %v, %q", q.cpus, q.stat, c.cpus, c.stat)
			}
			if th := readThrottle(read, q); th != c.th {
				t.Errorf("throttling %+v, want %+v", th, c.th)
			}
		})
	}
}

// The throttling over the window is the change of cpu.stat; the limit is
// the smaller of the quota and the CPU set.
func TestHealthBetween(t *testing.T) {
	a := healthProbe{quota: cpuQuota{cpus: 1.5}, throttle: throttleStat{true, 10, 2, 1_000_000}}
	z := healthProbe{quota: a.quota, throttle: throttleStat{true, 30, 12, 251_000_000}}
	h := healthBetween(a, z, newHistogram())
	if h.Throttling == nil || *h.Throttling != (runresult.Throttling{Periods: 20, ThrottledPeriods: 10, ThrottledS: 0.25}) {
		t.Errorf("throttling %+v", h.Throttling)
	}
	h.CPUSetCPUs = 2
	if cpus, from := h.LimitCPUs(); cpus != 1.5 || from != "quota" {
		t.Errorf("limit %v from %s, want 1.5 from the quota", cpus, from)
	}
	h.CPUSetCPUs = 1
	if cpus, from := h.LimitCPUs(); cpus != 1 || from != "cpuset" {
		t.Errorf("limit %v from %s, want 1 from the CPU set", cpus, from)
	}
	// A tie names the CPU set: the quota is no tighter.
	h.QuotaCPUs, h.CPUSetCPUs = 2, 2
	if cpus, from := h.LimitCPUs(); cpus != 2 || from != "cpuset" {
		t.Errorf("limit %v from %s, want 2 from the CPU set (a tie)", cpus, from)
	}
	if h := healthBetween(healthProbe{}, healthProbe{}, newHistogram()); h.Throttling != nil {
		t.Errorf("throttling %+v without a quota", h.Throttling)
	}
}
