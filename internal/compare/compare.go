// Package compare sets two results folders side by side, cell by cell: what
// got better or worse, and whether the difference is larger than the spread
// of the repeats (--repeat) on both sides.
package compare

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/macrobench/macrobench/internal/report"
)

// Metric is one figure of a cell on both sides.
type Metric struct {
	A, B         float64
	ASpread      report.Spread
	BSpread      report.Spread
	Change       float64 // (B-A)/A
	Verdict      string  // better | worse | same
	BeyondSpread bool    // the ranges of the repeats do not overlap (needs ≥2 runs each)
}

// Diff is one cell present in A, B or both.
type Diff struct {
	Endpoint, Scenario string
	OnlyIn             string // "A" or "B" when the other lacks the cell
	StatusA, StatusB   string
	Rate, P99          *Metric
	ErrorsA, ErrorsB   float64 // error ratios
	Verdict            string  // better | worse | mixed | same
	Repeats            bool    // both sides have ≥2 runs, so spreads mean something
}

// Compare matches cells by endpoint and scenario.
func Compare(a, b *report.Summary) []Diff {
	var out []Diff
	index := map[string]report.Cell{}
	for _, c := range b.Cells {
		index[c.Endpoint+" "+c.Scenario] = c
	}
	seen := map[string]bool{}
	for _, ca := range a.Cells {
		key := ca.Endpoint + " " + ca.Scenario
		seen[key] = true
		cb, ok := index[key]
		if !ok {
			out = append(out, Diff{Endpoint: ca.Endpoint, Scenario: ca.Scenario, OnlyIn: "A", StatusA: ca.Status})
			continue
		}
		out = append(out, diff(ca, cb))
	}
	for _, cb := range b.Cells {
		if !seen[cb.Endpoint+" "+cb.Scenario] {
			out = append(out, Diff{Endpoint: cb.Endpoint, Scenario: cb.Scenario, OnlyIn: "B", StatusB: cb.Status})
		}
	}
	return out
}

func diff(a, b report.Cell) Diff {
	d := Diff{Endpoint: a.Endpoint, Scenario: a.Scenario, StatusA: a.Status, StatusB: b.Status,
		ErrorsA: a.ErrorRatio, ErrorsB: b.ErrorRatio, Repeats: len(a.Runs) > 1 && len(b.Runs) > 1}
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
	return d
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

// Print writes the comparison as a table.
func Print(w io.Writer, nameA, nameB string, diffs []Diff) {
	fmt.Fprintf(w, "A: %s\nB: %s\n\n", nameA, nameB)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cell\tstatus A → B\treq/s A → B\tp99 A → B\terrors A → B\tverdict")
	repeats := true
	for _, d := range diffs {
		cell := d.Endpoint + " " + d.Scenario
		if d.OnlyIn != "" {
			fmt.Fprintf(tw, "%s\t%s\t\t\t\tonly in %s\n", cell, d.StatusA+d.StatusB, d.OnlyIn)
			continue
		}
		repeats = repeats && d.Repeats
		fmt.Fprintf(tw, "%s\t%s → %s\t%s\t%s\t%.2f%% → %.2f%%\t%s\n", cell, d.StatusA, d.StatusB,
			fmtMetric(d.Rate, "%.1f"), fmtMetric(d.P99, "%.2fms"), d.ErrorsA*100, d.ErrorsB*100, d.Verdict)
	}
	tw.Flush()
	fmt.Fprintln(w)
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

// Main is `compare A B`: exit 0, or 2 on a bad command line or unreadable folder.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: compare RESULTS_A RESULTS_B  (two results folders written by bench; B is judged against A)")
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprintf(stderr, "compare: want two results folders, got %d argument(s): %s\n", fs.NArg(), strings.Join(fs.Args(), " "))
		return 2
	}
	a, err := report.Load(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return 2
	}
	b, err := report.Load(fs.Arg(1))
	if err != nil {
		fmt.Fprintf(stderr, "compare: %v\n", err)
		return 2
	}
	Print(stdout, fs.Arg(0), fs.Arg(1), Compare(a, b))
	return 0
}
