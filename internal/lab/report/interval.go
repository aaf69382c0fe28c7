package report

import (
	"fmt"
	"math"

	"golang.org/x/perf/benchmath"
)

// Confidence is the level of every interval the report gives (benchstat's).
const Confidence = 0.95

// MinIntervalRuns is the fewest repeats for which the median has a finite
// 95% confidence interval (benchmath: with 5 the order statistics that
// bound it do not exist, so it is ±∞).
const MinIntervalRuns = 6

// Interval is a figure over a cell's repeats: the median, its confidence
// interval (benchmath.AssumeNothing, the order statistics around the
// median, as benchstat) and how many repeats it stands on. Lo and Hi are
// absent (null) when n is too small for a finite interval.
type Interval struct {
	Median     float64  `json:"median"`
	Lo         *float64 `json:"lo,omitempty"`
	Hi         *float64 `json:"hi,omitempty"`
	Confidence float64  `json:"confidence,omitempty"` // the interval's actual level (≥ 0.95); absent with no interval
	N          int      `json:"n"`
}

// Finite reports whether the interval has both bounds.
func (i Interval) Finite() bool { return i.Lo != nil && i.Hi != nil }

// Intervals are a cell's judged figures over its repeats: achieved rate,
// corrected p50 and corrected p99 (compare tests the same three).
type Intervals struct {
	AchievedRate Interval `json:"achieved_rate"`
	P50          Interval `json:"p50_ms"`
	P99          Interval `json:"p99_ms"`
}

// MedianInterval is the median of values with its 95% confidence interval.
func MedianInterval(values []float64) Interval {
	if len(values) == 0 {
		return Interval{}
	}
	s := benchmath.NewSample(append([]float64(nil), values...), &benchmath.DefaultThresholds)
	sum := benchmath.AssumeNothing.Summary(s, Confidence)
	iv := Interval{Median: sum.Center, N: len(values)}
	if !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) && !math.IsNaN(sum.Lo) && !math.IsNaN(sum.Hi) {
		lo, hi := sum.Lo, sum.Hi
		iv.Lo, iv.Hi, iv.Confidence = &lo, &hi, sum.Confidence
	}
	return iv
}

// CellIntervals is the three judged figures of runs.
func CellIntervals(runs []Run) *Intervals {
	if len(runs) == 0 {
		return nil
	}
	var rate, p50, p99 []float64
	for _, r := range runs {
		rate = append(rate, r.AchievedRate)
		p50 = append(p50, r.Latency.P50)
		p99 = append(p99, r.Latency.P99)
	}
	return &Intervals{AchievedRate: MedianInterval(rate), P50: MedianInterval(p50), P99: MedianInterval(p99)}
}

// Format writes the interval for people with f formatting each value:
// "1,050.0 [1,000.0–1,100.0] n=6", or, too few repeats for an interval,
// "1,050.0 (n=3, no interval: needs ≥6)".
func (i Interval) Format(f func(float64) string) string {
	if i.N == 0 {
		return "—"
	}
	if !i.Finite() {
		return fmt.Sprintf("%s (n=%d, no interval: needs ≥%d)", f(i.Median), i.N, MinIntervalRuns)
	}
	return fmt.Sprintf("%s [%s–%s] n=%d", f(i.Median), f(*i.Lo), f(*i.Hi), i.N)
}

// repeatsTable is a scenario's judged figures over the repeats, with their
// confidence intervals (only when some cell ran more than once).
func repeatsTable(w func(string, ...any), cells []Cell) {
	t, short := RepeatsTable(cells)
	if t == nil {
		return
	}
	w("### Over the repeats: median [95%% confidence interval] n\n\n")
	t.Markdown(w)
	w("\n")
	if short {
		w("- %s\n\n", repeatsNote())
	}
}

// repeatsNote is said under a repeats table where some cell had too few
// repeats for an interval.
func repeatsNote() string {
	return fmt.Sprintf("A median's 95%% confidence interval needs at least %d repeats (the interval runs between order statistics of the sample; with fewer it is unbounded): where n is smaller, no interval is given, and the spread of the figure is unknown.", MinIntervalRuns)
}
