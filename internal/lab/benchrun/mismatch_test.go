package benchrun

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// A server whose own counters disagree with what it served (here it counts
// every response twice, as when something else loads it during a run) does
// not reconcile: the run fails (exit 1) naming the cell and the check, the
// cell is marked untrusted in summary.json and NOT TRUSTED in summary.md.
func TestReconciliationMismatchFailsTheRun(t *testing.T) {
	t.Parallel()
	binaries(t)
	srv := indexApp(t, 0, func(served int64) int64 { return 2 * served })
	out := filepath.Join(t.TempDir(), "results")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), benchArgs(srv.URL, out, "--endpoints", "/index", "--scenarios", "rate10", "--duration", "1s"), &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "FAILED: /index rate10: reconciliation mismatch: server answered no more than was sent") {
		t.Errorf("exit %d, want 1 naming the mismatch; stderr:\n%s", code, stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cells) != 1 || s.Cells[0].Untrusted == "" || s.Cells[0].Reconciled == nil || *s.Cells[0].Reconciled {
		t.Fatalf("cells: %+v", s.Cells)
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !bytes.Contains(md, []byte("Result: **FAILED**")) || !bytes.Contains(md, []byte("NOT TRUSTED")) {
		t.Errorf("summary.md does not fail the run or mark the cell:\n%s", md)
	}
}
