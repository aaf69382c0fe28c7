package sweep

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"time"
)

// Plan is how a sweep searches. The flag names are the ones its errors use.
type Plan struct {
	Start      float64 // --sweep-start: the first offered rate, req/s
	Growth     float64 // --sweep-growth: factor between climbing steps, > 1 (2 = doubling)
	Resolution float64 // --sweep-resolution: stop refining when (fail − pass) ÷ pass ≤ this (0.05 = 5%)
	Max        float64 // --sweep-max: the highest rate to offer, req/s; 0 = no cap (the budget bounds it)
	// Step (--sweep-step) is the measured window of every step. Keep it
	// long against the latency: the requests still in flight when a window
	// closes (about rate × mean latency) are not in its achieved rate, so
	// a 4 s step of a target answering in 100 ms on average achieves at
	// most 97.5% of the offered rate.
	Step   time.Duration
	Budget time.Duration // --sweep-budget: the whole sweep's time limit, overheads included
}

// DefaultPlan: from 250 req/s doubling, 5% resolution, 10 s steps, 10 min.
func DefaultPlan() Plan {
	return Plan{Start: 250, Growth: 2, Resolution: 0.05, Max: 64000, Step: 10 * time.Second, Budget: 10 * time.Minute}
}

// QuickPlan is --quick, for CI: a coarse sweep (doubling, refined to 25%)
// of 4 s steps within 55 s, so one endpoint takes under a minute.
func QuickPlan() Plan {
	return Plan{Start: 250, Growth: 2, Resolution: 0.25, Max: 64000, Step: 4 * time.Second, Budget: 55 * time.Second}
}

// Validate refuses a plan that cannot run, in one line naming the flag.
func (p Plan) Validate() error {
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	switch {
	case !finite(p.Start) || p.Start <= 0:
		return fmt.Errorf("--sweep-start must be a positive rate (req/s), got %g", p.Start)
	case p.Start < 1:
		return fmt.Errorf("--sweep-start must be at least 1 request/s, got %g", p.Start)
	case !finite(p.Growth) || p.Growth <= 1:
		return fmt.Errorf("--sweep-growth must be more than 1 (2 doubles the rate every step), got %g", p.Growth)
	case !finite(p.Resolution) || p.Resolution <= 0 || p.Resolution >= 1:
		return fmt.Errorf("--sweep-resolution must be in (0, 1) (0.05 = within 5%%), got %g", p.Resolution)
	case !finite(p.Max) || p.Max < 0:
		return fmt.Errorf("--sweep-max must be a rate (req/s) or 0 for none, got %g", p.Max)
	case p.Max > 0 && p.Max < p.Start:
		return fmt.Errorf("--sweep-max (%g req/s) must be at least --sweep-start (%g req/s)", p.Max, p.Start)
	case p.Step <= 0:
		return fmt.Errorf("--sweep-step must be positive, got %v", p.Step)
	case p.Budget < p.Step:
		return fmt.Errorf("--sweep-budget (%v) must fit at least one step (--sweep-step %v)", p.Budget, p.Step)
	}
	return nil
}

// RegisterFlags adds the --sweep-* flags to fs, with p's current values as
// defaults. --quick is the caller's: it replaces the plan by QuickPlan
// (keeping a --sweep-start the user gave).
func (p *Plan) RegisterFlags(fs *flag.FlagSet) {
	fs.Float64Var(&p.Start, "sweep-start", p.Start, "sweep: the first offered rate (req/s)")
	fs.Float64Var(&p.Growth, "sweep-growth", p.Growth, "sweep: factor between climbing steps (2 doubles the rate)")
	fs.Float64Var(&p.Resolution, "sweep-resolution", p.Resolution, "sweep: refine until the last pass and the first fail are within this fraction (0.05 = 5%)")
	fs.Float64Var(&p.Max, "sweep-max", p.Max, "sweep: the highest rate to offer (req/s, 0 = no cap)")
	fs.DurationVar(&p.Step, "sweep-step", p.Step, "sweep: measured duration of each step")
	fs.DurationVar(&p.Budget, "sweep-budget", p.Budget, "sweep: time limit of the whole sweep; steps that do not fit are skipped and reported")
}

type planJSON struct {
	Start      float64 `json:"start_rate"`
	Growth     float64 `json:"growth"`
	Resolution float64 `json:"resolution"`
	Max        float64 `json:"max_rate"`
	StepS      float64 `json:"step_s"`
	BudgetS    float64 `json:"budget_s"`
}

// MarshalJSON writes durations in seconds (step_s, budget_s).
func (p Plan) MarshalJSON() ([]byte, error) {
	return json.Marshal(planJSON{p.Start, p.Growth, p.Resolution, p.Max, p.Step.Seconds(), p.Budget.Seconds()})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (p *Plan) UnmarshalJSON(b []byte) error {
	var j planJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*p = Plan{Start: j.Start, Growth: j.Growth, Resolution: j.Resolution, Max: j.Max,
		Step: time.Duration(j.StepS * 1e9), Budget: time.Duration(j.BudgetS * 1e9)}
	return nil
}
