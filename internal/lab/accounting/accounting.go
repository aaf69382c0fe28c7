// Package accounting turns a run's generator counts and the server's own
// evidence into the bench's figures and checks: each run's reconciliation
// (Reconcile), and a cell's attempts, failures, load shed under overload,
// error ratios and status (Cell). It is pure: no I/O, no clock, so that
// its rules are tested by tables (and by mutation testing,
// scripts/mutation.sh). bench run (internal/lab/benchrun) gathers the
// evidence and calls it.
package accounting

import (
	"fmt"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Cell fills c's accounting from its runs: the counts summed over them
// (Requests, InFlight, Errors), Reconciled (nil when no run was
// reconciled, false when any check of any run failed), Attempts and
// ErrorRatio (runresult.Accounting), Overload and CountedErrorRatio, Status
// and Note. c.Runs must not be empty; c.TargetRate (0: closed loop) and
// c.AchievedRate (the runs' median) must be set. A cell whose counted
// error ratio exceeds errorThreshold has StatusErrors; a rate cell whose
// achieved rate is below saturatedBelow × its target is saturated.
//
// A cell at capacity (closed loop, or saturated) sheds load: its client
// timeouts and the 503s the app counted are reported (Overload, the Note)
// and not counted against the threshold (OverloadErrors). Any other
// failure always counts, and every failure counts in a cell that kept its
// rate.
func Cell(c *report.Cell, errorThreshold, saturatedBelow float64) {
	c.Requests, c.InFlight, c.Errors, c.Reconciled = 0, 0, runresult.Errors{}, nil
	for _, r := range c.Runs {
		c.Requests += r.Requests
		c.InFlight += r.InFlight
		c.Errors.Add(r.Errors)
		if len(r.Checks) > 0 {
			ok := c.Reconciled == nil || *c.Reconciled
			for _, ch := range r.Checks {
				ok = ok && ch.OK
			}
			c.Reconciled = &ok
		}
	}
	c.Attempts = runresult.Attempts(c.Requests, c.InFlight, c.Errors)
	c.ErrorRatio = runresult.ErrorRatio(c.Requests, c.InFlight, c.Errors)
	// A closed loop (target 0) is never saturated: no rate is below 0.
	saturated := c.AchievedRate < saturatedBelow*c.TargetRate
	atCapacity := c.TargetRate == 0 || saturated
	c.Overload, c.CountedErrorRatio = 0, c.ErrorRatio
	attempts := float64(c.Attempts)
	if atCapacity && c.Attempts > 0 {
		c.Overload = OverloadErrors(c.Runs)
		c.CountedErrorRatio = float64(runresult.Failed(c.Requests, c.InFlight, c.Errors)-c.Overload) / attempts
	}
	// (An if chain, not a switch: gremlins counts a switch's case
	// expressions as not covered.)
	var notes []string
	if c.CountedErrorRatio > errorThreshold {
		c.Status = report.StatusErrors
		if saturated {
			notes = append(notes, fmt.Sprintf("also saturated: %.1f of %g req/s", c.AchievedRate, c.TargetRate))
		}
	} else if saturated {
		c.Status = report.StatusSaturated
		notes = append(notes, fmt.Sprintf("the hardware reached %.1f of %g req/s (%.0f%%)", c.AchievedRate, c.TargetRate, 100*c.AchievedRate/c.TargetRate))
	} else if c.TargetRate == 0 {
		c.Status = report.StatusClosedLoop
	} else {
		c.Status = report.StatusOK
	}
	if c.Overload > 0 {
		notes = append(notes, fmt.Sprintf("%.1f%% of attempts shed under overload: timeouts and 503s", 100*float64(c.Overload)/attempts))
	}
	c.Note = strings.Join(notes, "; ")
}

// OverloadErrors is, in a cell at capacity, the failures that are load
// shedding (the one definition; runresult.Accounting defines the failures):
//
//   - the timeouts: requests the generator itself flagged as answered later
//     than its --timeout, or still unanswered past it when the window
//     closed (an in-flight request that had not timed out is no failure in
//     the first place);
//   - the 503s: non-2xx responses the generator counted, as many as the
//     app's own counters show 503s for the same window (the app's answer when
//     a request gets no database slot in time), never more than either.
//
// A late 503 is in both, as it is counted twice among the failures. The sum
// never exceeds a run's failures, so neither the cell's. A 500, any other
// non-2xx, a socket error (and a wrong body, refused before any load)
// always count. Without the app's counters, only the timeouts.
func OverloadErrors(runs []report.Run) int64 {
	var n int64
	for _, r := range runs {
		shed := r.Errors.Timeout
		if r.Server != nil && r.Server.AppRequests != nil {
			shed += min(r.Errors.Status, r.Server.AppRequests["503"])
		}
		n += min(shed, runresult.Failed(r.Requests, r.InFlight, r.Errors))
	}
	return n
}

// Mismatches lists the reconciliation checks that failed in runs, each
// once (in the order first failed), with its first detail: "name (detail);
// ...". "" when none failed.
func Mismatches(runs []report.Run) string {
	var out []string
	seen := map[string]bool{}
	for _, r := range runs {
		for _, c := range r.Checks {
			if !c.OK && !seen[c.Name] {
				seen[c.Name] = true
				out = append(out, c.Name+" ("+c.Detail+")")
			}
		}
	}
	return strings.Join(out, "; ")
}
