package report

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/lab/sweep"
)

func sweepStep(i int, rate, achieved, p99 float64, pass bool, why string) sweep.Step {
	return sweep.Step{Index: i, Phase: "climb", Offered: rate, Achieved: achieved, P50: p99 / 4, P90: p99 / 2, P99: p99, P999: p99 * 1.5,
		Responses: int64(achieved * 4), Attempts: int64(achieved * 4), DurationS: 4, Pass: pass, Failure: why}
}

func sweepSample() *Summary {
	obj, plan := sweep.DefaultObjective(), sweep.QuickPlan()
	s1, s2, s3 := sweepStep(1, 250, 250, 2, true, ""), sweepStep(2, 500, 499, 3, true, ""), sweepStep(3, 1000, 700, 400, false, "achieved 700 req/s < 97% of 1000; p99 400 ms > 100 ms")
	knee := &sweep.Result{Objective: obj, Plan: plan, Steps: []sweep.Step{s1, s2, s3}, Outcome: sweep.OutcomeKnee,
		Knee: &sweep.Knee{Rate: 500, Below: s2, Above: s3}, ElapsedS: 20}
	lower := &sweep.Result{Objective: obj, Plan: plan, Steps: []sweep.Step{s1}, Outcome: sweep.OutcomeLowerBound, LowerBound: 250,
		Reason: sweep.ReasonBudget, Skipped: &sweep.Skipped{Phase: "climb", Rates: []float64{500, 1000}, Text: "the climb from 500 req/s (500, 1000 and up req/s)"}, ElapsedS: 6}
	none := &sweep.Result{Objective: obj, Plan: plan, Steps: []sweep.Step{}, Outcome: sweep.OutcomeNone, Reason: sweep.ReasonBudget,
		Skipped: &sweep.Skipped{Phase: "climb", Rates: []float64{250}, Text: "the climb from 250 req/s (250 and up req/s)"}}
	return &Summary{Schema: SchemaVersion, Started: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Executor: "compose", Quick: true,
		Verification: []Verification{{Endpoint: "/index", OK: true}, {Endpoint: "/agents", OK: true}, {Endpoint: "/agents_with_pool", OK: true}},
		Sweeps: []Sweep{
			{Endpoint: "/index", Target: "app", Result: knee, Via: "network", Connections: 400, Threads: 2, WarmupS: 1},
			{Endpoint: "/agents", Target: "app", Result: lower, Via: "network", Connections: 400, Threads: 2, WarmupS: 1},
			{Endpoint: "/agents_with_pool", Target: "app", Result: none, Via: "network", Connections: 400, Threads: 2, WarmupS: 1},
		}}
}

// The report says a knee only of a complete sweep; a sweep cut short is a
// lower bound (or nothing measured), with what it skipped; summary.json
// keeps the sweeps; a chart per endpoint with steps.
func TestSweepReport(t *testing.T) {
	s := sweepSample()
	dir := t.TempDir()
	if err := WriteSweepCharts(s, dir); err != nil {
		t.Fatal(err)
	}
	if s.Sweeps[0].Chart != "sweep-index.png" || s.Sweeps[1].Chart != "sweep-agents.png" || s.Sweeps[2].Chart != "" {
		t.Errorf("charts %q %q %q", s.Sweeps[0].Chart, s.Sweeps[1].Chart, s.Sweeps[2].Chart)
	}
	for _, f := range []string{"sweep-index.png", "sweep-agents.png"} {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(fh); err != nil {
			t.Errorf("%s: %v", f, err)
		}
		fh.Close()
	}
	if _, err := os.Stat(filepath.Join(dir, "sweep-agents_with_pool.png")); err == nil {
		t.Errorf("a chart without steps")
	}
	if err := s.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Sweeps) != 3 || back.Sweeps[0].Result.Knee.Rate != 500 || back.Sweeps[1].Result.Outcome != sweep.OutcomeLowerBound ||
		back.Sweeps[0].Result.Plan != sweep.QuickPlan() || back.Sweeps[0].Result.Objective != sweep.DefaultObjective() ||
		back.Sweeps[0].Result.Steps[2].P999 != 600 {
		t.Fatalf("round trip: %+v", back.Sweeps)
	}
	md := SweepMarkdown(s)
	for _, want := range []string{
		"## Capacity at the objective", "**p99 ≤ 100 ms, errors ≤ 0.1%**",
		"| /index | app | **capacity 500 req/s at the objective (the knee)** | 3 | 20.0s |",
		"| /agents | app | **INCOMPLETE: at least 250 req/s, a lower bound (cut short: budget), not a knee** | 1 | 6.0s |",
		"| /agents_with_pool | app | **INCOMPLETE: not measured (cut short: budget)** | 0 | 0.0s |",
		"sustains 500 req/s at p99 ≤ 100 ms, errors ≤ 0.1% (next step 1000 req/s failed",
		"at least 250 req/s at p99 ≤ 100 ms, errors ≤ 0.1% (cut short by the budget: skipped the climb from 500 req/s",
		"![GET /index: latency against offered rate](sweep-index.png)", "![GET /agents: latency against offered rate](sweep-agents.png)",
		"**quick sweep**", "No step ran: not measured (cut short by the budget: skipped the climb from 250 req/s", "with up to 400 connections (one per request per second offered) and up to 2 threads, via network",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q:\n%s", want, md)
		}
	}
	if strings.Count(md, "(the knee)") != 2 { // the /index line of the table and of its section
		t.Errorf("a knee claimed for a sweep cut short:\n%s", md)
	}
	// A matrix run has no such section.
	if SweepSection(&Summary{}) != "" {
		t.Error("a section without sweeps")
	}
}
