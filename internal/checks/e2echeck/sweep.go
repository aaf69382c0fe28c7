package e2echeck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/sweep"
)

// CheckSweepReport checks a results folder of `scripts/bench.sh --sweep
// --quick` run through compose: a sweep of every endpoint verified, each
// with steps that carry the corrected percentiles, an achieved rate and
// attempts, read from the generator's files in the folder, each step begun
// on an idle server; each ends in a knee (with the passing and failing
// steps either side), a lower bound with its reason (and, cut short, the
// steps it skipped) or, below the start rate, the failing step: never
// nothing. summary.md has the section and the chart is written. The
// capacity found is a measurement, returned in the lines for the log.
func CheckSweepReport(dir string) (lines []string, err error) {
	s, bad, err := loadComposeRun(dir)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	if len(s.Cells) > 0 {
		fail("%d matrix cells in a sweep run", len(s.Cells))
	}
	if len(s.Sweeps) == 0 {
		fail("no sweep in summary.json")
	}
	for _, v := range s.Verification {
		if !v.OK {
			fail("verification of %s: %s", v.Endpoint, strings.Join(v.Problems, "; "))
		}
	}
	for _, sw := range s.Sweeps {
		name := sw.Endpoint + " on " + sw.Target
		r := sw.Result
		if r == nil {
			fail("%s: no result", name)
			continue
		}
		lines = append(lines, fmt.Sprintf("%s: %s (%d steps in %.1fs)", name, r.Verdict(), len(r.Steps), r.ElapsedS))
		if len(r.Steps) == 0 {
			fail("%s: no step measured (%s)", name, r.Verdict())
		}
		for _, st := range r.Steps {
			if !(st.P50 > 0 && st.P50 <= st.P90 && st.P90 <= st.P99 && st.P99 <= st.P999) || st.Achieved <= 0 || st.Attempts <= 0 || st.Offered <= 0 {
				fail("%s step %d at %g req/s: percentiles p50 %g p90 %g p99 %g p99.9 %g, achieved %g, %d attempts",
					name, st.Index, st.Offered, st.P50, st.P90, st.P99, st.P999, st.Achieved, st.Attempts)
			}
		}
		runs := 0
		for _, run := range sw.Runs {
			if run.Step == 0 {
				continue
			}
			runs++
			if fi, err := os.Stat(filepath.Join(dir, run.JSONFile)); run.JSONFile == "" || err != nil || fi.Size() == 0 {
				fail("%s step %d: generator JSON %q missing", name, run.Step, run.JSONFile)
			}
			switch w := run.Isolation; {
			case w == nil || w.Skipped:
				fail("%s step %d: no isolation wait recorded", name, run.Step)
			case w.TimedOut:
				fail("%s step %d: isolation wait hit its bound (%gs): %s", name, run.Step, w.BoundS, w.Busy)
			}
		}
		if runs != len(r.Steps) {
			fail("%s: %d generator runs for %d steps", name, runs, len(r.Steps))
		}
		switch r.Outcome {
		case sweep.OutcomeKnee:
			if k := r.Knee; k == nil || !k.Below.Pass || k.Above.Pass || k.Above.Offered <= k.Rate {
				fail("%s: a knee without a passing step at it and a failing one above: %+v", name, r.Knee)
			}
		case sweep.OutcomeLowerBound:
			if r.Knee != nil || r.LowerBound <= 0 || r.Reason == "" || (r.Reason != sweep.ReasonMaxRate && r.Skipped == nil) {
				fail("%s: lower bound %g, reason %q, skipped %v (a knee %v)", name, r.LowerBound, r.Reason, r.Skipped, r.Knee != nil)
			}
		case sweep.OutcomeBelowStart:
			if r.UpperBound <= 0 || len(r.Steps) == 0 || r.Steps[0].Pass {
				fail("%s: below the start rate without a failing first step", name)
			}
		default:
			fail("%s: outcome %q: neither a knee nor a bound", name, r.Outcome)
		}
		if sw.Chart == "" {
			fail("%s: no chart", name)
		} else if fi, err := os.Stat(filepath.Join(dir, sw.Chart)); err != nil || fi.Size() == 0 {
			fail("%s: chart %s not written", name, sw.Chart)
		}
	}
	if md, err := os.ReadFile(filepath.Join(dir, "summary.md")); err != nil || !strings.Contains(string(md), "## Capacity at the objective") {
		fail("summary.md has no \"Capacity at the objective\" section (%v)", err)
	}
	if len(bad) > 0 {
		return lines, fmt.Errorf("sweep report %s:\n  %s", dir, strings.Join(bad, "\n  "))
	}
	return lines, nil
}
