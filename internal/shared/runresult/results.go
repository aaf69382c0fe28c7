// Package runresult is the one vocabulary of a load run's results, shared by
// the generator and everything that reads it: the generator's --json
// document (Generator), its error classes (Errors) and latency summary
// (Latency), and the accounting every report states (Attempts, Failed,
// ErrorRatio). The load generator writes these types, the bench runner
// reads them, its report (internal/lab/report) and compare keep them in
// summary.json. It imports nothing but the standard library and
// shared/formats, so that the generator's binary links nothing else through
// it.
package runresult

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/macrobench/macrobench/internal/shared/formats"
)

// Generator is the load generator's machine-readable result (--json).
// Field names are a contract with the bench runner and with results folders
// already written: add fields, never rename.
type Generator struct {
	Args          []string  `json:"args"`
	URL           string    `json:"url"`
	Path          string    `json:"path"`
	RunID         string    `json:"run_id,omitempty"`
	Threads       int       `json:"threads"`
	Connections   int       `json:"connections"`
	DurationS     float64   `json:"duration_s"`
	WarmupS       float64   `json:"warmup_s"`
	TargetRate    float64   `json:"target_rate"`
	TimeoutS      float64   `json:"timeout_s"`
	Start         time.Time `json:"start"` // RFC 3339, UTC
	End           time.Time `json:"end"`
	ElapsedS      float64   `json:"elapsed_s"`
	Requests      int64     `json:"requests"`         // responses received in the window
	Bytes         int64     `json:"bytes"`            // of those responses
	InFlightAtEnd int64     `json:"in_flight_at_end"` // sent, no response when the window closed
	AchievedRate  float64   `json:"achieved_rate"`    // Requests / ElapsedS
	TransferPerS  float64   `json:"transfer_per_s"`
	Errors        Errors    `json:"errors"`
	// LatencyMS is corrected for coordinated omission (timed from when each
	// request was due); UncorrectedMS from when it was sent.
	LatencyMS          Latency `json:"latency_ms"`
	UncorrectedMS      Latency `json:"uncorrected_ms"`
	ReqPerSecPerThread Rate    `json:"req_per_sec_per_thread"`
	CPUS               float64 `json:"cpu_s"` // the generator's own CPU time over the window
	Interrupted        bool    `json:"interrupted"`

	// What `bench merge` needs to add results up exactly (internal/lab/merge).
	// Histograms are the full corrected and uncorrected histograms;
	// ReqPerSecSamples every worker's Req/Sec samples (100 ms each), worker
	// by worker, from which ReqPerSecPerThread is computed.
	Histograms       *Histograms `json:"histograms,omitempty"`
	ReqPerSecSamples []float64   `json:"req_per_sec_samples,omitempty"`
	// Part and Parts: this run was part Part of Parts (--part I/N) of one
	// run whose -t, -c and -R (Threads, Connections, TargetRate above) are
	// the totals; it made the requests of connections j with j mod Parts =
	// Part-1 and counts only those. A merged result has Parts without Part.
	Part  int `json:"part,omitempty"`
	Parts int `json:"parts,omitempty"`
	// StartAt is --start-at: the window (warm-up first) began exactly then;
	// StartSlackS how long before it the generator was ready (its
	// connections open).
	StartAt     *time.Time `json:"start_at,omitempty"`
	StartSlackS float64    `json:"start_slack_s,omitempty"`
	// MergedFrom names the files a merged result was made of.
	MergedFrom []string `json:"merged_from,omitempty"`
	// Health is the generator's own health over the window (health.go);
	// absent from generators before it, and from a merge of any of theirs.
	Health *Health `json:"health,omitempty"`
}

// Histograms are a run's latency histograms in µs (1 µs to 1 h, 3
// significant digits), each in HdrHistogram's standard compressed encoding
// (V2, base64), as hdrhistogram-go's Encode writes it and Decode reads it.
type Histograms struct {
	Corrected   string `json:"corrected"`
	Uncorrected string `json:"uncorrected"`
}

// Errors counts each error class, as wrk names them (formats.WrkErrors):
// the generator reports its errors in wrk's classes.
type Errors = formats.WrkErrors

// Latency is a latency summary in milliseconds: wrk2's -L percentiles, the
// mean, standard deviation and extremes, and the share of values within one
// standard deviation of the mean (wrk's "+/- Stdev").
type Latency struct {
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

// Field is one figure of a Latency: its JSON name and where it is.
type Field struct {
	Name  string
	Value *float64
}

// Fields are l's figures, in the struct's order: for code that treats them
// alike (medians over repeats).
func (l *Latency) Fields() []Field {
	return []Field{
		{"min", &l.Min}, {"mean", &l.Mean}, {"stdev", &l.Stdev}, {"max", &l.Max},
		{"p50", &l.P50}, {"p75", &l.P75}, {"p90", &l.P90}, {"p99", &l.P99},
		{"p99_9", &l.P99_9}, {"p99_99", &l.P99_99}, {"p99_999", &l.P99_999}, {"p100", &l.P100},
		{"within_stdev_pct", &l.WithinStdevPct},
	}
}

// Rate is wrk's per-thread Req/Sec line.
type Rate struct {
	Mean           float64 `json:"mean"`
	Stdev          float64 `json:"stdev"`
	Max            float64 `json:"max"`
	WithinStdevPct float64 `json:"within_stdev_pct"`
}

// ReadGenerator reads a --json file.
//
// A generator from before in_flight_at_end counted a request that timed
// out as an outcome of its own, never among the responses: a request sent
// whose response it did not count, which is what in_flight_at_end now
// means. Such a file (no in_flight_at_end) is read with its timeouts as the
// requests in flight, so that one accounting (Attempts) serves both.
//
// A file over MaxFileSize is refused; the document's strings come back
// without control characters (CleanStrings).
func ReadGenerator(path string) (*Generator, error) {
	b, err := ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g struct {
		Generator
		InFlight *int64 `json:"in_flight_at_end"` // the outer field wins: nil when absent
	}
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("generator JSON %s: %w", path, err)
	}
	if g.InFlight != nil {
		g.InFlightAtEnd = *g.InFlight
	} else {
		g.InFlightAtEnd = g.Errors.Timeout
	}
	if g.Start.IsZero() || g.End.IsZero() {
		return nil, fmt.Errorf("generator JSON %s: no start or end time", path)
	}
	CleanStrings(&g.Generator)
	return &g.Generator, nil
}

// Attempts is every request the run sent (see Accounting).
func (g *Generator) Attempts() int64 { return Attempts(g.Requests, g.InFlightAtEnd, g.Errors) }

// Successes is the responses with a 2xx/3xx status.
func (g *Generator) Successes() int64 { return g.Requests - g.Errors.Status }
