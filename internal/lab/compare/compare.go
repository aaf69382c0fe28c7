// Package compare sets two results folders side by side, cell by cell: what
// got better or worse, whether the difference is larger than the spread of
// the repeats (--repeat) on both sides, which cells ran with other settings
// (and so are not comparable), and whether a cell regressed beyond
// --max-regression (exit 1).
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
}

// Run is one results folder: its summary and metadata.
type Run struct {
	Dir     string
	Summary *report.Summary
	Meta    Meta
}

// LoadRun reads a results folder (summary.json, and metadata.json when
// there is one).
func LoadRun(dir string) (*Run, error) {
	s, err := report.Load(dir)
	if err != nil {
		return nil, err
	}
	r := &Run{Dir: dir, Summary: s}
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		dir = filepath.Dir(dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err == nil {
		if err := json.Unmarshal(b, &r.Meta); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "metadata.json"), err)
		}
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

// RunSettings is what differs between two runs as a whole and makes every
// cell incomparable: quick or not, and the CPU limits of the services (the
// original's aside: OriginalSettings).
func RunSettings(a, b *Run) []string {
	var d []string
	if a.Summary.Quick != b.Summary.Quick {
		d = append(d, fmt.Sprintf("quick %v → %v", a.Summary.Quick, b.Summary.Quick))
	}
	return append(d, cpuLimits(a, b, func(name string) bool { return !originalServices[name] })...)
}

// OriginalSettings is what differs between two runs for the original's
// cells besides RunSettings: its services' CPU limits.
func OriginalSettings(a, b *Run) []string {
	return cpuLimits(a, b, func(name string) bool { return originalServices[name] })
}

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

// Metric is one figure of a cell on both sides.
type Metric struct {
	A, B         float64
	ASpread      report.Spread
	BSpread      report.Spread
	Change       float64 // (B-A)/A
	Verdict      string  // better | worse | same
	BeyondSpread bool    // the ranges of the repeats do not overlap (needs ≥2 runs each)
}

// Diff is one cell present in A, B or both: an endpoint and scenario
// against one target (a cell is only ever compared with the same target's).
type Diff struct {
	Target             string // report.TargetApp | TargetOriginal
	Endpoint, Scenario string
	OnlyIn             string // "A" or "B" when the other lacks the cell
	StatusA, StatusB   string
	Rate, P99          *Metric
	ErrorsA, ErrorsB   float64 // error ratios
	Verdict            string  // better | worse | mixed | same | not comparable
	Repeats            bool    // both sides have ≥2 runs, so spreads mean something
	// Settings lists how the two cells were run differently (and the run's
	// own differences: quick, CPU limits); such a cell is not comparable.
	Settings []string
	// Regressed says why the cell regressed beyond the threshold (Judge);
	// empty when it did not.
	Regressed []string
}

// Compare matches cells by target, endpoint and scenario: the app's with
// the app's, the original's with the original's (a summary from before
// targets measured the app alone: report.Load reads it so).
func Compare(a, b *report.Summary) []Diff {
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
// or in runs that differ as a whole (RunSettings), is "not comparable".
func CompareRuns(a, b *Run) []Diff {
	diffs := Compare(a.Summary, b.Summary)
	global := RunSettings(a, b)
	orig := OriginalSettings(a, b)
	for i := range diffs {
		d := &diffs[i]
		if d.OnlyIn != "" {
			continue
		}
		d.Settings = append(append([]string(nil), global...), d.Settings...)
		if d.Target == report.TargetOriginal {
			d.Settings = append(d.Settings, orig...)
		}
		if len(d.Settings) > 0 {
			d.Verdict = "not comparable"
		}
	}
	return diffs
}

func diff(a, b report.Cell) Diff {
	d := Diff{Target: target(a), Endpoint: a.Endpoint, Scenario: a.Scenario, StatusA: a.Status, StatusB: b.Status,
		ErrorsA: a.ErrorRatio, ErrorsB: b.ErrorRatio, Repeats: len(a.Runs) > 1 && len(b.Runs) > 1,
		Settings: CellSettings(a, b)}
	d.Rate = metric(a.AchievedRate, b.AchievedRate, a.RateSpread, b.RateSpread, true, d.Repeats)
	// A rate cell that reached its target on both sides: the rate says nothing.
	if a.TargetRate > 0 && a.Status == report.StatusOK && b.Status == report.StatusOK {
		d.Rate.Verdict, d.Rate.BeyondSpread = "same", false
	}
	d.P99 = metric(a.Latency.P99, b.Latency.P99, a.P99Spread, b.P99Spread, false, d.Repeats)
	better, worse := 0, 0
	for _, m := range []*Metric{d.Rate, d.P99} {
		switch m.Verdict {
		case "better":
			better++
		case "worse":
			worse++
		}
	}
	switch {
	case better > 0 && worse > 0:
		d.Verdict = "mixed"
	case better > 0:
		d.Verdict = "better"
	case worse > 0:
		d.Verdict = "worse"
	default:
		d.Verdict = "same"
	}
	if len(d.Settings) > 0 {
		d.Verdict = "not comparable"
	}
	return d
}

// Judge marks the comparable cells of B that regressed beyond max (a
// fraction: 0.1 = 10%) against A and returns how many did: an achieved rate
// lower by more than max, a p99 higher by more than max (with repeats on
// both sides, only a change also beyond the spread of the repeats: within
// it, it is noise), or a cell that passed and now fails its error threshold.
// A rate cell that reached its target on both sides is not judged on its
// rate. Cells run with other settings, or present on one side only, are
// never judged: they are listed as such.
func Judge(diffs []Diff, max float64) int {
	n := 0
	for i := range diffs {
		d := &diffs[i]
		d.Regressed = nil
		if d.OnlyIn != "" || len(d.Settings) > 0 {
			continue
		}
		if d.Rate != nil && d.Rate.Verdict == "worse" && -d.Rate.Change > max && (!d.Repeats || d.Rate.BeyondSpread) {
			d.Regressed = append(d.Regressed, fmt.Sprintf("req/s %+.1f%%", d.Rate.Change*100))
		}
		if d.P99 != nil && d.P99.Verdict == "worse" && d.P99.Change > max && (!d.Repeats || d.P99.BeyondSpread) {
			d.Regressed = append(d.Regressed, fmt.Sprintf("p99 %+.1f%%", d.P99.Change*100))
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

// metric judges a change: with repeats, only a change beyond both spreads
// counts; without, any change of more than 1% is reported (unflagged).
func metric(a, b float64, as, bs report.Spread, higherIsBetter, repeats bool) *Metric {
	m := &Metric{A: a, B: b, ASpread: as, BSpread: bs}
	if a != 0 {
		m.Change = (b - a) / a
	}
	m.BeyondSpread = repeats && (bs.Min > as.Max || bs.Max < as.Min)
	significant := m.BeyondSpread
	if !repeats {
		significant = m.Change > 0.01 || m.Change < -0.01
	}
	switch {
	case !significant:
		m.Verdict = "same"
	case (b > a) == higherIsBetter:
		m.Verdict = "better"
	default:
		m.Verdict = "worse"
	}
	return m
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

// Print writes the comparison as a table.
func Print(w io.Writer, nameA, nameB string, diffs []Diff) {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", nameA, nameB)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cell\tstatus A → B\treq/s A → B\tp99 A → B\terrors A → B\tverdict")
	repeats := true
	var settings []string
	for _, d := range diffs {
		cell := d.Name()
		if d.OnlyIn != "" {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\tonly in %s\n", cell, d.StatusA+d.StatusB, d.OnlyIn)
			continue
		}
		repeats = repeats && d.Repeats
		verdict := d.Verdict
		if len(d.Regressed) > 0 {
			verdict += " REGRESSED (" + strings.Join(d.Regressed, ", ") + ")"
		}
		if len(d.Settings) > 0 {
			settings = append(settings, cell+": "+strings.Join(d.Settings, ", "))
		}
		fmt.Fprintf(tw, "%s\t%s → %s\t%s\t%s\t%.2f%% → %.2f%%\t%s\n", cell, d.StatusA, d.StatusB,
			fmtMetric(d.Rate, "%.1f"), fmtMetric(d.P99, "%.2fms"), d.ErrorsA*100, d.ErrorsB*100, verdict)
	}
	tw.Flush()
	fmt.Fprintln(w)
	if len(settings) > 0 {
		fmt.Fprintln(w, "SETTINGS DIFFER (not comparable, not judged):")
		for _, s := range settings {
			fmt.Fprintln(w, "  "+s)
		}
		fmt.Fprintln(w)
	}
	if repeats {
		fmt.Fprintln(w, "! marks a difference larger than the spread (min–max) of the repeats on both sides.")
	} else {
		fmt.Fprintln(w, "Some cells ran once: there is no spread to judge noise by; changes over 1% are listed as better/worse unflagged. Run bench with --repeat 3 or more on both sides.")
	}
}

func fmtMetric(m *Metric, f string) string {
	s := fmt.Sprintf(f+" → "+f+" (%+.1f%%)", m.A, m.B, m.Change*100)
	if m.BeyondSpread {
		s += " !"
	}
	return s
}

// Main is `compare [--max-regression X] A B`: exit 0, 1 when a comparable
// cell of B regressed beyond the threshold against A, 2 on a bad command
// line or an unreadable folder. Flags may come before or after the folders.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	maxReg := fs.String("max-regression", "10%", "fail (exit 1) when a cell's achieved rate drops, or its p99 rises, by more than this (e.g. 5% or 0.05; \"off\": report only)")
	usage := func(w io.Writer) {
		fmt.Fprintln(w, "usage: compare [--max-regression 10%|off] RESULTS_A RESULTS_B")
		fmt.Fprintln(w, "  Two results folders written by bench; B is judged against A, cell by cell.")
		fmt.Fprintln(w, "  Cells run with other settings (rate, connections, threads, duration, --quick, CPU limits) are flagged, not judged.")
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
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return 2
	}
	b, err := LoadRun(pos[1])
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return 2
	}
	diffs := CompareRuns(a, b)
	regressed := 0
	if threshold >= 0 {
		regressed = Judge(diffs, threshold)
	}
	Print(stdout, Describe(a), Describe(b), diffs)
	switch {
	case threshold < 0:
		fmt.Fprintln(stdout, "--max-regression off: report only.")
	case regressed > 0:
		fmt.Fprintf(stdout, "FAILED: %d cell(s) regressed by more than %g%% (req/s drop or p99 rise; --max-regression).\n", regressed, threshold*100)
		return 1
	default:
		fmt.Fprintf(stdout, "No comparable cell regressed by more than %g%% (--max-regression).\n", threshold*100)
	}
	return 0
}
