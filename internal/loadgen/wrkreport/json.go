package wrkreport

import (
	"encoding/json"
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// ToJSON converts a summary to the --json document (runresult.Generator);
// args are the command line (program name excluded). The document carries
// the full histograms and Req/Sec samples, so results can be merged.
func ToJSON(s *Summary, args []string, runID string) (*runresult.Generator, error) {
	r := s.Result
	c := r.Config
	if args == nil {
		args = []string{}
	}
	path := ""
	if r.Target != nil {
		path = r.Target.Path
	}
	j := &runresult.Generator{
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
		Errors: runresult.Errors{
			Connect: r.Error(loadgen.ErrConnect),
			Read:    r.Error(loadgen.ErrRead),
			Write:   r.Error(loadgen.ErrWrite),
			Timeout: r.Error(loadgen.ErrTimeout),
			Status:  r.Error(loadgen.ErrStatus),
		},
		LatencyMS:     latencyJSON(s.Corrected),
		UncorrectedMS: latencyJSON(s.Uncorrected),
		ReqPerSecPerThread: runresult.Rate{
			Mean:           s.ReqPerSec.mean,
			Stdev:          s.ReqPerSec.stdev,
			Max:            s.ReqPerSec.max,
			WithinStdevPct: s.ReqPerSec.withinStdev,
		},
		InFlightAtEnd: r.InFlight,
		CPUS:          r.CPU.Seconds(),
		Interrupted:   r.Interrupted,
	}
	j.ReqPerSecSamples = append([]float64{}, r.ThreadRates...)
	j.Part, j.Parts = c.Part, c.Parts
	if !c.StartAt.IsZero() {
		at := c.StartAt.UTC()
		j.StartAt, j.StartSlackS = &at, r.StartSlack.Seconds()
	}
	var err error
	if j.Health, err = HealthJSON(r); err != nil {
		return nil, err
	}
	j.Histograms, err = EncodeHistograms(r.Corrected, r.Uncorrected)
	return j, err
}

// EncodeHistograms encodes both histograms in HdrHistogram's compressed
// encoding (base64).
func EncodeHistograms(corrected, uncorrected *hdrhistogram.Histogram) (*runresult.Histograms, error) {
	c, err := corrected.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encoding the corrected histogram: %w", err)
	}
	u, err := uncorrected.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return nil, fmt.Errorf("encoding the uncorrected histogram: %w", err)
	}
	return &runresult.Histograms{Corrected: string(c), Uncorrected: string(u)}, nil
}

// DecodeHistograms decodes what EncodeHistograms wrote. A histogram of
// another range or precision than the generator's (loadgen.NewHistogram) is
// an error: merged, its values would be re-bucketed.
func DecodeHistograms(h *runresult.Histograms) (corrected, uncorrected *hdrhistogram.Histogram, err error) {
	if h == nil || h.Corrected == "" || h.Uncorrected == "" {
		return nil, nil, fmt.Errorf("no histograms (a generator from before histograms were kept in its JSON)")
	}
	if corrected, err = decodeHistogram("corrected", h.Corrected); err != nil {
		return nil, nil, err
	}
	if uncorrected, err = decodeHistogram("uncorrected", h.Uncorrected); err != nil {
		return nil, nil, err
	}
	return corrected, uncorrected, nil
}

func decodeHistogram(name, enc string) (*hdrhistogram.Histogram, error) {
	d, err := hdrhistogram.Decode([]byte(enc))
	if err != nil {
		return nil, fmt.Errorf("%s histogram: %v", name, err)
	}
	want := loadgen.NewHistogram()
	if d.LowestTrackableValue() != want.LowestTrackableValue() || d.HighestTrackableValue() != want.HighestTrackableValue() ||
		d.SignificantFigures() != want.SignificantFigures() {
		return nil, fmt.Errorf("%s histogram spans %d..%d at %d digits, not the generator's %d..%d at %d", name,
			d.LowestTrackableValue(), d.HighestTrackableValue(), d.SignificantFigures(),
			want.LowestTrackableValue(), want.HighestTrackableValue(), want.SignificantFigures())
	}
	return d, nil
}

func latencyJSON(l Latency) runresult.Latency {
	ms := func(us float64) float64 { return us / 1000 }
	p := l.Percentiles
	return runresult.Latency{
		Min: ms(l.Min), Mean: ms(l.Mean), Stdev: ms(l.Stdev), Max: ms(l.Max),
		P50: ms(p[0]), P75: ms(p[1]), P90: ms(p[2]), P99: ms(p[3]),
		P99_9: ms(p[4]), P99_99: ms(p[5]), P99_999: ms(p[6]), P100: ms(p[7]),
		WithinStdevPct: l.WithinStdev,
	}
}

// WriteJSON writes j indented.
func WriteJSON(w io.Writer, j *runresult.Generator) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
