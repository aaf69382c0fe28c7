package e2echeck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/bench"
	"github.com/macrobench/macrobench/internal/benchreport"
)

// goodReport writes a results folder that passes, for the tests to break.
func goodReport(t *testing.T, edit func(*benchreport.Summary)) string {
	dir := t.TempDir()
	s := &benchreport.Summary{Schema: benchreport.SchemaVersion, Executor: "compose", Quick: true}
	vias := map[string]string{"saturation": "localhost", "rate4000": "network", "rate10": "network"}
	for _, ep := range bench.DefaultEndpoints {
		s.Verification = append(s.Verification, benchreport.Verification{Endpoint: ep, OK: true})
		for _, sc := range bench.DefaultScenarios {
			run := benchreport.Run{Requests: 10, Server: &benchreport.Server{DB: &benchreport.DB{}, Prometheus: &benchreport.Prometheus{}},
				Checks:    []benchreport.Check{{Name: "server saw every response", OK: true}},
				Isolation: &benchreport.Wait{WaitedS: 0.2, BoundS: 30}, Drain: &benchreport.Wait{WaitedS: 0.4, BoundS: 30}}
			s.Cells = append(s.Cells, benchreport.Cell{Endpoint: ep, Scenario: sc, Via: vias[sc],
				Status: benchreport.StatusOK, Requests: 10, Runs: []benchreport.Run{run}})
		}
		if err := os.WriteFile(filepath.Join(dir, "summary.md"), []byte("# x\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, sc := range bench.DefaultScenarios {
		for _, f := range []string{"latency-" + sc + ".png", "throughput-" + sc + ".png"} {
			if err := os.WriteFile(filepath.Join(dir, f), []byte("png"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if edit != nil {
		edit(s)
	}
	if err := s.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCheckBenchReport(t *testing.T) {
	lines, err := CheckBenchReport(goodReport(t, nil))
	if err != nil || len(lines) != 9 {
		t.Fatalf("good report: %d lines, %v", len(lines), err)
	}
	for name, tc := range map[string]struct {
		edit func(*benchreport.Summary)
		want string
	}{
		"local executor": {func(s *benchreport.Summary) { s.Executor = "local" }, "executor"},
		"cell missing":   {func(s *benchreport.Summary) { s.Cells = s.Cells[1:] }, "missing"},
		"no via localhost": {func(s *benchreport.Summary) {
			for i := range s.Cells {
				s.Cells[i].Via = "network"
			}
		}, "via localhost"},
		"not run":           {func(s *benchreport.Summary) { s.Cells[2].Status = benchreport.StatusNotRun }, "not run"},
		"reconciliation":    {func(s *benchreport.Summary) { s.Cells[3].Runs[0].Checks[0].OK = false }, "reconciliation"},
		"no database":       {func(s *benchreport.Summary) { s.Cells[4].Runs[0].Server.DB = nil }, "evidence missing"},
		"no prometheus":     {func(s *benchreport.Summary) { s.Cells[5].Runs[0].Server.Prometheus = nil }, "evidence missing"},
		"verification":      {func(s *benchreport.Summary) { s.Verification[1].OK = false }, "verification"},
		"no isolation wait": {func(s *benchreport.Summary) { s.Cells[6].Runs[0].Isolation = nil }, "no isolation wait recorded"},
		"drain bound hit": {func(s *benchreport.Summary) {
			s.Cells[7].Runs[0].Drain = &benchreport.Wait{WaitedS: 30, BoundS: 30, TimedOut: true, Busy: "app: 3 request(s) in flight"}
		}, "drain hit its bound (30s): app: 3 request(s) in flight"},
		"runner's failures": {func(s *benchreport.Summary) { s.Failures = []string{"boom"} }, "boom"},
	} {
		if _, err := CheckBenchReport(goodReport(t, tc.edit)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want one containing %q", name, err, tc.want)
		}
	}
	dir := goodReport(t, nil)
	os.Remove(filepath.Join(dir, "latency-rate10.png"))
	if _, err := CheckBenchReport(dir); err == nil || !strings.Contains(err.Error(), "latency-rate10.png") {
		t.Errorf("missing chart: err = %v", err)
	}
}
