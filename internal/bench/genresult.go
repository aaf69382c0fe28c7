package bench

import (
	"bufio"
	"strconv"
	"strings"

	"github.com/macrobench/macrobench/internal/benchreport"
	"github.com/macrobench/macrobench/internal/results"
)

// spectrumFromJSON is the percentile spectrum from the JSON's few
// percentiles, for when the text output has no detailed spectrum.
func spectrumFromJSON(g *results.Generator) []benchreport.Point {
	l := g.LatencyMS
	return []benchreport.Point{{Percentile: 0, ValueMS: l.Min}, {Percentile: .5, ValueMS: l.P50}, {Percentile: .75, ValueMS: l.P75},
		{Percentile: .9, ValueMS: l.P90}, {Percentile: .99, ValueMS: l.P99}, {Percentile: .999, ValueMS: l.P99_9},
		{Percentile: .9999, ValueMS: l.P99_99}, {Percentile: .99999, ValueMS: l.P99_999}, {Percentile: 1, ValueMS: l.P100}}
}

// ExtractHgrm finds wrk2's "Detailed Percentile spectrum" (HdrHistogram's
// .hgrm layout, values in ms) in the generator's text output. It returns the
// .hgrm text and its points; ok is false when the output has none.
func ExtractHgrm(text string) (hgrm string, pts []benchreport.Point, ok bool) {
	var b strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if !in {
			if strings.HasPrefix(trimmed, "Value") && strings.Contains(trimmed, "Percentile") && strings.Contains(trimmed, "TotalCount") {
				in = true
				b.WriteString(line + "\n")
			}
			continue
		}
		if strings.HasPrefix(trimmed, "----") || (trimmed == "" && len(pts) > 0 && strings.Contains(b.String(), "#[Buckets")) {
			break
		}
		b.WriteString(line + "\n")
		f := strings.Fields(trimmed)
		if len(f) >= 3 && !strings.HasPrefix(trimmed, "#") {
			v, err1 := strconv.ParseFloat(f[0], 64)
			p, err2 := strconv.ParseFloat(f[1], 64)
			if err1 == nil && err2 == nil {
				pts = append(pts, benchreport.Point{Percentile: p, ValueMS: v})
			}
		}
		if strings.HasPrefix(trimmed, "#[Buckets") {
			break
		}
	}
	return b.String(), pts, in && len(pts) > 0
}
