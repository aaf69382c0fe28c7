package benchrun

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/accounting"
	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Runner runs a configured matrix through an executor and writes the results
// folder.
type Runner struct {
	Cfg        Settings
	Ex         Executor
	Log        io.Writer      // progress, for people
	HTTP       *http.Client   // verification and the app's /metrics
	DB         *evidence.DB   // nil: no PostgreSQL evidence (stated)
	Prom       *evidence.Prom // nil: no Prometheus evidence (stated)
	GrafanaURL string         // "": no annotations (stated)
	CmdLine    []string       // for the metadata
	Notes      []string       // decided before the run (e.g. why evidence is missing)

	warnings []string     // found during the run (isolation waits that hit their bound)
	machine  machineState // the machine sampler's (machine.go)
	// poolOpenedAtStart is the app's pool-opened counter before any load
	// (nil: not read, or an app without it).
	poolOpenedAtStart *float64
}

func (r *Runner) logf(format string, a ...any) {
	if r.Log != nil {
		fmt.Fprintf(r.Log, format+"\n", a...)
	}
}

// Run executes everything and writes summary.json, summary.md, charts and
// metadata.json into Cfg.OutDir, which must be missing or empty: results
// are never written over. The summary's Failures say whether the run
// failed; the error is for when no summary could be written at all. When
// ctx ends before the matrix does (a signal: see Main), the cells completed
// so far are written, the summary is marked Interrupted and the folder gets
// an INTERRUPTED file.
func (r *Runner) Run(ctx context.Context) (*report.Summary, error) {
	cfg := r.Cfg
	if r.HTTP == nil {
		r.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Sweep.On {
		return r.runSweeps(ctx) // sweep.go
	}
	if err := checkOutDirEmpty(cfg.OutDir); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(cfg.OutDir, "warmup"), 0o755); err != nil {
		return nil, err
	}
	flask := publication.Flask()
	s := &report.Summary{
		Schema: report.SchemaVersion, Started: time.Now().UTC(), Executor: r.Ex.Name(), Runner: report.RunnerOf(os.Getenv), Target: r.Ex.HostURL(report.TargetApp),
		Quick: cfg.Quick, Repeat: cfg.Repeat, ErrorThreshold: cfg.ErrorThreshold, SaturatedBelow: cfg.SaturatedBelow,
		Baseline: flask.Name + " — " + flask.Source, Notes: append([]string(nil), r.Notes...),
	}
	if r.GrafanaURL != "" {
		s.GrafanaURL = r.GrafanaURL + "/d/" + DashboardUID
	}
	targets := cfg.Targets
	if len(targets) == 0 {
		targets = []string{report.TargetApp}
	}
	if cfg.Warmup > 0 {
		s.Warmup = fmt.Sprintf("%s per endpoint (and target) before its first scenario, a separate generator run with that scenario's threads, connections and rate; its requests are excluded from every figure and from the server-side windows (files in warmup/)", cfg.Warmup)
	} else {
		s.Warmup = "none (--warmup 0)"
	}
	s.IsolationBoundS = cfg.IsolationWait.Seconds()
	if cfg.IsolationWait > 0 {
		s.Isolation = fmt.Sprintf("before each run the bench waited (at most %s) until the app had no request in flight and PostgreSQL no backend of the database at work, their counters still for %s; after each run, likewise for the run's own last requests. Each run's waits are in its server-side table; a wait that hit the bound is a warning under Notes.", cfg.IsolationWait, idlePoll)
		if cfg.Measures(report.TargetOriginal) {
			s.Isolation += " The original has no in-flight gauge: before and after its runs the wait is PostgreSQL's part alone (its backends at work, its sessions and agents query calls still), which sees its /agents and /agents_with_pool work but not /index requests still queued in gunicorn."
		}
	} else {
		s.Isolation = "disabled (--isolation-wait 0): a run may start while the previous load is still being served, and its server-side counts may miss its last requests"
	}
	md := r.metadata(ctx)
	if cfg.Generators > 1 {
		md["generators"] = cfg.Generators
	}
	if _, swarmJobs := r.Ex.(*SwarmExecutor); cfg.Generators > 1 && !swarmJobs { // swarm's own note says how (upSwarm)
		s.Notes = append(s.Notes, fmt.Sprintf("every measured run was %d generators started together (loadtest --part I/%d --start-at), each with its share of the connections and rate; its figures are their merged result (bench merge), each generator's own files beside it (<run>.partIof%d.json, .txt, .hgrm). Warm-ups are one generator.", cfg.Generators, cfg.Generators, cfg.Generators))
	}

	// Verify before any load: every endpoint of every target.
	good := map[string]bool{} // target + endpoint
	var goodEndpoints []string
	for _, tgt := range targets {
		for _, ep := range cfg.Endpoints {
			problems := Verify(ctx, r.HTTP, tgt, r.Ex.HostURL(tgt), ep)
			s.Verification = append(s.Verification, report.Verification{Target: tgt, Endpoint: ep, OK: len(problems) == 0, Problems: problems})
			if len(problems) > 0 {
				r.logf("bench: VERIFY FAILED %s%s — not benchmarked:", ep, onTarget(tgt))
				for _, p := range problems {
					r.logf("  %s", p)
				}
				s.Failures = append(s.Failures, fmt.Sprintf("verification failed for %s%s: %s", ep, onTarget(tgt), strings.Join(problems, "; ")))
				continue
			}
			r.logf("bench: verified %s%s (200, application/json, Date, Content-Length, %s)", ep, onTarget(tgt), bodyCheck(tgt))
			good[tgt+" "+ep] = true
			goodEndpoints = appendUnique(goodEndpoints, ep)
		}
	}

	cpus := r.Ex.GeneratorCPUs(ctx)
	md["generator_cpus"] = cpus
	if hasDBEndpoint(goodEndpoints) && cfg.CeilingDuration > 0 {
		r.logf("bench: measuring PostgreSQL's ceilings with pgbench (%s each)", cfg.CeilingDuration)
		s.Ceilings = Ceilings(ctx, r.Ex, cfg.CeilingDuration)
		for _, c := range s.Ceilings {
			if c.Error != "" {
				r.logf("bench: ceiling %s not measured: %s", c.Name, c.Error)
			} else {
				r.logf("bench: ceiling %s: %.0f tps (%s)", c.Name, c.TPS, c.Command)
			}
		}
	}

	poolSize := map[string]int64{}
	if cfg.Measures(report.TargetApp) {
		if snap, err := evidence.ReadAppMetrics(ctx, r.HTTP, r.Ex.HostURL(report.TargetApp)); err == nil {
			poolSize[report.TargetApp] = int64(snap.PoolMaxOpen)
			md["app_pool_size"] = poolSize[report.TargetApp]
			if snap.HasPoolOpened {
				r.poolOpenedAtStart = &snap.PoolOpened
			}
		} else {
			s.Notes = append(s.Notes, "app /metrics not readable: no exact server-side counts ("+err.Error()+")")
		}
	}
	if cfg.Measures(report.TargetOriginal) {
		if ps, ok := r.Ex.(interface{ OriginalPoolSize(context.Context) int64 }); ok {
			poolSize[report.TargetOriginal] = ps.OriginalPoolSize(ctx)
		}
		if n := poolSize[report.TargetOriginal]; n > 0 {
			md["original_pool_size"] = n
		}
	}
	for _, tgt := range targets {
		s.Targets = append(s.Targets, r.targetInfo(tgt, poolSize[tgt]))
	}

	var cells []Cell
	for _, cell := range Matrix(cfg, cpus) {
		if good[cell.Target+" "+cell.Endpoint] {
			cells = append(cells, cell)
		}
	}
	// --repeat N runs the matrix in rounds (rounds.go): every cell once,
	// then again, each endpoint warmed up at the start of every round.
	rcs := r.runRounds(ctx, s, cells, poolSize)
	for i, cell := range cells {
		rc := rcs[i]
		if ctx.Err() != nil && len(rc.Runs) == 0 {
			continue // never reached: not reported
		}
		aggregate(&rc, cfg, flask, s.Ceilings)
		switch {
		case rc.Status != report.StatusErrors:
		case cell.Target == report.TargetOriginal:
			// The contender's errors are what it did under that load (as
			// the publication's 99.4%): reported, not a failure of the run.
			// Its verification, before any load, is what says it works.
			s.Notes = append(s.Notes, fmt.Sprintf("%s %s%s: error ratio %.2f%% exceeds %.2f%%: the contender's measured behaviour, reported (not a failure of the run)", cell.Endpoint, cell.Scenario, onTarget(cell.Target), rc.CountedErrorRatio*100, cfg.ErrorThreshold*100))
		default:
			s.Failures = append(s.Failures, fmt.Sprintf("%s %s%s: error ratio %.2f%% exceeds %.2f%%", cell.Endpoint, cell.Scenario, onTarget(cell.Target), rc.CountedErrorRatio*100, cfg.ErrorThreshold*100))
		}
		if rc.Reconciled != nil && !*rc.Reconciled {
			rc.Untrusted = "reconciliation mismatch: " + accounting.Mismatches(rc.Runs)
			s.Failures = append(s.Failures, fmt.Sprintf("%s %s%s: %s", cell.Endpoint, cell.Scenario, onTarget(cell.Target), rc.Untrusted))
		}
		s.Cells = append(s.Cells, rc)
	}
	s.SideBySide = report.SideBySideRows(s.Cells, flask)

	s.Notes = append(s.Notes, r.warnings...)
	s.Finished = time.Now().UTC()
	md["finished"] = s.Finished
	if ctx.Err() != nil {
		s.Interrupted, s.InterruptedBy = true, InterruptedBy(ctx)
		s.Failures = append(s.Failures, fmt.Sprintf("interrupted (%s) after %d of %d cells", s.InterruptedBy, len(s.Cells), len(cells)))
		md["interrupted"] = s.InterruptedBy
		r.logf("bench: interrupted (%s): writing the %d cell(s) completed", s.InterruptedBy, len(s.Cells))
	}
	var genRuns []string
	annotationErr := ""
	for _, c := range s.Cells {
		for _, run := range c.Runs {
			genRuns = append(genRuns, strings.Join(run.Args, " ")+" "+c.Endpoint)
			if strings.HasPrefix(run.Annotation, "not posted") {
				annotationErr = run.Annotation
			}
		}
	}
	md["generator_runs"] = genRuns
	if annotationErr != "" {
		s.Notes = append(s.Notes, "Grafana annotations (best effort) "+annotationErr)
	}
	if err := report.WriteCharts(s, flask, cfg.OutDir); err != nil {
		s.Notes = append(s.Notes, "charts: "+err.Error())
		r.logf("bench: charts: %v", err)
	}
	recordSeenSettings(md, r.machine.seen) // compose_settings.go: the generators' containers
	r.describeEnd(ctx, md)
	redactAll(md, s)
	if err := report.WriteJSONFile(filepath.Join(cfg.OutDir, "metadata.json"), md); err != nil {
		return s, err
	}
	if err := s.WriteJSON(cfg.OutDir); err != nil {
		return s, err
	}
	if err := report.WriteMarkdown(s, flask, cfg.OutDir); err != nil {
		return s, err
	}
	if err := report.WriteHTML(s, flask, cfg.OutDir); err != nil {
		return s, err
	}
	if s.Interrupted {
		marker := fmt.Sprintf("interrupted (%s) at %s after %d of %d cells; summary.json and summary.md hold those cells\n",
			s.InterruptedBy, s.Finished.Format(time.RFC3339), len(s.Cells), len(cells))
		if err := runresult.WriteFile(filepath.Join(cfg.OutDir, InterruptedMarker), []byte(marker)); err != nil {
			return s, err
		}
	}
	return s, nil
}

// onTarget names a target after a cell in the log and the report's lines:
// nothing for the app (as before the bench measured anything else).
func onTarget(target string) string {
	if target == "" || target == report.TargetApp {
		return ""
	}
	return " (" + target + ")"
}

// targetInfo describes a target for the report: what it is, where, and
// which server-side evidence applies to it in this run.
func (r *Runner) targetInfo(target string, poolSize int64) report.TargetInfo {
	t := report.TargetInfo{Name: target, URL: r.Ex.HostURL(target), PoolSize: poolSize}
	db := "no PostgreSQL evidence (see Notes)"
	if r.DB != nil {
		db = "PostgreSQL: pg_stat_statements calls of the agents query, pg_stat_database sessions, backends at work (isolation wait)"
	}
	pool := "its pool's connections"
	if poolSize > 0 {
		pool = fmt.Sprintf("at most %d pooled connections", poolSize)
	}
	switch target {
	case report.TargetOriginal:
		t.Server = "the original benchmark's Flask app under gunicorn (original/; sync workers, its pool bug fixed)"
		t.Evidence = []string{db, "no /metrics: no exact server counts, no in-flight gauge (its isolation wait is PostgreSQL's alone), no Prometheus",
			"reconciled: every success a query; /agents one new connection per request; /agents_with_pool " + pool, "the generator's counts"}
	default:
		t.Server = "this lab's Echo app (app/)"
		prom := "no Prometheus evidence (see Notes)"
		if r.Prom != nil {
			prom = "Prometheus: responses by code, p50/p99"
		}
		t.Evidence = []string{"the app's /metrics: responses by code (exact), /agents connections opened, in-flight gauge (isolation wait)", prom, db,
			"reconciled: the app's counts against the generator's; every success a query; /agents one new connection per request; /agents_with_pool " + pool, "the generator's counts"}
	}
	return t
}

func hasDBEndpoint(eps []string) bool {
	for _, e := range eps {
		if e != "/index" {
			return true
		}
	}
	return false
}

// warmup loads the endpoint with cell's settings for cfg.Warmup, before its
// first scenario of the round (0-based; with --repeat its files are -rK,
// as the runs').
func (r *Runner) warmup(ctx context.Context, cell Cell, round int) (report.Warmup, error) {
	stem := cell.Endpoint[1:] + targetSuffix(cell.Target)
	if r.Cfg.Repeat > 1 {
		stem += fmt.Sprintf("-r%d", round+1)
	}
	dir := filepath.Join(r.Cfg.OutDir, "warmup")
	args := cell.GeneratorArgs(r.Cfg.Warmup, "warmup-"+stem, r.Cfg.Timeout, true)
	w := report.Warmup{Target: cell.Target, Endpoint: cell.Endpoint, Round: round + 1, Args: args, DurationS: r.Cfg.Warmup.Seconds(), TextFile: filepath.Join("warmup", stem+".txt")}
	r.logf("bench: warming up %s%s: loadtest %s", cell.Endpoint, onTarget(cell.Target), strings.Join(args, " "))
	text, jp, err := r.Ex.Generate(ctx, GenSpec{Target: cell.Target, Via: cell.Via, Path: cell.Endpoint, Dir: dir, Stem: stem, Args: args})
	_ = runresult.WriteFile(filepath.Join(dir, stem+".txt"), []byte(text))
	if err != nil {
		return w, fmt.Errorf("warm-up: %w", err)
	}
	g, err := runresult.ReadGenerator(jp)
	if err != nil {
		return w, fmt.Errorf("warm-up: %w", err)
	}
	w.Requests, w.InFlight, w.Errors = g.Requests, g.InFlightAtEnd, g.Errors
	return w, nil
}

// runOnce is the measured run and the server-side evidence of
// one repeat of a cell.
func (r *Runner) runOnce(ctx context.Context, cell Cell, idx int, poolSize int64) (report.Run, error) {
	cfg := r.Cfg
	stem := cell.Name()
	if cfg.Repeat > 1 {
		stem += fmt.Sprintf("-r%d", idx+1)
	}
	run := report.Run{Index: idx + 1}
	// Isolation: whatever loaded the server before (a warm-up, the previous
	// cell, an overload's backlog) is over before this run starts; the
	// wait's last look is the run's "before".
	before, iso := r.waitIdle(ctx, cell, cfg.IsolationWait)
	run.Isolation = &iso
	quietAt := time.Now()
	r.reportWait("before", cell, idx, iso)

	// Prometheus's "before" is a scrape taken once the server is quiet, so
	// its window holds this run alone. --quick skips that wait (up to a
	// scrape interval per run): its windows may hold the previous run's end.
	// Prometheus scrapes the app alone: the original has no /metrics.
	prom := r.Prom
	if cell.Target == report.TargetOriginal {
		prom = nil
	}
	var promFrom time.Time
	if prom != nil && !cfg.Quick {
		t, err := prom.ScrapeAfter(ctx, quietAt, 30*time.Second)
		if err != nil {
			return run, err
		}
		promFrom = t.Add(10 * time.Millisecond)
	}

	args := cell.GeneratorArgs(cell.Duration, stem, cfg.Timeout, cfg.Quick)
	run.Args = args
	r.logf("bench: %s run %d/%d: loadtest %s %s", cell.Name(), idx+1, cfg.Repeat, strings.Join(args, " "), cell.Endpoint)
	sampler := r.startSampler(ctx) // machine.go
	localStart := time.Now()
	text, jp, err := r.generate(ctx, GenSpec{Target: cell.Target, Via: cell.Via, Path: cell.Endpoint, Dir: cfg.OutDir, Stem: stem, Args: args})
	localEnd := time.Now()
	sampler.Stop()
	run.TextFile = stem + ".txt"
	_ = runresult.WriteFile(filepath.Join(cfg.OutDir, run.TextFile), []byte(text))
	if err != nil {
		return run, fmt.Errorf("generator: %w", err)
	}
	g, err := runresult.ReadGenerator(jp)
	if err != nil {
		return run, err
	}
	run.JSONFile = filepath.Base(jp)
	run.Args = g.Args
	if len(run.Args) == 0 || cfg.Generators > 1 {
		run.Args = args // the whole run's, not its first part's
	}
	if n := cfg.Generators; n > 1 {
		run.Generators = n
		for i := range n {
			run.PartFiles = append(run.PartFiles, PartStem(stem, i+1, n)+".json")
		}
	}
	run.Start, run.End = g.Start, g.End
	if run.Start.IsZero() || run.End.IsZero() {
		run.Start, run.End = localStart, localEnd
	}
	run.Machine = r.runMachine(sampler, run.Start, run.End)
	run.Health = g.Health
	run.ElapsedS, run.Requests, run.Bytes, run.AchievedRate = g.ElapsedS, g.Requests, g.Bytes, g.AchievedRate
	run.InFlight, run.Attempts = g.InFlightAtEnd, g.Attempts()
	run.Latency, run.Errors = g.LatencyMS, g.Errors
	run.ErrorRatio = runresult.ErrorRatio(run.Requests, run.InFlight, run.Errors)
	cls := report.Classify(report.RunFigures(run, cell.Rate, cfg.SaturatedBelow))
	run.Class = &cls
	if b, err := runresult.ReadFile(filepath.Join(cfg.OutDir, stem+".hgrm")); err == nil {
		if _, pts, ok := formats.ExtractHgrm(string(b)); ok {
			run.HgrmFile, run.Spectrum = stem+".hgrm", pts
		}
	}
	if run.Spectrum == nil {
		if dist, pts, ok := formats.ExtractHgrm(text); ok { // -L output, when --hgrm wrote nothing
			run.HgrmFile, run.Spectrum = stem+".hgrm", pts
			if err := runresult.WriteFile(filepath.Join(cfg.OutDir, run.HgrmFile), []byte(dist)); err != nil {
				return run, err
			}
		} else {
			run.Spectrum = spectrumFromJSON(g)
		}
	}

	// Drain: the run's requests still in the server when the generator's
	// window closed finish (or are given up on) before its "after" is read,
	// so the app's, PostgreSQL's and Prometheus's windows all run from the
	// same quiet point to the same quiet point.
	after, drain := r.waitIdle(ctx, cell, cfg.IsolationWait)
	run.Drain = &drain
	drainedAt := time.Now()
	r.reportWait("after", cell, idx, drain)

	// Server side, same window: exact counters, then Prometheus.
	srv := &report.Server{}
	switch {
	case cell.Target == report.TargetOriginal:
		// No /metrics: PostgreSQL's counts and the generator's are all.
	case before.appErr != nil:
		srv.Problems = append(srv.Problems, before.appErr.Error())
	case after.appErr != nil:
		srv.Problems = append(srv.Problems, after.appErr.Error())
	default:
		srv.AppRequests = evidence.RouteDelta(before.app, after.app, cell.Endpoint)
		switch cell.Endpoint {
		case "/agents":
			n := int64(after.app.ConnectionsOpened - before.app.ConnectionsOpened)
			srv.AppConnectionsOpened = &n
		case "/agents_with_pool":
			if before.app.HasPoolOpened && after.app.HasPoolOpened && r.poolOpenedAtStart != nil {
				n, since := int64(after.app.PoolOpened-before.app.PoolOpened), int64(after.app.PoolOpened-*r.poolOpenedAtStart)
				srv.AppPoolConnectionsOpened, srv.AppPoolOpenedSinceStart = &n, &since
			}
		}
	}
	if r.DB != nil {
		switch {
		case before.dbErr != nil:
			srv.Problems = append(srv.Problems, before.dbErr.Error())
		case after.dbErr != nil:
			srv.Problems = append(srv.Problems, after.dbErr.Error())
		default:
			srv.DB = &report.DB{AgentsQueryCalls: after.db.Calls - before.db.Calls, Sessions: after.db.Sessions - before.db.Sessions}
		}
	}
	if prom != nil {
		if promFrom.IsZero() {
			promFrom = run.Start
		}
		pw, err := prom.Window(ctx, cell.Endpoint, promFrom, drainedAt)
		if pw != nil {
			pw.RunAlone = !pw.WindowStart.Before(quietAt)
		}
		srv.Prometheus = pw
		if err != nil {
			srv.Problems = append(srv.Problems, err.Error())
		}
	}
	run.Server = srv
	run.Checks = accounting.Reconcile(cell.Endpoint, g, srv, poolSize)
	if r.GrafanaURL != "" {
		text := fmt.Sprintf("%s %s%s: %.1f req/s", cell.Endpoint, cell.Scenario, onTarget(cell.Target), g.AchievedRate)
		if err := Annotate(ctx, r.GrafanaURL, text, []string{cell.Endpoint, cell.Scenario, cell.Target}, run.Start, run.End); err != nil {
			run.Annotation = "not posted: " + err.Error()
		} else {
			run.Annotation = "posted"
		}
	}
	status := fmt.Sprintf("%.1f req/s", g.AchievedRate)
	if cell.Rate > 0 {
		status += fmt.Sprintf(" of %g", cell.Rate)
	}
	r.logf("bench: %s run %d/%d: %s, p50 %.2fms p99 %.2fms max %.2fms, %d responses, %d in flight at the end, %d failed (%.2f%%)",
		cell.Name(), idx+1, cfg.Repeat, status, run.Latency.P50, run.Latency.P99, run.Latency.Max,
		run.Requests, run.InFlight, runresult.Failed(run.Requests, run.InFlight, run.Errors), run.ErrorRatio*100)
	for _, c := range run.Checks {
		if !c.OK {
			r.logf("bench: %s: RECONCILIATION MISMATCH %s: %s", cell.Name(), c.Name, c.Detail)
		}
	}
	return run, nil
}

// reportWait logs a wait that took noticeable time, and makes a wait that
// hit its bound a warning of the run (a Note of the report).
func (r *Runner) reportWait(when string, cell Cell, idx int, w report.Wait) {
	what := map[string]string{"before": "to be idle before", "after": "to finish the requests of"}[when]
	switch {
	case w.TimedOut:
		msg := fmt.Sprintf("ISOLATION WAIT HIT ITS BOUND (%gs) %s %s run %d: still busy: %s", w.BoundS,
			map[string]string{"before": "before", "after": "after"}[when], cell.Name(), idx+1, w.Busy)
		if when == "before" {
			msg += "; the run's figures may include the previous load"
		} else {
			msg += "; its server-side counts may miss its last requests"
		}
		r.logf("bench: WARNING: %s", msg)
		r.warnings = append(r.warnings, msg)
	case w.WaitedS >= 1:
		r.logf("bench: waited %.1fs for the server %s %s run %d", w.WaitedS, what, cell.Name(), idx+1)
	}
}

// aggregate fills a cell's medians, spread, status and comparisons from its runs.
func aggregate(c *report.Cell, cfg Settings, flask publication.Set, ceilings []report.Ceiling) {
	if len(c.Runs) == 0 {
		c.Status = report.StatusNotRun
		return
	}
	pick := func(f func(report.Run) float64) (med float64, sp report.Spread) {
		vals := make([]float64, len(c.Runs))
		for i, r := range c.Runs {
			vals[i] = f(r)
		}
		return median(vals), report.Spread{Min: minOf(vals), Max: maxOf(vals)}
	}
	c.AchievedRate, c.RateSpread = pick(func(r report.Run) float64 { return r.AchievedRate })
	c.Intervals = report.CellIntervals(c.Runs)
	c.Class, c.ClassReason = cellClass(c.Runs)
	// Each latency figure is the median of the runs' (the p99's spread too).
	for i, f := range c.Latency.Fields() {
		*f.Value, _ = pick(func(r report.Run) float64 { return *r.Latency.Fields()[i].Value })
	}
	_, c.P99Spread = pick(func(r report.Run) float64 { return r.Latency.P99 })
	// The counts, attempts, errors, overload, status and note: the bench's
	// accounting (internal/lab/accounting).
	accounting.Cell(c, cfg.ErrorThreshold, cfg.SaturatedBelow)
	c.Publication = report.PublicationOf(flask, c.Endpoint, c.Scenario, c.AchievedRate)
	// The share of the database's own ceiling says how close a DB endpoint
	// came to what PostgreSQL alone can do, when the cell was not capped by
	// its target rate: /agents against new-connection pgbench, the pool
	// against prepared pgbench.
	want := map[string]string{"/agents": "connect", "/agents_with_pool": "prepared"}[c.Endpoint]
	if want != "" && c.Status != report.StatusOK {
		for _, ce := range ceilings {
			if ce.Name == want && ce.TPS > 0 {
				c.CeilingShare = map[string]float64{ce.Name: c.AchievedRate / ce.TPS}
			}
		}
	}
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func minOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = min(m, x)
	}
	return m
}

func maxOf(v []float64) float64 {
	m := v[0]
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// metadata is what the run was made of: code, images, CPUs, settings.
func (r *Runner) metadata(ctx context.Context) map[string]any {
	md := map[string]any{
		"started":         time.Now().UTC(),
		"isolation_wait":  r.Cfg.IsolationWait.String(),
		"quick":           r.Cfg.Quick,
		"command_line":    runresult.RedactArgs(r.CmdLine),
		"executor":        r.Ex.Name(),
		"runner":          report.RunnerOf(os.Getenv),
		"app_url":         r.Ex.HostURL(report.TargetApp),
		"targets":         r.Cfg.Targets,
		"host_cpus":       runtime.NumCPU(),
		"host_gomaxprocs": runtime.GOMAXPROCS(0),
		"go_version":      runtime.Version(),
		"warmup":          r.Cfg.Warmup.String(),
		"repeat":          r.Cfg.Repeat,
	}
	if out, err := exec.CommandContext(ctx, "git", "rev-parse", "HEAD").Output(); err == nil {
		md["git_commit"] = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil {
			md["git_dirty"] = len(strings.TrimSpace(string(st))) > 0
		}
	}
	if b, err := os.ReadFile("/sys/fs/cgroup/cpu.max"); err == nil {
		md["host_cgroup_cpu_max"] = strings.TrimSpace(string(b))
	}
	if r.DB != nil {
		for _, name := range evidence.RecordedSettings {
			if v, err := r.DB.Setting(ctx, name); err == nil {
				md["postgres_"+name] = v
			}
		}
	}
	r.Ex.Describe(ctx, md)
	return md
}

// describeEnd adds to the metadata what an executor knows only once the
// runs are done (swarm: where each job's tasks ran, the clock offsets), for
// the matrix and the sweep alike.
func (r *Runner) describeEnd(ctx context.Context, md map[string]any) {
	if d, ok := r.Ex.(interface {
		DescribeEnd(context.Context, map[string]any)
	}); ok {
		d.DescribeEnd(context.WithoutCancel(ctx), md)
	}
}

// spectrumFromJSON is the percentile spectrum from the JSON's few
// percentiles, for when the text output has no detailed spectrum.
func spectrumFromJSON(g *runresult.Generator) []formats.HgrmPoint {
	l := g.LatencyMS
	return []formats.HgrmPoint{{Percentile: 0, ValueMS: l.Min}, {Percentile: .5, ValueMS: l.P50}, {Percentile: .75, ValueMS: l.P75},
		{Percentile: .9, ValueMS: l.P90}, {Percentile: .99, ValueMS: l.P99}, {Percentile: .999, ValueMS: l.P99_9},
		{Percentile: .9999, ValueMS: l.P99_99}, {Percentile: .99999, ValueMS: l.P99_999}, {Percentile: 1, ValueMS: l.P100}}
}
