package wrkreport

import (
	"encoding/json"
	"io"
	"time"

	"github.com/macrobench/macrobench/internal/loadgen"
)

// JSON is the machine-readable result (--json). Field names are a contract
// with the bench runner: add fields, never rename.
type JSON struct {
	Args               []string    `json:"args"`
	URL                string      `json:"url"`
	Path               string      `json:"path"`
	RunID              string      `json:"run_id,omitempty"`
	Threads            int         `json:"threads"`
	Connections        int         `json:"connections"`
	DurationS          float64     `json:"duration_s"`
	WarmupS            float64     `json:"warmup_s"`
	TargetRate         float64     `json:"target_rate"`
	TimeoutS           float64     `json:"timeout_s"`
	Start              time.Time   `json:"start"` // RFC 3339, UTC
	End                time.Time   `json:"end"`
	ElapsedS           float64     `json:"elapsed_s"`
	Requests           int64       `json:"requests"`
	Bytes              int64       `json:"bytes"`
	InFlightAtEnd      int64       `json:"in_flight_at_end"`
	AchievedRate       float64     `json:"achieved_rate"`
	TransferPerS       float64     `json:"transfer_per_s"`
	Errors             ErrorsJSON  `json:"errors"`
	LatencyMS          LatencyJSON `json:"latency_ms"`
	UncorrectedMS      LatencyJSON `json:"uncorrected_ms"`
	ReqPerSecPerThread RateJSON    `json:"req_per_sec_per_thread"`
	CPUS               float64     `json:"cpu_s"`
	Interrupted        bool        `json:"interrupted"`
}

// ErrorsJSON counts each error class; status = non-2xx/3xx responses.
// Timeout is a flag, not an outcome: the responses that took the timeout or
// longer plus the requests in flight that long at the end (so a subset of
// requests + in_flight_at_end); connect, read and write are the requests
// that ended in an error.
type ErrorsJSON struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Timeout int64 `json:"timeout"`
	Status  int64 `json:"status"`
}

// LatencyJSON is a latency summary in milliseconds.
type LatencyJSON struct {
	Min            float64 `json:"min"`
	Mean           float64 `json:"mean"`
	Stdev          float64 `json:"stdev"`
	Max            float64 `json:"max"`
	P50            float64 `json:"p50"`
	P75            float64 `json:"p75"`
	P90            float64 `json:"p90"`
	P99            float64 `json:"p99"`
	P99_9          float64 `json:"p99_9"`
	P99_99         float64 `json:"p99_99"`
	P99_999        float64 `json:"p99_999"`
	P100           float64 `json:"p100"`
	WithinStdevPct float64 `json:"within_stdev_pct"`
}

// RateJSON is wrk's per-thread Req/Sec line.
type RateJSON struct {
	Mean           float64 `json:"mean"`
	Stdev          float64 `json:"stdev"`
	Max            float64 `json:"max"`
	WithinStdevPct float64 `json:"within_stdev_pct"`
}

// ToJSON converts a summary; args are the command line (program name excluded).
func ToJSON(s *Summary, args []string, runID string) *JSON {
	r := s.Result
	c := r.Config
	if args == nil {
		args = []string{}
	}
	path := ""
	if r.Target != nil {
		path = r.Target.Path
	}
	j := &JSON{
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
		Errors: ErrorsJSON{
			Connect: r.Error(loadgen.ErrConnect),
			Read:    r.Error(loadgen.ErrRead),
			Write:   r.Error(loadgen.ErrWrite),
			Timeout: r.Error(loadgen.ErrTimeout),
			Status:  r.Error(loadgen.ErrStatus),
		},
		LatencyMS:     latencyJSON(s.Corrected),
		UncorrectedMS: latencyJSON(s.Uncorrected),
		ReqPerSecPerThread: RateJSON{
			Mean:           s.ReqPerSec.mean,
			Stdev:          s.ReqPerSec.stdev,
			Max:            s.ReqPerSec.max,
			WithinStdevPct: s.ReqPerSec.withinStdev,
		},
		CPUS:        r.CPU.Seconds(),
		Interrupted: r.Interrupted,
	}
	j.InFlightAtEnd = r.InFlight
	return j
}

func latencyJSON(l Latency) LatencyJSON {
	ms := func(us float64) float64 { return us / 1000 }
	p := l.Percentiles
	return LatencyJSON{
		Min: ms(l.Min), Mean: ms(l.Mean), Stdev: ms(l.Stdev), Max: ms(l.Max),
		P50: ms(p[0]), P75: ms(p[1]), P90: ms(p[2]), P99: ms(p[3]),
		P99_9: ms(p[4]), P99_99: ms(p[5]), P99_999: ms(p[6]), P100: ms(p[7]),
		WithinStdevPct: l.WithinStdev,
	}
}

// WriteJSON writes j indented.
func WriteJSON(w io.Writer, j *JSON) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(j)
}
