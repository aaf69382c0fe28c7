package wrkreport

import (
	"bufio"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/shared/formats"
)

// Options select the optional blocks of the text report.
type Options struct {
	Latency  bool // -L: latency distribution and percentile spectrum
	ULatency bool // -U: the same for uncorrected latency (the command line sets Latency with it, as wrk2)
}

// Header is what wrk prints before the run starts.
func Header(w io.Writer, cfg loadgen.Config) {
	fmt.Fprintf(w, "Running %s test @ %s\n", FormatTimeS(cfg.Duration.Seconds()), cfg.URL)
	fmt.Fprintf(w, "  %d threads and %d connections\n", cfg.Threads, cfg.Connections)
	if cfg.Warmup > 0 {
		fmt.Fprintf(w, "  %s warm-up before the test, excluded from the results\n", FormatTimeUS(float64(cfg.Warmup.Microseconds())))
	}
}

// Text writes the result in wrk2's layout.
func Text(out io.Writer, s *Summary, opt Options) error {
	w := bufio.NewWriter(out)
	r := s.Result
	fmt.Fprintf(w, "  Thread Stats%6s%11s%8s%12s\n", "Avg", "Stdev", "Max", "+/- Stdev")
	l := s.Corrected
	statsLine(w, "Latency", l.Mean, l.Stdev, l.Max, l.WithinStdev, FormatTimeUS)
	q := s.ReqPerSec
	statsLine(w, "Req/Sec", q.mean, q.stdev, q.max, q.withinStdev, FormatMetric)
	if opt.Latency {
		latencyBlock(w, r.Corrected, s.Corrected, "Recorded Latency")
		fmt.Fprintln(w, "----------------------------------------------------------")
	}
	if opt.ULatency {
		fmt.Fprintln(w)
		latencyBlock(w, r.Uncorrected, s.Uncorrected, "Uncorrected Latency (measured without taking delayed starts into account)")
		fmt.Fprintln(w, "----------------------------------------------------------")
	}
	fmt.Fprintf(w, "  %d requests in %s, %sB read\n", r.Requests, FormatTimeUS(float64(r.Elapsed.Microseconds())), FormatBinary(float64(r.Bytes)))
	if r.InFlight > 0 {
		fmt.Fprintf(w, "  %d requests in flight at the end of the window\n", r.InFlight)
	}
	if r.SocketErrors() > 0 {
		fmt.Fprintf(w, "  Socket errors: connect %d, read %d, write %d, timeout %d\n",
			r.Error(loadgen.ErrConnect), r.Error(loadgen.ErrRead), r.Error(loadgen.ErrWrite), r.Error(loadgen.ErrTimeout))
	}
	if n := r.Error(loadgen.ErrStatus); n > 0 {
		fmt.Fprintf(w, "  Non-2xx or 3xx responses: %d\n", n)
	}
	fmt.Fprintf(w, "Requests/sec: %9.2f\n", s.RequestsPerSec)
	fmt.Fprintf(w, "Transfer/sec: %10sB\n", FormatBinary(s.TransferPerSec))
	return w.Flush()
}

func statsLine(w io.Writer, name string, mean, stdev, max, within float64, f func(float64) string) {
	fmt.Fprintf(w, "    %-10s%s%s%s%8.2f%%\n", name, padUnits(f(mean), 8), padUnits(f(stdev), 10), padUnits(f(max), 9), within)
}

func latencyBlock(w io.Writer, h *hdrhistogram.Histogram, l Latency, desc string) {
	fmt.Fprintf(w, "  Latency Distribution (HdrHistogram - %s)\n", desc)
	for i, p := range Percentiles {
		fmt.Fprintf(w, "%7.3f%%%s\n", p, padUnits(FormatTimeUS(l.Percentiles[i]), 10))
	}
	fmt.Fprintf(w, "\n%s\n", "  Detailed Percentile spectrum:")
	formats.WriteHgrm(w, h)
}
