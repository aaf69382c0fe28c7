package sweep

import (
	"bytes"
	"errors"
	"fmt"
	"image/color"
	"math"
	"slices"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Color is a colour of the Okabe–Ito palette (Okabe & Ito 2008, "Color
// Universal Design"), distinguishable with the common colour-vision
// deficiencies, as 0xRRGGBB. It is a color.Color.
type Color uint32

// The Okabe–Ito palette.
const (
	Black         Color = 0x000000
	Orange        Color = 0xE69F00
	SkyBlue       Color = 0x56B4E9
	BluishGreen   Color = 0x009E73
	Yellow        Color = 0xF0E442
	Blue          Color = 0x0072B2
	Vermillion    Color = 0xD55E00
	ReddishPurple Color = 0xCC79A7
)

// RGBA implements color.Color (opaque).
func (c Color) RGBA() (r, g, b, a uint32) {
	return color.RGBA{R: uint8(c >> 16), G: uint8(c >> 8), B: uint8(c), A: 0xff}.RGBA()
}

// percentiles drawn, each in its own colour; p99, the objective's, in the
// most salient one.
var percentiles = []struct {
	name  string
	color Color
	value func(Step) float64
}{
	{"p50", Blue, func(s Step) float64 { return s.P50 }},
	{"p90", BluishGreen, func(s Step) float64 { return s.P90 }},
	{"p99", Vermillion, func(s Step) float64 { return s.P99 }},
	{"p99.9", ReddishPurple, func(s Step) float64 { return s.P999 }},
}

// targetStyle is how a target's lines differ from another's: the dash of
// its lines and the shape of its markers (filled: a passing step; hollow: a
// failing one). Three are defined; more targets reuse them.
var targetStyles = []struct {
	dashes       []vg.Length
	pass, failed draw.GlyphDrawer
}{
	{nil, draw.CircleGlyph{}, draw.RingGlyph{}},
	{[]vg.Length{vg.Points(6), vg.Points(3)}, draw.BoxGlyph{}, draw.SquareGlyph{}},
	{[]vg.Length{vg.Points(1.5), vg.Points(2.5)}, draw.PyramidGlyph{}, draw.TriangleGlyph{}},
}

// Series is one target's sweep of an endpoint, one line set of a chart.
type Series struct {
	Endpoint string  // e.g. "GET /agents"
	Target   string  // e.g. "macrobench", "original"
	Result   *Result // its sweep
}

// Chart size and the legend's column, right of the data.
const (
	chartW  = 10 * vg.Inch
	chartH  = 5.5 * vg.Inch
	legendW = 2.3 * vg.Inch
)

// WriteChart draws the corrected p50, p90, p99 and p99.9 of every step
// against its offered rate (a colour per percentile, a dash and marker per
// target; hollow markers are failing steps), the objective's p99 as a
// horizontal line, and each target's knee (or lower bound) as a labelled
// vertical line, and writes it as a PNG at path, atomically.
func WriteChart(path string, series []Series, objective Objective) error {
	p := plot.New()
	p.Title.Text = "Latency against offered rate"
	if ep := commonEndpoint(series); ep != "" {
		p.Title.Text += " — " + ep
	}
	p.X.Label.Text = "offered rate (req/s)"
	p.Y.Label.Text = "corrected latency (ms, log scale)"
	p.X.Tick.Marker = rateTicks
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = latencyTicks
	p.Add(plotter.NewGrid())
	leg := plot.NewLegend()
	leg.Top, leg.Left = true, true
	leg.TextStyle.Font.Size = vg.Points(10)
	leg.Padding = vg.Points(6)
	leg.ThumbnailWidth = vg.Points(24)

	// Ranges: x from 0 to past the highest rate; y over every value drawn
	// and the objective, with room above for the knee labels.
	yLo, yHi, xLo, xHi := ms(objective.P99), ms(objective.P99), math.Inf(1), 0.0
	points := 0
	for _, s := range series {
		if s.Result == nil {
			continue
		}
		for _, st := range s.Result.Steps {
			xLo, xHi = math.Min(xLo, st.Offered), math.Max(xHi, st.Offered)
			for _, pc := range percentiles {
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

	for _, pc := range percentiles {
		leg.Add(pc.name, &plotter.Line{LineStyle: draw.LineStyle{Color: pc.color, Width: vg.Points(2)}})
	}
	for ti, s := range series {
		if s.Result == nil {
			continue
		}
		ts := targetStyles[ti%len(targetStyles)]
		steps := slices.Clone(s.Result.Steps)
		slices.SortStableFunc(steps, func(a, b Step) int { return cmpFloat(a.Offered, b.Offered) })
		for _, pc := range percentiles {
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
		leg.Add(name,
			&plotter.Line{LineStyle: draw.LineStyle{Color: gray, Width: vg.Points(1.5), Dashes: ts.dashes}},
			&plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: gray, Radius: vg.Points(3), Shape: ts.pass}})
		if err := markKnee(p, s.Result, name, ts.dashes, yLo, yHi, p.X.Max, ti); err != nil {
			return err
		}
	}

	gray := color.Gray{Y: 0x55}
	leg.Add("failed step (hollow)", &plotter.Scatter{GlyphStyle: draw.GlyphStyle{Color: gray, Radius: vg.Points(3.5), Shape: draw.RingGlyph{}}})
	obj := plotter.NewFunction(func(float64) float64 { return ms(objective.P99) })
	obj.Color, obj.Width, obj.Dashes = Black, vg.Points(1.5), []vg.Length{vg.Points(8), vg.Points(4)}
	p.Add(obj)
	leg.Add("objective p99 ≤ "+msText(ms(objective.P99)), obj)
	leg.Add("   (and errors ≤ " + percentText(objective.ErrorRatio) + ")")
	leg.Add("knee (vertical line)", &plotter.Line{LineStyle: draw.LineStyle{Color: Black, Width: vg.Points(1)}})
	return savePNG(p, &leg, path)
}

// markKnee draws a vertical line at the target's knee, labelled, or at its
// lower bound when the sweep found none.
func markKnee(p *plot.Plot, r *Result, name string, dashes []vg.Length, yLo, yHi, xHi float64, ti int) error {
	var x float64
	var label string
	switch r.Outcome {
	case OutcomeKnee:
		x, label = r.Knee.Rate, fmt.Sprintf("%s: knee %s req/s", name, rateText(r.Knee.Rate))
	case OutcomeLowerBound:
		x, label = r.LowerBound, fmt.Sprintf("%s: ≥ %s req/s (%s)", name, rateText(r.LowerBound), r.Reason)
	case OutcomeBelowStart:
		x, label = r.UpperBound, fmt.Sprintf("%s: < %s req/s (failed at the start)", name, rateText(r.UpperBound))
	default:
		return nil
	}
	v, err := plotter.NewLine(plotter.XYs{{X: x, Y: yLo}, {X: x, Y: yHi}})
	if err != nil {
		return err
	}
	v.Color, v.Width, v.Dashes = Black, vg.Points(1), dashes
	// Labels stacked from the top, one line per target, right of the line.
	y := yHi / math.Pow(1.6, float64(ti+1))
	l, err := plotter.NewLabels(plotter.XYLabels{XYs: plotter.XYs{{X: x, Y: y}}, Labels: []string{label}})
	if err != nil {
		return err
	}
	l.Offset = vg.Point{X: vg.Points(4)}
	l.TextStyle[0].Font.Size = vg.Points(10)
	if x > 0.6*xHi { // the label left of the line, to stay in the data area
		l.Offset.X = -vg.Points(4)
		l.TextStyle[0].XAlign = text.XRight
	}
	p.Add(v, l)
	return nil
}

func commonEndpoint(series []Series) string {
	ep := ""
	for i, s := range series {
		if i > 0 && s.Endpoint != ep {
			return ""
		}
		ep = s.Endpoint
	}
	return ep
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// latencyTicks label a log latency axis at 1, 2 and 5 × 10^k ms.
var latencyTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(lo)); math.Pow(10, e) <= hi; e++ {
		for _, m := range []float64{1, 2, 5} {
			if v := m * math.Pow(10, e); v >= lo && v <= hi {
				ticks = append(ticks, plot.Tick{Value: v, Label: tickLabel(v)})
			}
		}
	}
	if len(ticks) < 2 { // a narrow range: label its ends
		ticks = append(ticks, plot.Tick{Value: lo, Label: tickLabel(lo)}, plot.Tick{Value: hi, Label: tickLabel(hi)})
	}
	return ticks
})

// rateTicks label a linear rate axis every 1, 2 or 5 × 10^k req/s, about
// six labels, with unlabelled ticks between.
var rateTicks = plot.TickerFunc(func(lo, hi float64) []plot.Tick {
	if !(hi > lo) {
		return []plot.Tick{{Value: lo, Label: rateText(lo)}}
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
		ticks = append(ticks, plot.Tick{Value: v, Label: strconv.FormatFloat(round3(v), 'f', -1, 64)})
		if mid := v + step/2; mid <= hi {
			ticks = append(ticks, plot.Tick{Value: mid})
		}
	}
	return ticks
})

func tickLabel(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%gs", round3(v/1000))
	}
	return fmt.Sprintf("%gms", round3(v))
}

// savePNG draws p with the legend in a column right of it and writes the
// PNG atomically.
func savePNG(p *plot.Plot, leg *plot.Legend, path string) error {
	c, err := draw.NewFormattedCanvas(chartW, chartH, "png")
	if err != nil {
		return err
	}
	dc := draw.New(c)
	p.Draw(draw.Crop(dc, 0, -legendW, 0, 0))
	// The legend column, aligned with the top of the data area (below the title).
	title := p.Title.TextStyle.Height(p.Title.Text) + p.Title.Padding
	leg.Draw(draw.Crop(dc, chartW-legendW+vg.Points(10), 0, 0, -title-vg.Points(8)))
	var b bytes.Buffer
	if _, err := c.WriteTo(&b); err != nil {
		return err
	}
	return runresult.WriteFile(path, b.Bytes())
}
