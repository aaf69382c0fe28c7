package benchreport

import (
	"bytes"
	"fmt"
	"math"
	"path/filepath"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"

	"github.com/macrobench/macrobench/internal/baseline"
)

// WriteCharts writes, per scenario, latency-<scenario>.png (the percentile
// spectrum of every endpoint, as HdrHistogram's plotter draws it) and
// throughput-<scenario>.png (achieved req/s per endpoint, ours vs the original).
func WriteCharts(s *Summary, flask baseline.Set, dir string) error {
	for _, sc := range scenarioOrder(s.Cells) {
		cells := cellsOf(s.Cells, sc)
		if err := spectrumChart(sc, cells, filepath.Join(dir, "latency-"+sc+".png")); err != nil {
			return fmt.Errorf("latency chart %s: %w", sc, err)
		}
		if err := throughputChart(sc, cells, flask, filepath.Join(dir, "throughput-"+sc+".png")); err != nil {
			return fmt.Errorf("throughput chart %s: %w", sc, err)
		}
	}
	return nil
}

// percentileTicks label the 1/(1-p) axis with percentiles: 1 → 0%, 10 → 90%,
// 100 → 99%, …
var percentileTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	labels := []string{"0%", "90%", "99%", "99.9%", "99.99%", "99.999%", "99.9999%"}
	for i, v := 0, 1.0; v <= max*1.0001 && i < len(labels); i, v = i+1, v*10 {
		ticks = append(ticks, plot.Tick{Value: v, Label: labels[i]})
	}
	return ticks
})

// latencyTicks label a log latency axis at 1, 2 and 5 × 10^k ms (plot.LogTicks
// labels powers of ten only, so a spread within one decade got no labels).
var latencyTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); math.Pow(10, e) <= max; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= min && v <= max {
				ticks = append(ticks, plot.Tick{Value: v, Label: msLabel(v)})
			}
		}
	}
	if len(ticks) < 2 { // a narrow range: label its ends
		ticks = append(ticks, plot.Tick{Value: min, Label: msLabel(min)}, plot.Tick{Value: max, Label: msLabel(max)})
	}
	return ticks
})

func msLabel(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%gs", math.Round(v/10)/100)
	}
	return fmt.Sprintf("%.3gms", v)
}

// The run whose spectrum is drawn: the one with the median p99.
func medianRun(c Cell) (Run, bool) {
	if len(c.Runs) == 0 {
		return Run{}, false
	}
	best := c.Runs[0]
	for _, r := range c.Runs {
		if math.Abs(r.Latency.P99-c.Latency.P99) < math.Abs(best.Latency.P99-c.Latency.P99) {
			best = r
		}
	}
	return best, true
}

func spectrumChart(scenario string, cells []Cell, path string) error {
	p := plot.New()
	p.Title.Text = "Latency by percentile — " + scenario
	p.X.Label.Text = "percentile"
	p.Y.Label.Text = "latency (ms, log)"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = percentileTicks
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = latencyTicks
	// Bottom right: the curves rise to the right, so that corner stays empty.
	p.Legend.Top = false
	p.Legend.Left = false
	var lines []any
	for _, c := range cells {
		r, ok := medianRun(c)
		if !ok {
			continue
		}
		var xys plotter.XYs
		for _, pt := range r.Spectrum {
			if pt.Percentile >= 1 || pt.ValueMS <= 0 {
				continue // 1/(1-p) is infinite at the max
			}
			xys = append(xys, plotter.XY{X: 1 / (1 - pt.Percentile), Y: pt.ValueMS})
		}
		if len(xys) < 2 {
			continue
		}
		lines = append(lines, c.Endpoint, xys)
	}
	if len(lines) == 0 {
		return nil
	}
	if err := plotutil.AddLines(p, lines...); err != nil {
		return err
	}
	return savePNG(p, path)
}

func throughputChart(scenario string, cells []Cell, flask baseline.Set, path string) error {
	p := plot.New()
	p.Title.Text = "Throughput — " + scenario + " (original: 0 = not measured)"
	p.Y.Label.Text = "requests/s"
	ours := make(plotter.Values, len(cells))
	orig := make(plotter.Values, len(cells))
	names := make([]string, len(cells))
	for i, c := range cells {
		ours[i] = c.AchievedRate
		if o, ok := flask.Lookup(c.Endpoint, c.Scenario); ok {
			orig[i] = o.RequestsPerSec
		}
		names[i] = c.Endpoint
	}
	w := vg.Points(30)
	a, err := plotter.NewBarChart(ours, w)
	if err != nil {
		return err
	}
	a.Color = plotutil.Color(0)
	a.Offset = -w / 2
	b, err := plotter.NewBarChart(orig, w)
	if err != nil {
		return err
	}
	b.Color = plotutil.Color(1)
	b.Offset = w / 2
	p.Add(a, b)
	p.Legend.Add("macrobench (this run)", a)
	p.Legend.Add("Flask + gunicorn (original)", b)
	p.Legend.Top = true
	p.Legend.Left = true
	// Head room above the tallest bar for the legend.
	top := 0.0
	for i := range ours {
		top = math.Max(top, math.Max(ours[i], orig[i]))
	}
	if len(cells) > 0 {
		top = math.Max(top, cells[0].TargetRate)
	}
	p.Y.Min, p.Y.Max = 0, top*1.3
	p.NominalX(names...)
	if len(cells) > 0 && cells[0].TargetRate > 0 {
		target := plotter.NewFunction(func(float64) float64 { return cells[0].TargetRate })
		target.Dashes = []vg.Length{vg.Points(4), vg.Points(4)}
		p.Add(target)
		p.Legend.Add(fmt.Sprintf("target %g req/s", cells[0].TargetRate), target)
	}
	return savePNG(p, path)
}

// savePNG renders p as a PNG and writes it atomically.
func savePNG(p *plot.Plot, path string) error {
	w, err := p.WriterTo(8*vg.Inch, 5*vg.Inch, "png")
	if err != nil {
		return err
	}
	var b bytes.Buffer
	if _, err := w.WriteTo(&b); err != nil {
		return err
	}
	return WriteFileAtomic(path, b.Bytes())
}
