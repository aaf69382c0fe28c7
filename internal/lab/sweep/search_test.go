package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"math"
	"strings"
	"testing"
	"time"
)

// model is a fake target of capacity n req/s: below it latency is flat,
// above it the target achieves n and its p99 grows with the excess. The
// model's break (the highest rate that passes the default objective) is
// n/0.97 by the achieved rule or where the p99 reaches 100 ms, whichever
// is lower: here the achieved rule, at n/0.97.
type model struct {
	n        float64
	clock    *fakeClock
	overhead time.Duration // wall time beyond the plan's step
	dur      time.Duration
	rates    []float64
}

func (m *model) step(_ context.Context, rate float64) (Step, error) {
	m.rates = append(m.rates, rate)
	m.clock.advance(m.dur + m.overhead)
	achieved := math.Min(rate, m.n)
	p99 := 2.0
	if rate > m.n {
		p99 += 1000 * (rate/m.n - 1)
	}
	attempts := int64(rate * m.dur.Seconds())
	return Step{Offered: rate, Achieved: achieved, P50: 1, P90: 1.5, P99: p99, P999: p99 * 2,
		Responses: attempts, Attempts: attempts, DurationS: m.dur.Seconds()}, nil
}

// breaks is the model's true break: rates above it fail.
func (m *model) breaks() float64 { return m.n / MinAchieved }

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newModel(n float64, dur time.Duration) *model {
	return &model{n: n, clock: &fakeClock{t: time.Unix(1e9, 0)}, overhead: 300 * time.Millisecond, dur: dur}
}

func plan(start, growth, res float64) Plan {
	return Plan{Start: start, Growth: growth, Resolution: res, Step: 2 * time.Second, Budget: time.Hour}
}

// checkKnee verifies a knee result against the model: the true break lies
// between the knee and the step above it, within the resolution, and the
// steps are a climb then a bisection.
func checkKnee(t *testing.T, m *model, p Plan, r *Result) {
	t.Helper()
	if r.Outcome != OutcomeKnee || r.Knee == nil {
		t.Fatalf("N=%g %+v: outcome %s, want a knee; steps %v", m.n, p, r.Outcome, m.rates)
	}
	k := r.Knee
	if !(k.Rate <= m.breaks() && m.breaks() < k.Above.Offered) {
		t.Fatalf("N=%g %+v: knee %g, above %g; the break %g is not between", m.n, p, k.Rate, k.Above.Offered, m.breaks())
	}
	if (k.Above.Offered-k.Rate)/k.Rate > p.Resolution+1e-12 {
		t.Fatalf("N=%g: knee %g, above %g: wider than the resolution %g", m.n, k.Rate, k.Above.Offered, p.Resolution)
	}
	if !k.Below.Pass || k.Above.Pass || k.Below.Offered != k.Rate {
		t.Fatalf("N=%g: below %+v above %+v", m.n, k.Below, k.Above)
	}
	if r.LowerBound != 0 || r.Skipped != nil || r.Reason != "" {
		t.Fatalf("N=%g: a knee with a lower bound, skipped steps or a reason: %+v", m.n, r)
	}
	// The knee is the highest passing step, the step above the lowest failing.
	for _, s := range r.Steps {
		if s.Pass && s.Offered > k.Rate || !s.Pass && s.Offered < k.Above.Offered {
			t.Fatalf("N=%g: step %+v outside the knee's bracket %g..%g", m.n, s, k.Rate, k.Above.Offered)
		}
	}
	// Climb: Start × Growth^i until the first fail; then refine steps, each
	// the middle of the bracket so far.
	i := 0
	for ; i < len(r.Steps) && r.Steps[i].Phase == phaseClimb; i++ {
		want := p.Start * math.Pow(p.Growth, float64(i))
		if math.Abs(r.Steps[i].Offered-want) > 1e-6*want {
			t.Fatalf("N=%g: climb step %d at %g, want %g", m.n, i+1, r.Steps[i].Offered, want)
		}
		if r.Steps[i].Index != i+1 {
			t.Fatalf("step %d has index %d", i+1, r.Steps[i].Index)
		}
	}
	if i == 0 || r.Steps[i-1].Pass {
		t.Fatalf("N=%g: the climb did not end on a failing step: %v", m.n, m.rates)
	}
	lo, hi := r.Steps[i-2].Offered, r.Steps[i-1].Offered
	for ; i < len(r.Steps); i++ {
		s := r.Steps[i]
		if s.Phase != phaseRefine || s.Offered != (lo+hi)/2 {
			t.Fatalf("N=%g: step %d %s at %g, want refine at %g", m.n, i+1, s.Phase, s.Offered, (lo+hi)/2)
		}
		if (hi-lo)/lo <= p.Resolution {
			t.Fatalf("N=%g: refined %g..%g, already within %g", m.n, lo, hi, p.Resolution)
		}
		if s.Pass {
			lo = s.Offered
		} else {
			hi = s.Offered
		}
	}
}

// The search finds the model's break for many capacities and plans.
func TestSearchFindsTheBreak(t *testing.T) {
	count := 0
	for _, start := range []float64{1, 10, 100, 250} {
		for _, growth := range []float64{1.3, 2, 3, 10} {
			for _, res := range []float64{0.01, 0.05, 0.2, 0.5} {
				for n := start * 1.01; n < start*3000; n *= 1.137 {
					m := newModel(n, 2*time.Second)
					p := plan(start, growth, res)
					r, err := run(context.Background(), p, DefaultObjective(), m.step, m.clock.now)
					if err != nil {
						t.Fatal(err)
					}
					checkKnee(t, m, p, r)
					// Bisection: about log2(growth/resolution) refine steps.
					if refine := len(r.Steps) - countPhase(r, phaseClimb); float64(refine) > math.Ceil(math.Log2((growth-1)/res))+1 {
						t.Fatalf("N=%g %+v: %d refine steps", n, p, refine)
					}
					count++
				}
			}
		}
	}
	t.Logf("%d sweeps of the model", count)
}

func countPhase(r *Result, phase string) int {
	n := 0
	for _, s := range r.Steps {
		if s.Phase == phase {
			n++
		}
	}
	return n
}

// A first step that fails ends the sweep: the capacity is below the start.
func TestFirstStepFails(t *testing.T) {
	m := newModel(50, 2*time.Second)
	r, err := run(context.Background(), plan(100, 2, 0.05), DefaultObjective(), m.step, m.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != OutcomeBelowStart || r.UpperBound != 100 || r.Knee != nil || r.LowerBound != 0 || len(r.Steps) != 1 {
		t.Fatalf("%+v", r)
	}
	if v := r.Verdict(); !strings.Contains(v, "below 100 req/s") || !strings.Contains(v, "first step failed") {
		t.Fatalf("verdict %q", v)
	}
}

// Every step passing up to the max rate gives a lower bound, not a knee;
// the max rate itself is tried once.
func TestMaxRateReached(t *testing.T) {
	m := newModel(1e6, 2*time.Second)
	p := plan(100, 2, 0.05)
	p.Max = 1000
	r, err := run(context.Background(), p, DefaultObjective(), m.step, m.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	want := []float64{100, 200, 400, 800, 1000}
	if r.Outcome != OutcomeLowerBound || r.Knee != nil || r.LowerBound != 1000 || r.Reason != ReasonMaxRate || !equal(m.rates, want) {
		t.Fatalf("rates %v, result %+v", m.rates, r)
	}
	if v := r.Verdict(); !strings.HasPrefix(v, "at least 1000 req/s") || !strings.Contains(v, "max rate") {
		t.Fatalf("verdict %q", v)
	}
}

func equal(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// For every budget, the sweep ends within it (the steps cost what the
// estimate says), and either completes (a knee) or reports a lower bound
// and what it skipped — never a knee.
func TestBudget(t *testing.T) {
	full := newModel(1000, 2*time.Second)
	p := plan(100, 2, 0.05)
	ref, err := run(context.Background(), p, DefaultObjective(), full.step, full.clock.now)
	if err != nil || ref.Outcome != OutcomeKnee {
		t.Fatal(err, ref.Outcome)
	}
	per := 2*time.Second + full.overhead
	for budget := p.Step; budget <= per*time.Duration(len(ref.Steps)+1); budget += 100 * time.Millisecond {
		m := newModel(1000, 2*time.Second)
		p.Budget = budget
		r, err := run(context.Background(), p, DefaultObjective(), m.step, m.clock.now)
		if err != nil {
			t.Fatal(err)
		}
		// The first step always runs; every later one only if it fits.
		if len(r.Steps) > 1 && time.Duration(r.ElapsedS*1e9) > budget {
			t.Fatalf("budget %v: %d steps took %.1fs", budget, len(r.Steps), r.ElapsedS)
		}
		fits := max(1, int(budget/per))
		if len(r.Steps) != min(fits, len(ref.Steps)) {
			t.Fatalf("budget %v: %d steps, want %d", budget, len(r.Steps), min(fits, len(ref.Steps)))
		}
		if len(r.Steps) == len(ref.Steps) {
			if r.Outcome != OutcomeKnee || r.Knee.Rate != ref.Knee.Rate {
				t.Fatalf("budget %v fits the whole sweep: %+v", budget, r)
			}
			continue
		}
		if r.Knee != nil || r.Outcome != OutcomeLowerBound || r.Reason != ReasonBudget || r.Skipped == nil {
			t.Fatalf("budget %v: cut short after %d steps: %+v", budget, len(r.Steps), r)
		}
		next := ref.Steps[len(r.Steps)].Offered
		if r.Skipped.Rates[0] != next {
			t.Fatalf("budget %v: skipped %+v, the next step was at %g", budget, r.Skipped, next)
		}
		v := r.Verdict()
		if !strings.HasPrefix(v, "at least ") || !strings.Contains(v, "cut short by the budget: skipped the ") {
			t.Fatalf("verdict %q", v)
		}
		if r.Skipped.Phase == phaseRefine {
			if !strings.Contains(r.Skipped.Text, "the refinement between") || r.UpperBound == 0 || r.Skipped.From != r.LowerBound || r.Skipped.To != r.UpperBound {
				t.Fatalf("budget %v: %+v %+v", budget, r, r.Skipped)
			}
		} else if !strings.Contains(r.Skipped.Text, "the climb from") {
			t.Fatalf("budget %v: skipped %+v", budget, r.Skipped)
		}
	}
}

// The overhead estimate is the worst so far: a step that took much longer
// than planned makes the sweep stop earlier rather than overrun.
func TestBudgetLearnsOverhead(t *testing.T) {
	m := newModel(1000, 2*time.Second)
	m.overhead = 3 * time.Second // each step costs 5 s
	p := plan(100, 2, 0.05)
	p.Budget = 12 * time.Second
	r, err := run(context.Background(), p, DefaultObjective(), m.step, m.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	// 5 s, then 5 s (fits: 5+5 ≤ 12), then 10+5 > 12: two steps.
	if len(r.Steps) != 2 || r.ElapsedS > 12 || r.Outcome != OutcomeLowerBound || r.LowerBound != 200 {
		t.Fatalf("%d steps in %.1fs: %+v", len(r.Steps), r.ElapsedS, r)
	}
	if !equal(r.Skipped.Rates, []float64{400, 800, 1600, 3200, 6400, 12800, 25600, 51200}) || !strings.HasSuffix(r.Skipped.Text, "and up req/s)") {
		t.Fatalf("skipped %+v", r.Skipped)
	}
}

// A context deadline sooner than the budget bounds the sweep the same way
// (a caller sweeping many endpoints in one time limit).
func TestContextDeadline(t *testing.T) {
	m := newModel(1000, 2*time.Second)
	m.clock.t = time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), m.clock.t.Add(5*time.Second))
	defer cancel()
	r, err := run(ctx, plan(100, 2, 0.05), DefaultObjective(), m.step, m.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) != 2 || r.Outcome != OutcomeLowerBound || r.Reason != ReasonBudget {
		t.Fatalf("%+v", r)
	}
	// A deadline that leaves no room for a step: nothing runs.
	ctx2, cancel2 := context.WithDeadline(context.Background(), m.clock.t.Add(time.Second))
	defer cancel2()
	r, err = run(ctx2, plan(100, 2, 0.05), DefaultObjective(), m.step, m.clock.now)
	if err != nil || r.Outcome != OutcomeNone || len(r.Steps) != 0 || r.Skipped == nil || !strings.HasPrefix(r.Verdict(), "not measured (cut short by the budget: skipped the climb from 100 req/s") {
		t.Fatalf("%v %+v %q", err, r, r.Verdict())
	}
}

// A context deadline that passes during a step (a step longer than
// estimated) cuts the sweep short as the budget, not as an interruption:
// the step it ended is skipped, and Run returns no error.
func TestContextDeadlineMidStep(t *testing.T) {
	m := newModel(1000, 2*time.Second)
	m.clock.t = time.Now()
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(200*time.Millisecond))
	defer cancel()
	step := func(ctx context.Context, rate float64) (Step, error) {
		if len(m.rates) == 0 {
			return m.step(ctx, rate) // fits: the fake clock says nothing of the real one
		}
		<-ctx.Done() // the deadline ends this one
		return Step{}, ctx.Err()
	}
	p := plan(100, 2, 0.05)
	p.Step = 10 * time.Millisecond
	r, err := run(ctx, p, DefaultObjective(), step, time.Now)
	if err != nil || r.Outcome != OutcomeLowerBound || r.Reason != ReasonBudget || r.LowerBound != 100 || len(r.Steps) != 1 ||
		r.Skipped == nil || r.Skipped.Rates[0] != 200 {
		t.Fatalf("%v %+v", err, r)
	}
	if v := r.Verdict(); !strings.Contains(v, "cut short by the budget: skipped the climb from 200 req/s") {
		t.Fatalf("verdict %q", v)
	}
}

// Cancelling the context ends the sweep with what it measured, and the
// context's error.
func TestInterrupted(t *testing.T) {
	m := newModel(1000, 2*time.Second)
	ctx, cancel := context.WithCancel(context.Background())
	step := func(ctx context.Context, rate float64) (Step, error) {
		if len(m.rates) == 3 {
			cancel()
			return Step{}, ctx.Err()
		}
		return m.step(ctx, rate)
	}
	r, err := run(ctx, plan(100, 2, 0.05), DefaultObjective(), step, m.clock.now)
	if !errors.Is(err, context.Canceled) || r == nil || r.Outcome != OutcomeLowerBound || r.Reason != ReasonInterrupted || r.LowerBound != 400 || r.Knee != nil {
		t.Fatalf("%v %+v", err, r)
	}
	if v := r.Verdict(); !strings.Contains(v, "cut short by an interruption") {
		t.Fatalf("verdict %q", v)
	}
}

// A step that cannot run (not a failed step) ends the sweep with its error.
func TestStepError(t *testing.T) {
	m := newModel(1000, 2*time.Second)
	step := func(ctx context.Context, rate float64) (Step, error) {
		if rate > 150 {
			return Step{}, errors.New("cannot connect")
		}
		return m.step(ctx, rate)
	}
	r, err := run(context.Background(), plan(100, 2, 0.05), DefaultObjective(), step, m.clock.now)
	if err == nil || !strings.Contains(err.Error(), "step at 200 req/s: cannot connect") || r == nil || len(r.Steps) != 1 || r.Knee != nil {
		t.Fatalf("%v %+v", err, r)
	}
}

// Each condition of the objective fails a step on its own, and says so.
func TestCheck(t *testing.T) {
	o := DefaultObjective()
	ok := Step{Offered: 100, Achieved: 99, P99: 50, Attempts: 10000, Failed: 10}
	if pass, why := o.Check(ok); !pass {
		t.Fatalf("%+v: %s", ok, why)
	}
	for _, c := range []struct {
		change func(*Step)
		why    string
	}{
		{func(s *Step) { s.Achieved = 96.9 }, "achieved 96.9 req/s < 97% of 100"},
		{func(s *Step) { s.P99 = 100.5 }, "p99 101 ms > 100 ms"},
		{func(s *Step) { s.Failed = 11 }, "errors 0.11% > 0.1%"},
		{func(s *Step) { s.Achieved, s.Attempts, s.Failed = 0, 0, 0 }, "achieved 0 req/s"},
	} {
		s := ok
		c.change(&s)
		if pass, why := o.Check(s); pass || !strings.Contains(why, c.why) {
			t.Errorf("%+v: pass %v %q, want %q", s, pass, why, c.why)
		}
	}
	if _, why := o.Check(Step{Offered: 100, Achieved: 50, P99: 200, Attempts: 10, Failed: 5}); strings.Count(why, ";") != 2 {
		t.Errorf("all three conditions: %q", why)
	}
}

func TestAccount(t *testing.T) {
	for _, c := range []struct {
		responses, inFlight int64
		e                   ErrorCounts
		attempts, failed    int64
	}{
		{100, 0, ErrorCounts{}, 100, 0},
		{100, 5, ErrorCounts{}, 105, 0},                              // in flight, not late: not failed
		{100, 5, ErrorCounts{Timeout: 7}, 105, 7},                    // timeouts among responses and in flight
		{100, 0, ErrorCounts{Connect: 1, Read: 2, Write: 3}, 106, 6}, // socket errors are attempts too
		{100, 0, ErrorCounts{Status: 10, Timeout: 10}, 100, 20},      // a late non-2xx counts twice
		{10, 0, ErrorCounts{Status: 10, Timeout: 10}, 10, 10},        // capped at the attempts
		{0, 0, ErrorCounts{}, 0, 0},
	} {
		a, f := Account(c.responses, c.inFlight, c.e)
		if a != c.attempts || f != c.failed {
			t.Errorf("Account(%d, %d, %+v) = %d, %d; want %d, %d", c.responses, c.inFlight, c.e, a, f, c.attempts, c.failed)
		}
	}
}

// Nonsense objectives and plans are refused with one line naming the flag.
func TestRefusesNonsense(t *testing.T) {
	good := plan(100, 2, 0.05)
	for _, c := range []struct {
		obj  Objective
		plan Plan
		want string
	}{
		{Objective{P99: -time.Millisecond, ErrorRatio: 0.001}, good, "--slo-p99 must be positive"},
		{Objective{P99: 0, ErrorRatio: 0.001}, good, "--slo-p99 must be positive"},
		{Objective{P99: time.Second, ErrorRatio: 1}, good, "--slo-errors must be in [0, 1), got 1 (100%)"},
		{Objective{P99: time.Second, ErrorRatio: -0.1}, good, "--slo-errors must be in [0, 1)"},
		{Objective{P99: time.Second, ErrorRatio: math.NaN()}, good, "--slo-errors must be in [0, 1)"},
		{DefaultObjective(), Plan{Start: 0, Growth: 2, Resolution: .05, Step: time.Second, Budget: time.Minute}, "--sweep-start must be a positive rate"},
		{DefaultObjective(), Plan{Start: -5, Growth: 2, Resolution: .05, Step: time.Second, Budget: time.Minute}, "--sweep-start must be a positive rate"},
		{DefaultObjective(), Plan{Start: 100, Growth: 1, Resolution: .05, Step: time.Second, Budget: time.Minute}, "--sweep-growth must be more than 1"},
		{DefaultObjective(), Plan{Start: 100, Growth: 0.5, Resolution: .05, Step: time.Second, Budget: time.Minute}, "--sweep-growth must be more than 1"},
		{DefaultObjective(), Plan{Start: 100, Growth: 2, Resolution: 0, Step: time.Second, Budget: time.Minute}, "--sweep-resolution must be in (0, 1)"},
		{DefaultObjective(), Plan{Start: 100, Growth: 2, Resolution: -1, Step: time.Second, Budget: time.Minute}, "--sweep-resolution must be in (0, 1)"},
		{DefaultObjective(), Plan{Start: 100, Growth: 2, Resolution: .05, Max: 50, Step: time.Second, Budget: time.Minute}, "--sweep-max (50 req/s) must be at least --sweep-start (100 req/s)"},
		{DefaultObjective(), Plan{Start: 100, Growth: 2, Resolution: .05, Step: 0, Budget: time.Minute}, "--sweep-step must be positive"},
		{DefaultObjective(), Plan{Start: 100, Growth: 2, Resolution: .05, Step: 10 * time.Second, Budget: 5 * time.Second}, "--sweep-budget (5s) must fit at least one step (--sweep-step 10s)"},
	} {
		called := false
		step := func(context.Context, float64) (Step, error) { called = true; return Step{}, nil }
		r, err := Run(context.Background(), c.plan, c.obj, step)
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") || r != nil || called {
			t.Errorf("%+v %+v: %v, want %q", c.obj, c.plan, err, c.want)
		}
	}
	if _, err := Run(context.Background(), good, DefaultObjective(), nil); err == nil {
		t.Error("no step function: no error")
	}
}

func TestParseObjective(t *testing.T) {
	for _, c := range []struct {
		p99, errs string
		want      Objective
		err       string
	}{
		{"100ms", "0.1%", DefaultObjective(), ""},
		{"1.5s", "0.001", Objective{P99: 1500 * time.Millisecond, ErrorRatio: 0.001}, ""},
		{" 250ms ", "0%", Objective{P99: 250 * time.Millisecond}, ""},
		{"100", "0.1%", Objective{}, `--slo-p99 "100": want a duration with its unit, like 100ms`},
		{"-100ms", "0.1%", Objective{}, "--slo-p99 must be positive, got -100ms"},
		{"0s", "0.1%", Objective{}, "--slo-p99 must be positive"},
		{"100ms", "100%", Objective{}, "--slo-errors must be in [0, 1), got 1 (100%)"},
		{"100ms", "1", Objective{}, "--slo-errors must be in [0, 1)"},
		{"100ms", "-0.1%", Objective{}, "--slo-errors must be in [0, 1)"},
		{"100ms", "lots", Objective{}, `--slo-errors "lots": want a percentage like 0.1% or a ratio like 0.001`},
		{"100ms", "NaN", Objective{}, `--slo-errors "NaN"`},
	} {
		o, err := ParseObjective(c.p99, c.errs)
		if c.err != "" {
			if err == nil || !strings.HasPrefix(err.Error(), c.err) {
				t.Errorf("%q %q: %v, want %q", c.p99, c.errs, err, c.err)
			}
			continue
		}
		if err != nil || o.P99 != c.want.P99 || math.Abs(o.ErrorRatio-c.want.ErrorRatio) > 1e-15 {
			t.Errorf("%q %q: %+v %v, want %+v", c.p99, c.errs, o, err, c.want)
		}
	}
	if s := DefaultObjective().String(); s != "p99 ≤ 100 ms, errors ≤ 0.1%" {
		t.Errorf("String %q", s)
	}
}

// The flags parse into the objective and the plan; a bad value is an error.
func TestFlags(t *testing.T) {
	o, p := DefaultObjective(), DefaultPlan()
	fs := newFlagSet()
	o.RegisterFlags(fs)
	p.RegisterFlags(fs)
	err := fs.Parse([]string{"--slo-p99", "250ms", "--slo-errors", "1%", "--sweep-start", "50", "--sweep-growth", "1.5",
		"--sweep-resolution", "0.1", "--sweep-max", "5000", "--sweep-step", "5s", "--sweep-budget", "2m"})
	want := Plan{Start: 50, Growth: 1.5, Resolution: 0.1, Max: 5000, Step: 5 * time.Second, Budget: 2 * time.Minute}
	if err != nil || o != (Objective{P99: 250 * time.Millisecond, ErrorRatio: 0.01}) || p != want {
		t.Fatalf("%v %+v %+v", err, o, p)
	}
	for _, bad := range [][]string{{"--slo-p99", "-1s"}, {"--slo-errors", "2"}} {
		fs := newFlagSet()
		o.RegisterFlags(fs)
		if err := fs.Parse(bad); err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%v: %v", bad, err)
		}
	}
	if err := QuickPlan().Validate(); err != nil {
		t.Error(err)
	}
	if err := DefaultPlan().Validate(); err != nil {
		t.Error(err)
	}
}

// The result is JSON with snake_case keys, and reads back.
func TestResultJSON(t *testing.T) {
	m := newModel(300, 2*time.Second)
	r, err := run(context.Background(), plan(100, 2, 0.05), DefaultObjective(), m.step, m.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"objective":{"p99_ms":100,"error_ratio":0.001,"text":"p99 ≤ 100 ms, errors ≤ 0.1%"}`,
		`"plan":{"start_rate":100,"growth":2,"resolution":0.05,"max_rate":0,"step_s":2,"budget_s":3600}`,
		`"outcome":"knee"`, `"knee":{"rate":`, `"below":{"index":`, `"above":{"index":`, `"offered_rate":`, `"achieved_rate":`,
		`"p50_ms":`, `"p90_ms":`, `"p99_ms":`, `"p99_9_ms":`, `"attempts":`, `"failed":`, `"in_flight_at_end":`,
		`"error_ratio":`, `"pass":`, `"failure":`, `"wall_s":`, `"duration_s":`, `"elapsed_s":`, `"errors":{"connect":0`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("no %s in %s", key, b)
		}
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Objective != r.Objective || back.Plan != r.Plan || back.Knee.Rate != r.Knee.Rate || len(back.Steps) != len(r.Steps) {
		t.Fatalf("round trip: %+v", back)
	}
}

func TestTable(t *testing.T) {
	m := newModel(300, 2*time.Second)
	r, err := run(context.Background(), plan(100, 2, 0.05), DefaultObjective(), m.step, m.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	lines := r.Table()
	if len(lines) != 2+len(r.Steps)+2 || !strings.HasPrefix(lines[0], "| step | phase | offered (req/s) | achieved") {
		t.Fatalf("%q", lines)
	}
	for i, s := range r.Steps {
		row := lines[2+i]
		if strings.Count(row, "|") != 10 || s.Pass != strings.HasSuffix(row, "| pass |") {
			t.Errorf("row %q for %+v", row, s)
		}
	}
	last := lines[len(lines)-1]
	want := "sustains " + RateText(r.Knee.Rate) + " req/s at p99 ≤ 100 ms, errors ≤ 0.1% (next step " + RateText(r.Knee.Above.Offered) + " req/s failed: achieved 300 req/s < 97% of"
	if !strings.HasPrefix(last, want) {
		t.Fatalf("verdict %q, want %q…", last, want)
	}
	t.Log("\n" + strings.Join(lines, "\n"))
}

func newFlagSet() *flag.FlagSet {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func jsonIndent(v any) ([]byte, error) { return json.MarshalIndent(v, "", "  ") }

// A failing step that the generator or the machine limited (Step.Limit)
// never makes a knee: the sweep reports a lower bound for the target, the
// failing rate and its limit beside it.
func TestLimitedFailureIsALowerBound(t *testing.T) {
	m := newModel(1000, 2*time.Second)
	limited := func(ctx context.Context, rate float64) (Step, error) {
		st, err := m.step(ctx, rate)
		if rate > m.breaks() { // every failing step: the machine was busy
			st.Limit = "machine-saturated: idle 1%"
		}
		return st, err
	}
	r, err := run(context.Background(), plan(100, 2, 0.05), DefaultObjective(), limited, m.clock.now)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != OutcomeLowerBound || r.Reason != ReasonNotTarget || r.Knee != nil || r.LowerBound <= 0 || r.LowerBound > m.breaks() || r.UpperBound <= r.LowerBound {
		t.Fatalf("%+v", r)
	}
	if v := r.Verdict(); !strings.Contains(v, "at least") || !strings.Contains(v, "machine-saturated: idle 1%") || !strings.Contains(v, "not its knee") {
		t.Fatalf("verdict %q", v)
	}
	// The same target, failing steps not limited: a knee.
	m = newModel(1000, 2*time.Second)
	if r, err := run(context.Background(), plan(100, 2, 0.05), DefaultObjective(), m.step, m.clock.now); err != nil || r.Outcome != OutcomeKnee {
		t.Fatalf("unlimited: %+v %v", r, err)
	}
}
