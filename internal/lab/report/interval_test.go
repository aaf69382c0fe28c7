package report

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// The median's 95% interval by hand: with n values the interval between
// the i-th smallest and the i-th largest covers the median with
// probability 1 − 2·P(Binomial(n, ½) < i). For n = 6 and i = 1 that is
// 1 − 2/64 = 0.96875 ≥ 0.95 (i = 2 gives 1 − 14/64 = 0.78, too little), so
// [min, max]; for n = 5, i = 1 gives 1 − 2/32 = 0.9375 < 0.95: no interval.
func TestMedianIntervalOnFixedSamples(t *testing.T) {
	iv := MedianInterval([]float64{6, 1, 5, 2, 4, 3})
	if iv.Median != 3.5 || !iv.Finite() || *iv.Lo != 1 || *iv.Hi != 6 || iv.Confidence != 0.96875 || iv.N != 6 {
		t.Errorf("n=6: %+v", iv)
	}
	if got := iv.Format(func(v float64) string { return fmt.Sprintf("%g", v) }); got != "3.5 [1–6] n=6" {
		t.Errorf("format %q", got)
	}
	iv = MedianInterval([]float64{1, 2, 3, 4, 5})
	if iv.Median != 3 || iv.Finite() || iv.N != 5 {
		t.Errorf("n=5: %+v", iv)
	}
	if got := iv.Format(msS); !strings.Contains(got, "(n=5, no interval: needs ≥6)") {
		t.Errorf("format %q", got)
	}
	// JSON: no bounds (never ±Inf, which JSON cannot hold) when not finite.
	b, err := json.Marshal(iv)
	if err != nil || string(b) != `{"median":3,"n":5}` {
		t.Errorf("json %s, %v", b, err)
	}
}

// summary.md: a scenario whose cells ran more than once has the table of
// medians with their intervals, and says where n is too small for one.
func TestMarkdownShowsIntervals(t *testing.T) {
	c := Cell{Endpoint: "/index", Scenario: "saturation", Target: TargetApp, Status: StatusClosedLoop, Connections: 4, Threads: 1, DurationS: 1}
	for i, v := range []float64{100, 110, 120, 130, 140, 150} {
		c.Runs = append(c.Runs, Run{Index: i + 1, AchievedRate: v, Latency: runresult.Latency{P50: v / 100, P99: v / 10}})
	}
	c.Intervals = CellIntervals(c.Runs)
	short := c
	short.Endpoint, short.Runs = "/agents", c.Runs[:3]
	short.Intervals = CellIntervals(short.Runs)
	var b strings.Builder
	repeatsTable(func(f string, a ...any) { b.WriteString(fmt.Sprintf(f, a...)) }, []Cell{c, short})
	md := b.String()
	for _, want := range []string{"| /index | app | 125.0 [100.0–150.0] n=6 |", "| /agents | app | 110.0 (n=3, no interval: needs ≥6) |",
		"needs at least 6 repeats"} {
		if !strings.Contains(md, want) {
			t.Errorf("lacks %q:\n%s", want, md)
		}
	}
}
