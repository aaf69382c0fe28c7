package benchreport

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/macrobench/macrobench/internal/baseline"
	"github.com/macrobench/macrobench/internal/results"
)

// scenarioTitles say how each scenario loads the app, in the original's words.
var scenarioTitles = map[string]string{
	"saturation": `saturation, "directly via localhost" (closed loop: as many requests as the connections carry)`,
	"rate4000":   `4000 req/s "via the network" (open loop, latency corrected for coordinated omission)`,
	"rate10":     `10 req/s "via the network" (open loop, latency corrected for coordinated omission)`,
}

// WriteMarkdown writes summary.md into dir.
func WriteMarkdown(s *Summary, flask baseline.Set, dir string) error {
	return WriteFileAtomic(filepath.Join(dir, "summary.md"), []byte(Markdown(s, flask)))
}

// Markdown renders the summary for people.
func Markdown(s *Summary, flask baseline.Set) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# macrobench results, %s\n\n", s.Started.Format("2006-01-02 15:04:05 UTC"))
	if s.Interrupted {
		w("> **INTERRUPTED** (%s) at %s: the run was stopped before its end; the %d cell(s) below are those it completed, measured as usual.\n\n",
			orS(s.InterruptedBy, "stopped"), s.Finished.Format("15:04:05 UTC"), len(s.Cells))
	}
	result := "**PASSED**"
	if len(s.Failures) > 0 {
		result = "**FAILED**"
	}
	w("Result: %s. Executor: %s; app at %s", result, s.Executor, s.Target)
	if s.Quick {
		w("; **quick smoke run** (short cells: not comparable with the original's durations)")
	}
	w(".\n\n")
	w("- Warm-up: %s.", s.Warmup)
	for _, wu := range s.Warmups {
		w(" %s: %d requests in %s (`%s`).", wu.Endpoint, wu.Requests, secs(wu.DurationS), strings.Join(wu.Args, " "))
	}
	w("\n")
	if s.Repeat > 1 {
		w("- Every cell ran %d times: figures are medians, with the min–max spread in brackets.\n", s.Repeat)
	}
	w("- Accounting: %s\n", results.Accounting)
	w("- A cell fails when its error ratio exceeds %s. A rate cell below %.0f%% of its target is *saturated* (reported, not a failure); in a cell at capacity (closed loop or saturated) timeouts and the 503s that the app itself counted (up to the generator's own non-2xx count) are load shedding, reported but not counted against the threshold; any other failure (a 500, a wrong body, a socket error) always counts.\n",
		pct(s.ErrorThreshold), s.SaturatedBelow*100)
	if s.Isolation != "" {
		w("- Isolation: %s\n", s.Isolation)
	}
	w("- Original figures: %s.\n", s.Baseline)
	if s.GrafanaURL != "" {
		w("- Grafana: %s (each scenario is an annotation tagged `macrobench`).\n", s.GrafanaURL)
	}
	w("- Charts: `latency-<scenario>.png` (percentile spectrum, log scale on 1/(1-p)), `throughput-<scenario>.png` (ours vs the original).\n\n")

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
			res, detail = "**FAILED — not benchmarked**", escape(strings.Join(v.Problems, "; "))
		}
		w("| %s | %s | %s |\n", v.Endpoint, res, detail)
	}
	w("\n")

	if len(s.Ceilings) > 0 {
		w("## PostgreSQL ceilings (pgbench, measured in this run)\n\nThe agents query alone, without HTTP: what the database can serve over 8 connections.\n\n| ceiling | command | transactions/s |\n|---|---|---|\n")
		for _, c := range s.Ceilings {
			tps := fmt.Sprintf("%.0f", c.TPS)
			if c.Error != "" {
				tps = "not measured: " + escape(clipS(c.Error, 200))
			}
			w("| %s | `%s` | %s |\n", c.Name, c.Command, tps)
		}
		w("\n")
	}

	for _, sc := range scenarioOrder(s.Cells) {
		cells := cellsOf(s.Cells, sc)
		c0 := cells[0]
		title := scenarioTitles[sc]
		if title == "" {
			title = sc
		}
		w("## %s — %s\n\n", sc, title)
		w("%d connections, %d threads, %s per run", c0.Connections, c0.Threads, secs(c0.DurationS))
		if c0.TargetRate > 0 {
			w(", target %g req/s", c0.TargetRate)
		}
		w(", via %s.", c0.Via)
		if o, ok := flask.Lookup(c0.Endpoint, sc); ok {
			w(" The original ran `%s`.", o.Command)
		}
		w("\n\n")
		w("| endpoint | status | req/s achieved / target | mean | p50 | p90 | p99 | p99.9 | max | errors connect/read/write/timeout | non-2xx | in flight at end | Flask req/s | ours ÷ Flask | Flask latency avg / max | share of DB ceiling |\n")
		w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range cells {
			target := "closed loop"
			if c.TargetRate > 0 {
				target = fmt.Sprintf("%g", c.TargetRate)
			}
			rate := fmt.Sprintf("%.1f", c.AchievedRate)
			p99 := ms(c.Latency.P99)
			if len(c.Runs) > 1 {
				rate += fmt.Sprintf(" [%.1f–%.1f]", c.RateSpread.Min, c.RateSpread.Max)
				p99 += fmt.Sprintf(" [%s–%s]", ms(c.P99Spread.Min), ms(c.P99Spread.Max))
			}
			status := c.Status
			if c.Note != "" {
				status += " (" + c.Note + ")"
			}
			orig, ratio, origLat := "not measured by the original", "—", "—"
			if c.Original != nil && c.Original.Measured {
				// The original printed wrk's mean and max only (no -L).
				origLat = c.Original.LatencyAvg + " / " + c.Original.LatencyMax
				orig = fmt.Sprintf("%.2f", c.Original.RequestsPerSec)
				if c.Original.Non2xx > 0 {
					orig += fmt.Sprintf(" (%d non-2xx)", c.Original.Non2xx)
				}
				ratio = fmt.Sprintf("%.2f×", c.Original.Ratio)
			}
			share := "—"
			if len(c.CeilingShare) > 0 {
				var parts []string
				for _, k := range sortedKeys(c.CeilingShare) {
					parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*c.CeilingShare[k]))
				}
				share = strings.Join(parts, ", ")
			}
			if c.Status == StatusNotRun {
				w("| %s | not run | — | — | — | — | — | — | — | — | — | — | %s | — | %s | — |\n", c.Endpoint, orig, origLat)
				continue
			}
			w("| %s | %s | %s / %s | %s | %s | %s | %s | %s | %s | %d/%d/%d/%d | %d | %d | %s | %s | %s | %s |\n",
				c.Endpoint, status, rate, target, ms(c.Latency.Mean), ms(c.Latency.P50), ms(c.Latency.P90), p99, ms(c.Latency.P99_9), ms(c.Latency.Max),
				c.Errors.Connect, c.Errors.Read, c.Errors.Write, c.Errors.Timeout, c.Errors.Status, c.InFlight, orig, ratio, origLat, share)
		}
		w("\nServer side, same window (per run):\n\n")
		w("| endpoint | run | app responses by code (exact) | Prometheus responses | Prometheus p50 / p99 | agents query calls | connections opened | reconciliation | idle wait before / drain after |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, c := range cells {
			for _, r := range c.Runs {
				w("| %s | %d | %s | %s | %s | %s | %s | %s | %s / %s |\n", c.Endpoint, r.Index, serverApp(r), serverProm(r), promLatency(r), dbCalls(r), dbSessions(r), checks(r),
					wait(r.Isolation), wait(r.Drain))
			}
		}
		w("\n")
	}

	if len(s.Notes) > 0 {
		w("## Notes\n\n")
		for _, n := range s.Notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	w("## Original notes\n\n")
	for _, n := range flask.Notes {
		w("- %s\n", n)
	}
	w("\n## How to read this\n\n")
	w("- Latencies are the generator's, in ms; in rate scenarios they are measured from when each request *should* have been sent (wrk2's coordinated-omission correction), so a server that falls behind shows its queueing.\n")
	w("- *Flask latency avg / max* is all the original printed of its latency (wrk's Thread Stats, no percentiles); compare it with our *mean* and *max*.\n")
	w("- *ours ÷ Flask* compares achieved requests per second with the original's for the same cell. The original's saturation runs are wrk (closed loop) on its own machine; its rate runs crossed a 1 Gb/s network.\n")
	w("- *idle wait before / drain after*: before each run the bench waited until the app had no request in flight and PostgreSQL no backend at work (a run after an overloaded one starts on an idle server), and after it until the run's last requests were done (its server-side counts are read then). **BOUND HIT** means the server was still busy when the wait gave up: that run's figures may include the previous load.\n")
	w("- *reconciliation* compares the generator's counts with the server's for the same window: the app's own counters (exact), PostgreSQL's pg_stat_statements calls of the agents query and pg_stat_database sessions. Every successful DB response needs a query that reached the database; /agents needs one new connection per request; /agents_with_pool opens at most its pool. A mismatch is flagged here and on the console.\n")
	if s.Quick {
		w("- Prometheus figures span from the last scrape before a run to the first scrape after its drain: in a quick run that may include the end of the previous run or warm-up (said so where it does).\n")
	} else {
		w("- Prometheus figures span from a scrape taken once the server was idle before a run to the first scrape after its drain: the run alone, the same span as the app's exact counts.\n")
	}
	w("- Per run files: `<endpoint>-<scenario>.txt` (wrk2 layout), `.json` (machine-readable), `.hgrm` (percentile spectrum); `metadata.json` has the commit, images, CPUs and settings.\n")
	return b.String()
}

// wait shows an isolation or drain wait: how long, and what was still busy
// when it hit its bound.
func wait(wt *Wait) string {
	switch {
	case wt == nil:
		return "n/a"
	case wt.Skipped:
		return "not waited"
	case wt.TimedOut:
		return fmt.Sprintf("**BOUND HIT** after %.1fs: %s", wt.WaitedS, escape(wt.Busy))
	}
	return fmt.Sprintf("%.1fs", wt.WaitedS)
}

func orS(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func serverApp(r Run) string {
	if r.Server == nil || r.Server.AppRequests == nil {
		return "n/a"
	}
	var parts []string
	for _, k := range sortedKeys(r.Server.AppRequests) {
		parts = append(parts, fmt.Sprintf("%s: %d", k, r.Server.AppRequests[k]))
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}

func serverProm(r Run) string {
	if r.Server == nil || r.Server.Prometheus == nil {
		return "n/a"
	}
	var parts []string
	for _, k := range sortedKeys(r.Server.Prometheus.Requests) {
		parts = append(parts, fmt.Sprintf("%s: %.0f", k, r.Server.Prometheus.Requests[k]))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	if !r.Server.Prometheus.RunAlone {
		parts = append(parts, fmt.Sprintf("(window opens %.1fs before the run: earlier traffic included)", r.Start.Sub(r.Server.Prometheus.WindowStart).Seconds()))
	}
	return strings.Join(parts, ", ")
}

func promLatency(r Run) string {
	if r.Server == nil || r.Server.Prometheus == nil || r.Server.Prometheus.Histogram == "" {
		return "n/a"
	}
	p := r.Server.Prometheus
	return fmt.Sprintf("%s / %s (%s)", ms(p.P50MS), ms(p.P99MS), p.Histogram)
}

func dbCalls(r Run) string {
	if r.Server == nil || r.Server.DB == nil {
		return "n/a"
	}
	return fmt.Sprint(r.Server.DB.AgentsQueryCalls)
}

func dbSessions(r Run) string {
	if r.Server == nil || r.Server.DB == nil {
		return "n/a"
	}
	return fmt.Sprint(r.Server.DB.Sessions)
}

func checks(r Run) string {
	if len(r.Checks) == 0 {
		if r.Server != nil && len(r.Server.Problems) > 0 {
			return "not checked: " + escape(clipS(strings.Join(r.Server.Problems, "; "), 200))
		}
		return "not checked"
	}
	var bad []string
	for _, c := range r.Checks {
		if !c.OK {
			bad = append(bad, "**MISMATCH** "+c.Name+": "+c.Detail)
		}
	}
	if len(bad) == 0 {
		return fmt.Sprintf("ok (%d checks)", len(r.Checks))
	}
	return escape(strings.Join(bad, "; "))
}

func scenarioOrder(cells []Cell) []string {
	var out []string
	seen := map[string]bool{}
	for _, name := range []string{"saturation", "rate4000", "rate10"} {
		for _, c := range cells {
			if c.Scenario == name && !seen[name] {
				seen[name] = true
				out = append(out, name)
			}
		}
	}
	for _, c := range cells {
		if !seen[c.Scenario] {
			seen[c.Scenario] = true
			out = append(out, c.Scenario)
		}
	}
	return out
}

func cellsOf(cells []Cell, scenario string) []Cell {
	var out []Cell
	for _, c := range cells {
		if c.Scenario == scenario {
			out = append(out, c)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ms prints milliseconds the way wrk does: µs, ms or s.
func ms(v float64) string {
	switch {
	case v < 1:
		return fmt.Sprintf("%.0fµs", v*1000)
	case v < 1000:
		return fmt.Sprintf("%.2fms", v)
	default:
		return fmt.Sprintf("%.2fs", v/1000)
	}
}

func secs(v float64) string {
	if v >= 60 && int(v)%60 == 0 {
		return fmt.Sprintf("%dm", int(v)/60)
	}
	return fmt.Sprintf("%gs", v)
}

func pct(f float64) string { return fmt.Sprintf("%g%%", f*100) }

func escape(s string) string { return strings.ReplaceAll(strings.ReplaceAll(s, "|", `\|`), "\n", " ") }

func clipS(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
