package formats

// HdrHistogram's percentile distribution text
// (.hgrm, hdr_percentiles_print's CLASSIC layout, values in milliseconds):
// the generator writes its corrected latency in it (--hgrm, and the
// "Detailed Percentile spectrum" of -L, as wrk2 does), the bench runner
// reads it back for its charts, and HdrHistogram's plotters read it too.

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// HgrmPoint is one line of a percentile distribution.
type HgrmPoint struct {
	Percentile float64 `json:"percentile"` // 0..1
	ValueMS    float64 `json:"value_ms"`
}

// WriteHgrm writes h (µs) as milliseconds in HdrHistogram's percentile
// distribution format (hdr_percentiles_print, CLASSIC, 5 ticks per half
// distance), which wrk2 prints and HdrHistogram's plotters read.
func WriteHgrm(w io.Writer, h *hdrhistogram.Histogram) {
	const scale = 1000.0
	fmt.Fprintf(w, "%12s %12s %12s %12s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	if h.TotalCount() > 0 {
		for _, b := range h.CumulativeDistributionWithTicks(5) {
			p := b.Quantile / 100
			inv := fmt.Sprintf("%12.2f", 1/(1-p))
			if p >= 1 {
				inv = fmt.Sprintf("%12s", "inf")
			}
			fmt.Fprintf(w, "%12.3f %12f %12d %s\n", float64(b.ValueAt)/scale, p, b.Count, inv)
		}
	}
	buckets, subBuckets := geometry(h)
	fmt.Fprintf(w, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", h.Mean()/scale, h.StdDev()/scale)
	fmt.Fprintf(w, "#[Max     = %12.3f, Total count    = %12d]\n", float64(h.Max())/scale, h.TotalCount())
	fmt.Fprintf(w, "#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, subBuckets)
}

// geometry recomputes the bucket layout the footer names (the library keeps it
// private), as HdrHistogram's constructor does.
func geometry(h *hdrhistogram.Histogram) (buckets, subBuckets int64) {
	largest := 2 * math.Pow(10, float64(h.SignificantFigures()))
	subBuckets = int64(1) << int(math.Ceil(math.Log2(largest)))
	unitMagnitude := int(math.Floor(math.Log2(float64(h.LowestTrackableValue()))))
	smallestUntrackable := subBuckets << unitMagnitude
	buckets = 1
	for smallestUntrackable <= h.HighestTrackableValue() {
		if smallestUntrackable > math.MaxInt64/2 {
			return buckets + 1, subBuckets
		}
		smallestUntrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}

// ExtractHgrm finds a percentile distribution in text: a whole .hgrm file, or
// the "Detailed Percentile spectrum" inside wrk2's (or the generator's) -L
// output. It returns the distribution's text and its points; ok is false
// when text has none.
func ExtractHgrm(text string) (hgrm string, pts []HgrmPoint, ok bool) {
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
				pts = append(pts, HgrmPoint{Percentile: p, ValueMS: v})
			}
		}
		if strings.HasPrefix(trimmed, "#[Buckets") {
			break
		}
	}
	return b.String(), pts, in && len(pts) > 0
}
