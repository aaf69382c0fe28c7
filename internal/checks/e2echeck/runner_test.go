package e2echeck

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
)

func TestReportStructure(t *testing.T) {
	got, err := ReportStructure([]byte(`{"runner":"native","cells":[{"runs":[{"app_requests":{"200":9,"503":1}}]},{"status":"ok"}],"failures":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"cells", "cells[].runs", "cells[].runs[].app_requests", "cells[].runs[].app_requests.#", "cells[].status", "failures", "runner"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The native run and the container's: the same report passes; a field only
// one of them has, a wrong runner or a summary.md that does not name it
// fails, naming the difference.
func TestCheckSameReport(t *testing.T) {
	native := func(s *report.Summary) { s.Runner = report.RunnerNative }
	container := func(s *report.Summary) { s.Runner = report.RunnerContainer }
	withCommit := func(dir, commit string) string {
		if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(`{"git_commit":"`+commit+`"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	if err := CheckSameReport(withCommit(goodReport(t, native), "abc"), withCommit(goodReport(t, container), "abc")); err != nil {
		t.Fatalf("same report: %v", err)
	}
	// A run the machine saturated says what lay beneath; the other need not.
	saturated := func(s *report.Summary) {
		container(s)
		s.Cells[0].Runs[0].Class = &report.Classification{Class: report.ClassMachineSaturated, Beneath: report.ClassTargetLimited}
	}
	unsaturated := func(s *report.Summary) {
		native(s)
		s.Cells[0].Runs[0].Class = &report.Classification{Class: report.ClassTargetLimited}
	}
	if err := CheckSameReport(withCommit(goodReport(t, unsaturated), "abc"), withCommit(goodReport(t, saturated), "abc")); err != nil {
		t.Errorf("only the container's run machine-saturated: %v", err)
	}
	if err := CheckSameReport(withCommit(goodReport(t, native), "abc"), withCommit(goodReport(t, container), "")); err == nil || !strings.Contains(err.Error(), `git_commit: native "abc", container ""`) {
		t.Errorf("no commit in the container's run: got %v", err)
	}
	for _, tc := range []struct {
		name      string
		n, c      func(*report.Summary)
		wantInErr string
	}{
		{"a field only the container has", native, func(s *report.Summary) { container(s); s.GrafanaURL = "http://127.0.0.1:3000" },
			"only the container's report has grafana_url"},
		{"a cell field only the native run has", func(s *report.Summary) { native(s); s.Cells[0].Runs[0].Isolation.AppInFlight = new(int64(2)) }, container,
			"only the native report has cells[].runs[].isolation.app_in_flight"},
		{"the container's report says native", native, native, `runner "native", want "container"`},
		{"no runner recorded", func(s *report.Summary) {}, container, `summary.md does not say "runner: native"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckSameReport(goodReport(t, tc.n), goodReport(t, tc.c))
			if err == nil || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("got %v, want an error with %q", err, tc.wantInErr)
			}
		})
	}
}

func TestCheckOwnedBy(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/summary.json", []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := CheckOwnedBy(dir, os.Getuid(), os.Getgid()); err != nil {
		t.Errorf("own files: %v", err)
	}
	err := CheckOwnedBy(dir, os.Getuid()+1, os.Getgid())
	if err == nil || !strings.Contains(err.Error(), "2 of 2 paths") || !strings.Contains(err.Error(), "summary.json") {
		t.Errorf("another uid: got %v, want both paths named", err)
	}
}
