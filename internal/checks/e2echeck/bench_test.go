package e2echeck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// goodReport writes a results folder that passes, for the tests to break:
// every cell against both targets, the report rendered as the bench
// renders it.
func goodReport(t *testing.T, edit func(*report.Summary)) string {
	dir := t.TempDir()
	s := &report.Summary{Schema: report.SchemaVersion, Executor: "compose", Quick: true}
	vias := map[string]string{"saturation": "localhost", "rate4000": "network", "rate10": "network"}
	for _, tgt := range benchrun.AllTargets {
		s.Targets = append(s.Targets, report.TargetInfo{Name: tgt})
		for _, ep := range benchrun.DefaultEndpoints {
			s.Verification = append(s.Verification, report.Verification{Target: tgt, Endpoint: ep, OK: true})
		}
	}
	for _, ep := range benchrun.DefaultEndpoints {
		for _, sc := range benchrun.DefaultScenarios {
			for _, tgt := range benchrun.AllTargets {
				srv := &report.Server{DB: &report.DB{}}
				if tgt == report.TargetApp {
					srv.Prometheus, srv.AppRequests = &report.Prometheus{}, map[string]int64{"200": 10}
				}
				run := report.Run{Requests: 10, Server: srv, Generators: BenchGenerators,
					Checks:    []report.Check{{Name: "server saw every response", OK: true}},
					Isolation: &report.Wait{WaitedS: 0.2, BoundS: 30}, Drain: &report.Wait{WaitedS: 0.4, BoundS: 30},
					Health: &runresult.Health{Generators: 1}, Machine: &report.Machine{CPUs: 2},
					Class: &report.Classification{Class: report.ClassKeptUp}}
				rate := map[string]float64{"app": 100, "original": 50}[tgt]
				s.Cells = append(s.Cells, report.Cell{Target: tgt, Endpoint: ep, Scenario: sc, Via: vias[sc],
					Status: report.StatusOK, Requests: 10, Attempts: 10, AchievedRate: rate, Runs: []report.Run{run}, Class: report.ClassKeptUp})
			}
		}
	}
	for _, sc := range benchrun.DefaultScenarios {
		for _, f := range []string{"latency-" + sc + ".png", "throughput-" + sc + ".png"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("png"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range s.Cells {
		c := s.Cells[i]
		writeParts(t, dir, &s.Cells[i].Runs[0], c.Endpoint[1:]+"-"+c.Scenario+"-"+c.Target)
	}
	if edit != nil {
		edit(s)
	}
	if s.SideBySide == nil {
		s.SideBySide = report.SideBySideRows(s.Cells, publication.Flask())
	}
	if err := s.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteMarkdown(s, publication.Flask(), dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeParts writes a run's merged result (10 responses) and its parts'
// files (4 and 6), as the bench writes them.
func writeParts(t *testing.T, dir string, r *report.Run, stem string) {
	t.Helper()
	start := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	write := func(name string, g runresult.Generator) {
		g.Start, g.End = start, start.Add(3*time.Second)
		b, err := json.Marshal(g)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r.JSONFile = stem + ".json"
	write(r.JSONFile, runresult.Generator{Requests: 10, Bytes: 100, InFlightAtEnd: 1, Errors: runresult.Errors{Timeout: 1}, Parts: 2})
	r.PartFiles = nil
	for i, n := range []int64{4, 6} {
		f := benchrun.PartStem(stem, i+1, 2)
		r.PartFiles = append(r.PartFiles, f+".json")
		write(f+".json", runresult.Generator{Requests: n, Bytes: 10 * n, InFlightAtEnd: int64(i), Errors: runresult.Errors{Timeout: int64(i)}, Part: i + 1, Parts: 2})
		for _, ext := range []string{".txt", ".hgrm"} {
			if err := os.WriteFile(filepath.Join(dir, f+ext), []byte("x"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestCheckBenchReport(t *testing.T) {
	lines, err := CheckBenchReport(goodReport(t, nil))
	if err != nil || len(lines) != 18 {
		t.Fatalf("good report: %d lines, %v", len(lines), err)
	}
	for name, tc := range map[string]struct {
		edit func(*report.Summary)
		want string
	}{
		"local executor": {func(s *report.Summary) { s.Executor = "local" }, "executor"},
		"cell missing":   {func(s *report.Summary) { s.Cells = s.Cells[1:] }, "missing"},
		"no via localhost": {func(s *report.Summary) {
			for i := range s.Cells {
				s.Cells[i].Via = "network"
			}
		}, "no app cell ran via localhost"},
		"not run":           {func(s *report.Summary) { s.Cells[2].Status = report.StatusNotRun }, "not run"},
		"reconciliation":    {func(s *report.Summary) { s.Cells[3].Runs[0].Checks[0].OK = false }, "reconciliation"},
		"no health":         {func(s *report.Summary) { s.Cells[5].Runs[0].Health = nil }, "no generator health"},
		"no machine sample": {func(s *report.Summary) { s.Cells[5].Runs[0].Machine = nil }, "CPU was not sampled"},
		"unknown class":     {func(s *report.Summary) { s.Cells[5].Runs[0].Class.Class = report.ClassUnknown }, "no class"},
		"no database":       {func(s *report.Summary) { s.Cells[4].Runs[0].Server.DB = nil }, "PostgreSQL evidence missing"},
		"no prometheus":     {func(s *report.Summary) { s.Cells[6].Runs[0].Server.Prometheus = nil }, "Prometheus's evidence missing"},
		"verification":      {func(s *report.Summary) { s.Verification[1].OK = false }, "verification"},
		"no isolation wait": {func(s *report.Summary) { s.Cells[6].Runs[0].Isolation = nil }, "no isolation wait recorded"},
		"drain bound hit": {func(s *report.Summary) {
			s.Cells[7].Runs[0].Drain = &report.Wait{WaitedS: 30, BoundS: 30, TimedOut: true, Busy: "app: 3 request(s) in flight"}
		}, "drain hit its bound (30s): app: 3 request(s) in flight"},
		"runner's failures": {func(s *report.Summary) { s.Failures = []string{"boom"} }, "boom"},
		"one generator": {func(s *report.Summary) { s.Cells[8].Runs[0].Generators, s.Cells[8].Runs[0].PartFiles = 0, nil },
			"cell /agents rate4000 (app) run 0: 0 generators (0 part files), want 2"},
		"a part's file missing": {func(s *report.Summary) { s.Cells[9].Runs[0].PartFiles[1] = "gone.json" }, "part 2: stat"},
		"parts out of order": {func(s *report.Summary) {
			p := s.Cells[10].Runs[0].PartFiles
			p[0], p[1] = p[1], p[0]
		}, "is part 2/2 from"},
		"merged is not the sum": {func(s *report.Summary) { s.Cells[11].Runs[0].Requests = 11 }, "(report: 11 responses); the parts' sum 10"},
		// The original: its cells, its verification, its light load, the headline.
		"original's cells missing": {func(s *report.Summary) {
			var keep []report.Cell
			for _, c := range s.Cells {
				if c.Target != report.TargetOriginal {
					keep = append(keep, c)
				}
			}
			s.Cells = keep
		}, "cell /index saturation (original) missing"},
		"original not verified": {func(s *report.Summary) { s.Verification = s.Verification[:3] }, "original /index: not verified"},
		"original's database evidence": {func(s *report.Summary) { s.Cells[1].Runs[0].Server.DB = nil },
			"cell /index saturation (original) run 0: PostgreSQL evidence missing"},
		"original fails at 10 req/s": {func(s *report.Summary) {
			s.Cells[5].Errors.Read, s.Cells[5].ErrorRatio = 3, 0.3
		}, "cell /index rate10 (original): ok with error ratio 30.00% at 10 req/s"},
		"no side by side": {func(s *report.Summary) { s.SideBySide = []report.SideBySide{} }, "side by side /index saturation: missing"},
		"no ratio": {func(s *report.Summary) {
			s.SideBySide = report.SideBySideRows(s.Cells, publication.Flask())
			s.SideBySide[0].RateRatio = 0
		}, "side by side /index saturation: no ratio"},
	} {
		if _, err := CheckBenchReport(goodReport(t, tc.edit)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, tc.want)
		}
	}
	// A report whose headline lost its ratios.
	dir := goodReport(t, nil)
	md, _ := os.ReadFile(filepath.Join(dir, "summary.md"))
	os.WriteFile(filepath.Join(dir, "summary.md"), []byte(strings.ReplaceAll(strings.ReplaceAll(string(md), "| app ÷ original |", "| |"), "×", "")), 0o644)
	if _, err := CheckBenchReport(dir); err == nil || !strings.Contains(err.Error(), "no app ÷ original") ||
		!strings.Contains(err.Error(), "side-by-side row /index saturation") {
		t.Errorf("headline without ratios: err = %v", err)
	}
	dir = goodReport(t, nil)
	os.Remove(filepath.Join(dir, "latency-rate10.png"))
	if _, err := CheckBenchReport(dir); err == nil || !strings.Contains(err.Error(), "latency-rate10.png") {
		t.Errorf("missing chart: err = %v", err)
	}
}
