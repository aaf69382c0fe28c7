package loadgen

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// processCPU is this process's user and system CPU time so far, read by the
// test itself (not the generator's own reading).
func processCPU(t *testing.T) time.Duration {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// A run's CPU time is this process's over the measured window: not the
// warm-up's, nor anything before or after it. Judged by the process's own
// CPU time around each run: at a fixed rate the CPU a run uses follows the
// requests it sends, so a window of a quarter of the run (after a warm-up
// of three quarters) used about a quarter of the run's CPU; the bounds, a
// twelfth to three fifths, leave room for the connections' set-up and a
// loaded machine. Three ways a window closes: at its end with a request
// still unanswered, by the connections' schedule running out before the
// end, and cancelled. Not parallel: the process's CPU time is this test's.
func TestCPUIsTheWindows(t *testing.T) {
	const warmup, window = 900 * time.Millisecond, 300 * time.Millisecond
	within := func(name string, run func() *Result) *Result {
		t.Helper()
		before := processCPU(t)
		res := run()
		total := processCPU(t) - before
		share := float64(res.CPU) / float64(total)
		t.Logf("%s: CPU %v of the run's %v (%.2f)", name, res.CPU, total, share)
		if share < 1.0/12 || share > 0.6 {
			t.Errorf("%s: the window's CPU %v is %.2f of the run's %v, want about a quarter", name, res.CPU, share, total)
		}
		return res
	}

	// At its end: the responses stop 100 ms before it, one request on each
	// connection left unanswered. Its rate samples, every 100 ms however
	// often the monitor ticks (every 20 ms for a 200 ms timeout): at most
	// three in a 300 ms window.
	stallFrom := time.Now().Add(warmup + window - 100*time.Millisecond)
	url := leanServer(t, func() time.Duration {
		if time.Now().After(stallFrom) {
			return 3 * time.Second
		}
		return 0
	})
	res := within("to its end", func() *Result {
		return mustRun(t, Config{URL: url, Threads: 1, Connections: 4, Warmup: warmup, Duration: window, Rate: 2000, Timeout: 200 * time.Millisecond})
	})
	if res.InFlight == 0 {
		t.Errorf("no request in flight at the end: the server's stall came too late to test the end")
	}
	if n := len(res.ThreadRates); n < 1 || n > 3 {
		t.Errorf("%d rate samples in a %v window, want one every 100 ms: %v", n, window, res.ThreadRates)
	}

	// Cancelled a window's length after the warm-up.
	fast := leanServer(t, nil)
	within("cancelled", func() *Result {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		time.AfterFunc(warmup+window, cancel)
		res, err := Run(ctx, Config{URL: fast, Threads: 1, Connections: 4, Warmup: warmup, Duration: 10 * time.Second, Rate: 2000, Timeout: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return res
	})

	// Schedule run out: at 4 req/s on one connection the last request is
	// due 250 ms before the end and answered at once, so the connections
	// are done before the window closes. Too few requests to compare with
	// the run's CPU; the window's is no more than the run's.
	before := processCPU(t)
	res = mustRun(t, Config{URL: fast, Threads: 1, Connections: 1, Warmup: warmup, Duration: window + 100*time.Millisecond, Rate: 4})
	if total := processCPU(t) - before; res.CPU < 0 || res.CPU > total {
		t.Errorf("schedule run out: the window's CPU %v, the run's %v", res.CPU, total)
	}
}

// A server slower than the rate but well within the timeout: no request is
// late, so none is counted late, neither live (the monitor's check of the
// requests in flight, every 100 ms for a 1 s timeout) nor in the result.
func TestInTimeIsNotLate(t *testing.T) {
	t.Parallel()
	url := leanServer(t, func() time.Duration { return 20 * time.Millisecond })
	m := NewMetrics("intime", "/")
	res := mustRun(t, Config{URL: url, Threads: 1, Connections: 2, Duration: 1500 * time.Millisecond, Timeout: time.Second, Metrics: m})
	if res.Requests < 10 {
		t.Fatalf("%d responses, want a closed loop's (about 75 a connection)", res.Requests)
	}
	if live := testutil.ToFloat64(m.errors[ErrTimeout]); live != 0 || res.Errors[ErrTimeout] != 0 {
		t.Errorf("responses in 20 ms with a 1 s timeout: %v counted late live, %d in the result", live, res.Errors[ErrTimeout])
	}
}

// In a closed loop too, a request that could not go out because the server
// refused its connection is timed from the first refused attempt: the
// 300 ms outage is in the corrected latency of the request that follows
// it, not in its uncorrected one.
func TestClosedLoopOutageIsCorrected(t *testing.T) {
	t.Parallel()
	res := mustRun(t, Config{URL: outageServer(t), Threads: 1, Connections: 1, Duration: time.Second})
	if res.Errors[ErrConnect] == 0 || res.Corrected.Max() < 250_000 || res.Uncorrected.Max() >= 250_000 {
		t.Errorf("errors %v, corrected max %dus, uncorrected max %dus: want refused connects whose 300 ms is in the corrected latency only",
			res.Errors, res.Corrected.Max(), res.Uncorrected.Max())
	}
}

// A closed loop has no schedule: each request is timed from its send, so
// its corrected latencies are its uncorrected ones, the first request of
// each connection (sent after the run's start) included.
func TestClosedLoopCorrectedIsUncorrected(t *testing.T) {
	t.Parallel()
	res := mustRun(t, Config{URL: leanServer(t, nil), Threads: 2, Connections: 8, Duration: 300 * time.Millisecond})
	if res.Requests == 0 || res.SocketErrors() != 0 {
		t.Fatalf("%d responses, errors %v: want answers and no error", res.Requests, res.Errors)
	}
	if !res.Corrected.Equals(res.Uncorrected) {
		t.Errorf("closed loop: corrected max %dus p50 %dus, uncorrected max %dus p50 %dus: want the same histogram",
			res.Corrected.Max(), res.Corrected.ValueAtQuantile(50), res.Uncorrected.Max(), res.Uncorrected.ValueAtQuantile(50))
	}
}
