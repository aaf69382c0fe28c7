package e2echeck

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/macrobench/macrobench/internal/bench"
	"github.com/macrobench/macrobench/internal/benchreport"
)

// CheckBenchReport checks a results folder of `scripts/bench.sh --quick` run
// through compose: every endpoint × scenario cell ran (both "via localhost"
// and "via the network"), the endpoints verified, every run has the app's,
// the database's and Prometheus's evidence and its reconciliation holds, and
// the report and charts are written; every run's isolation wait and drain
// ended on an idle server, within their bound. A cell's error ratio is a measurement (/agents opening a
// connection per request fails under 400 connections on a small machine),
// not a failure of the lab: it is returned in the cell lines for the log.
func CheckBenchReport(dir string) (cellLines []string, err error) {
	s, err := benchreport.Load(dir)
	if err != nil {
		return nil, err
	}
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	if s.Executor != "compose" {
		fail("executor %q, want compose (the loadtest container)", s.Executor)
	}
	if len(s.Failures) > 0 {
		fail("failures: %s", strings.Join(s.Failures, "; "))
	}
	for _, v := range s.Verification {
		if !v.OK {
			fail("verification of %s: %s", v.Endpoint, strings.Join(v.Problems, "; "))
		}
	}
	if len(s.Verification) != len(bench.DefaultEndpoints) {
		fail("%d endpoints verified, want %d", len(s.Verification), len(bench.DefaultEndpoints))
	}
	cells := map[string]benchreport.Cell{}
	vias := map[string]bool{}
	for _, c := range s.Cells {
		cells[c.Endpoint+" "+c.Scenario] = c
		vias[c.Via] = true
	}
	for _, v := range []string{"localhost", "network"} {
		if !vias[v] {
			fail("no cell ran via %s", v)
		}
	}
	for _, ep := range bench.DefaultEndpoints {
		for _, sc := range bench.DefaultScenarios {
			c, ok := cells[ep+" "+sc]
			switch {
			case !ok:
				fail("cell %s %s missing", ep, sc)
				continue
			case c.Status == benchreport.StatusNotRun:
				fail("cell %s %s: not run %s", ep, sc, c.Note)
			case len(c.Runs) == 0 || c.Requests == 0:
				fail("cell %s %s: no requests", ep, sc)
			}
			cellLines = append(cellLines, fmt.Sprintf("%s %s via %s: %s, %.1f req/s, errors %.2f%%",
				ep, sc, c.Via, c.Status, c.AchievedRate, 100*c.ErrorRatio))
			for i, r := range c.Runs {
				if r.Server == nil || r.Server.DB == nil || r.Server.Prometheus == nil {
					fail("cell %s %s run %d: server, database or Prometheus evidence missing", ep, sc, i)
					continue
				}
				if len(r.Server.Problems) > 0 {
					fail("cell %s %s run %d: evidence: %s", ep, sc, i, strings.Join(r.Server.Problems, "; "))
				}
				if len(r.Checks) == 0 {
					fail("cell %s %s run %d: no reconciliation", ep, sc, i)
				}
				// Every run started on an idle server and was drained: the
				// waits ended on idle, within their bound, in the real stack.
				for what, w := range map[string]*benchreport.Wait{"isolation wait": r.Isolation, "drain": r.Drain} {
					switch {
					case w == nil || w.Skipped:
						fail("cell %s %s run %d: no %s recorded", ep, sc, i, what)
					case w.TimedOut:
						fail("cell %s %s run %d: %s hit its bound (%gs): %s", ep, sc, i, what, w.BoundS, w.Busy)
					}
				}
				for _, k := range r.Checks {
					if !k.OK {
						fail("cell %s %s run %d: reconciliation %q: %s", ep, sc, i, k.Name, k.Detail)
					}
				}
			}
		}
	}
	files := []string{"summary.md"}
	for _, sc := range bench.DefaultScenarios {
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
