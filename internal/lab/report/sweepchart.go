package report

import (
	"cmp"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/macrobench/macrobench/internal/lab/sweep"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// sweepPercentiles are drawn, each in its own colour of the palette; p99,
// the objective's, in the most salient one.
var sweepPercentiles = []struct {
	name  string
	color color.RGBA
	value func(sweep.Step) float64
}{
	{"p50", OkabeItoBlue, func(s sweep.Step) float64 { return s.P50 }},
	{"p90", OkabeItoBluishGreen, func(s sweep.Step) float64 { return s.P90 }},
	{"p99", OkabeItoVermillion, func(s sweep.Step) float64 { return s.P99 }},
	{"p99.9", OkabeItoReddishPurple, func(s sweep.Step) float64 { return s.P999 }},
}

// sweepTargetStyles are how a target's lines differ from another's: the dash of
// its lines and the shape of its markers (filled: a passing step; hollow: a
// failing one). Three are defined; more targets reuse them.
var sweepTargetStyles = []struct {
	dashes       []vg.Length
	pass, failed draw.GlyphDrawer
}{
	{nil, draw.CircleGlyph{}, draw.RingGlyph{}},
	{[]vg.Length{vg.Points(6), vg.Points(3)}, draw.BoxGlyph{}, draw.SquareGlyph{}},
	{[]vg.Length{vg.Points(1.5), vg.Points(2.5)}, draw.PyramidGlyph{}, draw.TriangleGlyph{}},
}

// SweepSeries is one target's sweep of an endpoint, one line set of a
// sweep chart.
type SweepSeries struct {
	Endpoint string        // e.g. "GET /agents"
	Target   string        // e.g. "macrobench", "original"
	Result   *sweep.Result // its sweep
}

// The sweep chart's size and its legend's column, right of the data.
const (
	sweepChartW  = 10 * vg.Inch
	sweepChartH  = 5.5 * vg.Inch
	sweepLegendW = 2.3 * vg.Inch
)

// WriteSweepChart draws the corrected p50, p90, p99 and p99.9 of every step
// against its offered rate (a colour per percentile, a dash and marker per
// target; hollow markers are failing steps), the objective's p99 as a
// horizontal line, and each target's knee (or lower bound) as a labelled
// vertical line, and writes it as a PNG at path, atomically.
func WriteSweepChart(path string, series []SweepSeries, objective sweep.Objective) error {
	p := newPlot()
	p.Title.Text = "Latency against offered rate"
	if ep := sweepEndpoint(series); ep != "" {
		p.Title.Text += " — " + ep
	}
	p.X.Label.Text = "offered rate (req/s)"
	p.Y.Label.Text = "corrected latency (ms, log scale)"
	p.X.Tick.Marker = sweepRateTicks
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = latencyTicks
	p.Add(plotter.NewGrid())
	leg := newLegend()

	// Ranges: x from 0 to past the highest rate; y over every value drawn
	// and the objective, with room above for the knee labels.
	yLo, yHi, xLo, xHi := float64(objective.P99)/1e6, float64(objective.P99)/1e6, math.Inf(1), 0.0
	points := 0
	for _, s := range series {
		if s.Result == nil {
			continue
		}
		for _, st := range s.Result.Steps {
			xLo, xHi = math.Min(xLo, st.Offered), math.Max(xHi, st.Offered)
			for _, pc := range sweepPercentiles {
				if v := pc.value(st); v > 0 {
					yLo, yHi = math.Min(yLo, v), math.Max(yHi, v)
					points++
				}
			}
		}
	}
	if points == 0 {
		return errors.New("sweep chart: no step with latencies to draw")
	}
	yLo, yHi = yLo/1.5, yHi*4
	// x: the rates swept, with a margin (from 0 when that is near).
	margin := 0.08 * (xHi - xLo)
	p.X.Min, p.X.Max = math.Max(0, xLo-margin), xHi+margin
	if p.X.Min < 0.25*xHi || margin == 0 {
		p.X.Min = 0
	}
	if margin == 0 {
		p.X.Max = xHi * 1.08
	}
	p.Y.Min, p.Y.Max = yLo, yHi

	for _, pc := range sweepPercentiles {
		leg.add(pc.name, &plotter.Line{LineStyle: draw.LineStyle{Color: pc.color, Width: vg.Points(2)}})
	}
	for ti, s := range series {
		if s.Result == nil {
			continue
		}
		ts := sweepTargetStyles[ti%len(sweepTargetStyles)]
		steps := sortedSteps(s.Result.Steps)
		for _, pc := range sweepPercentiles {
			var xys plotter.XYs
			var pass []bool
			for _, st := range steps {
				if v := pc.value(st); v > 0 {
					xys = append(xys, plotter.XY{X: st.Offered, Y: v})
					pass = append(pass, st.Pass)
				}
			}
			if len(xys) == 0 {
				continue
			}
			line, err := plotter.NewLine(xys)
			if err != nil {
				return err
			}
			line.Color, line.Width, line.Dashes = pc.color, vg.Points(1.5), ts.dashes
			marks, err := plotter.NewScatter(xys)
			if err != nil {
				return err
			}
			marks.GlyphStyleFunc = func(i int) draw.GlyphStyle {
				g := draw.GlyphStyle{Color: pc.color, Radius: vg.Points(3), Shape: ts.pass}
				if !pass[i] {
					g.Shape, g.Radius = ts.failed, vg.Points(3.5)
				}
				return g
			}
			p.Add(line, marks)
		}
		name := s.Target
		if name == "" {
			name = fmt.Sprintf("target %d", ti+1)
		}
		gray := color.Gray{Y: 0x55}
		leg.add(name,
			&plotter.Line{LineStyle: draw.LineStyle{Color: gray, Width: vg.Points(1.5), Dashes: ts.dashes}},
			&plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: gray, Radius: vg.Points(3), Shape: ts.pass}})
		if err := markSweepKnee(p, s.Result, name, ts.dashes, yLo, yHi, p.X.Max, ti); err != nil {
			return err
		}
	}

	gray := color.Gray{Y: 0x55}
	leg.add("failed step (hollow)", &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: gray, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}})
	obj := plotter.NewFunction(func(float64) float64 { return float64(objective.P99) / 1e6 })
	obj.Color, obj.Width, obj.Dashes = OkabeItoBlack, vg.Points(1.5), []vg.Length{vg.Points(8), vg.Points(4)}
	p.Add(obj)
	leg.add("objective p99 ≤ "+sweep.MsText(float64(objective.P99)/1e6), obj)
	leg.add("   (and errors ≤ " + sweep.PercentText(objective.ErrorRatio) + ")")
	leg.add("knee (vertical line)", &plotter.Line{LineStyle: draw.LineStyle{Color: OkabeItoBlack, Width: vg.Points(1)}})
	return saveSweepPNG(p, leg, path)
}

// markSweepKnee draws a vertical line at the target's knee, labelled, or at its
// lower bound when the sweep found none.
func markSweepKnee(p *plot.Plot, r *sweep.Result, name string, dashes []vg.Length, yLo, yHi, xHi float64, ti int) error {
	var x float64
	var label string
	switch r.Outcome {
	case sweep.OutcomeKnee:
		x, label = r.Knee.Rate, fmt.Sprintf("%s: knee %s req/s", name, sweep.RateText(r.Knee.Rate))
	case sweep.OutcomeLowerBound:
		x, label = r.LowerBound, fmt.Sprintf("%s: ≥ %s req/s (%s)", name, sweep.RateText(r.LowerBound), r.Reason)
	case sweep.OutcomeBelowStart:
		x, label = r.UpperBound, fmt.Sprintf("%s: < %s req/s (failed at the start)", name, sweep.RateText(r.UpperBound))
	default:
		return nil
	}
	v, err := plotter.NewLine(plotter.XYs{{X: x, Y: yLo}, {X: x, Y: yHi}})
	if err != nil {
		return err
	}
	v.Color, v.Width, v.Dashes = OkabeItoBlack, vg.Points(1), dashes
	// Labels stacked from the top, one line per target, right of the line.
	y := yHi / math.Pow(1.6, float64(ti+1))
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y}}, Labels: []string{label}})
	if err != nil {
		return err
	}
	l.Offset = vg.Point{X: vg.Points(4)}
	l.TextStyle[0] = textStyle(10, OkabeItoBlack)
	if x > 0.6*xHi { // the label left of the line, to stay in the data area
		l.Offset.X = -vg.Points(4)
		l.TextStyle[0].XAlign = text.XRight
	}
	p.Add(v, l)
	return nil
}

func sweepEndpoint(series []SweepSeries) string {
	ep := ""
	for i, s := range series {
		if i > 0 && s.Endpoint != ep {
			return ""
		}
		ep = s.Endpoint
	}
	return ep
}

// sweepRateTicks label a linear rate axis every 1, 2 or 5 × 10^k req/s, about
// six labels, with unlabelled ticks between.
var sweepRateTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: sweep.RateText(lo)}}
	}
	step := 0.0
	for e := math.Floor(math.Log10((hi - lo) / 10)); step == 0; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); (hi-lo)/v <= 8 {
				step = v
				break
			}
		}
	}
	var ticks []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		ticks = append(ticks, plot.Tick{Value: v, Label: sweep.RateText(v)})
		if mid := v + step/2; mid <= hi {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	return ticks
})

// saveSweepPNG draws p with the legend in a column right of it (render:
// the charts' resolution and white ground) and writes the PNG atomically.
func saveSweepPNG(p *plot.Plot, leg *legend, path string) error {
	b, err := render(sweepChartW, sweepChartH, func(dc draw.Canvas) {
		p.Draw(draw.Crop(dc, 0, -sweepLegendW, 0, 0))
		// The legend column, aligned with the top of the data area (below the title).
		title := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
		leg.Draw(draw.Crop(dc, sweepChartW-sweepLegendW+vg.Points(10), 0, 0, -title-vg.Points(8)))
	})
	if err != nil {
		return err
	}
	return runresult.WriteFile(path, b)
}

// sortedSteps are a sweep's steps by offered rate (a copy).
func sortedSteps(steps []sweep.Step) []sweep.Step {
	out := slices.Clone(steps)
	slices.SortStableFunc(out, func(a, b sweep.Step) int { return cmp.Compare(a.Offered, b.Offered) })
	return out
}
