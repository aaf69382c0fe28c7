package report

import (
	"fmt"
	"html/template"
	"image/color"
	"math"
	"strconv"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/lab/sweep"
)

// The page's charts: the PNGs' data (ThroughputSeries, SpectrumPanels, the
// sweep's steps) drawn by hand as inline SVG in the same palette, every
// bar and point with an SVG <title> that a browser shows on hover (no
// script). Each chart is an <svg class="chart …">; each bar a <rect
// class="bar">, each latency curve a <polyline class="curve"> whose points
// are <circle class="pt">.

// svg accumulates one chart's markup.
type svg struct {
	b    strings.Builder
	w, h float64
}

func newSVG(class, label string, w, h float64) *svg {
	s := &svg{w: w, h: h}
	s.printf(`<svg class="chart %s" viewBox="0 0 %g %g" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		class, w, h, template.HTMLEscapeString(label))
	s.printf(`<rect width="%g" height="%g" fill="#fff"/>`, w, h)
	return s
}

func (s *svg) printf(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

// text writes a label; anchor is start, middle or end.
func (s *svg) text(x, y float64, anchor, class, t string) {
	s.printf(`<text x="%.1f" y="%.1f" text-anchor="%s" class="%s">%s</text>`, x, y, anchor, class, template.HTMLEscapeString(t))
}

func (s *svg) html() template.HTML {
	s.printf(`</svg>`)
	return template.HTML(s.b.String())
}

// hexOf is a palette colour as CSS writes it.
func hexOf(c color.RGBA) string { return fmt.Sprintf("#%02x%02x%02x", c.R, c.G, c.B) }

func tip(t string) string { return "<title>" + template.HTMLEscapeString(t) + "</title>" }

// legendEntry is one line of a chart's legend: a swatch (bar), or a line
// (dashed or not).
type legendEntry struct {
	name    string
	color   color.RGBA
	hatched bool
	line    bool
	dash    string
}

func (s *svg) legend(x, y float64, entries []legendEntry, hatchID string) {
	for i, e := range entries {
		yy := y + float64(i)*18
		col := hexOf(e.color)
		switch {
		case e.line:
			s.printf(`<line x1="%g" y1="%g" x2="%g" y2="%g" stroke="%s" stroke-width="2" stroke-dasharray="%s"/>`, x, yy-4, x+22, yy-4, col, e.dash)
		case e.hatched:
			s.printf(`<rect x="%g" y="%g" width="22" height="11" fill="url(#%s)" stroke="%s"/>`, x, yy-10, hatchID, col)
		default:
			s.printf(`<rect x="%g" y="%g" width="22" height="11" fill="%s" stroke="%s"/>`, x, yy-10, col, col)
		}
		s.text(x+28, yy, "start", "lg", e.name)
	}
}

// ThroughputSVG is a scenario's throughput chart: ThroughputChart's bars
// (a target's filled, the publication's hatched, a failed figure an empty
// dashed base with its reason), the target rate dashed.
func ThroughputSVG(scenario string, cells []Cell, flask publication.Set, targets []string) template.HTML {
	endpoints, series := ThroughputSeries(cells, flask, targets)
	const w, h, left, right, top, bottom = 760.0, 330.0, 64.0, 200.0, 34.0, 46.0
	s := newSVG("throughput", "Throughput — "+caption(scenario), w, h)
	hatchID := "hatch-" + scenario
	s.printf(`<defs><pattern id="%s" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff"/><line x1="0" y1="0" x2="0" y2="6" stroke="%s" stroke-width="1.6"/></pattern></defs>`,
		hatchID, hexOf(SeriesColor[SeriesPublication]))
	s.text(w/2, 20, "middle", "ttl", "Throughput — "+caption(scenario))
	top2 := (&groupedBars{series: series}).maxValue()
	rate := 0.0
	if len(cells) > 0 {
		rate = cells[0].TargetRate
	}
	top2 = math.Max(top2, rate)
	if top2 <= 0 {
		top2 = 1
	}
	step := niceStep(top2 / 5)
	ymax := math.Ceil(top2*1.08/step) * step
	plotW, plotH := w-left-right, h-top-bottom
	y := func(v float64) float64 { return top + plotH*(1-v/ymax) }
	for v := 0.0; v <= ymax+step*1e-9; v += step {
		s.printf(`<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, left, y(v), left+plotW, y(v))
		s.text(left-6, y(v)+4, "end", "tick", group(fmt.Sprintf("%.0f", v)))
	}
	s.printf(`<text class="axis" transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">throughput (req/s)</text>`, top+plotH/2)
	groupW := plotW / float64(max(1, len(endpoints)))
	barW := math.Min(34, (groupW-16)/float64(max(1, len(series))))
	for i, ep := range endpoints {
		cx := left + groupW*(float64(i)+0.5)
		s.text(cx, h-bottom+18, "middle", "tick", ep)
		for j, se := range series {
			x := cx + (float64(j)-float64(len(series)-1)/2)*(barW+2) - barW/2
			v := se.Values[i]
			col := hexOf(se.Color)
			switch {
			case math.IsNaN(v) && se.Missing != "":
				s.printf(`<text class="note" transform="translate(%.1f %.1f) rotate(-90)">%s</text>`, x+barW/2+4, y(0)-4, template.HTMLEscapeString(se.Missing))
			case math.IsNaN(v):
			case se.Failed[i] != "":
				s.printf(`<rect class="bar failed" data-series="%s" x="%.1f" y="%.1f" width="%.1f" height="8" fill="none" stroke="%s" stroke-dasharray="3 2">%s</rect>`,
					se.Name, x, y(0)-8, barW, col, tip(fmt.Sprintf("%s — %s: failed: %s", ep, se.Name, se.Failed[i])))
				s.printf(`<text class="note" fill="%s" transform="translate(%.1f %.1f) rotate(-90)">✗ failed: %s</text>`, col, x+barW/2+4, y(0)-12, template.HTMLEscapeString(se.Failed[i]))
			default:
				fill := col
				if se.Hatched {
					fill = "url(#" + hatchID + ")"
				}
				s.printf(`<rect class="bar" data-series="%s" data-endpoint="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="%s" stroke-width="1.2">%s</rect>`,
					template.HTMLEscapeString(se.Name), ep, x, y(v), barW, y(0)-y(v), fill, col, tip(fmt.Sprintf("%s — %s: %s req/s", ep, se.Name, rateS(v))))
				s.text(x+barW/2, y(v)-3, "middle", "val", compact(v))
			}
		}
	}
	s.printf(`<line class="axisline" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, left, y(0), left+plotW, y(0))
	var entries []legendEntry
	for _, se := range series {
		entries = append(entries, legendEntry{name: se.Name, color: se.Color, hatched: se.Hatched})
	}
	if rate > 0 {
		label := fmt.Sprintf("target: %s req/s", group(fmt.Sprintf("%g", rate)))
		s.printf(`<line class="target-rate" x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="%s" stroke-width="1.5" stroke-dasharray="6 3">%s</line>`,
			left, y(rate), left+plotW, y(rate), hexOf(SeriesColor[SeriesTargetRate]), tip(label))
		entries = append(entries, legendEntry{name: label, color: SeriesColor[SeriesTargetRate], line: true, dash: "6 3"})
	}
	s.legend(left+plotW+16, top+10, entries, hatchID)
	return s.html()
}

// percentileLabel is a spectrum point's percentile: 99.9%.
func percentileLabel(p float64) string {
	return strconv.FormatFloat(math.Round(p*1e8)/1e6, 'f', -1, 64) + "%"
}

// LatencySVG is a scenario's latency chart (empty when no cell has a
// spectrum): SpectrumChart's panels, a curve per target, log scales.
func LatencySVG(scenario string, cells []Cell, targets []string) template.HTML {
	panels := SpectrumPanels(cells, targets)
	drawn := false
	for _, p := range panels {
		drawn = drawn || len(p.Lines) > 0 || len(p.Failed) > 0
	}
	if !drawn {
		return ""
	}
	const panelW, gap, left, right, top, bottom, h = 250.0, 26.0, 58.0, 120.0, 56.0, 44.0, 330.0
	w := left + float64(len(panels))*(panelW+gap) - gap + right
	s := newSVG("latency", "Latency by percentile — "+caption(scenario), w, h)
	s.text(w/2, 20, "middle", "ttl", "Latency by percentile — "+caption(scenario))
	plotH := h - top - bottom
	seen := map[string]bool{}
	var entries []legendEntry
	for k, pn := range panels {
		x0 := left + float64(k)*(panelW+gap)
		lo, hi, xmax := math.Inf(1), math.Inf(-1), 10.0
		for _, l := range pn.Lines {
			for _, xy := range l.XYs {
				lo, hi, xmax = math.Min(lo, xy.Y), math.Max(hi, xy.Y), math.Max(xmax, xy.X)
			}
		}
		if len(pn.Lines) == 0 {
			lo, hi = 1, 10
		}
		xMax := math.Pow(10, math.Ceil(math.Log10(xmax)-1e-9))
		yMin, yMax := niceBelow(lo), niceAbove(hi)
		if yMax <= yMin {
			yMax = yMin * 10
		}
		px := func(v float64) float64 { return x0 + panelW*math.Log10(v)/math.Log10(xMax) }
		py := func(v float64) float64 {
			return top + plotH*(1-(math.Log10(v)-math.Log10(yMin))/(math.Log10(yMax)-math.Log10(yMin)))
		}
		s.printf(`<g class="panel" data-endpoint="%s">`, pn.Endpoint)
		s.text(x0+panelW/2, top-22, "middle", "head", pn.Endpoint)
		if len(pn.Failed) > 0 {
			s.text(x0+panelW/2, top-8, "middle", "note", "✗ failed, not drawn: "+strings.Join(pn.Failed, ", "))
		}
		for _, t := range percentileTicks.Ticks(1, xMax) {
			s.printf(`<line class="grid" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, px(t.Value), top, px(t.Value), top+plotH)
			s.text(px(t.Value), top+plotH+14, "middle", "tick", t.Label)
		}
		s.latencyAxis(x0, top, panelW, plotH, yMin, yMax, py)
		s.text(x0+panelW/2, h-8, "middle", "axis", "percentile")
		for _, l := range pn.Lines {
			col := hexOf(l.Color)
			dash := ""
			if len(l.Dashes) > 0 {
				dash = "6 2"
			}
			var pts, dots strings.Builder
			lastX, lastY := math.Inf(-1), math.Inf(-1)
			for i, xy := range l.XYs {
				x, y := px(xy.X), py(xy.Y)
				fmt.Fprintf(&pts, "%.1f,%.1f ", x, y)
				// A hover point every 3 px or so, the last always.
				if i < len(l.XYs)-1 && math.Abs(x-lastX) < 3 && math.Abs(y-lastY) < 3 {
					continue
				}
				lastX, lastY = x, y
				p := 1 - 1/xy.X
				fmt.Fprintf(&dots, `<circle class="pt" cx="%.1f" cy="%.1f" r="2.2" fill="%s">%s</circle>`, x, y, col,
					tip(fmt.Sprintf("%s %s — %s: %s ms at %s", pn.Endpoint, scenario, l.Target, msS(xy.Y), percentileLabel(p))))
			}
			s.printf(`<g class="series" data-target="%s"><polyline class="curve" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>%s</g>`,
				l.Target, col, dash, strings.TrimSpace(pts.String()), dots.String())
			if !seen[l.Target] {
				seen[l.Target] = true
				entries = append(entries, legendEntry{name: l.Target, color: l.Color, line: true, dash: dash})
			}
		}
		s.printf(`</g>`)
	}
	s.printf(`<text class="axis" transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">corrected latency (ms)</text>`, top+plotH/2)
	s.legend(w-right+14, top+10, entries, "")
	return s.html()
}

// SweepSVG is a swept endpoint's chart: WriteSweepChart's lines (p50, p90,
// p99, p99.9 of every step against its offered rate, a colour per
// percentile, a dash per target; hollow points: failing steps) and the
// objective's p99 dashed.
func SweepSVG(series []SweepSeries, objective sweep.Objective) template.HTML {
	const w, h, left, right, top, bottom = 760.0, 330.0, 64.0, 170.0, 34.0, 44.0
	title := "Latency against offered rate"
	if ep := sweepEndpoint(series); ep != "" {
		title += " — " + ep
	}
	obj := float64(objective.P99) / 1e6
	yLo, yHi, xHi := obj, obj, 0.0
	points := 0
	for _, se := range series {
		for _, st := range se.Result.Steps {
			xHi = math.Max(xHi, st.Offered)
			for _, pc := range sweepPercentiles {
				if v := pc.value(st); v > 0 {
					yLo, yHi = math.Min(yLo, v), math.Max(yHi, v)
					points++
				}
			}
		}
	}
	if points == 0 || yLo <= 0 {
		return ""
	}
	s := newSVG("sweep", title, w, h)
	s.text(w/2, 20, "middle", "ttl", title)
	yMin, yMax := niceBelow(yLo/1.5), niceAbove(yHi*2)
	xMax := xHi * 1.08
	plotW, plotH := w-left-right, h-top-bottom
	px := func(v float64) float64 { return left + plotW*v/xMax }
	py := func(v float64) float64 {
		return top + plotH*(1-(math.Log10(v)-math.Log10(yMin))/(math.Log10(yMax)-math.Log10(yMin)))
	}
	step := niceStep(xMax / 6)
	for v := 0.0; v <= xMax; v += step {
		s.printf(`<line class="grid" x1="%.1f" y1="%g" x2="%.1f" y2="%g"/>`, px(v), top, px(v), top+plotH)
		s.text(px(v), top+plotH+14, "middle", "tick", group(fmt.Sprintf("%.0f", v)))
	}
	s.latencyAxis(left, top, plotW, plotH, yMin, yMax, py)
	s.text(left+plotW/2, h-8, "middle", "axis", "offered rate (req/s)")
	s.printf(`<text class="axis" transform="translate(14 %.1f) rotate(-90)" text-anchor="middle">corrected latency (ms)</text>`, top+plotH/2)
	s.printf(`<line class="objective" x1="%g" y1="%.1f" x2="%g" y2="%.1f" stroke="#000" stroke-dasharray="4 3">%s</line>`,
		left, py(obj), left+plotW, py(obj), tip("objective: p99 ≤ "+msS(obj)+" ms"))
	dashes := []string{"", "6 3", "1.5 2.5"}
	var entries []legendEntry
	for _, pc := range sweepPercentiles {
		entries = append(entries, legendEntry{name: pc.name, color: pc.color, line: true})
	}
	for ti, se := range series {
		dash := dashes[ti%len(dashes)]
		entries = append(entries, legendEntry{name: se.Target, color: OkabeItoBlack, line: true, dash: dash})
		for _, pc := range sweepPercentiles {
			col := hexOf(pc.color)
			var pts, dots strings.Builder
			for _, st := range sortedSteps(se.Result.Steps) {
				v := pc.value(st)
				if v <= 0 {
					continue
				}
				fmt.Fprintf(&pts, "%.1f,%.1f ", px(st.Offered), py(v))
				fill := col
				if !st.Pass {
					fill = "#fff"
				}
				fmt.Fprintf(&dots, `<circle class="pt" cx="%.1f" cy="%.1f" r="3" fill="%s" stroke="%s">%s</circle>`, px(st.Offered), py(v), fill, col,
					tip(fmt.Sprintf("%s %s at %s req/s offered: %s ms (%s)", se.Target, pc.name, sweep.RateText(st.Offered), msS(v), map[bool]string{true: "pass", false: "fail"}[st.Pass])))
			}
			s.printf(`<g class="series" data-target="%s"><polyline class="curve" fill="none" stroke="%s" stroke-width="2" stroke-dasharray="%s" points="%s"/>%s</g>`,
				se.Target, col, dash, strings.TrimSpace(pts.String()), dots.String())
		}
	}
	s.legend(left+plotW+16, top+10, entries, "")
	return s.html()
}

// latencyAxis draws a log latency axis's grid and labels (latencyTicks, as
// the PNGs) left of the w × h plot area at x, y, and its frame.
func (s *svg) latencyAxis(x, y, w, h, yMin, yMax float64, py func(float64) float64) {
	for _, t := range latencyTicks.Ticks(yMin, yMax) {
		s.printf(`<line class="grid" x1="%g" y1="%.1f" x2="%g" y2="%.1f"/>`, x, py(t.Value), x+w, py(t.Value))
		if t.Label != "" {
			s.text(x-4, py(t.Value)+4, "end", "tick", t.Label)
		}
	}
	s.printf(`<rect class="frame" x="%g" y="%g" width="%g" height="%g" fill="none"/>`, x, y, w, h)
}
