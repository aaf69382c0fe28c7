// Package appperf runs the app's performance benchmark (scripts/perf.sh): wrk
// against the app and against reference servers, pgbench against the same
// database, in one run, and reports the ratios the app must reach.
package appperf

import (
	"time"

	"github.com/macrobench/macrobench/internal/shared/formats"
)

// WrkResult is one wrk run: what wrk printed, and the CPU the server used.
type WrkResult struct {
	formats.WrkSummary
	ServerCPU time.Duration // CPU the server used during the run (set by the runner)
}

// CPUPerRequest is ServerCPU per completed request.
func (r WrkResult) CPUPerRequest() time.Duration {
	if r.Requests == 0 {
		return 0
	}
	return r.ServerCPU / time.Duration(r.Requests)
}

// Mean averages runs: mean rate, summed counts.
func Mean(runs []WrkResult) WrkResult {
	var m WrkResult
	for _, r := range runs {
		m.RequestsPerSec += r.RequestsPerSec / float64(len(runs))
		m.Requests += r.Requests
		m.InFlight += r.InFlight
		m.Errors.Add(r.Errors)
		m.ServerCPU += r.ServerCPU
	}
	return m
}
