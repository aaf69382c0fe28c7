package benchrun

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/lab/sweep"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// The rate sweep (issue 15): `bench run --sweep` finds, instead of running
// the scenario matrix, each endpoint's capacity at a latency objective on
// each target: internal/lab/sweep's search, every step a real generator run
// through the bench's executor (the loadtest container "via the network",
// or the local generator with --target), isolated like any cell.

// SweepSettings are --sweep's flags.
type SweepSettings struct {
	On        bool
	Plan      sweep.Plan      // --sweep-start, -growth, -resolution, -max, -step, -budget (--quick: sweep.QuickPlan)
	Objective sweep.Objective // --slo-p99, --slo-errors
	// BudgetPerSweep: Plan.Budget is each endpoint's and target's, the
	// whole sweep's that times their number (--quick without
	// --sweep-budget: "under a minute per endpoint").
	BudgetPerSweep bool
}

// DefaultSweepWarmup is each step's warm-up (inside its generator run,
// excluded from its figures) when --warmup is not given: a step's
// connections are new (a new container, with compose), so they open and
// the target sees its first requests before the window.
const DefaultSweepWarmup = time.Second

// sweepOnlyFlags are the flags of --sweep alone.
var sweepOnlyFlags = []string{"slo-p99", "slo-errors", "sweep-start", "sweep-growth", "sweep-resolution", "sweep-max", "sweep-step", "sweep-budget"}

// matrixOnlyFlags are the scenario matrix's, which a sweep has no use for.
var matrixOnlyFlags = map[string]string{
	"scenarios":       "a sweep runs no scenario",
	"duration":        "use --sweep-step",
	"rate":            "a sweep chooses its rates: use --sweep-start and --sweep-max",
	"repeat":          "a sweep runs each rate once",
	"generators":      "a sweep's steps run one generator",
	"generators-lead": "a sweep's steps run one generator",
}

// registerSweepFlags adds --sweep and the sweep package's flags.
func (c *Settings) registerSweepFlags(fs *flag.FlagSet) {
	c.Sweep.Plan, c.Sweep.Objective = sweep.DefaultPlan(), sweep.DefaultObjective()
	fs.BoolVar(&c.Sweep.On, "sweep", false, "instead of the scenario matrix, find each endpoint's capacity at the objective (--slo-p99, --slo-errors) with a rate sweep (--sweep-*); with --quick a coarse one, under a minute per endpoint")
	c.Sweep.Objective.RegisterFlags(fs)
	c.Sweep.Plan.RegisterFlags(fs)
}

// finishSweep applies --quick to the sweep's plan (the flags given still
// win), defaults each step's warm-up, and refuses flags that do not go
// with (or without) --sweep, and a plan or objective that cannot run.
func (c *Settings) finishSweep(set map[string]bool) error {
	if !c.Sweep.On {
		for _, name := range sweepOnlyFlags {
			if set[name] {
				return usageError{fmt.Errorf("--%s applies to --sweep runs only", name)}
			}
		}
		return nil
	}
	for _, name := range sortedKeys(matrixOnlyFlags) {
		if set[name] {
			return usageError{fmt.Errorf("--%s does not go with --sweep (%s)", name, matrixOnlyFlags[name])}
		}
	}
	if c.Quick {
		given := c.Sweep.Plan
		p := sweep.QuickPlan()
		for name, f := range map[string]func(){
			"sweep-start": func() { p.Start = given.Start }, "sweep-growth": func() { p.Growth = given.Growth },
			"sweep-resolution": func() { p.Resolution = given.Resolution }, "sweep-max": func() { p.Max = given.Max },
			"sweep-step": func() { p.Step = given.Step }, "sweep-budget": func() { p.Budget = given.Budget },
		} {
			if set[name] {
				f()
			}
		}
		c.Sweep.Plan = p
		c.Sweep.BudgetPerSweep = !set["sweep-budget"]
	}
	if !set["warmup"] {
		c.Warmup = DefaultSweepWarmup
	}
	if err := c.Sweep.Objective.Validate(); err != nil {
		return usageError{err}
	}
	if err := c.Sweep.Plan.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// SweepTarget is one system a sweep loads, each endpoint in turn.
type SweepTarget struct {
	Name string   // in the report and the file names: "app", the lab's app
	Ex   Executor // runs its generator; its HostURL is verified and watched for idleness
}

// sweepTargets are the targets every endpoint is swept on, in order:
// today the lab's app alone, through the run's executor. Multi-target runs
// (--targets app,original) plug in here, a SweepTarget per name.
func (r *Runner) sweepTargets() []SweepTarget {
	targets := r.Cfg.Targets
	if len(targets) == 0 {
		targets = []string{report.TargetApp}
	}
	var out []SweepTarget
	for _, t := range targets {
		out = append(out, SweepTarget{Name: t, Ex: r.Ex})
	}
	return out
}

// runSweeps is Run for --sweep: it verifies the endpoints on every target,
// sweeps each endpoint on each target within one budget (a context
// deadline over the whole sweep), and writes summary.json (its sweeps),
// summary.md (its "Capacity at the objective" section), a chart per
// endpoint and metadata.json. A sweep cut short by the budget is a lower
// bound, reported as such: not a failure. A step the generator could not
// run, or a verification that failed, is (exit 1).
func (r *Runner) runSweeps(ctx context.Context) (*report.Summary, error) {
	cfg := r.Cfg
	sw := cfg.Sweep
	if err := checkOutDirEmpty(cfg.OutDir); err != nil {
		return nil, err
	}
	flask := publication.Flask()
	stepDir := filepath.Join(cfg.OutDir, "sweep")
	if err := os.MkdirAll(stepDir, 0o755); err != nil {
		return nil, err
	}
	s := &report.Summary{
		Schema: report.SchemaVersion, Started: time.Now().UTC(), Executor: r.Ex.Name(), Runner: report.RunnerOf(os.Getenv), Target: r.Ex.HostURL(report.TargetApp),
		Quick: cfg.Quick, Repeat: 1, ErrorThreshold: cfg.ErrorThreshold, SaturatedBelow: cfg.SaturatedBelow,
		Baseline: flask.Name + " — " + flask.Source, Notes: append([]string(nil), r.Notes...),
	}
	s.Notes = append(s.Notes, "a rate sweep (--sweep): no scenario matrix, no PostgreSQL ceilings, no Prometheus windows; each step's raw generator output is in sweep/")
	if r.GrafanaURL != "" {
		s.GrafanaURL = r.GrafanaURL + "/d/" + DashboardUID
	}
	if cfg.Warmup > 0 {
		s.Warmup = fmt.Sprintf("each sweep step: %s at the step's rate in the same generator run (its --warmup), excluded from the step's figures", cfg.Warmup)
	} else {
		s.Warmup = "none (--warmup 0)"
	}
	s.IsolationBoundS = cfg.IsolationWait.Seconds()
	if cfg.IsolationWait > 0 {
		s.Isolation = fmt.Sprintf("before each sweep step the bench waited (at most %s) until the app had no request in flight and PostgreSQL no backend of the database at work, their counters still for %s; each step's wait is in summary.json (sweeps[].runs[].isolation), one that hit the bound is a warning under Notes.", cfg.IsolationWait, idlePoll)
	} else {
		s.Isolation = "disabled (--isolation-wait 0): a step may start while the previous one's load is still being served"
	}
	md := r.metadata(ctx)

	targets := r.sweepTargets()
	good := map[string][]string{} // target → endpoints verified
	for _, tgt := range targets {
		for _, ep := range cfg.Endpoints {
			problems := Verify(ctx, r.HTTP, tgt.Name, tgt.Ex.HostURL(tgt.Name), ep)
			s.Verification = append(s.Verification, report.Verification{Target: tgt.Name, Endpoint: ep, OK: len(problems) == 0, Problems: problems})
			if len(problems) > 0 {
				r.logf("bench: VERIFY FAILED %s on %s — not swept:", ep, tgt.Name)
				for _, p := range problems {
					r.logf("  %s", p)
				}
				s.Failures = append(s.Failures, fmt.Sprintf("verification failed for %s on %s: %s", ep, tgt.Name, strings.Join(problems, "; ")))
				continue
			}
			r.logf("bench: verified %s on %s (200, application/json, Date, Content-Length, exact body)", ep, tgt.Name)
			good[tgt.Name] = append(good[tgt.Name], ep)
		}
	}

	cpus := r.Ex.GeneratorCPUs(ctx)
	md["generator_cpus"] = cpus
	// The whole sweep's budget: every endpoint and target within it.
	if sw.BudgetPerSweep {
		n := 0
		for _, eps := range good {
			n += len(eps)
		}
		sw.Plan.Budget *= time.Duration(max(n, 1))
	}
	md["sweep"] = map[string]any{"plan": sw.Plan, "objective": sw.Objective}
	bctx, cancel := context.WithDeadline(ctx, time.Now().Add(sw.Plan.Budget))
	defer cancel()
	r.logf("bench: sweeping %s on %s: objective %s; from %g req/s ×%g, to %g%%, %s steps, budget %s",
		strings.Join(cfg.Endpoints, ", "), targetNames(targets), sw.Objective, sw.Plan.Start, sw.Plan.Growth, sw.Plan.Resolution*100, sw.Plan.Step, sw.Plan.Budget)
	stems := map[string]bool{}
	for _, ep := range cfg.Endpoints {
		for _, tgt := range targets {
			if !contains(good[tgt.Name], ep) || ctx.Err() != nil {
				continue
			}
			// The rate4000 scenario's generator settings ("via the
			// network", its connections), as overridden by the flags.
			cell := Matrix(Settings{Endpoints: []string{ep}, Scenarios: []string{"rate4000"}, Connections: cfg.Connections, Threads: cfg.Threads}, cpus)[0]
			cell.Target = tgt.Name
			rec := report.Sweep{Endpoint: ep, Target: tgt.Name, Via: cell.Via, Connections: cell.Connections, Threads: cell.Threads,
				WarmupS: cfg.Warmup.Seconds(), TimeoutS: cfg.Timeout.Seconds(), Runs: []report.SweepRun{}}
			started := time.Now()
			res, err := sweep.Run(bctx, sw.Plan, sw.Objective, r.sweepStep(tgt, cell, stepDir, stems, &rec))
			rec.Result = res
			if err != nil && ctx.Err() == nil {
				rec.Error = err.Error()
				s.Failures = append(s.Failures, fmt.Sprintf("sweep of %s on %s: %v", ep, tgt.Name, err))
				r.logf("bench: sweep of %s on %s stopped: %v", ep, tgt.Name, err)
			}
			if res != nil {
				r.logf("bench: %s on %s: %s", ep, tgt.Name, res.Verdict())
				if r.GrafanaURL != "" && len(res.Steps) > 0 {
					text := fmt.Sprintf("sweep %s on %s: %s", ep, tgt.Name, report.SweepHeadline(rec))
					if err := Annotate(ctx, r.GrafanaURL, text, []string{ep, "sweep"}, started, time.Now()); err != nil {
						s.Notes = append(s.Notes, "Grafana annotations (best effort) not posted: "+err.Error())
					}
				}
			}
			s.Sweeps = append(s.Sweeps, rec)
		}
	}

	s.Notes = append(s.Notes, r.warnings...)
	s.Finished = time.Now().UTC()
	md["finished"] = s.Finished
	var genRuns []string
	for _, rec := range s.Sweeps {
		for _, run := range rec.Runs {
			genRuns = append(genRuns, strings.Join(run.Args, " ")+" "+rec.Endpoint)
		}
	}
	md["generator_runs"] = genRuns
	if ctx.Err() != nil {
		s.Interrupted, s.InterruptedBy = true, InterruptedBy(ctx)
		s.Failures = append(s.Failures, fmt.Sprintf("interrupted (%s) after %d sweep(s) begun", s.InterruptedBy, len(s.Sweeps)))
		md["interrupted"] = s.InterruptedBy
		r.logf("bench: interrupted (%s): writing the sweeps so far", s.InterruptedBy)
	}
	if err := report.WriteSweepCharts(s, cfg.OutDir); err != nil {
		s.Notes = append(s.Notes, err.Error())
		r.logf("bench: %v", err)
	}
	r.describeEnd(ctx, md)
	redactAll(md, s)
	if err := report.WriteJSONFile(filepath.Join(cfg.OutDir, "metadata.json"), md); err != nil {
		return s, err
	}
	if err := s.WriteJSON(cfg.OutDir); err != nil {
		return s, err
	}
	if err := report.WriteSweepMarkdown(s, cfg.OutDir); err != nil {
		return s, err
	}
	if err := report.WriteSweepHTML(s, cfg.OutDir); err != nil {
		return s, err
	}
	if s.Interrupted {
		marker := fmt.Sprintf("interrupted (%s) at %s during the sweep; summary.json and summary.md hold the steps measured\n",
			s.InterruptedBy, s.Finished.Format(time.RFC3339))
		if err := runresult.WriteFile(filepath.Join(cfg.OutDir, InterruptedMarker), []byte(marker)); err != nil {
			return s, err
		}
	}
	return s, nil
}

// sweepStep is the StepFunc of one endpoint's sweep on tgt: the bench's
// wait for an idle server, then one constant-rate generator run through
// tgt's executor, its files in dir (sweep/<endpoint>-<rate>.*), read back
// as any run's (runresult.Generator, the corrected percentiles) and recorded
// in rec.Runs. The step runs under the search's context: a signal stops
// it, and so does the end of the whole sweep's budget (then the search
// reports the step skipped, the sweep a lower bound).
func (r *Runner) sweepStep(tgt SweepTarget, cell Cell, dir string, stems map[string]bool, rec *report.Sweep) sweep.StepFunc {
	cfg := r.Cfg
	ep := cell.Endpoint
	idle := &Runner{HTTP: r.HTTP, Ex: tgt.Ex}
	if tgt.Ex == r.Ex {
		idle.DB = r.DB
	}
	made := 0 // steps returned to the search: the next one's index is made+1
	return func(runCtx context.Context, rate float64) (sweep.Step, error) {
		_, iso := idle.waitIdle(runCtx, cell, cfg.IsolationWait)
		if iso.TimedOut {
			msg := fmt.Sprintf("ISOLATION WAIT HIT ITS BOUND (%gs) before the sweep step of %s on %s at %s req/s: still busy: %s; the step's figures may include the previous load",
				iso.BoundS, ep, tgt.Name, rateStem(rate), iso.Busy)
			r.logf("bench: WARNING: %s", msg)
			r.warnings = append(r.warnings, msg)
		} else if iso.WaitedS >= 1 {
			r.logf("bench: waited %.1fs for the server to be idle before %s at %s req/s", iso.WaitedS, ep, rateStem(rate))
		}
		if err := runCtx.Err(); err != nil {
			return sweep.Step{}, err
		}
		stem := ep[1:] + "-" + rateStem(rate)
		if tgt.Name != "app" {
			stem = tgt.Name + "-" + stem
		}
		for base, i := stem, 2; stems[stem]; i++ {
			stem = fmt.Sprintf("%s-%d", base, i)
		}
		stems[stem] = true
		args := sweepArgs(cell, cfg.Sweep.Plan.Step, cfg.Warmup, cfg.Timeout, rate, "sweep-"+stem)
		run := report.SweepRun{Offered: rate, Args: args, TextFile: filepath.Join("sweep", stem+".txt"), Isolation: &iso}
		r.logf("bench: sweep %s on %s: loadtest %s %s", ep, tgt.Name, strings.Join(args, " "), ep)
		sampler := r.startSampler(runCtx) // machine.go
		text, jp, err := tgt.Ex.Generate(runCtx, GenSpec{Target: tgt.Name, Via: cell.Via, Path: ep, Dir: dir, Stem: stem, Args: args})
		sampler.Stop()
		_ = runresult.WriteFile(filepath.Join(dir, stem+".txt"), []byte(text))
		record := func(err error) {
			if err != nil {
				run.Error = err.Error()
			}
			rec.Runs = append(rec.Runs, run)
		}
		if err != nil {
			record(err)
			if runCtx.Err() != nil {
				return sweep.Step{}, runCtx.Err()
			}
			return sweep.Step{}, fmt.Errorf("generator: %w", err)
		}
		g, err := runresult.ReadGenerator(jp)
		if err != nil {
			record(err)
			return sweep.Step{}, err
		}
		run.JSONFile = filepath.Join("sweep", filepath.Base(jp))
		if len(g.Args) > 0 {
			run.Args = g.Args
		}
		if _, err := os.Stat(filepath.Join(dir, stem+".hgrm")); err == nil {
			run.HgrmFile = filepath.Join("sweep", stem+".hgrm")
		}
		if g.Interrupted && runCtx.Err() != nil {
			record(runCtx.Err())
			return sweep.Step{}, runCtx.Err()
		}
		st := stepFromGenerator(rate, g)
		st.Limit = stepLimit(g, r.runMachine(sampler, g.Start, g.End), rate, cfg.SaturatedBelow)
		made++
		run.Step = made
		record(nil)
		pass, why := cfg.Sweep.Objective.Check(st)
		verdict := "pass"
		if !pass {
			verdict = "FAIL: " + why
		}
		r.logf("bench: sweep %s on %s at %s req/s: achieved %.1f req/s, p50 %.2fms p99 %.2fms p99.9 %.2fms, %d of %d failed: %s",
			ep, tgt.Name, rateStem(rate), st.Achieved, st.P50, st.P99, st.P999, st.Failed, st.Attempts, verdict)
		return st, nil
	}
}

// stepFromGenerator is a generator run's figures as a sweep step: the
// corrected percentiles, the achieved rate over its window, and the lab's
// accounting of attempts and failures.
func stepFromGenerator(rate float64, g *runresult.Generator) sweep.Step {
	e := sweep.ErrorCounts{Connect: g.Errors.Connect, Read: g.Errors.Read, Write: g.Errors.Write, Timeout: g.Errors.Timeout, Status: g.Errors.Status}
	st := sweep.Step{Offered: rate, Achieved: g.AchievedRate, P50: g.LatencyMS.P50, P90: g.LatencyMS.P90, P99: g.LatencyMS.P99, P999: g.LatencyMS.P99_9,
		Responses: g.Requests, InFlight: g.InFlightAtEnd, Errors: e, DurationS: g.ElapsedS}
	st.Attempts, st.Failed = sweep.Account(g.Requests, g.InFlightAtEnd, e)
	return st
}

// stepLimit says whether the generator or the machine set a step's figures
// (report.Classify over its window), and why; "" when neither did or it is
// unknown.
func stepLimit(g *runresult.Generator, m *report.Machine, rate, metBelow float64) string {
	run := report.Run{AchievedRate: g.AchievedRate, Latency: g.LatencyMS, Health: g.Health, Machine: m}
	switch c := report.Classify(report.RunFigures(run, rate, metBelow)); c.Class {
	case report.ClassMachineSaturated, report.ClassGeneratorLimited:
		return string(c.Class) + ": " + c.Reason
	}
	return ""
}

// sweepArgs is a step's wrk2 command line (without --json and the URL,
// which the executor adds): the cell's threads and connections, as many as
// the rate needs (sweep.StepConnections), at rate for
// step, after warmup in the same run; no metrics lingering after it.
func sweepArgs(cell Cell, step, warmup, timeout time.Duration, rate float64, runID string) []string {
	conns := sweep.StepConnections(cell.Connections, rate)
	args := []string{
		fmt.Sprintf("-t%d", sweep.StepThreads(cell.Threads, conns)),
		fmt.Sprintf("-c%d", conns),
		"-d" + secondsArg(step),
		"-R", strconv.FormatFloat(rate, 'f', -1, 64),
	}
	if warmup > 0 {
		args = append(args, "--warmup", secondsArg(warmup))
	}
	if timeout > 0 {
		args = append(args, "--timeout", fmt.Sprintf("%ds", int((timeout+time.Second-1)/time.Second)))
	}
	return append(args, "--latency", "--run-id", runID, "--metrics-linger", "0s")
}

func secondsArg(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }

// rateStem is a rate in a file name and a log line: to 0.1 req/s.
func rateStem(rate float64) string {
	return strconv.FormatFloat(math.Round(rate*10)/10, 'f', -1, 64)
}

func targetNames(ts []SweepTarget) string {
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.Name
	}
	return strings.Join(names, ", ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// completedText is what an interrupted run had done, for its last line:
// the cells completed, or the sweeps begun.
func completedText(s *report.Summary) string {
	if len(s.Sweeps) > 0 {
		return fmt.Sprintf("%d sweep(s) begun, cut short", len(s.Sweeps))
	}
	return fmt.Sprintf("%d cell(s) completed", len(s.Cells))
}
