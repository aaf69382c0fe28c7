package e2echeck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/lab/sweep"
)

// goodSweepReport writes a sweep results folder that passes, for the tests
// to break.
func goodSweepReport(t *testing.T, edit func(*report.Summary)) string {
	dir := t.TempDir()
	step := func(i int, rate float64, pass bool) sweep.Step {
		return sweep.Step{Index: i, Phase: "climb", Offered: rate, Achieved: rate * 0.99, P50: 1, P90: 2, P99: 5, P999: 9,
			Responses: 100, Attempts: 100, Pass: pass}
	}
	s1, s2 := step(1, 250, true), step(2, 500, false)
	r := &sweep.Result{Objective: sweep.DefaultObjective(), Plan: sweep.QuickPlan(), Steps: []sweep.Step{s1, s2},
		Outcome: sweep.OutcomeKnee, Knee: &sweep.Knee{Rate: 250, Below: s1, Above: s2}}
	sw := report.Sweep{Endpoint: "/index", Target: "app", Result: r, Chart: "sweep-index.png"}
	for _, st := range r.Steps {
		f := filepath.Join("sweep", fmt.Sprintf("index-%g.json", st.Offered))
		sw.Runs = append(sw.Runs, report.SweepRun{Step: st.Index, Offered: st.Offered, JSONFile: f, Isolation: &report.Wait{WaitedS: 0.4, BoundS: 30}})
	}
	s := &report.Summary{Schema: report.SchemaVersion, Executor: "compose", Quick: true,
		Verification: []report.Verification{{Endpoint: "/index", OK: true}}, Sweeps: []report.Sweep{sw}}
	if err := os.MkdirAll(filepath.Join(dir, "sweep"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, run := range sw.Runs {
		if err := os.WriteFile(filepath.Join(dir, run.JSONFile), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for f, b := range map[string]string{"sweep-index.png": "png", "summary.md": "# x\n\n## Capacity at the objective\n"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if edit != nil {
		edit(s)
	}
	if err := s.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckSweepReport(t *testing.T) {
	lines, err := CheckSweepReport(goodSweepReport(t, nil))
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "/index on app: sustains 250 req/s") {
		t.Fatalf("good report: %q, %v", lines, err)
	}
	lowerBound := func(s *report.Summary) {
		r := s.Sweeps[0].Result
		r.Outcome, r.Knee, r.LowerBound, r.Reason = sweep.OutcomeLowerBound, nil, 250, sweep.ReasonBudget
		r.Skipped = &sweep.Skipped{Phase: "refine", Rates: []float64{375}, From: 250, To: 500, Text: "the refinement between 250 and 500 req/s (next 375 req/s)"}
	}
	if lines, err := CheckSweepReport(goodSweepReport(t, lowerBound)); err != nil || !strings.Contains(lines[0], "at least 250 req/s") {
		t.Fatalf("a lower bound with its reason: %q, %v", lines, err)
	}
	for name, tc := range map[string]struct {
		edit func(*report.Summary)
		want string
	}{
		"local executor": {func(s *report.Summary) { s.Executor = "local" }, "executor"},
		"no sweep":       {func(s *report.Summary) { s.Sweeps = nil }, "no sweep in summary.json"},
		"no result":      {func(s *report.Summary) { s.Sweeps[0].Result = nil }, "/index on app: no result"},
		"no percentiles": {func(s *report.Summary) { s.Sweeps[0].Result.Steps[1].P99 = 0 }, "step 2 at 500 req/s: percentiles"},
		"nothing measured": {func(s *report.Summary) {
			r := s.Sweeps[0].Result
			r.Steps, r.Outcome, r.Knee, r.Reason = []sweep.Step{}, sweep.OutcomeNone, nil, sweep.ReasonBudget
			s.Sweeps[0].Runs = nil
		}, "no step measured"},
		"lower bound without reason": {func(s *report.Summary) {
			lowerBound(s)
			s.Sweeps[0].Result.Reason = ""
		}, "reason \"\""},
		"cut short, nothing skipped": {func(s *report.Summary) {
			lowerBound(s)
			s.Sweeps[0].Result.Skipped = nil
		}, "skipped <nil>"},
		"knee without a failing step": {func(s *report.Summary) { s.Sweeps[0].Result.Knee.Above.Pass = true }, "a knee without"},
		"isolation bound hit": {func(s *report.Summary) {
			s.Sweeps[0].Runs[1].Isolation = &report.Wait{WaitedS: 30, BoundS: 30, TimedOut: true, Busy: "app: 3 request(s) in flight"}
		}, "step 2: isolation wait hit its bound (30s): app: 3 request(s) in flight"},
		"no isolation wait": {func(s *report.Summary) { s.Sweeps[0].Runs[0].Isolation = nil }, "step 1: no isolation wait recorded"},
		"generator file":    {func(s *report.Summary) { s.Sweeps[0].Runs[0].JSONFile = "sweep/nope.json" }, "generator JSON \"sweep/nope.json\" missing"},
		"a run short":       {func(s *report.Summary) { s.Sweeps[0].Runs = s.Sweeps[0].Runs[:1] }, "1 generator runs for 2 steps"},
		"no chart":          {func(s *report.Summary) { s.Sweeps[0].Chart = "" }, "no chart"},
		"runner's failures": {func(s *report.Summary) { s.Failures = []string{"boom"} }, "boom"},
		"verification":      {func(s *report.Summary) { s.Verification[0].OK = false }, "verification of /index"},
	} {
		if _, err := CheckSweepReport(goodSweepReport(t, tc.edit)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, tc.want)
		}
	}
	dir := goodSweepReport(t, nil)
	os.Remove(filepath.Join(dir, "sweep-index.png"))
	if _, err := CheckSweepReport(dir); err == nil || !strings.Contains(err.Error(), "chart sweep-index.png not written") {
		t.Errorf("missing chart: err = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "summary.md"), []byte("# x\n"), 0o644)
	if _, err := CheckSweepReport(dir); err == nil || !strings.Contains(err.Error(), "Capacity at the objective") {
		t.Errorf("summary.md without the section: err = %v", err)
	}
}
