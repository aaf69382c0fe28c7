// Package report holds a benchmark run's results (summary.json) and renders
// them for people: summary.md and PNG charts. internal/bench fills a Summary;
// internal/compare reads two of them back.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// SchemaVersion of summary.json; bumped when a field changes meaning.
const SchemaVersion = 1

// Summary is everything a run measured, as written to summary.json.
type Summary struct {
	Schema         int       `json:"schema"`
	Started        time.Time `json:"started"`
	Finished       time.Time `json:"finished"`
	Executor       string    `json:"executor"` // compose | local
	Target         string    `json:"target"`   // base URL the generator used ("via the network" one in compose)
	Quick          bool      `json:"quick"`
	Repeat         int       `json:"repeat"`
	ErrorThreshold float64   `json:"error_threshold"` // fraction, 0.01 = 1%
	SaturatedBelow float64   `json:"saturated_below"` // fraction of the target rate
	Warmup         string    `json:"warmup"`          // how warm-up was done, stated in the report
	GrafanaURL     string    `json:"grafana_url,omitempty"`
	Baseline       string    `json:"baseline"` // name and source of the original figures

	Warmups      []Warmup       `json:"warmups,omitempty"`
	Verification []Verification `json:"verification"`
	Ceilings     []Ceiling      `json:"ceilings"`
	Cells        []Cell         `json:"cells"`
	Notes        []string       `json:"notes,omitempty"`
	Failures     []string       `json:"failures,omitempty"` // why the run exits non-zero
}

// Verification is the pre-load check of one endpoint.
type Verification struct {
	Endpoint string   `json:"endpoint"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"` // "expected …, got …"
}

// Warmup is the generator run that warmed an endpoint before its first
// scenario; excluded from every figure.
type Warmup struct {
	Endpoint  string   `json:"endpoint"`
	Args      []string `json:"args"`
	DurationS float64  `json:"duration_s"`
	Requests  int64    `json:"requests"`
	Errors    Errors   `json:"errors"`
	TextFile  string   `json:"text_file"`
}

// Ceiling is PostgreSQL's own throughput for the agents query, measured with
// pgbench in the same run.
type Ceiling struct {
	Name      string  `json:"name"` // prepared | connect
	Command   string  `json:"command"`
	TPS       float64 `json:"tps"`
	DurationS float64 `json:"duration_s"`
	Error     string  `json:"error,omitempty"`
}

// Latency in milliseconds (corrected for coordinated omission in rate runs).
type Latency struct {
	Mean  float64 `json:"mean"`
	Stdev float64 `json:"stdev"`
	P50   float64 `json:"p50"`
	P75   float64 `json:"p75"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99_9"`
	P9999 float64 `json:"p99_99"`
	Max   float64 `json:"max"`
}

// Errors by class, as the generator counts them; Status = non-2xx/3xx responses.
type Errors struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Timeout int64 `json:"timeout"`
	Status  int64 `json:"status"`
}

// Total of all classes.
func (e Errors) Total() int64 { return e.Connect + e.Read + e.Write + e.Timeout + e.Status }

// Point of a latency percentile spectrum (HdrHistogram .hgrm line).
type Point struct {
	Percentile float64 `json:"percentile"` // 0..1
	ValueMS    float64 `json:"value_ms"`
}

// Run is one execution of a cell (one of --repeat N).
type Run struct {
	Index        int       `json:"index"`
	Args         []string  `json:"args"`
	TextFile     string    `json:"text_file"`
	JSONFile     string    `json:"json_file"`
	HgrmFile     string    `json:"hgrm_file,omitempty"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	ElapsedS     float64   `json:"elapsed_s"`
	Requests     int64     `json:"requests"`
	Bytes        int64     `json:"bytes"`
	AchievedRate float64   `json:"achieved_rate"`
	Latency      Latency   `json:"latency_ms"`
	Errors       Errors    `json:"errors"`
	ErrorRatio   float64   `json:"error_ratio"`
	Server       *Server   `json:"server,omitempty"`
	Checks       []Check   `json:"reconciliation,omitempty"`
	Annotation   string    `json:"annotation,omitempty"` // "posted" or why not
	Spectrum     []Point   `json:"spectrum,omitempty"`
}

// Server-side evidence for one run's window.
type Server struct {
	// Exact deltas of the app's own counters (its /metrics, read just before
	// and after the run), by status code.
	AppRequests          map[string]int64 `json:"app_requests,omitempty"`
	AppConnectionsOpened *int64           `json:"app_connections_opened,omitempty"`
	Prometheus           *Prometheus      `json:"prometheus,omitempty"`
	DB                   *DB              `json:"db,omitempty"`
	Problems             []string         `json:"problems,omitempty"` // evidence that could not be collected
}

// Prometheus is what Prometheus recorded for the run's window.
type Prometheus struct {
	WindowStart time.Time          `json:"window_start"`
	WindowEnd   time.Time          `json:"window_end"`
	Requests    map[string]float64 `json:"requests"` // by status code
	P50MS       float64            `json:"p50_ms"`
	P99MS       float64            `json:"p99_ms"`
	Histogram   string             `json:"histogram"` // native | classic
	// RunAlone: the window opens after the server went quiet before the run,
	// so it holds this run's requests only (--quick does not wait for that).
	RunAlone bool `json:"run_alone"`
}

// DB is the PostgreSQL side: deltas over the run's window.
type DB struct {
	AgentsQueryCalls int64 `json:"agents_query_calls"` // pg_stat_statements
	Sessions         int64 `json:"sessions"`           // pg_stat_database.sessions (connections opened)
}

// Check is one reconciliation between client and server counts.
type Check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail"`
}

// Spread is the min and max of a figure over the repeats.
type Spread struct {
	Min float64 `json:"min"`
	Max float64 `json:"max"`
}

// Cell is one endpoint × scenario; its figures are medians over the runs.
type Cell struct {
	Endpoint     string  `json:"endpoint"`
	Scenario     string  `json:"scenario"` // saturation | rate4000 | rate10
	Via          string  `json:"via"`      // localhost | network
	Threads      int     `json:"threads"`
	Connections  int     `json:"connections"`
	DurationS    float64 `json:"duration_s"`
	TargetRate   float64 `json:"target_rate"` // 0 = closed loop
	Runs         []Run   `json:"runs"`
	AchievedRate float64 `json:"achieved_rate"`
	RateSpread   Spread  `json:"achieved_rate_spread"`
	Latency      Latency `json:"latency_ms"`
	P99Spread    Spread  `json:"p99_spread"`
	Requests     int64   `json:"requests"`
	Errors       Errors  `json:"errors"` // summed over runs
	ErrorRatio   float64 `json:"error_ratio"`
	// Overload is the errors of a cell at capacity (closed loop or
	// saturated) that are load shedding, timeouts and 503s: reported, not
	// failures. CountedErrorRatio, the ratio without them, meets the threshold.
	Overload          int64              `json:"overload_errors"`
	CountedErrorRatio float64            `json:"counted_error_ratio"`
	Status            string             `json:"status"` // ok | saturated | closed-loop | errors | not-run
	Reconciled        *bool              `json:"reconciled,omitempty"`
	Original          *Original          `json:"original,omitempty"`
	CeilingShare      map[string]float64 `json:"ceiling_share,omitempty"` // achieved / pgbench tps, by ceiling name
	Note              string             `json:"note,omitempty"`
}

// Original is the Flask figure for the same cell.
type Original struct {
	Measured       bool    `json:"measured"`
	Command        string  `json:"command,omitempty"`
	RequestsPerSec float64 `json:"requests_per_sec,omitempty"`
	LatencyAvg     string  `json:"latency_avg,omitempty"`
	LatencyMax     string  `json:"latency_max,omitempty"`
	Errors         int64   `json:"errors,omitempty"` // socket errors + non-2xx
	Non2xx         int64   `json:"non_2xx,omitempty"`
	Ratio          float64 `json:"ratio,omitempty"` // ours / original requests per second
}

// Status values of a cell.
const (
	StatusOK         = "ok"
	StatusSaturated  = "saturated"
	StatusClosedLoop = "closed-loop"
	StatusErrors     = "errors"
	StatusNotRun     = "not-run"
)

// WriteJSON writes summary.json into dir.
func (s *Summary) WriteJSON(dir string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644)
}

// Load reads summary.json from a results folder (or the file itself).
func Load(path string) (*Summary, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "summary.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Schema != SchemaVersion {
		return nil, fmt.Errorf("%s: schema %d, this tool reads %d", path, s.Schema, SchemaVersion)
	}
	return &s, nil
}
