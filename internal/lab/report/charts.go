package report

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// The Okabe–Ito palette (Okabe and Ito, "Color Universal Design", 2008):
// eight colours told apart with every common colour-vision deficiency.
// Every chart draws with these, by name.
var (
	OkabeItoBlack         = color.RGBA{R: 0x00, G: 0x00, B: 0x00, A: 0xff}
	OkabeItoOrange        = color.RGBA{R: 0xe6, G: 0x9f, B: 0x00, A: 0xff}
	OkabeItoSkyBlue       = color.RGBA{R: 0x56, G: 0xb4, B: 0xe9, A: 0xff}
	OkabeItoBluishGreen   = color.RGBA{R: 0x00, G: 0x9e, B: 0x73, A: 0xff}
	OkabeItoYellow        = color.RGBA{R: 0xf0, G: 0xe4, B: 0x42, A: 0xff}
	OkabeItoBlue          = color.RGBA{R: 0x00, G: 0x72, B: 0xb2, A: 0xff}
	OkabeItoVermillion    = color.RGBA{R: 0xd5, G: 0x5e, B: 0x00, A: 0xff}
	OkabeItoReddishPurple = color.RGBA{R: 0xcc, G: 0x79, B: 0xa7, A: 0xff}
)

// Series names besides the targets'.
const (
	SeriesPublication = "publication"
	SeriesTargetRate  = "target rate"
)

// SeriesColor is the colour of each series in every chart: a target's bars
// and its latency curve share one, the publication's hatched bars are
// outlined in black, a rate scenario's target is a dashed line.
var SeriesColor = map[string]color.RGBA{
	TargetApp:         OkabeItoBlue,
	TargetOriginal:    OkabeItoVermillion,
	SeriesPublication: OkabeItoBlack,
	SeriesTargetRate:  OkabeItoReddishPurple,
}

// chartDPI: sharp enough for a slide.
const chartDPI = 150

// sans is the charts' typeface: Liberation Sans reads better on a slide
// than gonum's default serif.
var sans = font.Font{Typeface: "Liberation", Variant: "Sans"}

// newPlot is a plot whose every text is in sans, at sizes a slide shows.
func newPlot() *plot.Plot {
	p := plot.New()
	p.Title.TextStyle.Font = font.From(sans, vg.Points(13))
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = font.From(sans, vg.Points(11))
		a.Tick.Label.Font = font.From(sans, vg.Points(9.5))
	}
	return p
}

// horizontalGrid is a grid of the value axis alone: bars need no vertical
// lines through them.
func horizontalGrid() *plotter.Grid {
	g := plotter.NewGrid()
	g.Vertical.Width = 0
	return g
}

// WriteCharts writes, per scenario, throughput-<scenario>.png (requests per
// second per endpoint, a bar per target and the publication's, hatched) and
// latency-<scenario>.png (corrected latency by percentile, every target
// overlaid, a panel per endpoint). Each is written atomically.
func WriteCharts(s *Summary, flask publication.Set, dir string) error {
	targets := targetNames(runTargets(s))
	for _, sc := range scenarioOrder(s.Cells) {
		cells := cellsOf(s.Cells, sc)
		b, err := SpectrumChart(sc, cells, strings.Split(targets, ", "))
		if err != nil {
			return fmt.Errorf("latency chart %s: %w", sc, err)
		}
		if b != nil {
			if err := runresult.WriteFile(filepath.Join(dir, "latency-"+sc+".png"), b); err != nil {
				return err
			}
		}
		if b, err = ThroughputChart(sc, cells, flask, strings.Split(targets, ", ")); err != nil {
			return fmt.Errorf("throughput chart %s: %w", sc, err)
		}
		if err := runresult.WriteFile(filepath.Join(dir, "throughput-"+sc+".png"), b); err != nil {
			return err
		}
	}
	return nil
}

// scenarioCaption says how a scenario loads the server, for a chart's title.
var scenarioCaption = map[string]string{
	"saturation": "saturation: closed loop via localhost",
	"rate4000":   "4000 req/s over the network",
	"rate10":     "10 req/s over the network",
}

func caption(sc string) string {
	if c, ok := scenarioCaption[sc]; ok {
		return c
	}
	return sc
}

// BarSeries is one series of a throughput chart: a value per endpoint.
type BarSeries struct {
	Name  string
	Color color.RGBA
	// Hatched: drawn outlined and hatched, not filled (the publication).
	Hatched bool
	// Values per endpoint; NaN: no figure (not measured).
	Values []float64
	// Failed per endpoint: "" for a valid figure, else why it is none
	// ("99.4% errors", "not run"), drawn instead of a bar.
	Failed []string
	// Missing is written where a value is NaN ("not measured"), so that
	// no figure does not read as zero; "" writes nothing.
	Missing string
}

// ThroughputSeries are the bars of a scenario's throughput chart, in
// drawing order: each target measured, then the publication.
func ThroughputSeries(cells []Cell, flask publication.Set, targets []string) (endpoints []string, series []BarSeries) {
	for _, c := range cells {
		if !contains(endpoints, c.Endpoint) {
			endpoints = append(endpoints, c.Endpoint)
		}
	}
	newSeries := func(name string, hatched bool) BarSeries {
		s := BarSeries{Name: name, Color: SeriesColor[name], Hatched: hatched,
			Values: make([]float64, len(endpoints)), Failed: make([]string, len(endpoints))}
		for i := range s.Values {
			s.Values[i] = math.NaN()
		}
		return s
	}
	for _, t := range targets {
		s := newSeries(t, false)
		for _, c := range cells {
			if targetOf(c) != t {
				continue
			}
			i := indexOf(endpoints, c.Endpoint)
			f := figureOf(c)
			s.Values[i] = f.RequestsPerSec
			if f.Failed {
				s.Failed[i] = strings.TrimPrefix(f.FailedLabel(), "failed: ")
			}
		}
		series = append(series, s)
	}
	pub := newSeries(SeriesPublication, true)
	pub.Name, pub.Missing = PublicationLabel, "not measured"
	measured := false
	for i, ep := range endpoints {
		if len(cells) == 0 {
			break
		}
		if o, ok := flask.Lookup(ep, cells[0].Scenario); ok {
			measured = true
			pub.Values[i] = o.RequestsPerSec
			if share := o.ErrorShare(); share > FailedAbove {
				pub.Failed[i] = pct1(share) + " errors"
			}
		}
	}
	if measured {
		series = append(series, pub)
	}
	return endpoints, series
}

// ThroughputChart is a scenario's throughput chart as a PNG.
func ThroughputChart(scenario string, cells []Cell, flask publication.Set, targets []string) ([]byte, error) {
	endpoints, series := ThroughputSeries(cells, flask, targets)
	p := newPlot()
	p.Title.Text = "Throughput — " + caption(scenario)
	p.Y.Label.Text = "throughput (req/s)"
	p.X.Label.Text = "endpoint"
	bars := &groupedBars{series: series, width: vg.Points(26)}
	p.Add(horizontalGrid())
	p.Add(bars)
	top := bars.maxValue()
	var rate float64
	if len(cells) > 0 {
		rate = cells[0].TargetRate
	}
	leg := newLegend()
	for _, s := range series {
		leg.add(s.Name, swatch{s})
	}
	if rate > 0 {
		top = math.Max(top, rate)
		line := plotter.NewFunction(func(float64) float64 { return rate })
		line.Color = SeriesColor[SeriesTargetRate]
		line.Width = vg.Points(1.5)
		line.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
		p.Add(line)
		leg.add(fmt.Sprintf("target: %s req/s", group(fmt.Sprintf("%g", rate))), line)
	}
	if top <= 0 {
		top = 1
	}
	// Room above the tallest bar for its value, up to a round tick.
	step := niceStep(top / 5)
	p.Y.Min, p.Y.Max = 0, math.Ceil(top*1.08/step)*step
	p.Y.Tick.Marker = linearTicks
	p.NominalX(endpoints...)
	p.X.Min, p.X.Max = -0.6, float64(len(endpoints))-0.4
	return render(vg.Points(720), vg.Points(400), func(dc draw.Canvas) {
		plotArea, legendArea := leg.split(dc)
		p.Draw(plotArea)
		leg.Draw(legendArea)
	})
}

// groupedBars draws a bar per series at each endpoint, side by side: a
// target's filled, the publication's outlined and hatched, a failed figure
// as a label where its bar would be. Every bar carries its value.
type groupedBars struct {
	series []BarSeries
	width  vg.Length
}

func (g *groupedBars) maxValue() float64 {
	m := 0.0
	for _, s := range g.series {
		for i, v := range s.Values {
			if !math.IsNaN(v) && s.Failed[i] == "" {
				m = math.Max(m, v)
			}
		}
	}
	return m
}

func (g *groupedBars) offset(j int) vg.Length {
	return (vg.Length(j) - vg.Length(len(g.series)-1)/2) * (g.width + vg.Points(2))
}

func (g *groupedBars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	valueStyle := textStyle(8.5, OkabeItoBlack)
	valueStyle.XAlign = text.XCenter
	for j, s := range g.series {
		failStyle := textStyle(9, s.Color)
		failStyle.Rotation = math.Pi / 2
		failStyle.XAlign, failStyle.YAlign = text.XLeft, text.YCenter
		for i, v := range s.Values {
			x := trX(float64(i)) + g.offset(j)
			x0, x1 := x-g.width/2, x+g.width/2
			y0 := trY(0)
			switch {
			case math.IsNaN(v) && s.Missing != "":
				c.FillText(failStyle, vg.Point{X: x, Y: y0 + vg.Points(4)}, s.Missing)
				continue
			case math.IsNaN(v):
				continue
			case s.Failed[i] != "":
				// No bar: an empty, dashed base and the reason, upwards.
				ls := draw.LineStyle{Color: s.Color, Width: vg.Points(1), Dashes: []vg.Length{vg.Points(2), vg.Points(2)}}
				c.StrokeLine2(ls, x0, y0, x1, y0)
				c.StrokeLine2(ls, x0, y0, x0, y0+vg.Points(6))
				c.StrokeLine2(ls, x1, y0, x1, y0+vg.Points(6))
				c.FillText(failStyle, vg.Point{X: x, Y: y0 + vg.Points(4)}, "failed: "+s.Failed[i])
				continue
			}
			y1 := trY(v)
			rect := []vg.Point{{X: x0, Y: y0}, {X: x0, Y: y1}, {X: x1, Y: y1}, {X: x1, Y: y0}}
			if s.Hatched {
				c.FillPolygon(color.White, rect)
				hatch(c, vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}, s.Color)
			} else {
				c.FillPolygon(s.Color, rect)
			}
			c.StrokeLines(draw.LineStyle{Color: s.Color, Width: vg.Points(1.2)}, append(rect, rect[0]))
			c.FillText(valueStyle, vg.Point{X: x, Y: y1 + vg.Points(2)}, compact(v))
		}
	}
}

func (g *groupedBars) DataRange() (xmin, xmax, ymin, ymax float64) {
	n := 0
	for _, s := range g.series {
		n = max(n, len(s.Values))
	}
	return 0, float64(n - 1), 0, g.maxValue()
}

// hatch fills r with diagonal lines of colour col.
func hatch(c draw.Canvas, r vg.Rectangle, col color.Color) {
	ls := draw.LineStyle{Color: col, Width: vg.Points(0.8)}
	w, h := r.Max.X-r.Min.X, r.Max.Y-r.Min.Y
	step := vg.Points(5)
	for d := -w; d < h; d += step {
		// The line y - minY = (x - minX) + d, within r.
		xs := max(0, -d)
		xe := min(w, h-d)
		if xs >= xe {
			continue
		}
		c.StrokeLine2(ls, r.Min.X+xs, r.Min.Y+xs+d, r.Min.X+xe, r.Min.Y+xe+d)
	}
}

// swatch is a bar series' legend entry.
type swatch struct{ s BarSeries }

func (w swatch) Thumbnail(c *draw.Canvas) {
	r := vg.Rectangle{Min: c.Min, Max: c.Max}
	rect := []vg.Point{r.Min, {X: r.Min.X, Y: r.Max.Y}, r.Max, {X: r.Max.X, Y: r.Min.Y}}
	if w.s.Hatched {
		c.FillPolygon(color.White, rect)
		hatch(*c, r, w.s.Color)
	} else {
		c.FillPolygon(w.s.Color, rect)
	}
	c.StrokeLines(draw.LineStyle{Color: w.s.Color, Width: vg.Points(1.2)}, append(rect, rect[0]))
}

// compact prints a bar's value: 9.8, 310, 2.6k, 12.3k.
func compact(v float64) string {
	switch {
	case v >= 1000:
		return fmt.Sprintf("%.1fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// SpectrumLine is one curve of a latency chart.
type SpectrumLine struct {
	Target string
	Color  color.RGBA
	Dashes []vg.Length
	XYs    plotter.XYs // x = 1/(1-percentile), y = ms
}

// SpectrumPanel is one endpoint's panel: a curve per target, and the
// targets whose cell failed (not drawn: its latencies are of errors).
type SpectrumPanel struct {
	Endpoint string
	Lines    []SpectrumLine
	Failed   []string // "original: 62.0% errors"
}

// SpectrumPanels are a scenario's latency panels, one per endpoint.
func SpectrumPanels(cells []Cell, targets []string) []SpectrumPanel {
	var panels []SpectrumPanel
	for _, c := range cells {
		i := -1
		for k, p := range panels {
			if p.Endpoint == c.Endpoint {
				i = k
			}
		}
		if i < 0 {
			panels = append(panels, SpectrumPanel{Endpoint: c.Endpoint})
			i = len(panels) - 1
		}
		t := targetOf(c)
		if f := figureOf(c); f.Failed {
			panels[i].Failed = append(panels[i].Failed, t+": "+strings.TrimPrefix(f.FailedLabel(), "failed: "))
			continue
		}
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
		line := SpectrumLine{Target: t, Color: SeriesColor[t], XYs: xys}
		if t == TargetOriginal {
			line.Dashes = []vg.Length{vg.Points(6), vg.Points(2)}
		}
		panels[i].Lines = append(panels[i].Lines, line)
	}
	// Lines in the targets' order, whatever the cells'.
	for k := range panels {
		var sorted []SpectrumLine
		for _, t := range targets {
			for _, l := range panels[k].Lines {
				if l.Target == t {
					sorted = append(sorted, l)
				}
			}
		}
		panels[k].Lines = sorted
	}
	return panels
}

// SpectrumChart is a scenario's latency chart as a PNG (nil when no cell
// has a spectrum): HdrHistogram's percentile plot, log scales, a panel per
// endpoint with every target overlaid.
func SpectrumChart(scenario string, cells []Cell, targets []string) ([]byte, error) {
	panels := SpectrumPanels(cells, targets)
	drawn := false
	for _, p := range panels {
		drawn = drawn || len(p.Lines) > 0 || len(p.Failed) > 0
	}
	if !drawn {
		return nil, nil
	}
	leg := newLegend()
	seen := map[string]bool{}
	var plots []*plot.Plot
	var heads, notes []string // each panel's title and note, drawn above it
	for k, pn := range panels {
		p := newPlot()
		heads = append(heads, pn.Endpoint)
		if len(pn.Failed) > 0 {
			notes = append(notes, "failed, not drawn: "+strings.Join(pn.Failed, ", "))
		} else {
			notes = append(notes, "")
		}
		p.X.Label.Text = "percentile"
		if k == 0 {
			p.Y.Label.Text = "corrected latency (ms)"
		}
		p.X.Scale = plot.LogScale{}
		p.X.Tick.Marker = percentileTicks
		p.Y.Scale = plot.LogScale{}
		p.Y.Tick.Marker = latencyTicks
		p.Add(plotter.NewGrid())
		lo, hi := math.Inf(1), math.Inf(-1)
		xmax := 10.0
		for _, l := range pn.Lines {
			line, err := plotter.NewLine(l.XYs)
			if err != nil {
				return nil, err
			}
			line.Color = l.Color
			line.Width = vg.Points(2)
			line.Dashes = l.Dashes
			p.Add(line)
			if !seen[l.Target] {
				seen[l.Target] = true
				leg.add(l.Target, line)
			}
			for _, xy := range l.XYs {
				lo, hi, xmax = math.Min(lo, xy.Y), math.Max(hi, xy.Y), math.Max(xmax, xy.X)
			}
		}
		if len(pn.Lines) == 0 {
			lo, hi = 1, 10
		}
		// Whole decades on x (to the next percentile label), and a 1-2-5
		// step either side of the data on y.
		p.X.Min, p.X.Max = 1, math.Pow(10, math.Ceil(math.Log10(xmax)-1e-9))
		p.Y.Min, p.Y.Max = niceBelow(lo), niceAbove(hi)
		plots = append(plots, p)
	}
	width := vg.Points(300*float64(len(plots)) + 110)
	return render(width, vg.Points(380), func(dc draw.Canvas) {
		dc = title(dc, "Latency by percentile — "+caption(scenario))
		plotArea, legendArea := leg.split(dc)
		// One row of panels under a strip for their titles: the same
		// height for each, so that their data areas line up.
		head, note := textStyle(11, OkabeItoBlack), textStyle(9.5, OkabeItoVermillion)
		head.XAlign, head.YAlign = text.XCenter, text.YTop
		note.XAlign, note.YAlign = text.XCenter, text.YTop
		strip := head.Height("/") + note.Height("/") + vg.Points(6)
		tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Points(14), PadTop: strip, PadBottom: vg.Points(4), PadLeft: vg.Points(4)}
		canvases := plot.Align([][]*plot.Plot{plots}, tiles, plotArea)
		for k, p := range plots {
			c := canvases[0][k]
			p.Draw(c)
			// Just above the data, however much room the axes took.
			data := p.DataCanvas(c)
			x, y := (data.Min.X+data.Max.X)/2, min(data.Max.Y+strip, plotArea.Max.Y)
			c.FillText(head, vg.Point{X: x, Y: y}, heads[k])
			c.FillText(note, vg.Point{X: x, Y: y - head.Height("/") - vg.Points(2)}, notes[k])
		}
		leg.Draw(legendArea)
	})
}

// title writes a figure's title at the top of dc and returns the rest.
func title(dc draw.Canvas, t string) draw.Canvas {
	sty := textStyle(13, OkabeItoBlack)
	sty.XAlign, sty.YAlign = text.XCenter, text.YTop
	h := sty.Height(t) + vg.Points(8)
	dc.FillText(sty, vg.Point{X: (dc.Min.X + dc.Max.X) / 2, Y: dc.Max.Y - vg.Points(4)}, t)
	return draw.Crop(dc, 0, 0, 0, -h)
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

// latencyTicks mark a log latency axis at 1, 2 and 5 × 10^k ms, all
// labelled over three decades or less (plot.LogTicks labels powers of ten
// only, so a spread within one decade got no labels); over a wider range
// the powers of ten alone are labelled, 2 and 5 left as minor ticks, and
// over more than four and a half decades only the powers of ten are marked.
var latencyTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	decades := math.Log10(max / min)
	var ticks []plot.Tick
	for e := math.Floor(math.Log10(min)); math.Pow(10, e) <= max*1.0001; e++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, e)
			if v < min*0.9999 || v > max*1.0001 {
				continue
			}
			switch {
			case m == 1 || decades <= 3:
				ticks = append(ticks, plot.Tick{Value: v, Label: msTick(v)})
			case decades <= 4.5:
				ticks = append(ticks, plot.Tick{Value: v})
			}
		}
	}
	return ticks
})

// msTick labels a latency tick in ms: 0.05, 2, 500, 20,000.
func msTick(v float64) string {
	if v >= 1 {
		return group(fmt.Sprintf("%.0f", v))
	}
	return fmt.Sprintf("%g", math.Round(v*1e6)/1e6)
}

// linearTicks label a linear axis every 1, 2 or 5 × 10^k, about five of
// them, grouped by thousands.
var linearTicks = plot.TickerFunc(func(min, max float64) []plot.Tick {
	step := niceStep((max - min) / 5)
	var ticks []plot.Tick
	for v := math.Ceil(min/step) * step; v <= max+step*1e-9; v += step {
		label := group(fmt.Sprintf("%.0f", v))
		if step < 1 {
			label = fmt.Sprintf("%g", math.Round(v*1e6)/1e6)
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return ticks
})

// niceStep is the smallest 1, 2 or 5 × 10^k at least raw.
func niceStep(raw float64) float64 {
	if raw <= 0 {
		return 1
	}
	e := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= raw*0.9999 {
			return m * e
		}
	}
	return 10 * e
}

// niceBelow and niceAbove are the 1-2-5 values just outside v.
func niceBelow(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if m*e <= v*1.0001 {
			return m * e
		}
	}
	return e
}

func niceAbove(v float64) float64 {
	e := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*e >= v*0.9999 {
			return m * e
		}
	}
	return 10 * e
}

func textStyle(size float64, col color.Color) text.Style {
	return text.Style{Color: col, Font: font.From(sans, vg.Points(size)), Handler: plot.DefaultTextHandler}
}

// legend is a chart's legend, drawn in a strip of its own beside the
// plots, off the data.
type legend struct {
	plot.Legend
	names []string
}

func newLegend() *legend {
	l := &legend{Legend: plot.NewLegend()}
	l.TextStyle.Font = font.From(sans, vg.Points(10))
	l.Padding = vg.Points(4)
	l.Top, l.Left = true, true
	l.ThumbnailWidth = vg.Points(22)
	return l
}

func (l *legend) add(name string, ts ...plot.Thumbnailer) {
	l.Add(name, ts...)
	l.names = append(l.names, name)
}

// split keeps a strip on the right of dc, as wide as the legend's longest
// entry, for the legend: the plots get the rest.
func (l *legend) split(dc draw.Canvas) (plots, legend draw.Canvas) {
	width := vg.Length(0)
	for _, n := range l.names {
		width = max(width, l.TextStyle.Width(n))
	}
	width += l.ThumbnailWidth + vg.Points(24)
	plots = draw.Crop(dc, 0, -width, 0, 0)
	legend = draw.Crop(dc, dc.Max.X-dc.Min.X-width+vg.Points(12), 0, 0, -vg.Points(36))
	return plots, legend
}

// render draws a w × h chart on a white background and encodes it as PNG.
func render(w, h vg.Length, drawFn func(draw.Canvas)) ([]byte, error) {
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(chartDPI))
	dc := draw.New(img)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	drawFn(dc)
	var b bytes.Buffer
	if err := png.Encode(&b, img.Image()); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func contains(list []string, s string) bool { return indexOf(list, s) >= 0 }

func indexOf(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}
