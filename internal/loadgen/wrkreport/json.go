package wrkreport

import (
	"encoding/json"
	"io"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/results"
)

// ToJSON converts a summary to the --json document (results.Generator);
// args are the command line (program name excluded).
func ToJSON(s *Summary, args []string, runID string) *results.Generator {
	r := s.Result
	c := r.Config
	if args == nil {
		args = []string{}
	}
	path := ""
	if r.Target != nil {
		path = r.Target.Path
	}
	j := &results.Generator{
		Args:         args,
		URL:          c.URL,
		Path:         path,
		RunID:        runID,
		Threads:      c.Threads,
		Connections:  c.Connections,
		DurationS:    c.Duration.Seconds(),
		WarmupS:      c.Warmup.Seconds(),
		TargetRate:   c.Rate,
		TimeoutS:     c.Timeout.Seconds(),
		Start:        r.Start.UTC(),
		End:          r.End.UTC(),
		ElapsedS:     r.Elapsed.Seconds(),
		Requests:     r.Requests,
		Bytes:        r.Bytes,
		AchievedRate: s.RequestsPerSec,
		TransferPerS: s.TransferPerSec,
		Errors: results.Errors{
			Connect: r.Error(loadgen.ErrConnect),
			Read:    r.Error(loadgen.ErrRead),
			Write:   r.Error(loadgen.ErrWrite),
			Timeout: r.Error(loadgen.ErrTimeout),
			Status:  r.Error(loadgen.ErrStatus),
		},
		LatencyMS:     latencyJSON(s.Corrected),
		UncorrectedMS: latencyJSON(s.Uncorrected),
		ReqPerSecPerThread: results.Rate{
			Mean:           s.ReqPerSec.mean,
			Stdev:          s.ReqPerSec.stdev,
			Max:            s.ReqPerSec.max,
			WithinStdevPct: s.ReqPerSec.withinStdev,
		},
		InFlightAtEnd: r.InFlight,
		CPUS:          r.CPU.Seconds(),
		Interrupted:   r.Interrupted,
	}
	return j
}

func latencyJSON(l Latency) results.Latency {
	ms := func(us float64) float64 { return us / 1000 }
	p := l.Percentiles
	return results.Latency{
		Min: ms(l.Min), Mean: ms(l.Mean), Stdev: ms(l.Stdev), Max: ms(l.Max),
		P50: ms(p[0]), P75: ms(p[1]), P90: ms(p[2]), P99: ms(p[3]),
		P99_9: ms(p[4]), P99_99: ms(p[5]), P99_999: ms(p[6]), P100: ms(p[7]),
		WithinStdevPct: l.WithinStdev,
	}
}

// WriteJSON writes j indented.
func WriteJSON(w io.Writer, j *results.Generator) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
