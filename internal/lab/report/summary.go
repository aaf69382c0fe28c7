// Package report holds a benchmark run's results (summary.json) and renders
// them for people: summary.md and PNG charts. internal/lab/benchrun fills a Summary;
// internal/lab/compare reads two of them back.
package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/macrobench/macrobench/internal/shared/runresult"

	"github.com/macrobench/macrobench/internal/shared/formats"
)

// Where the bench ran (Summary.Runner). The runner image sets
// MACROBENCH_RUNNER=container; anywhere else the bench is native.
const (
	RunnerNative    = "native"
	RunnerContainer = "container"
)

// RunnerOf is the runner that getenv describes (os.Getenv in the bench).
func RunnerOf(getenv func(string) string) string {
	if getenv("MACROBENCH_RUNNER") == RunnerContainer {
		return RunnerContainer
	}
	return RunnerNative
}

// SchemaVersion of summary.json; bumped when a field changes meaning. 2:
// errors.timeout is a flag over responses and in-flight requests, no longer
// an outcome of its own (see runresult.Attempts); in_flight_at_end, attempts,
// the isolation waits and the interrupted marker were added. (The latency
// figures are the generator's, runresult.Latency: min, p99_999, p100 and
// within_stdev_pct were added without a new version, as fields absent from
// an older file read as zero.) 3: a run measures several targets (the app,
// the original Flask app): every cell, verification and warm-up names its
// target, targets describes each, side_by_side holds the report's headline
// table; a cell's published figure moved from "original" (ambiguous beside
// the target "original") to "publication". Load reads 1 and 2 as the app's.
const SchemaVersion = 3

// oldestSchema is the oldest summary.json Load reads: schema 1 has none of
// the fields added in 2, which read as zero.
const oldestSchema = 1

// Summary is everything a run measured, as written to summary.json.
type Summary struct {
	Schema   int       `json:"schema"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Executor string    `json:"executor"` // compose | local
	// Runner is where the bench itself ran: RunnerNative (built with this
	// machine's Go) or RunnerContainer (scripts/bench.sh's runner image,
	// scripts/runner/, for a machine without a suitable Go).
	Runner string `json:"runner"`
	// Target is the app's base URL as the bench saw it (every target's is
	// in Targets).
	Target string `json:"target"`
	// Targets are the servers measured, in the order each cell ran
	// against them (TargetApp first).
	Targets []TargetInfo `json:"targets,omitempty"`
	Quick   bool         `json:"quick"`
	// Interrupted: the run was stopped (SIGINT, SIGTERM) before its end;
	// Cells holds the cells it completed. The folder also has an
	// INTERRUPTED file and summary.md a banner.
	Interrupted    bool    `json:"interrupted"`
	InterruptedBy  string  `json:"interrupted_by,omitempty"` // e.g. "interrupt", "terminated"
	Repeat         int     `json:"repeat"`
	ErrorThreshold float64 `json:"error_threshold"` // fraction, 0.01 = 1%
	SaturatedBelow float64 `json:"saturated_below"` // fraction of the target rate
	Warmup         string  `json:"warmup"`          // how warm-up was done, stated in the report
	// Isolation says how runs were kept apart (the wait before each run;
	// each run records its own in Run.Isolation); IsolationBoundS is that
	// wait's bound, 0 when disabled.
	Isolation       string  `json:"isolation"`
	IsolationBoundS float64 `json:"isolation_bound_s"`
	GrafanaURL      string  `json:"grafana_url,omitempty"`
	Baseline        string  `json:"baseline"` // name and source of the original figures

	Warmups      []Warmup       `json:"warmups,omitempty"`
	Verification []Verification `json:"verification"`
	Ceilings     []Ceiling      `json:"ceilings"`
	Cells        []Cell         `json:"cells"`
	// SideBySide is the report's headline: per endpoint and scenario, each
	// target's figures, their ratio and the publication's (SideBySideRows).
	SideBySide []SideBySide `json:"side_by_side,omitempty"`
	Sweeps     []Sweep      `json:"sweeps,omitempty"` // bench --sweep: one per endpoint and target (sweep.go)
	Notes      []string     `json:"notes,omitempty"`
	Failures   []string     `json:"failures,omitempty"` // why the run exits non-zero
}

// The targets a run measures: this lab's app, and the original benchmark's
// Flask app under gunicorn (original/, compose service "original").
const (
	TargetApp      = "app"
	TargetOriginal = "original"
)

// TargetInfo is one server a run measured.
type TargetInfo struct {
	Name   string `json:"name"`   // TargetApp | TargetOriginal
	URL    string `json:"url"`    // its base URL as the bench saw it
	Server string `json:"server"` // what it is
	// Evidence names the server-side checks that apply to it: the app has
	// its own counters and Prometheus besides PostgreSQL; the original
	// has no /metrics, so PostgreSQL's counts and the generator's are all.
	Evidence []string `json:"evidence"`
	// PoolSize is the most connections its /agents_with_pool may hold
	// (0: unknown, and that check is not made).
	PoolSize int64 `json:"pool_size,omitempty"`
}

// Verification is the pre-load check of one endpoint of one target.
type Verification struct {
	Target   string   `json:"target"`
	Endpoint string   `json:"endpoint"`
	OK       bool     `json:"ok"`
	Problems []string `json:"problems,omitempty"` // "expected …, got …"
}

// Warmup is the generator run that warmed an endpoint of a target before
// its first scenario; excluded from every figure.
type Warmup struct {
	Target    string            `json:"target"`
	Endpoint  string            `json:"endpoint"`
	Round     int               `json:"round,omitempty"` // 1-based: --repeat runs the matrix in rounds, each warmed up
	Args      []string          `json:"args"`
	DurationS float64           `json:"duration_s"`
	Requests  int64             `json:"requests"`
	InFlight  int64             `json:"in_flight_at_end"`
	Errors    formats.WrkErrors `json:"errors"`
	TextFile  string            `json:"text_file"`
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

// Run is one execution of a cell (one of --repeat N).
type Run struct {
	Index    int      `json:"index"`
	Args     []string `json:"args"`
	TextFile string   `json:"text_file"`
	JSONFile string   `json:"json_file"`
	HgrmFile string   `json:"hgrm_file,omitempty"`
	// Generators is N when the run was N generators started together as
	// its parts (bench --generators), its figures their merged result;
	// PartFiles are each part's own --json file (its .txt and .hgrm beside).
	Generators   int               `json:"generators,omitempty"`
	PartFiles    []string          `json:"part_files,omitempty"`
	Start        time.Time         `json:"start"`
	End          time.Time         `json:"end"`
	ElapsedS     float64           `json:"elapsed_s"`
	Requests     int64             `json:"requests"`         // responses received in the window
	InFlight     int64             `json:"in_flight_at_end"` // sent, no response when the window closed
	Attempts     int64             `json:"attempts"`         // see runresult.Accounting
	Bytes        int64             `json:"bytes"`
	AchievedRate float64           `json:"achieved_rate"`
	Latency      runresult.Latency `json:"latency_ms"` // the generator's, corrected
	Errors       runresult.Errors  `json:"errors"`
	ErrorRatio   float64           `json:"error_ratio"`
	// Isolation is the wait before the run for the app and PostgreSQL to
	// be idle; Drain the wait after it for the run's own last requests
	// (its server-side counts are read then).
	Isolation  *Wait               `json:"isolation,omitempty"`
	Drain      *Wait               `json:"drain,omitempty"`
	Server     *Server             `json:"server,omitempty"`
	Checks     []Check             `json:"reconciliation,omitempty"`
	Annotation string              `json:"annotation,omitempty"` // "posted" or why not
	Spectrum   []formats.HgrmPoint `json:"spectrum,omitempty"`   // the corrected latency's percentile distribution
	// Machine is the machine's and the lab containers' CPU in the run's
	// window (machine.go); nil when not sampled.
	Machine *Machine `json:"machine,omitempty"`
	// Health is the generator's own health over the run (runresult.Health);
	// Class who set the run's figures, from it and Machine (class.go).
	Health *runresult.Health `json:"health,omitempty"`
	Class  *Classification   `json:"class,omitempty"`
}

// Wait is one wait for the server side to be idle: the app with no request
// in flight (its own /metrics scrapes aside) and its route's counters
// still, PostgreSQL with no backend of the database at work (besides the
// bench's own) and its statement and session counters still.
type Wait struct {
	WaitedS  float64 `json:"waited_s"`
	BoundS   float64 `json:"bound_s"`
	TimedOut bool    `json:"timed_out"`      // the bound was hit: the server was still busy
	Busy     string  `json:"busy,omitempty"` // what was still busy then
	// What the last look saw; nil when not measurable (no in-flight gauge,
	// no database evidence).
	AppInFlight *int64 `json:"app_in_flight,omitempty"`
	DBActive    *int64 `json:"db_active_backends,omitempty"` // backends not idle
	DBBackends  *int64 `json:"db_backends,omitempty"`        // all, idle pool connections included
	Skipped     bool   `json:"skipped,omitempty"`            // --isolation-wait 0: not waited
	// Scope is what the wait looked at: the app's and PostgreSQL's side
	// for the app's runs, PostgreSQL's alone for the original's (it has no
	// in-flight gauge).
	Scope string `json:"scope,omitempty"`
}

// Server-side evidence for one run's window.
type Server struct {
	// Exact deltas of the app's own counters (its /metrics, read just before
	// and after the run), by status code.
	AppRequests          map[string]int64 `json:"app_requests,omitempty"`
	AppConnectionsOpened *int64           `json:"app_connections_opened,omitempty"`
	// AppPoolConnectionsOpened is what /agents_with_pool's pool opened in
	// the window (app_agents_pool_connections_opened_total): 0 once warm.
	AppPoolConnectionsOpened *int64 `json:"app_pool_connections_opened,omitempty"`
	// AppPoolOpenedSinceStart is what the pool opened from the bench's
	// start to this run's end, warm-ups included: at most the pool's size
	// for a pool that keeps its connections.
	AppPoolOpenedSinceStart *int64      `json:"app_pool_opened_since_start,omitempty"`
	Prometheus              *Prometheus `json:"prometheus,omitempty"`
	DB                      *DB         `json:"db,omitempty"`
	Problems                []string    `json:"problems,omitempty"` // evidence that could not be collected
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

// Cell is one endpoint × scenario against one target; its figures are
// medians over the runs.
type Cell struct {
	Target       string            `json:"target"` // TargetApp | TargetOriginal
	Endpoint     string            `json:"endpoint"`
	Scenario     string            `json:"scenario"` // saturation | rate4000 | rate10
	Via          string            `json:"via"`      // localhost | network
	Threads      int               `json:"threads"`
	Connections  int               `json:"connections"`
	DurationS    float64           `json:"duration_s"`
	TargetRate   float64           `json:"target_rate"` // 0 = closed loop
	Runs         []Run             `json:"runs"`
	AchievedRate float64           `json:"achieved_rate"`
	RateSpread   Spread            `json:"achieved_rate_spread"`
	Latency      runresult.Latency `json:"latency_ms"` // each figure the median of the runs'
	P99Spread    Spread            `json:"p99_spread"`
	Requests     int64             `json:"requests"`         // summed over runs, as the next three
	InFlight     int64             `json:"in_flight_at_end"` // see runresult.Accounting
	Attempts     int64             `json:"attempts"`
	Errors       runresult.Errors  `json:"errors"`
	ErrorRatio   float64           `json:"error_ratio"`
	// Overload is the failures of a cell at capacity (closed loop or
	// saturated) that are load shedding, timeouts and 503s the app counted:
	// reported, not failures. CountedErrorRatio, the ratio without them,
	// meets the threshold. (accounting.OverloadErrors is the definition.)
	Overload          int64   `json:"overload_errors"`
	CountedErrorRatio float64 `json:"counted_error_ratio"`
	Status            string  `json:"status"` // ok | saturated | closed-loop | errors | not-run
	Reconciled        *bool   `json:"reconciled,omitempty"`
	// Untrusted says why the cell's figures are not to be trusted (a
	// reconciliation mismatch: the generator's counts and the server's
	// disagree); "" when nothing says so. Such a cell fails the run and is
	// never judged by compare.
	Untrusted    string             `json:"untrusted,omitempty"`
	Publication  *Publication       `json:"publication,omitempty"`
	CeilingShare map[string]float64 `json:"ceiling_share,omitempty"` // achieved / pgbench tps, by ceiling name
	Note         string             `json:"note,omitempty"`
	// Intervals are the judged figures' medians over the repeats with
	// their 95% confidence intervals (CellIntervals).
	Intervals *Intervals `json:"intervals,omitempty"`
	// Class is who set the cell's figures: the worst of its runs' classes
	// by precedence (CellClass), ClassReason why.
	Class       Class  `json:"class,omitempty"`
	ClassReason string `json:"class_reason,omitempty"`
}

// Publication is the original benchmark's published figure for the same
// endpoint and scenario (internal/lab/publication): the Flask app on the
// publication's own hardware, not this machine.
type Publication struct {
	Measured       bool    `json:"measured"`
	Command        string  `json:"command,omitempty"`
	RequestsPerSec float64 `json:"requests_per_sec,omitempty"`
	LatencyAvg     string  `json:"latency_avg,omitempty"` // as wrk printed it
	LatencyMax     string  `json:"latency_max,omitempty"`
	LatencyAvgMS   float64 `json:"latency_avg_ms,omitempty"` // the same, in ms
	LatencyMaxMS   float64 `json:"latency_max_ms,omitempty"`
	Errors         int64   `json:"errors,omitempty"` // socket errors + timeouts + non-2xx, wrk's classes summed
	Non2xx         int64   `json:"non_2xx,omitempty"`
	// ErrorShare is its socket errors and non-2xx responses over its
	// attempts (responses + socket errors): PublishedErrorShare.
	ErrorShare float64 `json:"error_share,omitempty"`
	Ratio      float64 `json:"ratio,omitempty"` // this cell's / the publication's requests per second
}

// Status values of a cell.
const (
	StatusOK         = "ok"
	StatusSaturated  = "saturated"
	StatusClosedLoop = "closed-loop"
	StatusErrors     = "errors"
	StatusNotRun     = "not-run"
)

// WriteJSON writes summary.json into dir (atomically).
func (s *Summary) WriteJSON(dir string) error {
	return WriteJSONFile(filepath.Join(dir, "summary.json"), s)
}

// WriteJSONFile writes v as indented JSON to path, atomically.
func WriteJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return runresult.WriteFile(path, append(b, '\n'))
}

// Load reads summary.json from a results folder (or the file itself).
func Load(path string) (*Summary, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "summary.json")
	}
	b, err := runresult.ReadFile(path) // under runresult.MaxFileSize
	if err != nil {
		return nil, err
	}
	var s Summary
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if s.Schema < oldestSchema || s.Schema > SchemaVersion {
		return nil, fmt.Errorf("%s: schema %d, this tool reads %d to %d", path, s.Schema, oldestSchema, SchemaVersion)
	}
	if s.Schema < 3 {
		if err := upgradeToThree(&s, b); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	return &s, nil
}

// upgradeToThree reads a schema 1 or 2 summary (raw) as schema 3 does: it
// measured the app alone, and each cell's published figure was "original".
func upgradeToThree(s *Summary, raw []byte) error {
	var old struct {
		Cells []struct {
			Original *Publication `json:"original"`
		} `json:"cells"`
	}
	if err := json.Unmarshal(raw, &old); err != nil {
		return err
	}
	for i := range s.Cells {
		s.Cells[i].Target = TargetApp
		if i < len(old.Cells) && s.Cells[i].Publication == nil {
			s.Cells[i].Publication = old.Cells[i].Original
		}
	}
	for i := range s.Verification {
		s.Verification[i].Target = TargetApp
	}
	for i := range s.Warmups {
		s.Warmups[i].Target = TargetApp
	}
	if len(s.Targets) == 0 {
		s.Targets = []TargetInfo{{Name: TargetApp, URL: s.Target}}
	}
	return nil
}
