// Package compare sets two results folders side by side, cell by cell:
// each judged figure (achieved rate, corrected p50, corrected p99) of B
// against A over the repeats, tested as benchstat does (stats.go), which
// cells ran with other settings (not comparable, unless judged --across
// them: across.go), and whether a cell regressed beyond --max-regression
// (exit 1).
package compare

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Meta is what compare reads of a run's metadata.json (absent fields stay
// empty: a folder without metadata.json is compared on its summary alone).
type Meta struct {
	GitCommit string            `json:"git_commit"`
	GitDirty  bool              `json:"git_dirty"`
	CPULimits map[string]string `json:"cpu_limits"` // compose service → cpus
	Executor  string            `json:"executor"`
	// GeneratorCPUs is the CPUs the generator had (it sets the default
	// threads; the cells' threads are compared anyway).
	GeneratorCPUs int `json:"generator_cpus"`
	// Raw is every key of metadata.json, for the settings compared
	// (across.go).
	Raw map[string]json.RawMessage `json:"-"`
}

// Run is one results folder: its summary and metadata.
type Run struct {
	Dir     string
	Summary *report.Summary
	Meta    Meta
}

// LoadRun reads a results folder (summary.json, and metadata.json when
// there is one). A file over runresult.MaxFileSize is refused; every string
// read comes back without control characters (runresult.CleanStrings),
// the folder's name too, before any of it reaches a terminal or a page.
func LoadRun(dir string) (*Run, error) {
	folder := dir
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		folder = filepath.Dir(dir)
	}
	s, err := report.Load(dir) // refuses a file over runresult.MaxFileSize
	if err != nil {
		return nil, err
	}
	runresult.CleanStrings(s)
	r := &Run{Dir: runresult.CleanLine(dir), Summary: s}
	path := filepath.Join(folder, "metadata.json")
	b, err := runresult.ReadFile(path)
	if err == nil {
		if err := json.Unmarshal(b, &r.Meta); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		if err := json.Unmarshal(b, &r.Meta.Raw); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		runresult.CleanStrings(&r.Meta) // Raw's values are bytes: cleaned where shown (scalarSetting)
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return r, nil
}

// originalServices are the compose services that serve the original alone:
// their CPU limits bear on the original's cells, not on the app's (the
// targets run one after the other, never together). A run that did not
// measure the original does not record them.
var originalServices = map[string]bool{"original": true, "loadtest-local-original": true}

// cpuLimits lists the services (those keep says) whose CPU limit differs.
func cpuLimits(a, b *Run, keep func(string) bool) []string {
	var d []string
	names := map[string]bool{}
	for k := range a.Meta.CPULimits {
		names[k] = true
	}
	for k := range b.Meta.CPULimits {
		names[k] = true
	}
	var keys []string
	for k := range names {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if va, vb := a.Meta.CPULimits[k], b.Meta.CPULimits[k]; va != vb && keep(k) {
			d = append(d, fmt.Sprintf("%s cpus %s → %s", k, orDash(va), orDash(vb)))
		}
	}
	return d
}

// CellSettings is what differs in how two cells were run: target rate,
// connections, threads, duration.
func CellSettings(a, b report.Cell) []string {
	var d []string
	if a.TargetRate != b.TargetRate {
		d = append(d, fmt.Sprintf("rate %s → %s", rate(a.TargetRate), rate(b.TargetRate)))
	}
	if a.Connections != b.Connections {
		d = append(d, fmt.Sprintf("connections %d → %d", a.Connections, b.Connections))
	}
	if a.Threads != b.Threads {
		d = append(d, fmt.Sprintf("threads %d → %d", a.Threads, b.Threads))
	}
	if a.DurationS != b.DurationS {
		d = append(d, fmt.Sprintf("duration %gs → %gs", a.DurationS, b.DurationS))
	}
	return d
}

func rate(r float64) string {
	if r == 0 {
		return "closed loop"
	}
	return fmt.Sprintf("%g", r)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Diff is one cell present in A, B or both: an endpoint and scenario
// against one target (a cell is only ever compared with the same target's).
type Diff struct {
	Target             string // report.TargetApp | TargetOriginal
	Endpoint, Scenario string
	OnlyIn             string // "A" or "B" when the other lacks the cell
	StatusA, StatusB   string
	// The judged figures (stats.go): achieved rate, corrected p50 and p99.
	Rate, P50, P99   *Test
	ErrorsA, ErrorsB float64 // error ratios
	// Verdict: better | worse | mixed | same (every judged figure "~") |
	// not judged (no figure could be: NotJudged says why) | not comparable.
	Verdict   string
	NotJudged string
	// Settings lists how the two cells were run differently (and the run's
	// own differences: quick, CPU limits, pool sizes); such a cell is not
	// comparable. Across lists those it is judged across (--across).
	Settings []string
	Across   []string
	// Unreconciled names the side(s) whose reconciliation of the cell
	// failed (the server's counts did not match the generator's): its
	// figures are not judged.
	Unreconciled string
	// Regressed says why the cell regressed beyond the threshold (Judge);
	// empty when it did not.
	Regressed []string
}

// Tests are the cell's judged figures (none for a cell on one side only).
func (d *Diff) Tests() []*Test {
	var t []*Test
	for _, x := range []*Test{d.Rate, d.P50, d.P99} {
		if x != nil {
			t = append(t, x)
		}
	}
	return t
}

// Judged reports whether any figure of the cell was tested.
func (d *Diff) Judged() bool {
	for _, t := range d.Tests() {
		if t.Judged() {
			return true
		}
	}
	return false
}

// exclude keeps every figure of the cell from being tested.
func (d *Diff) exclude(why string) {
	for _, t := range d.Tests() {
		if t.NotJudged == "" {
			t.NotJudged = why
		}
	}
}

// setVerdict is the cell's verdict from its figures' (after Correct).
func (d *Diff) setVerdict() {
	if d.OnlyIn != "" {
		return
	}
	d.NotJudged = ""
	if len(d.Settings) > 0 {
		d.Verdict = "not comparable"
		return
	}
	if !d.Judged() {
		d.Verdict = "not judged"
		for _, t := range d.Tests() {
			if t.NotJudged != "" {
				d.NotJudged = t.NotJudged
				break
			}
		}
		return
	}
	better, worse := 0, 0
	for _, t := range d.Tests() {
		switch t.Verdict {
		case "better":
			better++
		case "worse":
			worse++
		}
	}
	if better > 0 && worse > 0 {
		d.Verdict = "mixed"
	} else if better > 0 {
		d.Verdict = "better"
	} else if worse > 0 {
		d.Verdict = "worse"
	} else {
		d.Verdict = "same"
	}
}

// Compare matches cells by target, endpoint and scenario (the app's with
// the app's, the original's with the original's; a summary from before
// targets measured the app alone: report.Load reads it so) and tests
// their figures, corrected over the whole comparison.
func Compare(a, b *report.Summary) []Diff {
	diffs := matchCells(a, b)
	Correct(diffs)
	return diffs
}

func matchCells(a, b *report.Summary) []Diff {
	var out []Diff
	index := map[string]report.Cell{}
	for _, c := range b.Cells {
		index[key(c)] = c
	}
	seen := map[string]bool{}
	for _, ca := range a.Cells {
		seen[key(ca)] = true
		cb, ok := index[key(ca)]
		if !ok {
			out = append(out, Diff{Target: target(ca), Endpoint: ca.Endpoint, Scenario: ca.Scenario, OnlyIn: "A", StatusA: ca.Status})
			continue
		}
		out = append(out, diff(ca, cb))
	}
	for _, cb := range b.Cells {
		if !seen[key(cb)] {
			out = append(out, Diff{Target: target(cb), Endpoint: cb.Endpoint, Scenario: cb.Scenario, OnlyIn: "B", StatusB: cb.Status})
		}
	}
	return out
}

func target(c report.Cell) string {
	if c.Target == "" {
		return report.TargetApp
	}
	return c.Target
}

func key(c report.Cell) string { return target(c) + " " + c.Endpoint + " " + c.Scenario }

// Name is the cell as compare prints it: "/index saturation", with the
// target after it unless it is the app's.
func (d Diff) Name() string {
	n := d.Endpoint + " " + d.Scenario
	if d.Target != "" && d.Target != report.TargetApp {
		n += " (" + d.Target + ")"
	}
	return n
}

// CompareRuns is Compare with the settings: every cell run differently,
// or in runs that differ as a whole (the run settings of across.go:
// quick, CPU limits, pool sizes), is "not comparable" and not tested,
// unless across names that setting (a metadata.json key): then it is
// judged, and Across says across what.
func CompareRuns(a, b *Run, across map[string]bool) []Diff {
	diffs := matchCells(a.Summary, b.Summary)
	global := settingDiffs(a, b)
	for i := range diffs {
		d := &diffs[i]
		if d.OnlyIn != "" {
			continue
		}
		var settings []string
		for _, g := range global {
			if !g.Applies(d.Target) {
				continue
			}
			if across[g.Key] {
				d.Across = append(d.Across, g.Text+" (--across "+g.Key+")")
			} else {
				settings = append(settings, g.Text)
			}
		}
		d.Settings = append(settings, d.Settings...)
		if len(d.Settings) > 0 {
			d.exclude("not comparable")
		}
	}
	Correct(diffs)
	return diffs
}

func diff(a, b report.Cell) Diff {
	d := Diff{Target: target(a), Endpoint: a.Endpoint, Scenario: a.Scenario, StatusA: a.Status, StatusB: b.Status,
		ErrorsA: a.ErrorRatio, ErrorsB: b.ErrorRatio, Settings: CellSettings(a, b)}
	d.Rate = newTest(FigRate, a, b, func(r report.Run) float64 { return r.AchievedRate }, 0, true)
	// A rate cell that reached its target on both sides (status ok: a
	// closed loop's is closed-loop): the rate says nothing.
	if a.Status == report.StatusOK && b.Status == report.StatusOK {
		d.Rate.NotJudged = "at its target rate on both sides"
	}
	d.P50 = newTest(FigP50, a, b, func(r report.Run) float64 { return r.Latency.P50 }, 0.50, false)
	d.P99 = newTest(FigP99, a, b, func(r report.Run) float64 { return r.Latency.P99 }, 0.99, false)
	if ua, ub := a.Reconciled != nil && !*a.Reconciled, b.Reconciled != nil && !*b.Reconciled; ua && ub {
		d.Unreconciled = "A and B"
	} else if ua {
		d.Unreconciled = "A"
	} else if ub {
		d.Unreconciled = "B"
	}
	if d.Unreconciled != "" {
		d.exclude("reconciliation failed in " + d.Unreconciled)
	}
	if len(d.Settings) > 0 {
		d.exclude("not comparable")
	}
	return d
}

// Judge marks the comparable cells of B that regressed beyond max (a
// fraction: 0.1 = 10%) against A and returns how many did: a figure whose
// change is significant after correction (Correct) and worse by more than
// max (an achieved rate lower, a p50 or p99 higher), or a cell that passed
// and now fails its error threshold (a failure of B's own run, not a
// sample). Cells run with other settings, not reconciled, or present on
// one side only, are never judged.
func Judge(diffs []Diff, max float64) int {
	n := 0
	for i := range diffs {
		d := &diffs[i]
		d.Regressed = nil
		if d.OnlyIn != "" || len(d.Settings) > 0 || d.Unreconciled != "" {
			continue
		}
		for _, t := range d.Tests() {
			if t.Judged() && t.Significant && t.Verdict == "worse" && math.Abs(t.Change) > max {
				d.Regressed = append(d.Regressed, fmt.Sprintf("%s %+.1f%%, p=%.3f", t.Figure, t.Change*100, t.PHolm))
			}
		}
		if d.StatusB == report.StatusErrors && d.StatusA != report.StatusErrors {
			d.Regressed = append(d.Regressed, "now over its error threshold")
		}
		if len(d.Regressed) > 0 {
			n++
		}
	}
	return n
}

// Describe is a run's one-line identity: folder, commit, when.
func Describe(r *Run) string {
	s := r.Dir
	commit := r.Meta.GitCommit
	if commit == "" {
		commit = "unknown (no metadata.json)"
	} else if r.Meta.GitDirty {
		commit += " (uncommitted changes)"
	}
	s += ", commit " + commit
	if !r.Summary.Started.IsZero() {
		s += ", started " + r.Summary.Started.Format("2006-01-02 15:04:05 UTC")
	}
	if r.Summary.Quick {
		s += ", quick"
	}
	if r.Summary.Interrupted {
		s += ", INTERRUPTED"
	}
	return s
}

// Print writes the comparison as a table, then what was not comparable,
// what was judged across differing settings, and how to read it.
func Print(w io.Writer, nameA, nameB string, diffs []Diff) {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", nameA, nameB)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	v := view(diffs)
	fmt.Fprintln(tw, strings.Join(v.table.Head, "\t"))
	for _, r := range v.table.Rows {
		cells := make([]string, len(r.Cells))
		for i, c := range r.Cells {
			cells[i] = c.Text
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(v.settings) > 0 {
		fmt.Fprintln(w, settingsHeading+":")
		for _, s := range v.settings {
			fmt.Fprintln(w, "  "+s)
		}
		fmt.Fprintln(w)
	}
	if len(v.across) > 0 {
		fmt.Fprintln(w, acrossHeading+":")
		for _, s := range v.across {
			fmt.Fprintln(w, "  "+s)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, v.howToRead)
}

const (
	settingsHeading = "SETTINGS DIFFER (not comparable, not judged; --across SETTING judges them anyway)"
	acrossHeading   = "JUDGED ACROSS DIFFERING SETTINGS (--across: the change includes the setting's effect)"
)

// comparison is what Print and the page show: the table (a row per cell,
// its figures marked for the page), the cells whose settings differ, those
// judged across them, and how to read it.
type comparison struct {
	table            *report.Table
	settings, across []string
	howToRead        string
}

func view(diffs []Diff) comparison {
	v := comparison{table: &report.Table{Head: []string{"cell", "status A → B", "req/s A → B", "p50 A → B", "p99 A → B", "errors A → B", "verdict"},
		Right: make([]bool, 7)}}
	tests, tooFew := 0, 0
	for _, d := range diffs {
		cell := d.Name()
		if d.OnlyIn != "" {
			v.table.Rows = append(v.table.Rows, report.TableRow{Cells: []report.TableCell{{Text: cell}, {Text: d.StatusA + d.StatusB},
				{}, {}, {}, {}, {Text: "only in " + d.OnlyIn, Mark: report.MarkNotRun}}})
			continue
		}
		verdict := d.Verdict
		if d.NotJudged != "" { // never set on a cell not comparable (setVerdict)
			verdict += " (" + d.NotJudged + ")"
		}
		if len(d.Regressed) > 0 {
			verdict += " REGRESSED (" + strings.Join(d.Regressed, "; ") + ")"
		}
		if len(d.Settings) > 0 {
			v.settings = append(v.settings, cell+": "+strings.Join(d.Settings, ", "))
		}
		if len(d.Across) > 0 && len(d.Settings) == 0 {
			v.across = append(v.across, cell+": "+strings.Join(d.Across, ", "))
		}
		for _, t := range d.Tests() {
			if t.Judged() {
				tests++
			}
			if t.TooFewSamples {
				tooFew++
			}
		}
		fig := func(t *Test, f string) report.TableCell {
			c := report.TableCell{Text: t.Format(f)}
			if t.TooFewSamples {
				c.Mark = report.MarkFewSample
			}
			return c
		}
		vc := report.TableCell{Text: verdict}
		if len(d.Regressed) > 0 {
			vc.Mark = report.MarkFailed
		} else if d.Unreconciled != "" {
			vc.Mark = report.MarkUntrusted
		}
		v.table.Rows = append(v.table.Rows, report.TableRow{Cells: []report.TableCell{{Text: cell}, {Text: d.StatusA + " → " + d.StatusB},
			fig(d.Rate, "%.1f"), fig(d.P50, "%.2fms"), fig(d.P99, "%.2fms"), {Text: fmt.Sprintf("%.2f%% → %.2f%%", d.ErrorsA*100, d.ErrorsB*100)}, vc}})
	}
	v.howToRead = fmt.Sprintf("Changes as benchstat prints them: the medians A → B, then \"+x%%\" when the change is significant, \"~\" when it is not; "+
		"p is Mann–Whitney U's, corrected (Holm) over the %d test(s) of this comparison, significant at ≤ %g; n is the repeats per side. "+
		"A figure is tested with ≥%d repeats per side (5 against 5 gives p ≥ 0.008; 6 per side also gives the medians' confidence intervals), "+
		"a percentile only where every repeat holds ≥%d responses beyond it (\"too few samples\": %d figure(s) here).",
		tests, Alpha, MinRepeats, MinBeyond, tooFew)
	return v
}

// WriteHTML writes the comparison as a page (bench compare --html OUT):
// the same table and words as Print, each figure too few samples for a
// percentile, each regression and each unreconciled cell marked.
func WriteHTML(path, nameA, nameB string, diffs []Diff, verdict string, failed bool) error {
	v := view(diffs)
	p := report.NewPage("macrobench comparison: B judged against A", verdict, failed)
	p.Sections = append(p.Sections, report.PageSection{Heading: "Cell by cell", Intro: []string{"**A**: " + nameA, "**B**: " + nameB}, Table: v.table})
	if len(v.settings) > 0 {
		p.Sections = append(p.Sections, report.PageSection{Heading: settingsHeading, Bullets: v.settings})
	}
	if len(v.across) > 0 {
		p.Sections = append(p.Sections, report.PageSection{Heading: acrossHeading, Bullets: v.across})
	}
	p.Sections = append(p.Sections, report.PageSection{Heading: "How to read this", Intro: []string{v.howToRead}})
	b, err := p.Render()
	if err != nil {
		return err
	}
	return runresult.WriteFile(path, b)
}

// Main is `compare [--max-regression X] [--across SETTING] A B`: exit 0
// when at least one cell was judged and none regressed, 1 when a judged
// cell of B regressed beyond the threshold against A, 3 when no cell could
// be judged (one line says why), 2 on a bad command line or an unreadable
// folder. With --max-regression off it reports only (exit 0). Flags may
// come before or after the folders.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maxReg := fs.String("max-regression", "10%", "fail (exit 1) when a cell's achieved rate drops, or its p50 or p99 rises, significantly and by more than this (e.g. 5% or 0.05; \"off\": report only)")
	htmlOut := fs.String("html", "", "also write the comparison as a self-contained page to this file (e.g. compare.html)")
	var acrossFlag listFlag
	fs.Var(&acrossFlag, "across", "judge cells even though this run setting (a metadata.json key: "+strings.Join(SettingKeys(), ", ")+") differs; repeat or comma-separate for several")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: compare [--max-regression 10%|off] [--across SETTING] [--html OUT] RESULTS_A RESULTS_B")
		fmt.Fprintln(w, "  Two results folders written by bench; B is judged against A, cell by cell, over the repeats (bench --repeat: 4 or more per side to judge, 6 or more advised).")
		fmt.Fprintln(w, "  Cells run with other settings (rate, connections, threads, duration, --quick, CPU limits, pool sizes) are flagged, not judged (--across judges across a run setting).")
		fmt.Fprintln(w, "  Exit 0: judged, none regressed; 1: a cell regressed; 3: no cell could be judged; 2: usage or unreadable folder.")
		fs.SetOutput(w)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	var pos []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage(stdout)
				return 0
			}
			fmt.Fprintf(stderr, "compare: %v\n", err)
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(pos) != 2 {
		fmt.Fprintf(stderr, "compare: want two results folders, got %d argument(s): %s\n", len(pos), strings.Join(pos, " "))
		return 2
	}
	across, err := parseAcross(acrossFlag)
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return 2
	}
	threshold := -1.0 // off
	if *maxReg != "off" {
		v, err := formats.Fraction(*maxReg, math.Inf(1))
		if err != nil {
			fmt.Fprintf(stderr, "compare: --max-regression: %v\n", err)
			return 2
		}
		threshold = v
	}
	a, err := LoadRun(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "compare: %s\n", runresult.CleanLine(err.Error()))
		return 2
	}
	b, err := LoadRun(pos[1])
	if err != nil {
		fmt.Fprintf(stderr, "compare: %s\n", runresult.CleanLine(err.Error()))
		return 2
	}
	diffs := CompareRuns(a, b, across)
	regressed := 0
	if threshold >= 0 {
		regressed = Judge(diffs, threshold)
	}
	Print(stdout, Describe(a), Describe(b), diffs)
	judged := 0
	for i := range diffs {
		if diffs[i].OnlyIn == "" && len(diffs[i].Settings) == 0 && diffs[i].Judged() {
			judged++
		}
	}
	var verdict string
	code := 0
	if threshold < 0 {
		verdict = fmt.Sprintf("--max-regression off: report only (%d cell(s) judged).", judged)
	} else if regressed > 0 {
		verdict, code = fmt.Sprintf("FAILED: %d cell(s) regressed significantly and by more than %g%% (req/s drop, p50 or p99 rise; --max-regression).", regressed, threshold*100), 1
	} else if judged == 0 {
		verdict, code = "NOT JUDGED: "+whyNoneJudged(diffs), 3
	} else {
		verdict = fmt.Sprintf("No judged cell regressed by more than %g%% (--max-regression): %d cell(s) judged.", threshold*100, judged)
	}
	fmt.Fprintln(stdout, verdict)
	if *htmlOut != "" {
		if err := WriteHTML(*htmlOut, Describe(a), Describe(b), diffs, verdict, code != 0); err != nil {
			fmt.Fprintf(stderr, "compare: --html: %v\n", err)
			return 2
		}
	}
	return code
}

// whyNoneJudged is one line on why no cell could be judged: each cell's
// first reason, counted.
func whyNoneJudged(diffs []Diff) string {
	var order []string
	count := map[string]int{}
	add := func(r string) {
		if count[r] == 0 {
			order = append(order, r)
		}
		count[r]++
	}
	fewRepeats := false
	for _, d := range diffs {
		if d.OnlyIn != "" {
			add("on one side only")
		} else if len(d.Settings) > 0 {
			add("not comparable (settings differ)")
		} else if d.Unreconciled != "" {
			add("reconciliation failed")
		} else {
			r := "not judged"
			for _, t := range d.Tests() {
				if t.FewRepeats {
					r, fewRepeats = fmt.Sprintf("fewer than %d repeats per side", MinRepeats), true
					break
				}
				if t.TooFewSamples {
					r = "too few samples"
				}
			}
			add(r)
		}
	}
	var parts []string
	for _, r := range order {
		parts = append(parts, fmt.Sprintf("%d cell(s) %s", count[r], r))
	}
	s := "no cell could be judged: " + strings.Join(parts, ", ")
	if len(diffs) == 0 {
		s = "no cell could be judged: no cells"
	}
	if fewRepeats {
		s += "; run bench with --repeat 6 or more on both sides (README: how many repeats)"
	}
	return s
}
