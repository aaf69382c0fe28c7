package report

import (
	"fmt"
	"strings"
)

// Table is one of the report's tables as both renderings show it: the
// Markdown (summary.md) writes its text, the HTML page (index.html) the
// same text in a <table>, with each cell's state marked and its raw files
// linked. One builder per table, so the two can never disagree on a figure.
type Table struct {
	Head  []string
	Right []bool // numeric columns, right-aligned
	Rows  []TableRow
}

// TableRow is one row: its cells, and for the page an id (the anchor the
// headline links to) and the raw files behind it.
type TableRow struct {
	Cells []TableCell
	ID    string
	Files []FileLink
}

// TableCell is one cell's text (Markdown emphasis: **bold**, `code`) and,
// for the page, its state (Mark*) and a link.
type TableCell struct {
	Text string
	Mark string
	Href string
}

// The states a figure is marked with on the page, each by a text marker
// and a pattern, never by colour alone.
const (
	MarkFailed    = "failed"    // over FailedAbove errors: not throughput
	MarkUntrusted = "untrusted" // reconciliation mismatch (Cell.Untrusted)
	MarkFewSample = "few"       // a percentile over too few responses
	MarkNotRun    = "not-run"
)

// MarkLabel is the text marker the page puts before a marked figure.
var MarkLabel = map[string]string{
	MarkFailed:    "✗ FAILED",
	MarkUntrusted: "⚠ NOT TRUSTED",
	MarkFewSample: "≈ few samples",
	MarkNotRun:    "— no figure",
}

// FileLink is a raw file of a run, relative to the results folder.
type FileLink struct {
	Label string // "txt", "json", "hgrm", with "r2 " before for a repeat
	Path  string
}

func (t *Table) row(id string, files []FileLink, cells ...TableCell) {
	t.Rows = append(t.Rows, TableRow{Cells: cells, ID: id, Files: files})
}

// texts are plain cells.
func texts(s ...string) []TableCell {
	out := make([]TableCell, len(s))
	for i, x := range s {
		out[i] = TableCell{Text: x}
	}
	return out
}

// newTable is a table with its heading; a header ending in ":" is a
// numeric column (the colon is dropped).
func newTable(head ...string) *Table {
	t := &Table{}
	for _, h := range head {
		right := strings.HasSuffix(h, ":")
		t.Head = append(t.Head, strings.TrimSuffix(h, ":"))
		t.Right = append(t.Right, right)
	}
	return t
}

// Markdown writes the table as summary.md does.
func (t *Table) Markdown(w func(string, ...any)) {
	w("| %s |\n|", strings.Join(t.Head, " | "))
	for _, r := range t.Right {
		if r {
			w("---:|")
		} else {
			w("---|")
		}
	}
	w("\n")
	for _, r := range t.Rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = c.Text
		}
		w("| %s |\n", strings.Join(cells, " | "))
	}
}

// CellID is the page's anchor of a cell's row in its scenario's tables.
func CellID(target, endpoint, scenario string) string {
	return "cell-" + target + "-" + scenario + "-" + strings.ReplaceAll(strings.Trim(endpoint, "/"), "/", "_")
}

// RunFiles are the raw files of a cell's runs, relative to the folder.
func RunFiles(c Cell) []FileLink {
	var out []FileLink
	for _, r := range c.Runs {
		prefix := ""
		if len(c.Runs) > 1 {
			prefix = fmt.Sprintf("r%d ", r.Index)
		}
		for _, f := range []struct{ label, path string }{{"txt", r.TextFile}, {"json", r.JSONFile}, {"hgrm", r.HgrmFile}} {
			if f.path != "" {
				out = append(out, FileLink{Label: prefix + f.label, Path: f.path})
			}
		}
	}
	return out
}

// MinBeyond is the fewest responses a run must hold beyond a percentile
// for it to be more than its slowest few: a p99 over 30 responses is
// their maximum. 10 beyond p99 is 1,000 responses a run (compare judges
// no percentile with fewer).
const MinBeyond = 10

// FewSamples reports whether some run of the cell held too few responses
// for its percentile q (0.99 for p99) to be more than its slowest few.
func FewSamples(c Cell, q float64) bool {
	for _, r := range c.Runs {
		if float64(r.Requests)*(1-q) < MinBeyond {
			return true
		}
	}
	return false
}

// figureMark is the state of a cell's figure.
func figureMark(c Cell) string {
	f := figureOf(c)
	switch {
	case c.Status == StatusNotRun:
		return MarkNotRun
	case f.Failed:
		return MarkFailed
	case f.Untrusted:
		return MarkUntrusted
	}
	return ""
}

// SideBySideIntro says what each column of the headline is (a bullet
// each).
func SideBySideIntro(targets []TargetInfo) []string {
	hasApp, hasOrig := hasTargets(targets)
	var out []string
	if hasApp {
		out = append(out, "**app**: this lab's Echo app.")
	}
	if hasOrig {
		out = append(out, "**original**: the original benchmark's Flask app under gunicorn (`original/`), measured in this run on this machine, back to back with the app, with the same generator settings.")
	}
	return append(out,
		fmt.Sprintf("**%s**: the figures the original benchmark published for its Flask app, measured on another machine: compare their ratios and shape, not their absolute values.", PublicationLabel),
		"saturation: closed loop via localhost, 400 connections; rate4000 and rate10: that many req/s over the network.")
}

func hasTargets(targets []TargetInfo) (app, original bool) {
	for _, t := range targets {
		app = app || t.Name == TargetApp
		original = original || t.Name == TargetOriginal
	}
	return app, original
}

// SideBySideTables are the headline's two tables: requests per second and
// mean latency, per endpoint and scenario, each target's, their ratio and
// the publication's. A target's figure links to its cell's row.
func SideBySideTables(rows []SideBySide, targets []TargetInfo) (throughput, latency *Table) {
	hasApp, hasOrig := hasTargets(targets)
	table := func(ratioHeader string, value func(*Figure) string, ratio func(SideBySide) float64) *Table {
		head := []string{"endpoint", "scenario"}
		if hasApp {
			head = append(head, "app:")
		}
		if hasOrig {
			head = append(head, "original:")
		}
		if hasApp && hasOrig {
			head = append(head, ratioHeader+":")
		}
		t := newTable(append(head, PublicationLabel+":")...)
		for _, r := range rows {
			cells := texts(r.Endpoint, r.Scenario)
			if hasApp {
				cells = append(cells, figureCell(r.App, value, "not run", CellID(TargetApp, r.Endpoint, r.Scenario)))
			}
			if hasOrig {
				cells = append(cells, figureCell(r.Original, value, "not run", CellID(TargetOriginal, r.Endpoint, r.Scenario)))
			}
			if hasApp && hasOrig {
				cells = append(cells, TableCell{Text: ratioS(ratio(r))})
			}
			t.row("", nil, append(cells, figureCell(r.Publication, value, "not measured", ""))...)
		}
		return t
	}
	throughput = table("app ÷ original", func(f *Figure) string {
		v := rateS(f.RequestsPerSec)
		var notes []string
		if f.ErrorShare >= 0.01 {
			notes = append(notes, pct1(f.ErrorShare)+" errors")
		}
		if f.LateShare >= 0.01 {
			notes = append(notes, pct1(f.LateShare)+" late")
		}
		if len(notes) > 0 {
			v += " (" + strings.Join(notes, ", ") + ")"
		}
		return v
	}, func(r SideBySide) float64 { return r.RateRatio })
	latency = table("original ÷ app", func(f *Figure) string { return msS(f.MeanMS) },
		func(r SideBySide) float64 { return r.MeanLatencyRatio })
	return throughput, latency
}

// figureCell shows one figure of the headline: the value, or why there is
// none, marked, linking to href when there is a figure.
func figureCell(f *Figure, value func(*Figure) string, missing, href string) TableCell {
	switch {
	case f == nil:
		return TableCell{Text: missing, Mark: MarkNotRun}
	case f.Failed && f.Status == StatusNotRun:
		return TableCell{Text: f.FailedLabel(), Mark: MarkNotRun}
	case f.Failed:
		return TableCell{Text: f.FailedLabel(), Mark: MarkFailed, Href: href}
	case f.Untrusted:
		return TableCell{Text: value(f) + ClassTag(f.Class) + UntrustedMark, Mark: MarkUntrusted, Href: href}
	}
	return TableCell{Text: value(f) + ClassTag(f.Class), Href: href}
}

// ThroughputTable is a scenario's throughput table, with the notes under
// it (why a cell is not trusted, why it saturated).
func ThroughputTable(cells []Cell) (*Table, []string) {
	t := newTable("endpoint", "target", "status", "req/s:", "of target:", "÷ publication:", "errors c/r/w/t", "non-2xx:", "in flight:", "DB ceiling")
	var notes []string
	for _, c := range cells {
		tgt := targetOf(c)
		id := CellID(tgt, c.Endpoint, c.Scenario)
		if c.Status == StatusNotRun {
			row := texts(c.Endpoint, tgt, "not run", "—", "—", "—", "—", "—", "—", "—")
			row[3].Mark = MarkNotRun
			t.row(id, nil, row...)
			continue
		}
		target := "closed loop"
		if c.TargetRate > 0 {
			target = group(fmt.Sprintf("%g", c.TargetRate))
		}
		rate := rateS(c.AchievedRate)
		if len(c.Runs) > 1 {
			rate += fmt.Sprintf(" [%s–%s]", rateS(c.RateSpread.Min), rateS(c.RateSpread.Max))
		}
		rate += ClassTag(c.Class)
		status := c.Status
		failed := figureOf(c).Failed
		if failed {
			status += ", **" + figureOf(c).FailedLabel() + "**"
		}
		if c.Untrusted != "" {
			status += "," + UntrustedMark
			notes = append(notes, fmt.Sprintf("%s (%s): not trusted, %s", c.Endpoint, tgt, c.Untrusted))
		}
		if c.Note != "" {
			notes = append(notes, fmt.Sprintf("%s (%s): %s", c.Endpoint, tgt, c.Note))
		}
		pub := "not measured"
		switch {
		case c.Publication == nil || !c.Publication.Measured:
		case failed || c.Publication.ErrorShare > FailedAbove:
			pub = "—" // one side's figure is not throughput
		default:
			pub = ratioS(c.Publication.Ratio)
		}
		share := "—"
		if len(c.CeilingShare) > 0 {
			var parts []string
			for _, k := range sortedKeys(c.CeilingShare) {
				parts = append(parts, fmt.Sprintf("%s %.0f%%", k, 100*c.CeilingShare[k]))
			}
			share = strings.Join(parts, ", ")
		}
		row := texts(c.Endpoint, tgt, status, rate, target, pub,
			fmt.Sprintf("%d/%d/%d/%d", c.Errors.Connect, c.Errors.Read, c.Errors.Write, c.Errors.Timeout),
			fmt.Sprint(c.Errors.Status), fmt.Sprint(c.InFlight), share)
		row[3].Mark = figureMark(c)
		t.row(id, RunFiles(c), row...)
	}
	return t, notes
}

// LatencyTable is a scenario's corrected latency table.
func LatencyTable(cells []Cell) *Table {
	t := newTable("endpoint", "target", "mean:", "p50:", "p90:", "p99:", "p99.9:", "max:")
	for _, c := range cells {
		tgt := targetOf(c)
		id := CellID(tgt, c.Endpoint, c.Scenario)
		if c.Status == StatusNotRun {
			row := texts(c.Endpoint, tgt, "not run", "—", "—", "—", "—", "—")
			row[2].Mark = MarkNotRun
			t.row(id+"-latency", nil, row...)
			continue
		}
		p99 := msS(c.Latency.P99)
		if len(c.Runs) > 1 {
			p99 += fmt.Sprintf(" [%s–%s]", msS(c.P99Spread.Min), msS(c.P99Spread.Max))
		}
		p99 += ClassTag(c.Class)
		ep := c.Endpoint
		if c.Untrusted != "" {
			ep += UntrustedMark
		}
		row := texts(ep, tgt, msS(c.Latency.Mean), msS(c.Latency.P50), msS(c.Latency.P90), p99, msS(c.Latency.P99_9), msS(c.Latency.Max))
		mark := figureMark(c)
		for i := 2; i < len(row); i++ {
			row[i].Mark = mark
		}
		if mark == "" {
			for i, q := range map[int]float64{4: 0.90, 5: 0.99, 6: 0.999} {
				if FewSamples(c, q) {
					row[i].Mark = MarkFewSample
				}
			}
		}
		t.row(id+"-latency", RunFiles(c), row...)
	}
	return t
}

// RepeatsTable is a scenario's judged figures over the repeats with their
// confidence intervals (nil when no cell ran more than once); short: some
// cell had too few repeats for an interval.
func RepeatsTable(cells []Cell) (t *Table, short bool) {
	repeated := false
	for _, c := range cells {
		repeated = repeated || len(c.Runs) > 1
	}
	if !repeated {
		return nil, false
	}
	t = newTable("endpoint", "target", "req/s:", "p50:", "p99:")
	for _, c := range cells {
		iv := c.Intervals
		if iv == nil {
			iv = CellIntervals(c.Runs)
		}
		if iv == nil {
			t.row("", nil, texts(c.Endpoint, targetOf(c), "not run", "—", "—")...)
			continue
		}
		short = short || !iv.AchievedRate.Finite()
		t.row("", nil, texts(c.Endpoint, targetOf(c), iv.AchievedRate.Format(rateS), iv.P50.Format(msS), iv.P99.Format(msS))...)
	}
	return t, short
}

// ServerAppTable is the app's own counts and Prometheus's per run (nil
// when no cell is the app's).
func ServerAppTable(cells []Cell) *Table {
	t := newTable("endpoint", "target", "run", "app responses (exact)", "Prometheus responses", "Prometheus p50 / p99 (ms)")
	for _, c := range cells {
		if targetOf(c) != TargetApp {
			continue
		}
		for _, r := range c.Runs {
			t.row("", nil, texts(c.Endpoint, targetOf(c), fmt.Sprint(r.Index), serverApp(c, r), serverProm(c, r), promLatency(c, r))...)
		}
	}
	if len(t.Rows) == 0 {
		hasApp := false
		for _, c := range cells {
			hasApp = hasApp || targetOf(c) == TargetApp
		}
		if !hasApp {
			return nil
		}
	}
	return t
}

// ServerDBTable is PostgreSQL's counts, the reconciliation and the
// isolation waits per run, every target.
func ServerDBTable(cells []Cell) *Table {
	t := newTable("endpoint", "target", "run", "query calls:", "connections:", "reconciliation", "idle wait before / drain after")
	for _, c := range cells {
		for _, r := range c.Runs {
			row := texts(c.Endpoint, targetOf(c), fmt.Sprint(r.Index), dbCalls(r), dbSessions(r), checks(r), wait(r.Isolation)+" / "+wait(r.Drain))
			if strings.Contains(row[5].Text, "MISMATCH") {
				row[5].Mark = MarkUntrusted
			}
			t.row("", nil, row...)
		}
	}
	return t
}

// FormatRate and FormatMS are how every table writes requests per second
// and milliseconds (1,234.5; 0.720, 2.88, 45.6, 1,320).
func FormatRate(v float64) string { return rateS(v) }
func FormatMS(v float64) string   { return msS(v) }
