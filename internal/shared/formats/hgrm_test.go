package formats

import (
	"bytes"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// What WriteHgrm writes, ExtractHgrm reads back: alone (a .hgrm file) and inside a
// wrk2-style -L report.
func TestWriteHgrmThenExtract(t *testing.T) {
	h := hdrhistogram.New(1, 3600e6, 3)
	for i := int64(1); i <= 1000; i++ {
		h.RecordValue(i * 100) // 0.1 ms .. 100 ms
	}
	var b bytes.Buffer
	WriteHgrm(&b, h)
	file := b.String()
	if !strings.HasPrefix(file, "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n") ||
		!strings.Contains(file, "#[Buckets =           22, SubBuckets     =         2048]") ||
		!strings.Contains(file, "Total count    =         1000]") {
		t.Fatalf("layout:\n%s", file)
	}
	got, pts, ok := ExtractHgrm(file)
	if !ok || got != file || len(pts) < 10 || pts[0].Percentile != 0 || pts[len(pts)-1].Percentile != 1 {
		t.Fatalf("ExtractHgrm(file): ok %v, %d points, same text %v", ok, len(pts), got == file)
	}
	if last := pts[len(pts)-1].ValueMS; last < 99.9 || last > 100.1 {
		t.Errorf("max %v ms, want 100", last)
	}
	report := "  Latency Distribution (HdrHistogram - Recorded Latency)\n 50.000%    50.01ms\n\n  Detailed Percentile spectrum:\n" +
		file + "----------------------------------------------------------\n  1000 requests in 1.00s, 1.00KB read\n"
	got, pts2, ok := ExtractHgrm(report)
	if !ok || got != file || len(pts2) != len(pts) {
		t.Errorf("ExtractHgrm(report): ok %v, %d points, text:\n%s", ok, len(pts2), got)
	}
	if _, _, ok := ExtractHgrm("Requests/sec: 1.00\n"); ok {
		t.Error("no distribution: want ok false")
	}
}

// An empty histogram still has its footer: zeros, no points.
func TestWriteHgrmEmpty(t *testing.T) {
	var b bytes.Buffer
	WriteHgrm(&b, hdrhistogram.New(1, 3600e6, 3))
	if !strings.Contains(b.String(), "Total count    =            0]") {
		t.Errorf("%s", b.String())
	}
	if _, pts, ok := ExtractHgrm(b.String()); ok || len(pts) != 0 {
		t.Errorf("points in an empty distribution: %v", pts)
	}
}
