package report

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// scenarioTitles say how each scenario loads the app, in the original's words.
var scenarioTitles = map[string]string{
	"saturation": `saturation, "directly via localhost" (closed loop: as many requests as the connections carry)`,
	"rate4000":   `4000 req/s "via the network" (open loop, latency corrected for coordinated omission)`,
	"rate10":     `10 req/s "via the network" (open loop, latency corrected for coordinated omission)`,
}

// WriteMarkdown writes summary.md into dir.
func WriteMarkdown(s *Summary, flask publication.Set, dir string) error {
	return runresult.WriteFile(filepath.Join(dir, "summary.md"), []byte(Markdown(s, flask)))
}

// PublicationLabel names the publication's figures wherever the report and
// the charts show them: another machine's, not comparable in absolute terms.
// (internal/lab/publication does not record when they were measured.)
const PublicationLabel = "publication (other hardware)"

// SideBySideHeading starts the report's headline section.
const SideBySideHeading = "## Side by side: the original's table, reproduced"

// Markdown renders the summary for people: the side-by-side headline first,
// then the run's settings, its verification and evidence, and per scenario
// a throughput table, a latency table and the server side of every run.
// Every latency is in ms.
func Markdown(s *Summary, flask publication.Set) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("# macrobench results, %s\n\n", s.Started.Format("2006-01-02 15:04:05 UTC"))
	if b := interruptedBanner(s); b != "" {
		w("> %s\n\n", b)
	}
	result := "**PASSED**"
	if len(s.Failures) > 0 {
		result = "**FAILED**"
	}
	targets := runTargets(s)
	w("Result: %s. %s.\n\n", result, runLine(s, targets))

	rows := s.SideBySide
	if rows == nil {
		rows = SideBySideRows(s.Cells, flask)
	}
	if len(rows) > 0 {
		sideBySide(w, rows, targets, s.Baseline)
	}

	if len(s.Failures) > 0 {
		w("## Failures\n\n")
		for _, f := range s.Failures {
			w("- %s\n", f)
		}
		w("\n")
	}

	w("## This run\n\n")
	for _, l := range thisRun(s, targets) {
		w("- %s\n", l)
	}
	w("\n")
	w("## Verification before load\n\n")
	w("Every endpoint of every target, once, before any load: status 200, `Content-Type: application/json`, `Date` and `Content-Length`, and the body: the app's byte for byte, the original's parsed (its key order and spacing are its own, its JSON must be equal).\n\n")
	VerificationTable(s).Markdown(w)
	w("\n")
	if t := EvidenceTable(s); t != nil {
		w("## Server-side evidence by target\n\n")
		t.Markdown(w)
		w("\n")
	}
	if t := CeilingsTable(s); t != nil {
		w("## PostgreSQL ceilings (pgbench, measured in this run)\n\n%s\n\n", ceilingsIntro)
		t.Markdown(w)
		w("\n")
	}

	for _, sc := range scenarioOrder(s.Cells) {
		scenarioSection(w, sc, cellsOf(s.Cells, sc), flask)
	}

	if len(s.Notes) > 0 {
		w("## Notes\n\n")
		for _, n := range s.Notes {
			w("- %s\n", n)
		}
		w("\n")
	}
	w("## Publication notes\n\n")
	for _, n := range flask.Notes {
		w("- %s\n", n)
	}
	w("\n## How to read this\n\n")
	for _, l := range howToRead(s) {
		w("- %s\n", l)
	}
	return b.String()
}

// sideBySide writes the headline: per endpoint and scenario, each target's
// requests per second and mean latency, their ratio and the publication's.
func sideBySide(w func(string, ...any), rows []SideBySide, targets []TargetInfo, baselineName string) {
	w("%s\n\n", SideBySideHeading)
	for _, l := range SideBySideIntro(targets) {
		w("- %s\n", l)
	}
	w("\n")
	throughput, latency := SideBySideTables(rows, targets)
	w("### Throughput (req/s)\n\n")
	throughput.Markdown(w)
	w("\n%s\n\n", ClassLegend)
	w("### Mean latency (ms)\n\n")
	latency.Markdown(w)
	w("\n%s\n\n", ClassLegend)
	w("Per-scenario detail (status, percentiles, errors, the server side) follows the run's settings below; charts: `throughput-<scenario>.png`, `latency-<scenario>.png`.\n\n")
}

// scenarioSection writes one scenario: how it ran, a throughput table, a
// latency table, and the server side of every run.
func scenarioSection(w func(string, ...any), sc string, cells []Cell, flask publication.Set) {
	w("## %s — %s\n\n%s\n\n", sc, scenarioTitle(sc), scenarioHow(sc, cells, flask))

	throughput, notes := ThroughputTable(cells)
	w("### Throughput\n\n")
	throughput.Markdown(w)
	w("\n%s\n\n", ClassLegend)
	for _, n := range notes {
		w("- %s\n", n)
	}
	if len(notes) > 0 {
		w("\n")
	}

	w("### Latency (ms)\n\n")
	LatencyTable(cells).Markdown(w)
	w("\n%s\n\n", ClassLegend)
	repeatsTable(w, cells)

	w("### Server side, same window (per run)\n\n")
	if app := ServerAppTable(cells); app != nil {
		w("The app's own counts and Prometheus's (the original has no /metrics):\n\n")
		app.Markdown(w)
		w("\n")
	}
	w("PostgreSQL's counts, the reconciliation and the isolation waits (every target):\n\n")
	ServerDBTable(cells).Markdown(w)
	w("\n")
}

// bodyCheck says how a target's body was verified.
func bodyCheck(target string) string {
	if target == TargetOriginal {
		return "headers; parsed JSON equal"
	}
	return "headers; exact bytes"
}

// runTargets is the targets of the run: Targets, or for an older summary
// (or a hand-made one), those of its cells.
func runTargets(s *Summary) []TargetInfo {
	if len(s.Targets) > 0 {
		return s.Targets
	}
	var out []TargetInfo
	seen := map[string]bool{}
	for _, c := range s.Cells {
		if t := targetOf(c); !seen[t] {
			seen[t] = true
			url := ""
			if t == TargetApp {
				url = s.Target
			}
			out = append(out, TargetInfo{Name: t, URL: url})
		}
	}
	if len(out) == 0 {
		out = []TargetInfo{{Name: TargetApp, URL: s.Target}}
	}
	return out
}

func targetNames(ts []TargetInfo) string {
	var n []string
	for _, t := range ts {
		n = append(n, t.Name)
	}
	return strings.Join(n, ", ")
}

func targetOr(t string) string { return orS(t, TargetApp) }

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

func serverApp(c Cell, r Run) string {
	if targetOf(c) == TargetOriginal {
		return "n/a (no /metrics)"
	}
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

func serverProm(c Cell, r Run) string {
	if targetOf(c) == TargetOriginal {
		return "n/a (not scraped)"
	}
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

func promLatency(c Cell, r Run) string {
	if targetOf(c) == TargetOriginal || r.Server == nil || r.Server.Prometheus == nil || r.Server.Prometheus.Histogram == "" {
		return "n/a"
	}
	p := r.Server.Prometheus
	return fmt.Sprintf("%s / %s (%s)", msS(p.P50MS), msS(p.P99MS), p.Histogram)
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

// msS prints milliseconds as a number, the unit in the column's header:
// three significant digits below 100 ms, whole milliseconds above, grouped
// by thousands (52,200).
func msS(v float64) string {
	switch {
	case v == 0:
		return "0"
	case v < 1:
		return fmt.Sprintf("%.3f", v)
	case v < 10:
		return fmt.Sprintf("%.2f", v)
	case v < 100:
		return fmt.Sprintf("%.1f", v)
	}
	return group(fmt.Sprintf("%.0f", v))
}

// rateS prints requests per second with one decimal, grouped by thousands.
func rateS(v float64) string { return group(fmt.Sprintf("%.1f", v)) }

// ratioS prints a ratio with three significant digits or more (1.23×,
// 12.3×, 2,333×); "—" when there is none.
func ratioS(r float64) string {
	switch {
	case r <= 0:
		return "—"
	case r >= 100:
		return group(fmt.Sprintf("%.0f", r)) + "×"
	case r >= 10:
		return fmt.Sprintf("%.1f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}

// pct1 prints a fraction as a percentage with one decimal (99.4%).
func pct1(f float64) string { return fmt.Sprintf("%.1f%%", f*100) }

// group puts thousands separators into a formatted number's integer part.
func group(s string) string {
	intPart, frac, _ := strings.Cut(s, ".")
	neg := strings.HasPrefix(intPart, "-")
	intPart = strings.TrimPrefix(intPart, "-")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if neg {
		out = "-" + out
	}
	if frac != "" {
		out += "." + frac
	}
	return out
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

// bullets runs write, which writes "- " bullets one line each, and returns
// the bullets' texts.
func bullets(write func(w func(string, ...any))) []string {
	var b strings.Builder
	write(func(format string, a ...any) { fmt.Fprintf(&b, format, a...) })
	var out []string
	for _, l := range strings.Split(b.String(), "\n") {
		if l = strings.TrimPrefix(l, "- "); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// thisRun is the "This run" section's bullets: warm-up, targets, repeats,
// accounting, thresholds, isolation, where the figures come from.
func thisRun(s *Summary, targets []TargetInfo) []string {
	return bullets(func(w func(string, ...any)) {
		w("- Warm-up: %s.", s.Warmup)
		for _, wu := range s.Warmups {
			w(" %s %s: %d requests in %s (`%s`).", targetOr(wu.Target), wu.Endpoint, wu.Requests, secs(wu.DurationS), strings.Join(wu.Args, " "))
		}
		w("\n")
		if len(targets) > 1 {
			w("- Targets: every cell ran against each target back to back (%s), with the same generator settings, each run isolated from the one before (below).\n", targetNames(targets))
		}
		if s.Repeat > 1 {
			w("- Every cell ran %d times, in rounds (the whole matrix once, then again; each endpoint warmed up at the start of every round): figures are medians, with the min–max spread in brackets; the table after each scenario's latency gives the medians' 95%% confidence intervals.\n", s.Repeat)
		}
		w("- Accounting: %s\n", runresult.Accounting)
		w("- A cell fails when its error ratio exceeds %s. A rate cell below %.0f%% of its target is *saturated* (reported, not a failure); in a cell at capacity (closed loop or saturated) timeouts and the 503s that the app itself counted (up to the generator's own non-2xx count) are load shedding, reported but not counted against the threshold; any other failure (a 500, a wrong body, a socket error) always counts.\n",
			pct(s.ErrorThreshold), s.SaturatedBelow*100)
		if s.Isolation != "" {
			w("- Isolation: %s\n", s.Isolation)
		}
		w("- Publication figures: %s.\n", s.Baseline)
		if s.GrafanaURL != "" {
			w("- Grafana: %s (each scenario is an annotation tagged `macrobench`).\n", s.GrafanaURL)
		}
		w("- Charts: `throughput-<scenario>.png` (req/s per endpoint, every target and the publication), `latency-<scenario>.png` (corrected latency by percentile, every target overlaid, one panel per endpoint).\n\n")

	})
}

// howToRead is the closing section's bullets.
func howToRead(s *Summary) []string {
	return bullets(func(w func(string, ...any)) {
		w("- Every latency is in milliseconds (the publication's wrk printed seconds and minutes: converted, `0.87m` is 52,200 ms). In rate scenarios latencies are measured from when each request *should* have been sent (wrk2's coordinated-omission correction), so a server that falls behind shows its queueing.\n")
		w("- *app ÷ original* divides the app's achieved requests per second by the original's, *original ÷ app* the original's mean latency by the app's: both say how many times better the app did, on this machine, in this run. *÷ publication* divides a cell's requests per second by the publication's for the same cell, measured on other hardware.\n")
		w("- *failed: N%% errors*: more than %.0f%% of the cell's attempts got an error status or no response at all (the publication's `/agents_with_pool` closed its pooled connections); its requests per second count errors, not service, and are not shown as throughput. *(N%% errors)* after a figure: its share of such attempts, when 1%% or more; *(N%% late)*: its share of attempts answered after the generator's --timeout or still unanswered that long at the window's end (served or queued, not failed: their latency is in the latency tables).\n", FailedAbove*100)
		w("- *errors c/r/w/t*: the generator's connect, read and write errors and timeouts; *in flight*: requests sent and not answered when the window closed; *query calls*: pg_stat_statements calls of the agents query; *connections*: pg_stat_database sessions opened; *DB ceiling*: the share of PostgreSQL's own pgbench ceiling a DB endpoint reached when not capped by its rate.\n")
		w("- The publication printed wrk's mean and max latency only (no percentiles): compare it with the *mean*. Its saturation runs are wrk (closed loop) on its own machine; its rate runs crossed a 1 Gb/s network.\n")
		w("- *idle wait before / drain after*: before each run the bench waited until the server side was idle (the app: no request in flight; PostgreSQL: no backend at work; their counters still), so a run after an overloaded one starts on an idle server, and after it until the run's last requests were done (its server-side counts are read then). The original has no in-flight gauge: for its runs the wait is PostgreSQL's part alone. **BOUND HIT** means the server was still busy when the wait gave up: that run's figures may include the previous load.\n")
		w("- *reconciliation* compares the generator's counts with the server's for the same window: the app's own counters (exact; the app only), PostgreSQL's pg_stat_statements calls of the agents query and pg_stat_database sessions (both targets). Every successful DB response needs a query that reached the database; /agents needs one new connection per request; /agents_with_pool opens at most its pool (PostgreSQL's sessions, and the app's own count of what its pool opened). A mismatch fails the run: its cell's figures are marked NOT TRUSTED, listed under Failures, and never judged by compare.\n")
		if s.Quick {
			w("- Prometheus figures (the app only) span from the last scrape before a run to the first scrape after its drain: in a quick run that may include the end of the previous run or warm-up (said so where it does).\n")
		} else {
			w("- Prometheus figures (the app only) span from a scrape taken once the server was idle before a run to the first scrape after its drain: the run alone, the same span as the app's exact counts.\n")
		}
		w("- Per run files: `<endpoint>-<scenario>.txt` (wrk2 layout), `.json` (machine-readable), `.hgrm` (percentile spectrum), with `-original` before the extension for the original's runs; `metadata.json` has the commit, images, CPUs and settings.\n")
	})
}

// ceilingsIntro says what the PostgreSQL ceilings are.
const ceilingsIntro = "The agents query alone, without HTTP: what the database can serve over 8 connections."

// VerificationTable is the pre-load check of every endpoint of every target.
func VerificationTable(s *Summary) *Table {
	t := newTable("target", "endpoint", "result", "expected vs got")
	for _, v := range s.Verification {
		res, detail := "ok", bodyCheck(targetOr(v.Target))
		if !v.OK {
			res, detail = "**FAILED — not benchmarked**", escape(strings.Join(v.Problems, "; "))
		}
		row := texts(targetOr(v.Target), v.Endpoint, res, detail)
		if !v.OK {
			row[2].Mark = MarkFailed
		}
		t.row("", nil, row...)
	}
	return t
}

// EvidenceTable is each target's server and the evidence that applies to
// it (nil for a summary without targets).
func EvidenceTable(s *Summary) *Table {
	if len(s.Targets) == 0 {
		return nil
	}
	t := newTable("target", "server", "evidence that applies")
	for _, tg := range s.Targets {
		t.row("", nil, texts(tg.Name, escape(orS(tg.Server, "—")), escape(orS(strings.Join(tg.Evidence, "; "), "—")))...)
	}
	return t
}

// CeilingsTable is PostgreSQL's own throughput measured in the run (nil
// when none was).
func CeilingsTable(s *Summary) *Table {
	if len(s.Ceilings) == 0 {
		return nil
	}
	t := newTable("ceiling", "command", "transactions/s")
	for _, c := range s.Ceilings {
		tps := fmt.Sprintf("%.0f", c.TPS)
		if c.Error != "" {
			tps = "not measured: " + escape(clipS(c.Error, 200))
		}
		t.row("", nil, texts(c.Name, "`"+c.Command+"`", tps)...)
	}
	return t
}

// runLine says how and where the run ran: executor, runner, targets, quick.
func runLine(s *Summary, targets []TargetInfo) string {
	var tl []string
	for _, t := range targets {
		tl = append(tl, fmt.Sprintf("%s at %s", t.Name, orS(t.URL, "?")))
	}
	line := fmt.Sprintf("Executor: %s; runner: %s; targets: %s", s.Executor, orS(s.Runner, "?"), strings.Join(tl, ", "))
	if s.Quick {
		line += "; **quick smoke run** (short cells: not comparable with the original's durations)"
	}
	return line
}

// interruptedBanner is the banner of an interrupted run ("" when it ran
// to its end).
func interruptedBanner(s *Summary) string {
	if !s.Interrupted {
		return ""
	}
	return fmt.Sprintf("**INTERRUPTED** (%s) at %s: the run was stopped before its end; the %d cell(s) below are those it completed, measured as usual.",
		orS(s.InterruptedBy, "stopped"), s.Finished.Format("15:04:05 UTC"), len(s.Cells))
}

// scenarioTitle says how a scenario loads the server, in the original's words.
func scenarioTitle(sc string) string { return orS(scenarioTitles[sc], sc) }

// scenarioHow is how a scenario's cells ran, and the publication's command.
func scenarioHow(sc string, cells []Cell, flask publication.Set) string {
	c0 := cells[0]
	how := fmt.Sprintf("%d connections, %d threads, %s per run", c0.Connections, c0.Threads, secs(c0.DurationS))
	if c0.TargetRate > 0 {
		how += fmt.Sprintf(", target %g req/s", c0.TargetRate)
	}
	how += fmt.Sprintf(", via %s.", c0.Via)
	if o, ok := flask.Lookup(c0.Endpoint, sc); ok {
		how += fmt.Sprintf(" The publication ran `%s`.", o.Command)
	}
	return how
}
