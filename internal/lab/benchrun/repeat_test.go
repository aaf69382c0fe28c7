package benchrun

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/compare"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// --repeat N: every run's files, the median and the spread; then two such
// folders through compare.
func TestRepeatAndCompare(t *testing.T) {
	t.Parallel()
	binaries(t)
	srv, _ := serve(t, map[string]http.Handler{"/index": jsonHandler([]byte(`{"hello":"world"}`))})
	var dirs []string
	for i := 0; i < 2; i++ {
		out := t.TempDir()
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), benchArgs(srv.URL, out, "--endpoints", "/index", "--scenarios", "saturation",
			"--connections", "2", "--threads", "1", "--duration", "1s", "--repeat", "3"), &stdout, &stderr)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		dirs = append(dirs, out)
		s, err := report.Load(out)
		if err != nil {
			t.Fatal(err)
		}
		c := s.Cells[0]
		if len(c.Runs) != 3 {
			t.Fatalf("%d runs, want 3", len(c.Runs))
		}
		var rates []float64
		for _, r := range c.Runs {
			rates = append(rates, r.AchievedRate)
			if !strings.HasSuffix(r.JSONFile, "-r"+string(rune('0'+r.Index))+".json") {
				t.Errorf("run %d file %s", r.Index, r.JSONFile)
			}
			if _, err := os.Stat(filepath.Join(out, r.TextFile)); err != nil {
				t.Error(err)
			}
		}
		if c.AchievedRate != median(rates) || c.RateSpread.Min != minOf(rates) || c.RateSpread.Max != maxOf(rates) {
			t.Errorf("median %v spread %+v of %v", c.AchievedRate, c.RateSpread, rates)
		}
		md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
		if !bytes.Contains(md, []byte("Every cell ran 3 times")) || !bytes.Contains(md, []byte(" [")) {
			t.Errorf("summary.md does not show medians and spreads")
		}
	}
	var stdout, stderr bytes.Buffer
	// Same settings, two runs of the same code: report only (noise on a
	// shared machine may pass any threshold).
	if code := compare.Main(append([]string{"--max-regression", "off"}, dirs...), &stdout, &stderr); code != 0 {
		t.Fatalf("compare: exit %d: %s", code, stderr.String())
	}
	// Judged: three repeats a side are too few for the U test (exit 3).
	var judged bytes.Buffer
	if code := compare.Main(dirs, &judged, &stderr); code != 3 || !strings.Contains(judged.String(), "NOT JUDGED: no cell could be judged: 1 cell(s) fewer than 4 repeats per side") {
		t.Errorf("compare, judged: exit %d\n%s", code, judged.String())
	}
	if !strings.Contains(stdout.String(), "/index saturation") || !strings.Contains(stdout.String(), "not judged (n=3: needs ≥4 repeats per side)") ||
		strings.Contains(stdout.String(), "SETTINGS DIFFER") || !strings.Contains(stdout.String(), "commit ") {
		t.Errorf("compare output:\n%s", stdout.String())
	}
}
