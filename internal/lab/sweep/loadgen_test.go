package sweep

import (
	"context"
	"sync"
	"time"

	"github.com/macrobench/macrobench/internal/loadgen"
)

// LoadgenStep's defaults: the pause between steps, and the warm-up at the
// step's rate before its measured window (connections opening, the target's
// first requests), excluded from its figures.
const (
	DefaultSettle = 250 * time.Millisecond
	DefaultWarmup = 250 * time.Millisecond
)

// Loadgen runs steps with internal/loadgen in this process: open loop at
// the step's rate, latency corrected from the intended send times.
//
// Isolation: loadgen.Run returns once every connection of the step is
// closed, so no request of a step is outstanding on the client side when
// the next begins; the target may still be finishing the ones the window
// closed on, so each step after the first starts Settle after the previous
// one ended. A caller with a better signal (the app's in-flight gauge) wraps
// Step with its own wait.
type Loadgen struct {
	URL         string
	Headers     []string // "Name: value"
	Connections int      // the most a step opens (StepConnections)
	Threads     int
	Duration    time.Duration // the measured window of a step
	Warmup      time.Duration // run before each window, excluded (0 = none)
	Timeout     time.Duration // a request outstanding this long is a timeout (0 = loadgen's 2 s)
	Settle      time.Duration // pause between steps

	mu      sync.Mutex
	lastEnd time.Time
}

// LoadgenStep is a Loadgen's Step with DefaultWarmup before each window and
// DefaultSettle between steps.
func LoadgenStep(url string, conns, threads int, dur, timeout time.Duration) StepFunc {
	l := &Loadgen{URL: url, Connections: conns, Threads: threads, Duration: dur, Timeout: timeout,
		Warmup: DefaultWarmup, Settle: DefaultSettle}
	return l.Step
}

// Step runs one step at rate req/s. It is a StepFunc.
func (l *Loadgen) Step(ctx context.Context, rate float64) (Step, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.lastEnd.IsZero() {
		if wait := time.Until(l.lastEnd.Add(l.Settle)); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return Step{}, ctx.Err()
			case <-t.C:
			}
		}
	}
	conns := StepConnections(l.Connections, rate)
	res, err := loadgen.Run(ctx, loadgen.Config{
		URL: l.URL, Headers: l.Headers, Threads: StepThreads(l.Threads, conns), Connections: conns,
		Duration: l.Duration, Warmup: l.Warmup, Rate: rate, Timeout: l.Timeout,
	})
	l.lastEnd = time.Now()
	if err != nil {
		return Step{}, err
	}
	if res.Interrupted && ctx.Err() != nil {
		return Step{}, ctx.Err()
	}
	return FromLoadgen(rate, res), nil
}

// FromLoadgen is a loadgen result's figures as a Step at rate req/s.
func FromLoadgen(rate float64, r *loadgen.Result) Step {
	e := ErrorCounts{
		Connect: r.Error(loadgen.ErrConnect), Read: r.Error(loadgen.ErrRead), Write: r.Error(loadgen.ErrWrite),
		Timeout: r.Error(loadgen.ErrTimeout), Status: r.Error(loadgen.ErrStatus),
	}
	st := Step{Offered: rate, Responses: r.Requests, InFlight: r.InFlight, Errors: e, DurationS: r.Elapsed.Seconds()}
	st.Attempts, st.Failed = Account(r.Requests, r.InFlight, e)
	if secs := r.Elapsed.Seconds(); secs > 0 {
		st.Achieved = float64(r.Requests) / secs
	}
	if h := r.Corrected; h != nil && h.TotalCount() > 0 {
		at := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 } // µs → ms
		st.P50, st.P90, st.P99, st.P999 = at(50), at(90), at(99), at(99.9)
	}
	return st
}
