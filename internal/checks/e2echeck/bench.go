package e2echeck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// CheckBenchReport checks a results folder of `scripts/bench.sh --quick
// --targets app,original` run through compose: every endpoint × scenario
// cell ran against both targets (both "via localhost" and "via the
// network"), every endpoint of both verified (the original's by parsed
// JSON), every run has its target's evidence (the app's own counters,
// PostgreSQL's and Prometheus's; for the original, which has no /metrics,
// PostgreSQL's) and its reconciliation holds, every run's isolation wait and
// drain ended on an idle server within their bound, the original served
// its light cells (10 req/s) without an error, and the report leads with
// the side-by-side table, a ratio (or a failed cell marked) in every row,
// and the charts are written. A cell's error ratio under overload is a
// measurement (/agents opening a connection per request fails under 400
// connections on a small machine), not a failure of the lab: it is
// returned in the cell lines for the log. Every measured run was
// BenchGenerators generators (--generators): its figures are their merged
// result, each part's files are there, and the parts' counts add up to it.
func CheckBenchReport(dir string) (cellLines []string, err error) {
	s, bad, err := loadComposeRun(dir)
	if err != nil {
		return nil, err
	}
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	verified := map[string]bool{}
	for _, v := range s.Verification {
		if !v.OK {
			fail("verification of %s %s: %s", v.Target, v.Endpoint, strings.Join(v.Problems, "; "))
		}
		verified[v.Target+" "+v.Endpoint] = v.OK
	}
	cells := map[string]report.Cell{}
	vias := map[string]bool{}
	for _, c := range s.Cells {
		cells[c.Target+" "+c.Endpoint+" "+c.Scenario] = c
		vias[c.Target+" "+c.Via] = true
	}
	for _, tgt := range benchrun.AllTargets {
		for _, v := range []string{"localhost", "network"} {
			if !vias[tgt+" "+v] {
				fail("no %s cell ran via %s", tgt, v)
			}
		}
		for _, ep := range benchrun.DefaultEndpoints {
			if !verified[tgt+" "+ep] {
				fail("%s %s: not verified", tgt, ep)
			}
			for _, sc := range benchrun.DefaultScenarios {
				checkCell(cells, tgt, ep, sc, fail, &cellLines)
			}
		}
	}
	for _, c := range s.Cells {
		for i, r := range c.Runs {
			checkParts(dir, fmt.Sprintf("cell %s %s (%s) run %d", c.Endpoint, c.Scenario, c.Target, i), r, fail)
		}
	}
	checkSideBySide(dir, s, fail)
	files := []string{"summary.md"}
	for _, sc := range benchrun.DefaultScenarios {
		files = append(files, "latency-"+sc+".png", "throughput-"+sc+".png")
	}
	for _, f := range files {
		if fi, err := os.Stat(filepath.Join(dir, f)); err != nil || fi.Size() == 0 {
			fail("%s not written", f)
		}
	}
	if len(bad) > 0 {
		return cellLines, fmt.Errorf("bench report %s:\n  %s", dir, strings.Join(bad, "\n  "))
	}
	return cellLines, nil
}

// checkCell checks one cell of one target and its runs' evidence.
func checkCell(cells map[string]report.Cell, tgt, ep, sc string, fail func(string, ...any), lines *[]string) {
	name := fmt.Sprintf("cell %s %s (%s)", ep, sc, tgt)
	c, ok := cells[tgt+" "+ep+" "+sc]
	switch {
	case !ok:
		fail("%s missing", name)
		return
	case c.Status == report.StatusNotRun:
		fail("%s: not run %s", name, c.Note)
	case len(c.Runs) == 0 || c.Requests == 0:
		fail("%s: no requests", name)
	}
	*lines = append(*lines, fmt.Sprintf("%s %s via %s (%s): %s, %.1f req/s, errors %.2f%%, %s",
		ep, sc, c.Via, tgt, c.Status, c.AchievedRate, 100*c.ErrorRatio, c.Class))
	if c.Class == "" {
		fail("%s: no class", name)
	}
	// At 10 req/s the original has nothing to shed: an error there is a
	// broken contender, not a measurement.
	if tgt == report.TargetOriginal && sc == "rate10" && (c.ErrorRatio > 0 || c.Status != report.StatusOK) {
		fail("%s: %s with error ratio %.2f%% at 10 req/s", name, c.Status, 100*c.ErrorRatio)
	}
	for i, r := range c.Runs {
		switch {
		case r.Server == nil || r.Server.DB == nil:
			fail("%s run %d: PostgreSQL evidence missing", name, i)
			continue
		case tgt == report.TargetApp && (r.Server.Prometheus == nil || r.Server.AppRequests == nil):
			fail("%s run %d: the app's or Prometheus's evidence missing", name, i)
			continue
		}
		if len(r.Server.Problems) > 0 {
			fail("%s run %d: evidence: %s", name, i, strings.Join(r.Server.Problems, "; "))
		}
		if len(r.Checks) == 0 {
			fail("%s run %d: no reconciliation", name, i)
		}
		// Who set the figure: the generator's own health, the machine's
		// CPU over the window (the compose executor samples it), a class.
		switch {
		case r.Health == nil:
			fail("%s run %d: no generator health", name, i)
		case r.Machine == nil || r.Machine.CPUs == 0:
			fail("%s run %d: the machine's CPU was not sampled", name, i)
		case r.Class == nil || r.Class.Class == "" || r.Class.Class == report.ClassUnknown:
			fail("%s run %d: no class (%+v)", name, i, r.Class)
		}
		// Every run started on an idle server and was drained: the waits
		// ended on idle, within their bound, in the real stack.
		for what, w := range map[string]*report.Wait{"isolation wait": r.Isolation, "drain": r.Drain} {
			switch {
			case w == nil || w.Skipped:
				fail("%s run %d: no %s recorded", name, i, what)
			case w.TimedOut:
				fail("%s run %d: %s hit its bound (%gs): %s", name, i, what, w.BoundS, w.Busy)
			}
		}
		for _, k := range r.Checks {
			if !k.OK {
				fail("%s run %d: reconciliation %q: %s", name, i, k.Name, k.Detail)
			}
		}
	}
}

// BenchGenerators is the bench's --generators in scripts/e2e.sh.
const BenchGenerators = 2

// checkParts: the run was BenchGenerators generators started together
// (their windows start at one instant), each part's files are in the
// folder, and the run's merged result is the sum of the parts' counts.
func checkParts(dir, name string, r report.Run, fail func(string, ...any)) {
	if r.Generators != BenchGenerators || len(r.PartFiles) != BenchGenerators {
		fail("%s: %d generators (%d part files), want %d", name, r.Generators, len(r.PartFiles), BenchGenerators)
		return
	}
	merged, err := runresult.ReadGenerator(filepath.Join(dir, r.JSONFile))
	if err != nil {
		fail("%s: merged result: %v", name, err)
		return
	}
	var sum runresult.Generator
	for i, f := range r.PartFiles {
		p, err := runresult.ReadGenerator(filepath.Join(dir, f))
		if err != nil {
			fail("%s: part %d: %v", name, i+1, err)
			return
		}
		for _, ext := range []string{".txt", ".hgrm"} {
			if fi, err := os.Stat(filepath.Join(dir, strings.TrimSuffix(f, ".json")+ext)); err != nil || fi.Size() == 0 {
				fail("%s: part %d's %s missing or empty", name, i+1, ext)
			}
		}
		if p.Part != i+1 || p.Parts != BenchGenerators || !p.Start.Equal(merged.Start) {
			fail("%s: %s is part %d/%d from %s, want part %d/%d from the run's start %s", name, f, p.Part, p.Parts,
				p.Start.Format(time.RFC3339Nano), i+1, BenchGenerators, merged.Start.Format(time.RFC3339Nano))
		}
		sum.Requests += p.Requests
		sum.Bytes += p.Bytes
		sum.InFlightAtEnd += p.InFlightAtEnd
		sum.Errors.Add(p.Errors)
	}
	if merged.Requests != sum.Requests || merged.Bytes != sum.Bytes || merged.InFlightAtEnd != sum.InFlightAtEnd ||
		merged.Errors != sum.Errors || r.Requests != merged.Requests {
		fail("%s: merged %d responses, %d bytes, %d in flight, errors %+v (report: %d responses); the parts' sum %d, %d, %d, %+v",
			name, merged.Requests, merged.Bytes, merged.InFlightAtEnd, merged.Errors, r.Requests, sum.Requests, sum.Bytes, sum.InFlightAtEnd, sum.Errors)
	}
}

// checkSideBySide: summary.json's headline has a row per endpoint and
// scenario with both targets' figures and their ratio (or a figure marked
// failed), and summary.md leads with it.
func checkSideBySide(dir string, s *report.Summary, fail func(string, ...any)) {
	rows := map[string]report.SideBySide{}
	for _, r := range s.SideBySide {
		rows[r.Endpoint+" "+r.Scenario] = r
	}
	for _, ep := range benchrun.DefaultEndpoints {
		for _, sc := range benchrun.DefaultScenarios {
			r, ok := rows[ep+" "+sc]
			switch {
			case !ok || r.App == nil || r.Original == nil:
				fail("side by side %s %s: missing or without both targets", ep, sc)
			case r.RateRatio <= 0 && !r.App.Failed && !r.Original.Failed:
				fail("side by side %s %s: no ratio", ep, sc)
			}
		}
	}
	md, err := os.ReadFile(filepath.Join(dir, "summary.md"))
	if err != nil {
		fail("summary.md: %v", err)
		return
	}
	text := string(md)
	head := strings.Index(text, report.SideBySideHeading)
	if head < 0 || (strings.Contains(text, "## Verification") && head > strings.Index(text, "## Verification")) {
		fail("summary.md does not lead with %q", report.SideBySideHeading)
		return
	}
	if !strings.Contains(text, "| app ÷ original |") || !strings.Contains(text, report.PublicationLabel) {
		fail("summary.md's side-by-side table has no app ÷ original or %s column", report.PublicationLabel)
	}
	for _, ep := range benchrun.DefaultEndpoints {
		for _, sc := range benchrun.DefaultScenarios {
			row := ""
			for _, l := range strings.Split(text[head:], "\n") {
				if strings.HasPrefix(l, "| "+ep+" | "+sc+" |") {
					row = l
					break
				}
			}
			if !strings.Contains(row, "×") && !strings.Contains(row, "failed:") {
				fail("summary.md: side-by-side row %s %s: %q, want a ratio or a failed cell", ep, sc, row)
			}
		}
	}
}

// loadComposeRun reads a results folder's summary.json and the problems
// every compose run is checked for: another executor, or failures.
func loadComposeRun(dir string) (*report.Summary, []string, error) {
	s, err := report.Load(dir)
	if err != nil {
		return nil, nil, err
	}
	var bad []string
	if s.Executor != "compose" {
		bad = append(bad, fmt.Sprintf("executor %q, want compose (the loadtest container)", s.Executor))
	}
	if len(s.Failures) > 0 {
		bad = append(bad, "failures: "+strings.Join(s.Failures, "; "))
	}
	return s, bad, nil
}
