package appperf

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

func TestReport(t *testing.T) {
	var b bytes.Buffer
	ok := Report(&b, []Case{
		{Name: "a", App: 96, Ref: "r", RefValue: 100, Target: 0.95},
		{Name: "b", App: 50, Ref: "r", RefValue: 100},
	})
	if !ok || !strings.Contains(b.String(), "0.960") || !strings.Contains(b.String(), "PASS") || !strings.Contains(b.String(), "info") {
		t.Errorf("ok=%v\n%s", ok, b.String())
	}
	if Report(&b, []Case{{Name: "c", App: 100, AppErrors: 1, RefValue: 100, Target: 0.9}}) {
		t.Error("errors must fail a case")
	}
}

func TestMean(t *testing.T) {
	m := Mean([]WrkResult{
		{WrkSummary: formats.WrkSummary{RequestsPerSec: 100, Requests: 1000, Errors: runresult.Errors{Status: 1}}},
		{WrkSummary: formats.WrkSummary{RequestsPerSec: 200, Requests: 2000, Errors: runresult.Errors{Read: 1, Timeout: 1}}}})
	if m.RequestsPerSec != 150 || m.Requests != 3000 || m.Failed() != 3 {
		t.Errorf("%+v", m)
	}
}

func TestProcessTreeCPU(t *testing.T) {
	start := ProcessTreeCPU(os.Getpid())
	deadline := time.Now().Add(3 * time.Second)
	for ProcessTreeCPU(os.Getpid()) <= start && time.Now().Before(deadline) {
		for i := 0; i < 1e6; i++ {
			_ = strings.Repeat("x", i%7)
		}
	}
	if ProcessTreeCPU(os.Getpid()) <= start {
		t.Error("spinning did not show in /proc CPU time")
	}
}

// The /agents shedding run at 400 connections is information: thousands
// of 503s there fail nothing; the comparison at pgbench's concurrency does.
func TestSheddingIsInformational(t *testing.T) {
	var b bytes.Buffer
	ok := Report(&b, []Case{
		{Name: "/agents -c8", App: 95, Ref: "pgbench -C -c8 -j2", RefValue: 100, Target: 0.9},
		{Name: "/agents -c400 shedding", App: 60, AppErrors: 9660, Ref: "(informational: 503s/timeouts)"},
	})
	if !ok || strings.Count(b.String(), "PASS") != 1 || !strings.Contains(b.String(), "9660") || !strings.Contains(b.String(), "info") {
		t.Errorf("ok=%v\n%s", ok, b.String())
	}
	if Report(&b, []Case{{Name: "/agents -c8", App: 95, AppErrors: 3, RefValue: 100, Target: 0.9}}) {
		t.Error("errors at pgbench's concurrency must fail the case")
	}
}
