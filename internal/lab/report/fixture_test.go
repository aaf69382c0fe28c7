package report

import (
	"math"
	"time"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// fixtureCell is one cell of twoTargets: its rate, its latency (a spectrum
// rising from p50 to max) and its errors.
type fixtureCell struct {
	target, endpoint, scenario string
	rate, p50, max             float64
	errors                     runresult.Errors
	status                     string
}

// twoTargets is a full matrix measured against both targets, as a compose
// run with --targets app,original writes it: the app ahead everywhere, the
// original saturated at 4000 req/s and failing its /agents there (most
// attempts read errors), so that every part of the report and the charts
// has something to show.
func twoTargets() *Summary {
	const secs = 30.0
	rows := []fixtureCell{
		{"app", "/index", "saturation", 9000, 38, 210, runresult.Errors{}, StatusClosedLoop},
		{"original", "/index", "saturation", 1500, 240, 2600, runresult.Errors{Timeout: 12}, StatusClosedLoop},
		{"app", "/index", "rate4000", 3999.2, 0.9, 14, runresult.Errors{}, StatusOK},
		{"original", "/index", "rate4000", 1480, 21000, 52000, runresult.Errors{Timeout: 30000}, StatusSaturated},
		{"app", "/index", "rate10", 10, 0.6, 2.1, runresult.Errors{}, StatusOK},
		{"original", "/index", "rate10", 10, 2.4, 6.3, runresult.Errors{}, StatusOK},
		{"app", "/agents", "saturation", 700, 540, 2900, runresult.Errors{Timeout: 40}, StatusClosedLoop},
		{"original", "/agents", "saturation", 350, 1100, 9800, runresult.Errors{Timeout: 900}, StatusClosedLoop},
		{"app", "/agents", "rate4000", 650, 1800, 4100, runresult.Errors{Timeout: 2000, Status: 3000}, StatusSaturated},
		{"original", "/agents", "rate4000", 290, 2400, 30000, runresult.Errors{Read: 27000, Timeout: 5000}, StatusErrors},
		{"app", "/agents", "rate10", 10, 3.9, 8.8, runresult.Errors{}, StatusOK},
		{"original", "/agents", "rate10", 10, 17, 41, runresult.Errors{}, StatusOK},
		{"app", "/agents_with_pool", "saturation", 4100, 92, 700, runresult.Errors{}, StatusClosedLoop},
		{"original", "/agents_with_pool", "saturation", 1200, 330, 3100, runresult.Errors{Timeout: 30}, StatusClosedLoop},
		{"app", "/agents_with_pool", "rate4000", 3990, 2.4, 40, runresult.Errors{}, StatusOK},
		{"original", "/agents_with_pool", "rate4000", 1190, 19000, 50000, runresult.Errors{Timeout: 28000}, StatusSaturated},
		{"app", "/agents_with_pool", "rate10", 10, 1.2, 3.3, runresult.Errors{}, StatusOK},
		{"original", "/agents_with_pool", "rate10", 10, 4.1, 9.5, runresult.Errors{}, StatusOK},
	}
	flask := publication.Flask()
	ok := true
	s := &Summary{
		Schema: SchemaVersion, Started: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC), Executor: "compose", Target: "http://127.0.0.1:8000",
		Targets: []TargetInfo{
			{Name: TargetApp, URL: "http://127.0.0.1:8000", Server: "the Echo app", Evidence: []string{"the app's own counters (exact)", "Prometheus", "PostgreSQL"}, PoolSize: 16},
			{Name: TargetOriginal, URL: "http://127.0.0.1:8001", Server: "Flask under gunicorn", Evidence: []string{"PostgreSQL"}, PoolSize: 16},
		},
		Repeat: 1, ErrorThreshold: 0.01, SaturatedBelow: 0.9, Warmup: "1s per endpoint", Baseline: "Flask",
	}
	for _, t := range []string{TargetApp, TargetOriginal} {
		for _, ep := range []string{"/index", "/agents", "/agents_with_pool"} {
			s.Verification = append(s.Verification, Verification{Target: t, Endpoint: ep, OK: true})
		}
	}
	for _, r := range rows {
		via, conns, target := "network", 400, 0.0
		switch r.scenario {
		case "saturation":
			via = "localhost"
		case "rate4000":
			target = 4000
		case "rate10":
			conns, target = 10, 10
		}
		requests := int64(r.rate * secs)
		lat := runresult.Latency{Min: r.p50 / 3, Mean: r.p50 * 1.2, P50: r.p50, P75: r.p50 * 1.3, P90: r.p50 * 1.6,
			P99: r.p50 + (r.max-r.p50)*0.5, P99_9: r.p50 + (r.max-r.p50)*0.8, Max: r.max}
		run := Run{Index: 1, AchievedRate: r.rate, Requests: requests, Latency: lat, Errors: r.errors, Spectrum: spectrum(r.p50, r.max),
			Server: &Server{DB: &DB{}}, Checks: []Check{{Name: "x", OK: true}}}
		if r.target == TargetApp {
			run.Server.AppRequests = map[string]int64{"200": requests}
		}
		c := Cell{Target: r.target, Endpoint: r.endpoint, Scenario: r.scenario, Via: via, Connections: conns, Threads: 2, DurationS: secs,
			TargetRate: target, Runs: []Run{run}, AchievedRate: r.rate, Latency: lat, Requests: requests, Errors: r.errors,
			Attempts: runresult.Attempts(requests, 0, r.errors), Status: r.status, Reconciled: &ok,
			Publication: PublicationOf(flask, r.endpoint, r.scenario, r.rate)}
		c.ErrorRatio = runresult.ErrorRatio(requests, 0, r.errors)
		s.Cells = append(s.Cells, c)
	}
	s.SideBySide = SideBySideRows(s.Cells, flask)
	return s
}

// spectrum is a percentile distribution from p50 to max: flat below the
// median, rising towards the tail as a queueing server's does.
func spectrum(p50, max float64) []formats.HgrmPoint {
	var pts []formats.HgrmPoint
	for _, p := range []float64{0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 1} {
		v := p50 * (0.6 + 0.8*p)
		if p > 0.5 {
			tail := math.Log10(1/(1-p)) / 4 // 0.3 at p90 … 1 at p99.99
			if p == 1 {
				tail = 1
			}
			v = p50 + (max-p50)*math.Pow(tail, 2)
		}
		pts = append(pts, formats.HgrmPoint{Percentile: p, ValueMS: v})
	}
	return pts
}
