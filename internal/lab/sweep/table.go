package sweep

import (
	"fmt"
	"strconv"
)

// Table is the markdown lines of a sweep's report section: a table with a
// row per step (in the order run) and a final line, the Verdict.
func (r *Result) Table() []string {
	lines := []string{
		"| step | phase | offered (req/s) | achieved (req/s) | p50 (ms) | p99 (ms) | p99.9 (ms) | errors | result |",
		"|---:|---|---:|---:|---:|---:|---:|---:|---|",
	}
	for _, s := range r.Steps {
		verdict := "pass"
		if !s.Pass {
			verdict = "**fail**: " + s.Failure
		}
		lines = append(lines, fmt.Sprintf("| %d | %s | %s | %s | %s | %s | %s | %s | %s |",
			s.Index, s.Phase, RateText(s.Offered), RateText(s.Achieved), num3(s.P50), num3(s.P99), num3(s.P999),
			fmt.Sprintf("%d / %d (%s)", s.Failed, s.Attempts, PercentText(s.ErrorRatio)), verdict))
	}
	return append(lines, "", r.Verdict())
}

// Verdict is the sweep's one-line finding, e.g. "sustains 300 req/s at
// p99 ≤ 100 ms, errors ≤ 0.1% (next step 313 req/s failed: p99 153 ms >
// 100 ms)" or "at least 200 req/s at … (cut short by the budget: skipped
// …)".
func (r *Result) Verdict() string {
	obj := r.Objective.String()
	cut := ""
	if r.Skipped != nil {
		by := "the budget"
		if r.Reason == ReasonInterrupted {
			by = "an interruption"
		}
		cut = fmt.Sprintf("cut short by %s: skipped %s", by, r.Skipped.Text)
	}
	switch r.Outcome {
	case OutcomeKnee:
		k := r.Knee
		return fmt.Sprintf("sustains %s req/s at %s (next step %s req/s failed: %s)",
			RateText(k.Rate), obj, RateText(k.Above.Offered), k.Above.Failure)
	case OutcomeBelowStart:
		f := r.Steps[len(r.Steps)-1]
		return fmt.Sprintf("does not meet %s even at the start rate: below %s req/s (the first step failed: %s)",
			obj, RateText(r.UpperBound), f.Failure)
	case OutcomeLowerBound:
		why := cut
		switch {
		case r.Reason == ReasonMaxRate:
			why = "every step passed up to the sweep's max rate"
		case r.Reason == ReasonNotTarget:
			why = fmt.Sprintf("%s req/s failed, limited by %s: a lower bound for the target, not its knee", RateText(r.UpperBound), limitAt(r.Steps, r.UpperBound))
		case r.UpperBound > 0:
			why += fmt.Sprintf("; %s req/s failed", RateText(r.UpperBound))
		}
		return fmt.Sprintf("at least %s req/s at %s (%s)", RateText(r.LowerBound), obj, why)
	default:
		return fmt.Sprintf("not measured (%s)", cut)
	}
}

// limitAt is the Limit of the step run at rate.
func limitAt(steps []Step, rate float64) string {
	for _, st := range steps {
		if st.Offered == rate && st.Limit != "" {
			return st.Limit
		}
	}
	return "the generator or the machine"
}

// num3 is a latency with 3 significant digits, "–" when none.
func num3(v float64) string {
	if v <= 0 {
		return "–"
	}
	return strconv.FormatFloat(round3(v), 'f', -1, 64)
}
