package sweep

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Step is one constant-rate step. A StepFunc fills the measured figures;
// Run fills the rest (index, phase, error ratio, verdict, wall time).
type Step struct {
	Index int    `json:"index"` // 1-based, in the order run
	Phase string `json:"phase"` // "climb" or "refine"

	// Measured by the StepFunc.
	Offered   float64     `json:"offered_rate"`  // req/s asked of the generator
	Achieved  float64     `json:"achieved_rate"` // responses in the window ÷ its duration
	P50       float64     `json:"p50_ms"`        // corrected latency percentiles, ms
	P90       float64     `json:"p90_ms"`
	P99       float64     `json:"p99_ms"`
	P999      float64     `json:"p99_9_ms"`
	Responses int64       `json:"responses"`
	Attempts  int64       `json:"attempts"` // see Account
	Failed    int64       `json:"failed"`   // see Account
	InFlight  int64       `json:"in_flight_at_end"`
	Errors    ErrorCounts `json:"errors"`
	DurationS float64     `json:"duration_s"` // the measured window

	// Filled by Run.
	ErrorRatio float64 `json:"error_ratio"` // Failed ÷ Attempts (0 without attempts)
	Pass       bool    `json:"pass"`
	Failure    string  `json:"failure,omitempty"` // why it failed, e.g. "p99 153 ms > 100 ms"
	WallS      float64 `json:"wall_s"`            // the StepFunc's wall time, isolation and set-up included
	// Limit, set by the StepFunc, says the generator or the machine (not
	// the target) set the step's figures, and why; "" when neither did (or
	// it is unknown). A failing step so limited never makes a knee.
	Limit string `json:"limit,omitempty"`
}

func (s Step) errorRatio() float64 {
	if s.Attempts <= 0 {
		return 0
	}
	return float64(s.Failed) / float64(s.Attempts)
}

// ErrorCounts by class, as the generator counts them. Connect, Read and
// Write are outcomes (requests that got no response); Timeout and Status
// (non-2xx/3xx responses) are flags on requests counted elsewhere.
type ErrorCounts struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Timeout int64 `json:"timeout"`
	Status  int64 `json:"status"`
}

// Account is the lab's accounting (internal/report's Accounting, restated
// here so that this package stands alone): attempts are the responses, the
// socket (connect, read, write) errors and the requests in flight at the
// end; failed are the socket errors, the non-2xx/3xx responses and the
// timeouts, at most the attempts.
func Account(responses, inFlight int64, e ErrorCounts) (attempts, failed int64) {
	socket := e.Connect + e.Read + e.Write
	attempts = responses + socket + inFlight
	return attempts, min(attempts, socket+e.Status+e.Timeout)
}

// StepFunc runs one constant-rate step at rate req/s and returns its
// measured figures. An error ends the sweep (it is not a failed step: a
// step that ran and missed the objective returns no error).
type StepFunc func(ctx context.Context, rate float64) (Step, error)

// Outcome of a sweep; see the package documentation.
type Outcome string

const (
	OutcomeKnee       Outcome = "knee"
	OutcomeLowerBound Outcome = "lower_bound"
	OutcomeBelowStart Outcome = "below_start"
	OutcomeNone       Outcome = "none"
)

// Reasons a sweep reports a lower bound.
const (
	ReasonBudget      = "budget"
	ReasonMaxRate     = "max rate reached"
	ReasonInterrupted = "interrupted"
	// ReasonNotTarget: the lowest failing step was limited by the generator
	// or the machine (Step.Limit), so its failure is not the target's.
	ReasonNotTarget = "not the target's limit"
)

// Result of a sweep of one endpoint on one target.
type Result struct {
	Objective Objective `json:"objective"`
	Plan      Plan      `json:"plan"`
	Steps     []Step    `json:"steps"` // in the order run
	Outcome   Outcome   `json:"outcome"`
	// Knee is set only for OutcomeKnee.
	Knee *Knee `json:"knee,omitempty"`
	// LowerBound is the highest passing rate when the sweep was cut short
	// or reached Plan.Max (OutcomeLowerBound): the capacity is at least this.
	LowerBound float64 `json:"lower_bound_rate,omitempty"`
	// UpperBound is the lowest failing rate when no knee was found but a
	// step failed: the start rate for OutcomeBelowStart, the bracket's top
	// for a refinement cut short.
	UpperBound float64 `json:"upper_bound_rate,omitempty"`
	// Reason for OutcomeLowerBound and OutcomeNone.
	Reason string `json:"reason,omitempty"`
	// Skipped is what the sweep did not run because it was cut short.
	Skipped  *Skipped `json:"skipped,omitempty"`
	ElapsedS float64  `json:"elapsed_s"`
}

// Knee is the highest offered rate that met the objective, with the steps
// either side of it: Below is the passing step at Rate, Above the lowest
// failing step, within Plan.Resolution of it.
type Knee struct {
	Rate  float64 `json:"rate"`
	Below Step    `json:"below"`
	Above Step    `json:"above"`
}

// Skipped is the rest of the search a sweep cut short did not run.
type Skipped struct {
	Phase string `json:"phase"` // "climb" or "refine"
	// Rates are the next planned rates: the climb's (up to Plan.Max, at
	// most 8 listed), or the refinement's next step.
	Rates []float64 `json:"rates"`
	// From and To bracket a skipped refinement (last pass, first fail).
	From float64 `json:"from_rate,omitempty"`
	To   float64 `json:"to_rate,omitempty"`
	Text string  `json:"text"` // e.g. "the refinement between 300 and 400 req/s (next 350 req/s)"
}

const (
	phaseClimb  = "climb"
	phaseRefine = "refine"
)

// Run sweeps: see the package documentation for the search and the budget.
// It validates plan and objective first. On a StepFunc error or when ctx
// is canceled it returns the result so far (cut short, Reason "interrupted"
// for ctx) with the error. A ctx that reaches its deadline is a budget (a
// caller's time limit over many sweeps): the sweep is cut short with Reason
// "budget" and no error, also when the deadline ends a step in its middle
// (that step is not reported; it is among the skipped).
func Run(ctx context.Context, plan Plan, objective Objective, step StepFunc) (*Result, error) {
	return run(ctx, plan, objective, step, time.Now)
}

func run(ctx context.Context, plan Plan, obj Objective, step StepFunc, now func() time.Time) (*Result, error) {
	if err := obj.Validate(); err != nil {
		return nil, err
	}
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	if step == nil {
		return nil, errors.New("sweep: no step function")
	}
	s := &search{plan: plan, obj: obj, step: step, now: now, start: now()}
	s.deadline = s.start.Add(plan.Budget)
	if d, ok := ctx.Deadline(); ok && d.Before(s.deadline) {
		s.deadline, s.ctxDeadline = d, true
	}
	s.res = &Result{Objective: obj, Plan: plan, Steps: []Step{}}
	err := s.run(ctx)
	s.res.ElapsedS = now().Sub(s.start).Seconds()
	return s.res, err
}

type search struct {
	plan     Plan
	obj      Objective
	step     StepFunc
	now      func() time.Time
	start    time.Time
	deadline time.Time
	// ctxDeadline: the deadline is the context's, sooner than the budget's.
	ctxDeadline bool
	overhead    time.Duration // the largest wall time beyond plan.Step so far
	res         *Result

	pass, fail *Step // last pass, first fail
}

// errCut is returned by tryStep when the step did not fit.
var errCut = errors.New("cut short")

func (s *search) run(ctx context.Context) error {
	// Climb.
	rate := s.plan.Start
	for {
		err := s.tryStep(ctx, rate, phaseClimb)
		if err == errCut {
			s.cut(ctx, phaseClimb, s.climbRates(rate), 0, 0)
			return interruption(ctx)
		}
		if err != nil {
			s.cut(ctx, phaseClimb, s.climbRates(rate), 0, 0)
			return err
		}
		if s.fail != nil {
			break
		}
		next := s.nextClimb(rate)
		if next == 0 {
			s.res.Outcome, s.res.LowerBound, s.res.Reason = OutcomeLowerBound, s.pass.Offered, ReasonMaxRate
			return nil
		}
		rate = next
	}
	if s.pass == nil {
		s.res.Outcome, s.res.UpperBound = OutcomeBelowStart, s.fail.Offered
		return nil
	}
	// Refine.
	for (s.fail.Offered-s.pass.Offered)/s.pass.Offered > s.plan.Resolution {
		mid := (s.pass.Offered + s.fail.Offered) / 2
		from, to := s.pass.Offered, s.fail.Offered
		err := s.tryStep(ctx, mid, phaseRefine)
		if err == errCut {
			s.cut(ctx, phaseRefine, []float64{mid}, from, to)
			return interruption(ctx)
		}
		if err != nil {
			s.cut(ctx, phaseRefine, []float64{mid}, from, to)
			return err
		}
	}
	if s.fail.Limit != "" {
		// The generator or the machine failed the step, not the target:
		// the target sustains at least the passing rate, no more is known.
		s.res.Outcome, s.res.LowerBound, s.res.UpperBound, s.res.Reason = OutcomeLowerBound, s.pass.Offered, s.fail.Offered, ReasonNotTarget
		return nil
	}
	s.res.Outcome = OutcomeKnee
	s.res.Knee = &Knee{Rate: s.pass.Offered, Below: *s.pass, Above: *s.fail}
	return nil
}

// nextClimb is the climb's next rate after rate, or 0 when Plan.Max was
// reached.
func (s *search) nextClimb(rate float64) float64 {
	next := rate * s.plan.Growth
	if s.plan.Max > 0 && next > s.plan.Max {
		if rate >= s.plan.Max {
			return 0
		}
		next = s.plan.Max
	}
	return next
}

// climbRates lists the climb's rates from rate on (at most 8).
func (s *search) climbRates(rate float64) []float64 {
	var rates []float64
	for r := rate; r != 0 && len(rates) < 8; r = s.nextClimb(r) {
		rates = append(rates, r)
	}
	return rates
}

// tryStep runs a step at rate if it fits in the budget (errCut if not,
// or when ctx ended) and files it as the last pass or first fail.
func (s *search) tryStep(ctx context.Context, rate float64, phase string) error {
	if ctx.Err() != nil {
		return errCut
	}
	need := s.plan.Step + s.overhead
	t0 := s.now()
	// The first step always runs within the plan's own budget (Validate
	// saw it fit); only a closer deadline of ctx can skip it.
	first := len(s.res.Steps) == 0
	if t0.Add(need).After(s.deadline) && (!first || s.ctxDeadline) {
		return errCut
	}
	st, err := s.step(ctx, rate)
	wall := s.now().Sub(t0)
	if err != nil {
		if ctx.Err() != nil {
			return errCut
		}
		return fmt.Errorf("sweep step at %s req/s: %w", RateText(rate), err)
	}
	s.overhead = max(s.overhead, wall-s.plan.Step)
	st.Index, st.Phase, st.WallS = len(s.res.Steps)+1, phase, wall.Seconds()
	if st.Offered == 0 {
		st.Offered = rate
	}
	st.ErrorRatio = st.errorRatio()
	st.Pass, st.Failure = s.obj.Check(st)
	s.res.Steps = append(s.res.Steps, st)
	c := st
	if st.Pass {
		s.pass = &c
	} else {
		s.fail = &c
	}
	return nil
}

// interruption is ctx's error when it was canceled; nil while it runs and
// when it reached its deadline, which is the budget's.
func interruption(ctx context.Context) error {
	if err := ctx.Err(); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// cut records a sweep cut short: a lower bound (never a knee) and what it
// skipped.
func (s *search) cut(ctx context.Context, phase string, rates []float64, from, to float64) {
	s.res.Reason = ReasonBudget
	if interruption(ctx) != nil {
		s.res.Reason = ReasonInterrupted
	}
	switch {
	case s.pass != nil:
		s.res.Outcome, s.res.LowerBound = OutcomeLowerBound, s.pass.Offered
	default:
		s.res.Outcome = OutcomeNone
	}
	if s.fail != nil {
		s.res.UpperBound = s.fail.Offered
	}
	sk := &Skipped{Phase: phase, Rates: rates, From: from, To: to}
	list := make([]string, len(rates))
	for i, r := range rates {
		list[i] = RateText(r)
	}
	if phase == phaseRefine {
		sk.Text = fmt.Sprintf("the refinement between %s and %s req/s (next %s req/s)", RateText(from), RateText(to), strings.Join(list, ", "))
	} else {
		more := ""
		if last := rates[len(rates)-1]; s.nextClimb(last) != 0 {
			more = " and up"
		}
		sk.Text = fmt.Sprintf("the climb from %s req/s (%s%s req/s)", list[0], strings.Join(list, ", "), more)
	}
	s.res.Skipped = sk
}
