package loadgen

import (
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
