package report

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

func sample() *Summary {
	spectrum := []formats.HgrmPoint{{Percentile: 0, ValueMS: 0.1}, {Percentile: 0.5, ValueMS: 1}, {Percentile: 0.9, ValueMS: 2},
		{Percentile: 0.99, ValueMS: 5}, {Percentile: 0.999, ValueMS: 9}, {Percentile: 1, ValueMS: 12}}
	run := func(rate, p99 float64) Run {
		return Run{Index: 1, AchievedRate: rate, Requests: int64(rate * 3), Latency: runresult.Latency{P50: 1, P90: 2, P99: p99, P99_9: 9, Max: 12}, Spectrum: spectrum,
			Server: &Server{AppRequests: map[string]int64{"200": int64(rate * 3)}, DB: &DB{AgentsQueryCalls: int64(rate * 3), Sessions: int64(rate * 3)}},
			Checks: []Check{{Name: "x", OK: true}}}
	}
	ok := true
	return &Summary{
		Schema: SchemaVersion, Started: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC), Executor: "compose", Target: "http://127.0.0.1:8000",
		Repeat: 1, ErrorThreshold: 0.01, SaturatedBelow: 0.9, Warmup: "1s per endpoint", Baseline: "Flask",
		Verification: []Verification{{Endpoint: "/index", OK: true}, {Endpoint: "/agents", OK: true},
			{Endpoint: "/agents_with_pool", OK: false, Problems: []string{"expected status 200, got 500 (body: a|b)"}}},
		Ceilings: []Ceiling{{Name: "connect", Command: "pgbench -C", TPS: 500}},
		Cells: []Cell{
			{Endpoint: "/index", Scenario: "rate4000", Via: "network", Connections: 400, Threads: 2, DurationS: 3, TargetRate: 4000,
				Runs: []Run{run(3900, 5)}, AchievedRate: 3900, Latency: runresult.Latency{Mean: 1.5, P50: 1, P99: 5}, Status: StatusOK, Reconciled: &ok,
				Publication: &Publication{Measured: true, RequestsPerSec: 2714.49, Ratio: 3900 / 2714.49, LatencyAvg: "0.87m", LatencyMax: "4.47m"}},
			{Endpoint: "/agents", Scenario: "rate4000", Via: "network", Connections: 400, Threads: 2, DurationS: 3, TargetRate: 4000,
				Runs: []Run{run(450, 900)}, AchievedRate: 450, Latency: runresult.Latency{P50: 400, P99: 900}, Status: StatusSaturated,
				Note: "the hardware reached 450.0 of 4000 req/s (11%)", CeilingShare: map[string]float64{"connect": 0.9}, Reconciled: &ok,
				Publication: &Publication{Measured: true, RequestsPerSec: 304.10, Ratio: 450 / 304.10, LatencyAvg: "2.28m", LatencyMax: "4.97m"}},
		},
		Failures: []string{"verification failed for /agents_with_pool: expected status 200, got 500"},
	}
}

func TestMarkdownStatesWhatItShows(t *testing.T) {
	md := Markdown(sample(), publication.Flask())
	for _, want := range []string{
		"Result: **FAILED**",
		`| app | /agents_with_pool | **FAILED — not benchmarked** | expected status 200, got 500 (body: a\|b) |`,
		"| app | /index | ok | headers; exact bytes |",
		"| connect | `pgbench -C` | 500 |",
		"## rate4000 — 4000 req/s",
		"The publication ran `wrk2 -t12 -c400 -d5m -R 4000 http://192.168.2.100:8000/index`.",
		"| /index | app | ok | 3,900.0 | 4,000 | 1.44× | 0/0/0/0 | 0 | 0 | — |",
		"| /index | app | 1.50 | 1.00 | 0 | 5.00 | 0 | 0 |",
		"| /agents | app | saturated | 450.0 | 4,000 | 1.48× | 0/0/0/0 | 0 | 0 | connect 90% |",
		"- /agents (app): the hardware reached 450.0 of 4000 req/s (11%)",
		"| /agents | app | 1 | 200: 1350 | n/a | n/a |",
		"| /agents | app | 1 | 1350 | 1350 | ok (1 checks) | n/a / n/a |",
		// One target: the headline has no ratio between targets.
		"| endpoint | scenario | app | publication (other hardware) |",
		"| /index | rate4000 | 3,900.0 | 2,714.5 |",
		"| /index | rate4000 | 1.50 | 52,200 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q\n%s", want, md)
		}
	}
}

func TestChartsAndJSONRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := sample()
	if err := WriteCharts(s, publication.Flask(), dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"latency-rate4000.png", "throughput-rate4000.png"} {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s: not a PNG (%v)", f, err)
		}
	}
	if err := s.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if back.Cells[1].AchievedRate != 450 || back.Cells[1].CeilingShare["connect"] != 0.9 || back.Verification[2].OK {
		t.Errorf("round trip: %+v", back.Cells[1])
	}
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte(`{"schema": 99}`), 0o644)
	if _, err := Load(dir); err == nil || !strings.Contains(err.Error(), "schema 99") {
		t.Errorf("a future schema must be refused: %v", err)
	}
}

func TestMarkdownInterruptedAndWaits(t *testing.T) {
	s := sample()
	s.Interrupted, s.InterruptedBy, s.Finished = true, "SIGINT", s.Started.Add(time.Minute)
	s.Isolation = "before each run the bench waited (at most 30s) ..."
	n := int64(3)
	s.Cells[0].Runs[0].Isolation = &Wait{WaitedS: 0.4, BoundS: 30}
	s.Cells[0].Runs[0].Drain = &Wait{WaitedS: 30, BoundS: 30, TimedOut: true, Busy: "app: 3 request(s) in flight", AppInFlight: &n}
	s.Cells[1].InFlight = 7
	md := Markdown(s, publication.Flask())
	for _, want := range []string{
		"> **INTERRUPTED** (SIGINT) at 04:01:00 UTC: the run was stopped before its end; the 2 cell(s) below are those it completed",
		"- Isolation: before each run the bench waited (at most 30s)",
		"- Accounting: every request the generator sent",
		"| ok (1 checks) | 0.4s / **BOUND HIT** after 30.0s: app: 3 request(s) in flight |",
		"| 0/0/0/0 | 0 | 7 | connect 90% |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(Markdown(sample(), publication.Flask()), "INTERRUPTED") {
		t.Error("a complete run has no INTERRUPTED banner")
	}
}

// A schema 1 summary (before in_flight_at_end) still loads, as the app's.
func TestLoadSchemaOne(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte(`{"schema": 1, "cells": [{"endpoint": "/index", "requests": 5}]}`), 0o644)
	s, err := Load(dir)
	if err != nil || s.Cells[0].Requests != 5 || s.Cells[0].InFlight != 0 || s.Cells[0].Target != TargetApp {
		t.Errorf("%+v %v", s, err)
	}
}

// A schema 2 summary (one target, the publication's figure under
// "original") loads as schema 3 has it: every cell, verification and
// warm-up the app's, the figure under Publication; and it renders.
func TestLoadSchemaTwo(t *testing.T) {
	dir := t.TempDir()
	old := `{"schema": 2, "target": "http://127.0.0.1:8000", "executor": "compose",
	  "verification": [{"endpoint": "/index", "ok": true}],
	  "warmups": [{"endpoint": "/index", "requests": 3}],
	  "cells": [
	    {"endpoint": "/index", "scenario": "saturation", "achieved_rate": 9000, "status": "closed-loop", "attempts": 10, "requests": 10,
	     "original": {"measured": true, "requests_per_sec": 2644.71, "latency_avg": "13.16s", "ratio": 3.4}},
	    {"endpoint": "/agents_with_pool", "scenario": "rate10", "achieved_rate": 10, "status": "ok", "original": {"measured": false}}]}`
	os.WriteFile(filepath.Join(dir, "summary.json"), []byte(old), 0o644)
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Cells[0]
	if c.Target != TargetApp || c.Publication == nil || !c.Publication.Measured || c.Publication.RequestsPerSec != 2644.71 || c.Publication.Ratio != 3.4 {
		t.Errorf("cell 0: target %q, publication %+v", c.Target, c.Publication)
	}
	if p := s.Cells[1].Publication; p == nil || p.Measured {
		t.Errorf("cell 1: publication %+v, want measured false", p)
	}
	if s.Verification[0].Target != TargetApp || s.Warmups[0].Target != TargetApp || len(s.Targets) != 1 || s.Targets[0].URL != "http://127.0.0.1:8000" {
		t.Errorf("targets: %+v, verification %+v, warm-ups %+v", s.Targets, s.Verification, s.Warmups)
	}
	md := Markdown(s, publication.Flask())
	if !strings.Contains(md, "| /index | saturation | 9,000.0 | 2,644.7 |") || !strings.Contains(md, SideBySideHeading) {
		t.Errorf("an old summary's report:\n%s", md)
	}
}

// The report says where the bench ran: natively, or in scripts/bench.sh's
// runner container (MACROBENCH_RUNNER=container, the image's).
func TestReportSaysWhereTheBenchRan(t *testing.T) {
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == "MACROBENCH_RUNNER" {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]string{"container": RunnerContainer, "": RunnerNative, "native": RunnerNative, "auto": RunnerNative} {
		if got := RunnerOf(env(v)); got != want {
			t.Errorf("MACROBENCH_RUNNER=%q: runner %q, want %q", v, got, want)
		}
	}
	s := sample()
	s.Runner = RunnerContainer
	if md := Markdown(s, publication.Flask()); !strings.Contains(md, "Executor: compose; runner: container;") {
		t.Errorf("summary.md does not name the runner:\n%s", md[:min(len(md), 400)])
	}
	if md := SweepMarkdown(s); !strings.Contains(md, "runner: container;") {
		t.Errorf("the sweep's summary.md does not name the runner:\n%s", md[:min(len(md), 400)])
	}
}
