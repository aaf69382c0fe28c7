package accounting

import (
	"math"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// run is one run's counts; app, when not nil, is the app's responses by
// code in its window.
func run(responses, inFlight int64, e runresult.Errors, app map[string]int64) report.Run {
	r := report.Run{Requests: responses, InFlight: inFlight, Errors: e}
	if app != nil {
		r.Server = &report.Server{AppRequests: app}
	}
	return r
}

// A cell's figures from its runs, each computed here by hand: attempts
// (responses + socket errors + in flight), the error ratio (failures ÷
// attempts), what a cell at capacity sheds (timeouts, and 503s up to both
// the generator's non-2xx and the app's 503s), the ratio counted against
// the threshold (1%), the status (saturated below 0.5 of the target) and
// the note.
func TestCell(t *testing.T) {
	type want struct {
		attempts, overload int64
		ratio, counted     float64
		status, note       string
	}
	for _, tc := range []struct {
		name             string
		target, achieved float64
		runs             []report.Run
		want             want
	}{
		{"kept its rate, clean", 10, 10, []report.Run{run(100, 0, runresult.Errors{}, nil)},
			want{100, 0, 0, 0, report.StatusOK, ""}},
		{"kept its rate, 1% failed: at the threshold", 10, 10, []report.Run{run(100, 0, runresult.Errors{Status: 1}, nil)},
			want{100, 0, 0.01, 0.01, report.StatusOK, ""}},
		{"kept its rate, 2% failed", 10, 10, []report.Run{run(100, 0, runresult.Errors{Status: 2}, nil)},
			want{100, 0, 0.02, 0.02, report.StatusErrors, ""}},
		// A cell that kept its rate excuses nothing, timeouts included.
		{"kept its rate, timeouts", 10, 10, []report.Run{run(100, 0, runresult.Errors{Timeout: 5}, map[string]int64{"200": 100})},
			want{100, 0, 0.05, 0.05, report.StatusErrors, ""}},
		// 30 non-2xx the generator saw, the app answered 30 503s; 10
		// timeouts among the 20 in flight at the end: 120 attempts, 40
		// failed, all 40 shed.
		{"closed loop shedding 503s and timeouts", 0, 70, []report.Run{run(100, 20, runresult.Errors{Status: 30, Timeout: 10}, map[string]int64{"200": 70, "503": 30})},
			want{120, 40, 40.0 / 120, 0, report.StatusClosedLoop, "33.3% of attempts shed under overload: timeouts and 503s"}},
		// The app answered 500s: not shedding, whatever the generator saw.
		{"closed loop of 500s", 0, 70, []report.Run{run(100, 0, runresult.Errors{Status: 30}, map[string]int64{"200": 70, "500": 30})},
			want{100, 0, 0.3, 0.3, report.StatusErrors, ""}},
		// More 503s in the app's window than non-2xx the generator counted
		// (the tail of a run it gave up on): only the generator's 5 are
		// excused; the 2 read errors count: 2 of 102.
		{"503s capped at the generator's", 0, 95, []report.Run{run(100, 0, runresult.Errors{Status: 5, Read: 2}, map[string]int64{"200": 95, "503": 40})},
			want{102, 5, 7.0 / 102, 2.0 / 102, report.StatusErrors, "4.9% of attempts shed under overload: timeouts and 503s"}},
		// A late 503 is a timeout and a non-2xx: counted once among the
		// failures (capped at the attempts), shed once.
		{"late 503s", 0, 10, []report.Run{run(10, 0, runresult.Errors{Status: 10, Timeout: 10}, map[string]int64{"503": 10})},
			want{10, 10, 1, 0, report.StatusClosedLoop, "100.0% of attempts shed under overload: timeouts and 503s"}},
		// Without the app's counters (the original) only timeouts are shed.
		{"no app counters", 0, 50, []report.Run{run(100, 0, runresult.Errors{Status: 5, Timeout: 3}, nil)},
			want{100, 3, 0.08, 0.05, report.StatusErrors, "3.0% of attempts shed under overload: timeouts and 503s"}},
		{"closed loop, nothing sent", 0, 0, []report.Run{run(0, 0, runresult.Errors{}, nil)},
			want{0, 0, 0, 0, report.StatusClosedLoop, ""}},
		// Saturated: below 0.5 of its target (50 of 100 is not).
		{"at half its rate", 100, 50, []report.Run{run(150, 0, runresult.Errors{}, nil)},
			want{150, 0, 0, 0, report.StatusOK, ""}},
		{"saturated", 100, 40, []report.Run{run(120, 0, runresult.Errors{}, nil)},
			want{120, 0, 0, 0, report.StatusSaturated, "the hardware reached 40.0 of 100 req/s (40%)"}},
		{"saturated, shedding", 100, 40, []report.Run{run(100, 0, runresult.Errors{Timeout: 10}, nil)},
			want{100, 10, 0.1, 0, report.StatusSaturated, "the hardware reached 40.0 of 100 req/s (40%); 10.0% of attempts shed under overload: timeouts and 503s"}},
		{"saturated, failing", 100, 40, []report.Run{run(100, 0, runresult.Errors{Status: 30}, map[string]int64{"200": 70, "500": 30})},
			want{100, 0, 0.3, 0.3, report.StatusErrors, "also saturated: 40.0 of 100 req/s"}},
		// Over repeats the counts add up; each run's shedding is capped by
		// its own failures (run 2: 6 late 503s, 12 shed of 6 failures).
		{"two runs", 0, 90, []report.Run{
			run(100, 0, runresult.Errors{Status: 5, Timeout: 1}, map[string]int64{"200": 95, "503": 5}),
			run(6, 0, runresult.Errors{Status: 6, Timeout: 6}, map[string]int64{"503": 6})},
			want{106, 6 + 6, 18.0 / 106, 6.0 / 106, report.StatusErrors, "11.3% of attempts shed under overload: timeouts and 503s"}},
	} {
		c := report.Cell{TargetRate: tc.target, AchievedRate: tc.achieved, Runs: tc.runs}
		Cell(&c, 0.01, 0.5)
		got := want{c.Attempts, c.Overload, c.ErrorRatio, c.CountedErrorRatio, c.Status, c.Note}
		if got != tc.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, got, tc.want)
		}
	}
}

// The cell's counts are its runs' sums; it is reconciled when every check
// of every run passed, not when one failed anywhere, and unknown (nil)
// when no run was reconciled.
func TestCellCountsAndReconciled(t *testing.T) {
	ok, bad := report.Check{Name: "a", OK: true}, report.Check{Name: "b"}
	r1 := run(100, 3, runresult.Errors{Connect: 1, Read: 2, Write: 3, Timeout: 4, Status: 5}, nil)
	r2 := run(50, 1, runresult.Errors{Connect: 10, Timeout: 1}, nil)
	for _, tc := range []struct {
		name   string
		checks [2][]report.Check
		want   string // "nil", "true", "false"
	}{
		{"no checks", [2][]report.Check{nil, nil}, "nil"},
		{"all pass", [2][]report.Check{{ok}, {ok, ok}}, "true"},
		{"the first run failed", [2][]report.Check{{ok, bad}, {ok}}, "false"},
		{"the last run failed", [2][]report.Check{{ok}, {bad, ok}}, "false"},
		{"one run reconciled", [2][]report.Check{nil, {ok}}, "true"},
	} {
		a, b := r1, r2
		a.Checks, b.Checks = tc.checks[0], tc.checks[1]
		c := report.Cell{TargetRate: 10, AchievedRate: 10, Runs: []report.Run{a, b}}
		Cell(&c, 0.01, 0.9)
		got := "nil"
		if c.Reconciled != nil {
			got = map[bool]string{true: "true", false: "false"}[*c.Reconciled]
		}
		if got != tc.want {
			t.Errorf("%s: reconciled %s, want %s", tc.name, got, tc.want)
		}
		if c.Requests != 150 || c.InFlight != 4 || c.Errors != (runresult.Errors{Connect: 11, Read: 2, Write: 3, Timeout: 5, Status: 5}) || c.Attempts != 150+16+4 {
			t.Errorf("%s: requests %d, in flight %d, errors %+v, attempts %d", tc.name, c.Requests, c.InFlight, c.Errors, c.Attempts)
		}
	}
	// Accounting a cell twice gives the same figures (nothing is added to
	// what was there).
	c := report.Cell{TargetRate: 0, AchievedRate: 10, Runs: []report.Run{r1}}
	Cell(&c, 0.01, 0.9)
	first := c
	Cell(&c, 0.01, 0.9)
	if c.Requests != first.Requests || c.Attempts != first.Attempts || c.Errors != first.Errors || c.Overload != first.Overload ||
		math.Abs(c.CountedErrorRatio-first.CountedErrorRatio) != 0 {
		t.Errorf("twice: %+v, once: %+v", c, first)
	}
}

// Each failed check once, in the order first failed, with its first detail.
func TestMismatches(t *testing.T) {
	runs := []report.Run{
		{Checks: []report.Check{{Name: "a", OK: true, Detail: "fine"}, {Name: "b", Detail: "b in run 1"}}},
		{Checks: []report.Check{{Name: "c", Detail: "c in run 2"}, {Name: "b", Detail: "b in run 2"}, {Name: "a", OK: true}}},
	}
	if got := Mismatches(runs); got != "b (b in run 1); c (c in run 2)" {
		t.Errorf("mismatches %q", got)
	}
	if got := Mismatches(runs[:0]); got != "" {
		t.Errorf("no runs: %q", got)
	}
}
