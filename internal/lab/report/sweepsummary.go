package report

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/sweep"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Sweep is one endpoint's rate sweep on one target (`bench run --sweep`,
// issue 15): the search's result, with every step's corrected
// percentiles, achieved rate and errors, and the generator runs behind its
// steps.
type Sweep struct {
	Endpoint string        `json:"endpoint"` // e.g. /index
	Target   string        `json:"target"`   // "app": the lab's app
	Result   *sweep.Result `json:"result"`
	// Every step ran the generator with these settings (the rate4000
	// scenario's, as overridden by --connections, --threads, --timeout;
	// Connections and Threads are the most a step used, see
	// sweep.StepConnections), its warm-up inside the same run and excluded
	// from its figures.
	Via         string  `json:"via"`
	Connections int     `json:"connections"`
	Threads     int     `json:"threads"`
	WarmupS     float64 `json:"warmup_s"`
	TimeoutS    float64 `json:"timeout_s,omitempty"` // 0: the generator's default
	// Runs are the generator runs, in the order run: those of Result.Steps
	// (Step is the step's index) and any that did not make a step (Step 0:
	// the generator failed, or the budget or an interruption ended it).
	Runs []SweepRun `json:"runs"`
	// Chart is the endpoint's chart (every target's line set), e.g.
	// sweep-index.png; empty when there was nothing to draw.
	Chart string `json:"chart,omitempty"`
	// Error is why the sweep stopped early when a step could not run (not
	// a step that missed the objective: that is a measurement).
	Error string `json:"error,omitempty"`
}

// SweepRun is one generator run of a sweep; its files are relative to the
// results folder.
type SweepRun struct {
	Step      int      `json:"step"` // the index in Result.Steps, 0 when it made no step
	Offered   float64  `json:"offered_rate"`
	Args      []string `json:"args"`
	JSONFile  string   `json:"json_file,omitempty"`
	TextFile  string   `json:"text_file"`
	HgrmFile  string   `json:"hgrm_file,omitempty"`
	Isolation *Wait    `json:"isolation,omitempty"` // the wait for an idle server before it
	Error     string   `json:"error,omitempty"`
}

// SweepTitle is an endpoint as its sweep's chart names it: "GET /index".
func SweepTitle(endpoint string) string { return "GET " + endpoint }

// SweepChartFile is an endpoint's sweep chart: sweep-<endpoint>.png, e.g.
// sweep-agents_with_pool.png.
func SweepChartFile(endpoint string) string {
	return "sweep-" + strings.ReplaceAll(strings.Trim(endpoint, "/"), "/", "_") + ".png"
}

// sweepEndpoints are the swept endpoints in the order first swept.
func sweepEndpoints(sweeps []Sweep) []string {
	var eps []string
	seen := map[string]bool{}
	for _, sw := range sweeps {
		if !seen[sw.Endpoint] {
			seen[sw.Endpoint] = true
			eps = append(eps, sw.Endpoint)
		}
	}
	return eps
}

// WriteSweepCharts writes a chart per swept endpoint into dir,
// SweepChartFile(endpoint), with one line set per target (WriteSweepChart:
// p50, p90, p99, p99.9 against the offered rate, the objective's p99, the
// knee or lower bound marked), and records its name in each Sweep.Chart.
// An endpoint whose sweeps measured no step gets no chart.
func WriteSweepCharts(s *Summary, dir string) error {
	var errs []string
	for _, ep := range sweepEndpoints(s.Sweeps) {
		var series []SweepSeries
		var obj *sweep.Objective
		for _, sw := range s.Sweeps {
			if sw.Endpoint != ep || sw.Result == nil || len(sw.Result.Steps) == 0 {
				continue
			}
			series = append(series, SweepSeries{Endpoint: SweepTitle(ep), Target: sw.Target, Result: sw.Result})
			if obj == nil {
				o := sw.Result.Objective
				obj = &o
			}
		}
		if len(series) == 0 {
			continue
		}
		name := SweepChartFile(ep)
		if err := WriteSweepChart(filepath.Join(dir, name), series, *obj); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
			continue
		}
		for i := range s.Sweeps {
			if s.Sweeps[i].Endpoint == ep {
				s.Sweeps[i].Chart = name
			}
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("sweep charts: %s", strings.Join(errs, "; "))
	}
	return nil
}

// SweepHeadline is a sweep's finding in a few words, bold in the report:
// the knee, or what kind of bound it is — a sweep cut short is a lower
// bound, never a knee.
func SweepHeadline(sw Sweep) string {
	r := sw.Result
	if r == nil {
		return "not run"
	}
	switch r.Outcome {
	case sweep.OutcomeKnee:
		return fmt.Sprintf("capacity %s req/s at the objective (the knee)", sweepRateS(r.Knee.Rate))
	case sweep.OutcomeLowerBound:
		if r.Reason == sweep.ReasonMaxRate {
			return fmt.Sprintf("at least %s req/s: a lower bound (every step passed up to --sweep-max), not a knee", sweepRateS(r.LowerBound))
		}
		if r.Reason == sweep.ReasonNotTarget {
			return fmt.Sprintf("at least %s req/s: a lower bound, not a knee (the step that failed, %s req/s, was limited by the generator or the machine, not the target)", sweepRateS(r.LowerBound), sweepRateS(r.UpperBound))
		}
		return fmt.Sprintf("INCOMPLETE: at least %s req/s, a lower bound (cut short: %s), not a knee", sweepRateS(r.LowerBound), r.Reason)
	case sweep.OutcomeBelowStart:
		return fmt.Sprintf("below the start rate: under %s req/s", sweepRateS(r.UpperBound))
	default:
		return fmt.Sprintf("INCOMPLETE: not measured (cut short: %s)", orS(r.Reason, "no step ran"))
	}
}

// WriteSweepMarkdown writes summary.md of a sweep run (bench --sweep) into
// dir: SweepMarkdown's document.
func WriteSweepMarkdown(s *Summary, dir string) error {
	return runresult.WriteFile(filepath.Join(dir, "summary.md"), []byte(SweepMarkdown(s)))
}

// SweepMarkdown renders a sweep run for people: its result, the
// verification, the "Capacity at the objective" section (SweepSection),
// the notes and how to read it.
func SweepMarkdown(s *Summary) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# macrobench rate sweep, %s\n\n", s.Started.Format("2006-01-02 15:04:05 UTC"))
	if s.Interrupted {
		w("> **INTERRUPTED** (%s) at %s: the sweep was stopped before its end; below is what it measured, cut short: lower bounds, not knees.\n\n",
			orS(s.InterruptedBy, "stopped"), s.Finished.Format("15:04:05 UTC"))
	}
	result := "**PASSED** (every sweep ran)"
	if len(s.Failures) > 0 {
		result = "**FAILED**"
	}
	w("Result: %s. Executor: %s; runner: %s; app at %s", result, s.Executor, orS(s.Runner, "?"), s.Target)
	if s.Quick {
		w("; **quick sweep** (--quick: coarse steps, for CI)")
	}
	w(".\n\n")
	w("- Warm-up: %s.\n", s.Warmup)
	w("- Accounting: %s\n", runresult.Accounting)
	if s.Isolation != "" {
		w("- Isolation: %s\n", s.Isolation)
	}
	w("\n")
	if len(s.Failures) > 0 {
		w("## Failures\n\n")
		for _, f := range s.Failures {
			w("- %s\n", f)
		}
		w("\n")
	}
	w("## Verification before load\n\n| endpoint | result | expected vs got |\n|---|---|---|\n")
	for _, v := range s.Verification {
		res, detail := "ok", "status 200, application/json, Date, Content-Length, exact body"
		if !v.OK {
			res, detail = "**FAILED — not swept**", escape(strings.Join(v.Problems, "; "))
		}
		w("| %s | %s | %s |\n", v.Endpoint, res, detail)
	}
	w("\n")
	b.WriteString(SweepSection(s))
	if len(s.Notes) > 0 {
		w("## Notes\n\n")
		for _, n := range s.Notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	w("## How to read this\n\n")
	w("- A step passes when its achieved rate is at least %g%% of the offered one (below it the target did not keep up, whatever its latency), its corrected p99 is within the objective, and its error ratio (failed ÷ attempts, the accounting above) too. *Capacity* is the highest offered rate that passed, with the failing step above it within the resolution: the knee.\n", sweep.MinAchieved*100)
	w("- Latencies are measured from when each request *should* have been sent (wrk2's coordinated-omission correction): a target that falls behind shows its queueing.\n")
	w("- A sweep cut short (the budget, an interruption) or one that passed every step up to --sweep-max says **at least** so many req/s: a lower bound, never a knee; the steps it skipped are named. *Below the start rate* means the first step already failed: lower --sweep-start.\n")
	return b.String()
}

// SweepSection is the "Capacity at the objective" section ("" when the run
// swept nothing): a line per endpoint and target, then per endpoint each
// target's steps (sweep.Result.Table), its verdict and the chart.
func SweepSection(s *Summary) string {
	if len(s.Sweeps) == 0 {
		return ""
	}
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("## Capacity at the objective\n\n")
	first := s.Sweeps[0]
	if r := first.Result; r != nil {
		p := r.Plan
		w("The highest constant offered rate at which each endpoint met the objective, **%s** (corrected latency), with an achieved rate of at least %g%% of the offered one. ",
			r.Objective.String(), sweep.MinAchieved*100)
		w("A sweep climbs from %s req/s ×%s per step", sweepRateS(p.Start), strconv.FormatFloat(p.Growth, 'f', -1, 64))
		if p.Max > 0 {
			w(" (at most %s req/s)", sweepRateS(p.Max))
		}
		w(" until a step fails, then bisects between the last pass and the first fail until they are within %g%%. ", p.Resolution*100)
		warm := "no warm-up"
		if first.WarmupS > 0 {
			warm = "a " + secs(first.WarmupS) + " warm-up in the same run (excluded)"
		}
		w("Each step is one generator run of %s at its rate after %s, with up to %d connections (one per request per second offered) and up to %d threads, via %s, started once the bench found the server idle. ",
			secs(p.Step.Seconds()), warm, first.Connections, first.Threads, first.Via)
		w("The whole sweep, every endpoint, had a budget of %s: a sweep it cut short reports a **lower bound**, never a knee, and the steps it skipped.\n\n", secs(p.Budget.Seconds()))
	}
	w("| endpoint | target | result | steps | time |\n|---|---|---|---:|---:|\n")
	for _, sw := range s.Sweeps {
		steps, elapsed := 0, 0.0
		if sw.Result != nil {
			steps, elapsed = len(sw.Result.Steps), sw.Result.ElapsedS
		}
		w("| %s | %s | **%s** | %d | %.1fs |\n", sw.Endpoint, sw.Target, escape(SweepHeadline(sw)), steps, elapsed)
	}
	w("\n")
	for _, ep := range sweepEndpoints(s.Sweeps) {
		w("### %s\n\n", SweepTitle(ep))
		chart := ""
		for _, sw := range s.Sweeps {
			if sw.Endpoint != ep {
				continue
			}
			chart = orS(chart, sw.Chart)
			w("**%s** — %s.\n\n", sw.Target, SweepHeadline(sw))
			switch {
			case sw.Result != nil && len(sw.Result.Steps) > 0:
				for _, l := range sw.Result.Table() {
					w("%s\n", l)
				}
				w("\n")
			case sw.Result != nil:
				w("No step ran: %s\n\n", sw.Result.Verdict())
			}
			if sw.Error != "" {
				w("The sweep stopped: a step could not run: %s\n\n", escape(clipS(sw.Error, 400)))
			}
		}
		if chart != "" {
			w("![%s: latency against offered rate](%s)\n\n", SweepTitle(ep), chart)
			w("`%s`: p50, p90, p99 and p99.9 (corrected) of every step against its offered rate, a line set per target (hollow markers: failing steps), the objective's p99 dashed, the knee (or lower bound) a vertical line.\n\n", chart)
		}
	}
	w("Per step files: `sweep/<endpoint>-<offered rate>.txt` (wrk2 layout), `.json` (machine-readable), `.hgrm`; summary.json's `sweeps` has every step's figures and generator command line.\n\n")
	return b.String()
}

// sweepRateS is a rate in req/s to 0.1, without trailing zeros (500, 107.8).
func sweepRateS(r float64) string {
	return strconv.FormatFloat(float64(int64(r*10+0.5))/10, 'f', -1, 64)
}
