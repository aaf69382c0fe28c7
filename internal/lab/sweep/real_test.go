package sweep

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"
)

// capServer serves at most n requests per second: a token bucket
// (golang.org/x/time/rate) holding capBurst tokens, so below n a request is
// answered at once and beyond n requests queue and their latency grows. The
// bucket refills by the clock, so a slow or loaded machine does not lower
// the capacity (it only delays a wake-up). A request whose client leaves
// while it waits gives its token back, so a step's backlog does not outlive
// it.
type capServer struct {
	lim      *rate.Limiter
	inFlight atomic.Int64
}

const capBurst = 2

func newCapServer(perSec float64) *capServer {
	return &capServer{lim: rate.NewLimiter(rate.Limit(perSec), capBurst)}
}

func (s *capServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	if s.lim.Wait(r.Context()) != nil {
		return // the client left: Wait gave the token back
	}
	w.Write([]byte("ok\n"))
}

// serve starts h on a loopback port for the test's lifetime.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String() + "/"
}

// idleFirst wraps a StepFunc with a wait for the server to have no request
// in flight, as the bench's isolation does with the app's gauge.
func idleFirst(step StepFunc, inFlight func() int64) StepFunc {
	return func(ctx context.Context, rate float64) (Step, error) {
		for deadline := time.Now().Add(5 * time.Second); inFlight() > 0 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		return step(ctx, rate)
	}
}

// The capacity of the knee tests' server, and their plan: from 50 req/s
// climbing ×1.5 to a failure at 112.5 (1.07 × capacity), then bisecting to
// 5%. A step passes up to about capacity/0.97 (the achieved rule; the p99
// stays far below the objective until then), so the search visits 93.75
// (pass), 103.1 (pass, 0.98 × capacity) and then 107.8 (1.03 × capacity,
// either): the knee is 107.8 or 103.1, and at worst, should a stall fail
// the step at 103.1, 98.4. Six steps of 2 s; a low rate, so that the test
// process (server and generator, under the race detector) needs little CPU
// and keeps up on a loaded machine.
const kneeCapacity = 105

// kneeObjective is looser than the default on latency: on a loaded machine
// a stall of the test process (server and generator alike; seen: 200 ms at
// 90 req/s with both cores busy) pushes a p99 past 100 or 200 ms at any
// rate, while this server's knee is the achieved rule's (beyond capacity
// the p99 passes 500 ms within a few steps' worth of backlog, and the
// achieved rate fails first). TestStopsAtTheObjective tests the p99 rule.
var kneeObjective = Objective{P99: 500 * time.Millisecond, ErrorRatio: 0.001}

func kneePlan() Plan {
	return Plan{Start: 50, Growth: 1.5, Resolution: 0.05, Step: 2 * time.Second, Budget: 40 * time.Second}
}

// sweepCapServer sweeps the server once, each step after it has no
// request in flight.
func sweepCapServer(t *testing.T, url string, srv *capServer) *Result {
	t.Helper()
	step := idleFirst(LoadgenStep(url, 32, 1, kneePlan().Step, 2*time.Second), srv.inFlight.Load)
	r, err := Run(context.Background(), kneePlan(), kneeObjective, step)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("sweep in %.1fs:\n%s", r.ElapsedS, strings.Join(r.Table(), "\n"))
	return r
}

// The sweep finds a knee of a server of known capacity, twice: each knee
// at or below what the server lets pass and at or above the first step,
// its bracket refined to the plan's resolution. On a machine that keeps up
// it lies within 10% of the capacity (logged otherwise).
//
// What holds on any machine, however loaded: no step achieves more than
// the server serves in its 2 s (its rate, its burst, and a response per
// connection whose token it took before the window opened), so no step
// offered more than that ÷ MinAchieved passes. A loaded machine can only
// fail steps (a stall at a step's end leaves requests in flight), lowering
// a knee within that band, differently in each sweep.
func TestKneeOfKnownCapacity(t *testing.T) {
	srv := newCapServer(kneeCapacity)
	url := serve(t, srv)
	maxAchieved := kneeCapacity + float64(capBurst+32)/kneePlan().Step.Seconds()
	maxPassing := maxAchieved / MinAchieved
	for i := range 2 {
		r := sweepCapServer(t, url, srv)
		if r.Outcome != OutcomeKnee {
			t.Fatalf("sweep %d: no knee: %s", i+1, r.Verdict())
		}
		for _, st := range r.Steps {
			if st.Achieved > maxAchieved || (st.Pass && st.Offered > maxPassing) {
				t.Errorf("sweep %d: step at %g req/s achieved %g, passed %v: the server serves at most %.1f req/s", i+1, st.Offered, st.Achieved, st.Pass, maxAchieved)
			}
		}
		k := r.Knee
		if k.Rate < kneePlan().Start || k.Rate > maxPassing || !k.Below.Pass || k.Above.Pass || k.Above.Offered <= k.Rate ||
			k.Above.Offered > k.Rate*(1+kneePlan().Resolution)*(1+1e-9) {
			t.Errorf("sweep %d: knee %g req/s (fail above at %g), want between %g and %.1f, bracketed within %g%%",
				i+1, k.Rate, k.Above.Offered, kneePlan().Start, maxPassing, kneePlan().Resolution*100)
		}
		if k.Rate < 0.9*kneeCapacity || k.Rate > 1.1*kneeCapacity {
			t.Logf("sweep %d: knee %g req/s not within 10%% of the capacity %d (a loaded machine failed a step below it)", i+1, k.Rate, kneeCapacity)
		}
		// SWEEP_JSON=path.json keeps a sweep to chart (report's
		// TestSweepChartFromJSON draws it).
		if i == 0 && os.Getenv("SWEEP_JSON") != "" {
			writeJSON(t, os.Getenv("SWEEP_JSON"), r)
		}
	}
}

// A server whose every answer takes 150 ms fails p99 ≤ 100 ms at the first
// step: the sweep says so and goes no further.
func TestStopsAtTheObjective(t *testing.T) {
	var calls atomic.Int64
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		select {
		case <-time.After(150 * time.Millisecond):
		case <-r.Context().Done():
		}
		w.Write([]byte("slow\n"))
	}))
	p := Plan{Start: 50, Growth: 2, Resolution: 0.05, Step: time.Second, Budget: 20 * time.Second}
	steps := 0
	step := LoadgenStep(url, 16, 1, p.Step, 2*time.Second)
	counting := func(ctx context.Context, rate float64) (Step, error) { steps++; return step(ctx, rate) }
	r, err := Run(context.Background(), p, DefaultObjective(), counting)
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + strings.Join(r.Table(), "\n"))
	if steps != 1 || len(r.Steps) != 1 || r.Outcome != OutcomeBelowStart || r.UpperBound != 50 || r.Knee != nil || r.LowerBound != 0 {
		t.Fatalf("%d steps: %+v", steps, r)
	}
	s := r.Steps[0]
	if s.Pass || s.P99 < 150 || !strings.Contains(s.Failure, "p99 ") || !strings.Contains(s.Failure, " > 100 ms") {
		t.Fatalf("step %+v", s)
	}
	if v := r.Verdict(); !strings.HasPrefix(v, "does not meet p99 ≤ 100 ms, errors ≤ 0.1% even at the start rate: below 50 req/s") {
		t.Fatalf("verdict %q", v)
	}
}

// A budget too small for the sweep cuts it short: a lower bound and the
// steps skipped, never a knee.
func TestBudgetCutsShort(t *testing.T) {
	srv := newCapServer(kneeCapacity)
	url := serve(t, srv)
	p := Plan{Start: 50, Growth: 2, Resolution: 0.05, Step: time.Second, Budget: 2500 * time.Millisecond}
	r, err := Run(context.Background(), p, DefaultObjective(), LoadgenStep(url, 16, 1, p.Step, 2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + strings.Join(r.Table(), "\n"))
	if r.Knee != nil || r.Outcome != OutcomeLowerBound || r.Reason != ReasonBudget || r.Skipped == nil || len(r.Steps) == 0 {
		t.Fatalf("%+v", r)
	}
	last := r.Steps[len(r.Steps)-1]
	if r.LowerBound != last.Offered || r.Skipped.Rates[0] != 2*last.Offered || !strings.Contains(r.Verdict(), "(cut short by the budget: skipped the climb from ") {
		t.Fatalf("lower bound %g after %g, skipped %+v, verdict %q", r.LowerBound, last.Offered, r.Skipped, r.Verdict())
	}
	// The only overrun possible is the last step taking longer than the
	// estimate said (it cannot be timed on a loaded machine: allow a step).
	if r.ElapsedS > p.Budget.Seconds()+last.WallS {
		t.Fatalf("took %.1fs with a budget of %v", r.ElapsedS, p.Budget)
	}
}

// A real step's figures add up: the lab's accounting, the percentiles in
// order, the achieved rate near the offered one below capacity.
func TestLoadgenStep(t *testing.T) {
	url := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	s, err := LoadgenStep(url, 4, 1, time.Second, 2*time.Second)(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if s.Offered != 100 || s.Attempts != s.Responses+s.InFlight || s.Failed != 0 || s.Achieved < 50 || s.Achieved > 101 ||
		!(s.P50 > 0 && s.P50 <= s.P90 && s.P90 <= s.P99 && s.P99 <= s.P999) || s.DurationS < 0.99 {
		t.Fatalf("%+v", s)
	}
	s, err = LoadgenStep(url+"?fail=1", 4, 1, time.Second, 2*time.Second)(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	if s.Errors.Status == 0 || s.Failed != s.Errors.Status || s.errorRatio() < 0.9 {
		t.Fatalf("500s: %+v", s)
	}
	if _, err := LoadgenStep("http://127.0.0.1:1/", 1, 1, time.Second, time.Second)(context.Background(), 10); err == nil {
		t.Fatal("no server: no error")
	}
}

func writeJSON(t *testing.T, path string, v any) {
	b, err := jsonIndent(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "wrote", path)
}
