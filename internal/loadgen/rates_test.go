package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
)

// Each worker's req/s, sampled every 100 ms as wrk does: at 200/s over two
// workers, about 20 samples each of about 100/s. The bounds are wide (a
// loaded machine delays ticks and sends): at least 5 samples a worker, and
// a mean within half of 100/s either way.
func TestThreadRates(t *testing.T) {
	t.Parallel()
	url := leanServer(t, nil)
	res := mustRun(t, Config{URL: url, Threads: 2, Connections: 2, Duration: 2 * time.Second, Rate: 200})
	n := len(res.ThreadRates)
	if n < 2*5 || n > 2*21 {
		t.Fatalf("%d samples, want about 20 per worker", n)
	}
	sum := 0.0
	for _, r := range res.ThreadRates {
		sum += r
	}
	if mean := sum / float64(n); mean < 50 || mean > 150 {
		t.Errorf("mean of %d samples %.1f req/s (%v), want about 100 per worker", n, mean, res.ThreadRates)
	}
}

// A run shorter than one sample has one per worker: its average.
func TestThreadRatesOfAShortRun(t *testing.T) {
	t.Parallel()
	url := leanServer(t, nil)
	res := mustRun(t, Config{URL: url, Threads: 1, Connections: 1, Duration: 50 * time.Millisecond, Rate: 100})
	want := float64(res.Requests) / res.Elapsed.Seconds()
	if len(res.ThreadRates) != 1 || res.ThreadRates[0] != want {
		t.Errorf("samples %v, want one: %d requests in %v = %.1f/s", res.ThreadRates, res.Requests, res.Elapsed, want)
	}
}

// wrk's socket error line sums connect, read, write and timeout errors;
// status errors are not socket errors.
func TestSocketErrors(t *testing.T) {
	var r Result
	r.Errors[ErrConnect], r.Errors[ErrRead], r.Errors[ErrWrite], r.Errors[ErrTimeout], r.Errors[ErrStatus] = 1, 20, 300, 4000, 50000
	if got := r.SocketErrors(); got != 4321 {
		t.Errorf("SocketErrors() = %d, want 1 + 20 + 300 + 4000", got)
	}
}

// The target-rate gauge is the run's rate (a part's: its share of it).
func TestTargetRateGauge(t *testing.T) {
	t.Parallel()
	url := leanServer(t, nil)
	m := NewMetrics("gauge", "/")
	mustRun(t, Config{URL: url, Threads: 1, Connections: 2, Duration: 200 * time.Millisecond, Rate: 50, Metrics: m})
	if got := testutil.ToFloat64(m.targetRate); got != 50 {
		t.Errorf("loadtest_target_rate = %v, want 50", got)
	}
}

// A run stopped in its window says so, with the window it measured; one
// that ran to its end does not; one stopped in its warm-up measured
// nothing and is an error. Judged by what the server saw: no request
// after the stop.
func TestInterruptedRun(t *testing.T) {
	t.Parallel()
	srv := recordingServer(t, okResponse, nil)
	cfg := Config{URL: srv.URL, Threads: 1, Connections: 2, Duration: 3 * time.Second, Rate: 100, Timeout: 2 * time.Second}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(time.Second, cancel)
	res, err := Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	if !res.Interrupted || res.Elapsed >= 3*time.Second || res.Elapsed < 500*time.Millisecond {
		t.Errorf("stopped after 1 s of 3: interrupted %v, elapsed %v", res.Interrupted, res.Elapsed)
	}
	time.Sleep(200 * time.Millisecond)
	if arrived, _, _, _ := srv.seen(stopped, time.Now().Add(time.Hour)); arrived != 0 {
		t.Errorf("%d requests reached the server after the run returned", arrived)
	}

	cfg.Duration = 300 * time.Millisecond
	if res := mustRun(t, cfg); res.Interrupted || res.Elapsed != cfg.Duration {
		t.Errorf("a run to its end: interrupted %v, elapsed %v (want %v)", res.Interrupted, res.Elapsed, cfg.Duration)
	}

	cfg.Warmup, cfg.Duration = 3*time.Second, time.Second
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(500*time.Millisecond, cancel)
	if _, err := Run(ctx, cfg); err == nil || !strings.Contains(err.Error(), "warm-up") {
		t.Errorf("stopped in the warm-up: %v, want an error naming it", err)
	}
}
