package compare

import (
	"math"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// The U test's exact p-values, computed by hand: with n against m values
// and no ties, U counts the (a, b) pairs with b < a; under "same
// distribution" every one of the C(n+m, n) orderings is equally likely,
// and the number with U = k is the number of partitions of k into at most
// n parts of at most m (for 5 and 5: 1, 1, 2, 3, 5, 7, 9, 11, 14, 16, 18,
// …; for 4 and 4: 1, 1, 2, 3, 5, 5, 7, …). Two-sided p = 2·P(U ≤ u).
func TestUTestOnFixedSamples(t *testing.T) {
	for _, c := range []struct {
		name string
		a, b []float64
		p    float64
	}{
		{"5 v 5, apart (U=0)", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 2.0 / 252},
		{"4 v 4, apart (U=0)", []float64{1, 2, 3, 4}, []float64{5, 6, 7, 8}, 2.0 / 70},
		{"5 v 5, U=1", []float64{1, 2, 3, 4, 6}, []float64{5, 7, 8, 9, 10}, 4.0 / 252},
		{"5 v 5, U=3", []float64{1, 2, 3, 4, 8}, []float64{5, 6, 7, 9, 10}, 2 * 7.0 / 252},                          // 1+1+2+3 orderings
		{"5 v 5, interleaved (U=10)", []float64{10, 12, 14, 16, 18}, []float64{11, 13, 15, 17, 19}, 2 * 87.0 / 252}, // 1+1+2+3+5+7+9+11+14+16+18
		{"4 v 4, interleaved (U=6)", []float64{10, 12, 14, 16}, []float64{11, 13, 15, 17}, 2 * 24.0 / 70},           // 1+1+2+3+5+5+7
		{"3 v 3, apart: never below 0.1", []float64{1, 2, 3}, []float64{4, 5, 6}, 2.0 / 20},
	} {
		if got := UTest(c.a, c.b); math.Abs(got-c.p) > 1e-9 {
			t.Errorf("%s: p = %.6f, want %.6f", c.name, got, c.p)
		}
	}
}

// Holm by hand: 0.01, 0.04, 0.03 → sorted 0.01·3 = 0.03, 0.03·2 = 0.06,
// 0.04·1 = 0.04 raised to the 0.06 before it.
func TestHolmByHand(t *testing.T) {
	got := Holm([]float64{0.01, 0.04, 0.03})
	want := []float64{0.03, 0.06, 0.06}
	for i := range want {
		if math.Abs(got[i]-want[i]) > 1e-12 {
			t.Fatalf("Holm = %v, want %v", got, want)
		}
	}
	if got := Holm([]float64{0.5, 0.9}); got[0] != 1 || got[1] != 1 { // capped at 1
		t.Errorf("Holm(0.5, 0.9) = %v, want 1, 1", got)
	}
}

// sample is a cell whose runs have these achieved rates and p50s (ms), a
// p99 of twice the p50, and requests responses each.
func sample(ep string, requests int64, rates, p50s []float64) report.Cell {
	c := report.Cell{Endpoint: ep, Scenario: "saturation", Status: report.StatusClosedLoop}
	for i := range rates {
		c.Runs = append(c.Runs, report.Run{Index: i + 1, AchievedRate: rates[i], Requests: requests,
			Latency: runresult.Latency{P50: p50s[i], P99: 2 * p50s[i]}})
	}
	return c
}

func tests(d Diff) map[string]*Test {
	return map[string]*Test{FigRate: d.Rate, FigP50: d.P50, FigP99: d.P99}
}

// Verdicts on fixed samples, each worked out by hand above.
func TestVerdictsOnFixedSamples(t *testing.T) {
	slower5 := []float64{800, 810, 820, 830, 840}
	base5 := []float64{1000, 1010, 1020, 1030, 1040}
	interA, interB := []float64{10, 12, 14, 16, 18}, []float64{11, 13, 15, 17, 19}

	t.Run("significant", func(t *testing.T) {
		// 500 responses a run: p50 judged (≥20), p99 too few samples
		// (<1000). Two tests: the rate's p = 2/252, p50's 174/252; Holm:
		// 4/252 = 0.016 and 0.690.
		diffs := Compare(summary(sample("/index", 500, base5, interA)), summary(sample("/index", 500, slower5, interB)))
		d := tests(diffs[0])
		if r := d[FigRate]; !r.Significant || r.Verdict != "worse" || math.Abs(r.PHolm-4.0/252) > 1e-9 || math.Abs(r.Change-(820.0/1020-1)) > 1e-12 {
			t.Errorf("rate: %+v", r)
		}
		if p := d[FigP50]; p.Significant || p.Verdict != "same" || math.Abs(p.PHolm-174.0/252) > 1e-9 {
			t.Errorf("p50: %+v", p)
		}
		if p := d[FigP99]; p.Judged() || !p.TooFewSamples || !strings.Contains(p.Format("%.2fms"), "too few samples") {
			t.Errorf("p99 over 500 responses: %+v", p)
		}
		if diffs[0].Verdict != "worse" || Judge(diffs, 0.10) != 1 || diffs[0].Regressed[0] != "req/s -19.6%, p=0.016" {
			t.Errorf("cell %s, regressed %v", diffs[0].Verdict, diffs[0].Regressed)
		}
		// Significant but smaller than --max-regression: not a regression.
		if Judge(diffs, 0.25) != 0 {
			t.Errorf("a 19.6%% drop regressed beyond 25%%")
		}
		if got := d[FigRate].Format("%.1f"); got != "1020.0 → 820.0: -19.61% (p=0.016, n=5)" {
			t.Errorf("format %q", got)
		}
		if got := d[FigP50].Format("%.2fms"); got != "14.00ms → 15.00ms: ~ (p=0.690, n=5)" {
			t.Errorf("format %q", got)
		}
	})

	t.Run("not significant", func(t *testing.T) {
		// U = 3: p = 14/252 = 0.056 > 0.05, alone (p50 and p99 too few samples).
		diffs := Compare(summary(sample("/index", 10, []float64{1, 2, 3, 4, 8}, interA)), summary(sample("/index", 10, []float64{5, 6, 7, 9, 10}, interB)))
		r := diffs[0].Rate
		if !r.Judged() || r.Significant || r.Verdict != "same" || math.Abs(r.PHolm-14.0/252) > 1e-9 || diffs[0].Verdict != "same" || Judge(diffs, 0) != 0 {
			t.Errorf("rate: %+v, cell %s", r, diffs[0].Verdict)
		}
		if diffs[0].P50.Judged() || !diffs[0].P50.TooFewSamples {
			t.Errorf("p50 over 10 responses a run judged: %+v", diffs[0].P50)
		}
	})

	t.Run("too few samples", func(t *testing.T) {
		// p99 needs 1,000 responses in every repeat, on both sides: one
		// run of B with 999 keeps it from being judged; with 1,000 it is.
		a := sample("/index", 1000, base5, interA)
		b := sample("/index", 1000, slower5, interB)
		b.Runs[3].Requests = 999
		d := Compare(summary(a), summary(b))[0]
		if d.P99.Judged() || !d.P99.TooFewSamples || !strings.Contains(d.P99.NotJudged, "a run held 999 responses, p99 needs ≥1000 (10 beyond it)") {
			t.Errorf("p99: %+v", d.P99)
		}
		b.Runs[3].Requests = 1000
		if d := Compare(summary(a), summary(b))[0]; !d.P99.Judged() {
			t.Errorf("p99 over 1,000 responses a run not judged: %+v", d.P99)
		}
	})

	t.Run("Holm changes the verdict", func(t *testing.T) {
		// 4 against 4, apart: p = 2/70 = 0.029. Tested alone (10
		// responses a run: no percentile judged) it is significant and a
		// regression; tested beside the p50 (30 responses a run), p = 48/70,
		// Holm doubles it to 0.057: "~", no regression.
		base4, slower4 := []float64{1000, 1010, 1020, 1030}, []float64{800, 810, 820, 830}
		p50A, p50B := []float64{10, 12, 14, 16}, []float64{11, 13, 15, 17}
		alone := Compare(summary(sample("/index", 10, base4, p50A)), summary(sample("/index", 10, slower4, p50B)))
		if r := alone[0].Rate; !r.Significant || math.Abs(r.PHolm-2.0/70) > 1e-9 || Judge(alone, 0.1) != 1 {
			t.Errorf("alone: %+v", r)
		}
		both := Compare(summary(sample("/index", 30, base4, p50A)), summary(sample("/index", 30, slower4, p50B)))
		if r := both[0].Rate; r.Significant || r.Verdict != "same" || math.Abs(r.P-2.0/70) > 1e-9 || math.Abs(r.PHolm-4.0/70) > 1e-9 || Judge(both, 0.1) != 0 {
			t.Errorf("beside another test: %+v", r)
		}
		if p := both[0].P50; !p.Judged() || math.Abs(p.PHolm-48.0/70) > 1e-9 {
			t.Errorf("p50: %+v", p)
		}
	})

	t.Run("too few repeats", func(t *testing.T) {
		diffs := Compare(summary(sample("/index", 5000, base5[:3], interA[:3])), summary(sample("/index", 5000, slower5[:3], interB[:3])))
		d := diffs[0]
		if d.Judged() || d.Verdict != "not judged" || d.NotJudged != "n=3: needs ≥4 repeats per side" || Judge(diffs, 0.1) != 0 {
			t.Errorf("3 against 3: %s (%s) %+v", d.Verdict, d.NotJudged, d.Rate)
		}
	})
}
