package wrkreport

import (
	"math"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/loadgen"
)

// Percentiles are the ones wrk2 prints with -L.
var Percentiles = [...]float64{50, 75, 90, 99, 99.9, 99.99, 99.999, 100}

// Latency summarises one histogram, in µs: the text report prints it, and
// ToJSON gives it in milliseconds as runresult.Latency.
type Latency struct {
	Min, Mean, Stdev, Max float64
	WithinStdev           float64 // % of values within mean ± stdev
	Percentiles           [len(Percentiles)]float64
}

func summarize(h *hdrhistogram.Histogram) Latency {
	l := Latency{
		Min:   float64(h.Min()),
		Mean:  h.Mean(),
		Stdev: h.StdDev(),
		Max:   float64(h.Max()),
	}
	if h.TotalCount() == 0 {
		l.Min, l.Max, l.WithinStdev = 0, 0, 100
	} else {
		lo, hi := l.Mean-l.Stdev, l.Mean+l.Stdev
		var in int64
		for _, b := range h.Distribution() {
			if b.Count > 0 && float64(b.To) >= lo && float64(b.From) <= hi {
				in += b.Count
			}
		}
		l.WithinStdev = 100 * float64(in) / float64(h.TotalCount())
	}
	for i, p := range Percentiles {
		l.Percentiles[i] = float64(h.ValueAtPercentile(p))
	}
	return l
}

// Summary holds every figure the text and JSON reports print, computed once so
// the two agree number for number.
type Summary struct {
	Result         *loadgen.Result
	Corrected      Latency
	Uncorrected    Latency
	ReqPerSec      stats
	RequestsPerSec float64
	TransferPerSec float64
}

// Summarize computes the report's figures.
func Summarize(r *loadgen.Result) *Summary {
	s := &Summary{
		Result:      r,
		Corrected:   summarize(r.Corrected),
		Uncorrected: summarize(r.Uncorrected),
		ReqPerSec:   sampleStats(r.ThreadRates),
	}
	if secs := r.Elapsed.Seconds(); secs > 0 {
		s.RequestsPerSec = float64(r.Requests) / secs
		s.TransferPerSec = float64(r.Bytes) / secs
	}
	if math.IsNaN(s.ReqPerSec.mean) {
		s.ReqPerSec = stats{}
	}
	return s
}
