// Package appperf runs the app's performance benchmark (scripts/perf.sh): wrk
// against the app and against reference servers, pgbench against the same
// database, in one run, and reports the ratios the app must reach.
package appperf

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// WrkResult is what the benchmark reads from wrk's text output.
type WrkResult struct {
	RequestsPerSec float64
	Requests       int
	Non2xx         int
	SocketErrors   int           // connect + read + write + timeout
	ServerCPU      time.Duration // CPU the server used during the run (set by the runner)
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
		m.Non2xx += r.Non2xx
		m.SocketErrors += r.SocketErrors
		m.ServerCPU += r.ServerCPU
	}
	return m
}

// Errors is every failed request wrk saw.
func (r WrkResult) Errors() int { return r.Non2xx + r.SocketErrors }

var (
	wrkRPS    = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	wrkTotal  = regexp.MustCompile(`(?m)^\s*([0-9]+) requests in `)
	wrkNon2xx = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses:\s+([0-9]+)`)
	wrkSock   = regexp.MustCompile(`(?m)^\s*Socket errors: connect ([0-9]+), read ([0-9]+), write ([0-9]+), timeout ([0-9]+)`)
	pgbTPS    = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	pgbFailed = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// ParseWrk reads wrk's summary.
func ParseWrk(out string) (WrkResult, error) {
	var r WrkResult
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk output:\n%s", out)
	}
	r.RequestsPerSec, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkTotal.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.Atoi(m[1])
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.Atoi(m[1])
	}
	if m := wrkSock.FindStringSubmatch(out); m != nil {
		for _, s := range m[1:] {
			n, _ := strconv.Atoi(s)
			r.SocketErrors += n
		}
	}
	return r, nil
}

// PgbenchResult is what the benchmark reads from pgbench's output.
type PgbenchResult struct {
	TPS    float64
	Failed int
}

// ParsePgbench reads pgbench's summary (PostgreSQL 15 prints one tps line).
func ParsePgbench(out string) (PgbenchResult, error) {
	var r PgbenchResult
	m := pgbTPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no tps in pgbench output:\n%s", out)
	}
	r.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := pgbFailed.FindStringSubmatch(out); m != nil {
		r.Failed, _ = strconv.Atoi(m[1])
	}
	return r, nil
}
