package compare

import (
	"fmt"
	"math"
	"sort"

	"golang.org/x/perf/benchmath"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// The statistics, as benchstat's (golang.org/x/perf/benchmath): each judged
// figure of a cell is a sample of its repeats on either side; the two
// samples are tested with Mann–Whitney U (no assumption on the
// distribution: a load test's figures are skewed and jumpy); the p-values
// of every test in one compare are corrected together (Holm), since a
// compare makes many tests and some would pass by chance alone; a change is
// "~" unless its corrected p is at most Alpha.
const (
	// Alpha is the significance level after correction.
	Alpha = 0.05
	// MinRepeats is the fewest repeats per side a figure is tested with:
	// with 3 against 3 the U test's smallest p is 0.1, so nothing could
	// ever be significant; 4 against 4 can reach 0.029, 5 against 5 0.008.
	MinRepeats = 4
	// MinBeyond is the fewest responses every repeat must hold beyond a
	// percentile for it to be judged: a p99 over 30 responses is their
	// maximum, one slow response. 10 beyond p99 is 1,000 responses a run.
	MinBeyond = report.MinBeyond
)

// A judged figure of a cell.
const (
	FigRate = "req/s"
	FigP50  = "p50"
	FigP99  = "p99"
)

// Test is one figure of a cell, A against B: its samples (one value per
// repeat), their medians, and the test's outcome. A figure that cannot be
// judged says why (NotJudged) and is never tested.
type Test struct {
	Figure         string
	A, B           []float64 // per repeat, in run order
	MedA, MedB     float64
	Change         float64 // (MedB-MedA)/MedA
	HigherIsBetter bool
	// NotJudged says why the figure is not tested ("" when it is): too
	// few repeats, too few samples, a rate cell at its target on both
	// sides, a cell not comparable or not reconciled.
	NotJudged string
	// TooFewSamples marks a percentile not judged for lack of responses
	// beyond it (reported as "too few samples").
	TooFewSamples bool
	// FewRepeats marks a figure not judged for lack of repeats.
	FewRepeats  bool
	P           float64 // Mann–Whitney U, two-sided
	PHolm       float64 // P corrected over every test of the compare (Holm)
	N1, N2      int
	Significant bool   // PHolm ≤ Alpha
	Verdict     string // better | worse | same ("~") | "" when not judged
}

// Judged reports whether the figure was tested.
func (t *Test) Judged() bool { return t != nil && t.NotJudged == "" }

// newTest builds the test of one figure of two cells: the samples and,
// where both sides have the repeats and (for a percentile q > 0) the
// responses, the raw U test. The correction comes later (Correct).
func newTest(fig string, a, b report.Cell, value func(report.Run) float64, q float64, higherIsBetter bool) *Test {
	t := &Test{Figure: fig, HigherIsBetter: higherIsBetter, N1: len(a.Runs), N2: len(b.Runs)}
	for _, r := range a.Runs {
		t.A = append(t.A, value(r))
	}
	for _, r := range b.Runs {
		t.B = append(t.B, value(r))
	}
	t.MedA, t.MedB = medianOr(t.A, a, fig), medianOr(t.B, b, fig)
	if t.MedA != 0 {
		t.Change = (t.MedB - t.MedA) / t.MedA
	}
	if t.N1 < MinRepeats || t.N2 < MinRepeats {
		t.FewRepeats = true
		t.NotJudged = fmt.Sprintf("n=%s: needs ≥%d repeats per side", nString(t.N1, t.N2), MinRepeats)
		return t
	} else if q > 0 {
		if least := fewestResponses(a.Runs, b.Runs); float64(least)*(1-q) < MinBeyond {
			t.TooFewSamples = true
			t.NotJudged = fmt.Sprintf("too few samples: a run held %d responses, %s needs ≥%.0f (%d beyond it)", least, fig, math.Ceil(MinBeyond/(1-q)-1e-9), MinBeyond)
			return t
		}
	}
	t.P = UTest(t.A, t.B)
	return t
}

// medianOr is the median of the sample, or the cell's own figure when the
// cell has no runs (an old summary, a cell not run).
func medianOr(v []float64, c report.Cell, fig string) float64 {
	if len(v) > 0 {
		return report.MedianInterval(v).Median // benchmath's, as the summary's
	}
	switch fig {
	case FigRate:
		return c.AchievedRate
	case FigP50:
		return c.Latency.P50
	default:
		return c.Latency.P99
	}
}

// fewestResponses is the fewest responses any run of either side holds
// (both sides have runs when it is asked).
func fewestResponses(a, b []report.Run) int64 {
	least := int64(math.MaxInt64)
	for _, r := range append(append([]report.Run(nil), a...), b...) {
		least = min(least, r.Requests)
	}
	return least
}

// UTest is the two-sided Mann–Whitney U test's p-value of two samples
// (benchmath.AssumeNothing: exact for small samples without ties).
func UTest(a, b []float64) float64 {
	th := benchmath.DefaultThresholds
	sa := benchmath.NewSample(append([]float64(nil), a...), &th)
	sb := benchmath.NewSample(append([]float64(nil), b...), &th)
	return benchmath.AssumeNothing.Compare(sa, sb).P
}

// Holm corrects p-values for being tested together (Holm–Bonferroni): the
// i-th smallest (from 0) of m is multiplied by m−i, and each corrected
// value is at least the one before it, at most 1. It controls the chance
// of any false alarm among the m tests at the level each is compared with,
// and it is never less powerful than dividing the level by m.
func Holm(ps []float64) []float64 {
	m := len(ps)
	idx := make([]int, m)
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(i, j int) bool { return ps[idx[i]] < ps[idx[j]] })
	out := make([]float64, m)
	running := 0.0
	for rank, i := range idx {
		running = math.Max(running, math.Min(1, float64(m-rank)*ps[i]))
		out[i] = running
	}
	return out
}

// Correct applies Holm's correction over every judged test of the
// compare, and gives each its verdict, and each cell's. It returns how
// many tests were made.
func Correct(diffs []Diff) int {
	var tests []*Test
	for i := range diffs {
		for _, t := range diffs[i].Tests() {
			if t.Judged() {
				tests = append(tests, t)
			} else {
				t.Verdict, t.Significant, t.PHolm = "", false, 0
			}
		}
	}
	ps := make([]float64, len(tests))
	for i, t := range tests {
		ps[i] = t.P
	}
	for i, adj := range Holm(ps) {
		t := tests[i]
		t.PHolm = adj
		t.Significant = adj <= Alpha
		// Significant, the medians' direction says which way; equal
		// medians (the U test sees the spreads differ) are the same.
		up, down := "better", "worse" // B's median above A's, below it
		if !t.HigherIsBetter {
			up, down = down, up
		}
		if !t.Significant {
			t.Verdict = "same"
		} else if t.MedB > t.MedA {
			t.Verdict = up
		} else if t.MedB < t.MedA {
			t.Verdict = down
		} else {
			t.Verdict = "same"
		}
	}
	for i := range diffs {
		diffs[i].setVerdict()
	}
	return len(tests)
}

// Format is the figure A → B and its change as benchstat prints it:
// "+4.20% (p=0.008, n=5)" when significant after correction, "~ (p=…,
// n=…)" when not, and why when it was not judged.
func (t *Test) Format(f string) string {
	s := fmt.Sprintf(f+" → "+f, t.MedA, t.MedB)
	if t.Judged() && t.Verdict != "" {
		delta := "~"
		if t.Significant {
			delta = fmt.Sprintf("%+.2f%%", t.Change*100)
		}
		return fmt.Sprintf("%s: %s (p=%.3f, n=%s)", s, delta, t.PHolm, nString(t.N1, t.N2))
	} else if t.TooFewSamples {
		return fmt.Sprintf("%s (%+.1f%%) too few samples", s, t.Change*100)
	} else if t.NotJudged != "" {
		return fmt.Sprintf("%s (%+.1f%%, not judged: %s)", s, t.Change*100, t.NotJudged)
	}
	return s
}

func nString(n1, n2 int) string {
	if n1 == n2 {
		return fmt.Sprint(n1)
	}
	return fmt.Sprintf("%d+%d", n1, n2)
}
