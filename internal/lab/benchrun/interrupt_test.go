package benchrun

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// trigger is the bench's stdout: once a line containing match is written,
// it calls fire (once).
type trigger struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	match string
	fire  func()
	fired bool
}

func (w *trigger) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if !w.fired && strings.Contains(w.buf.String(), w.match) {
		w.fired = true
		go w.fire()
	}
	return len(p), nil
}

func (w *trigger) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// SIGINT in the middle of the second cell: the generator is stopped (no
// process of it is left), the first cell is written as measured, the
// folder is marked interrupted, and the exit status is 130.
func TestInterruptKeepsWhatWasMeasured(t *testing.T) {
	t.Parallel()
	binaries(t)
	srv, _ := serve(t, map[string]http.Handler{"/index": jsonHandler([]byte(`{"hello":"world"}`))})
	out := filepath.Join(t.TempDir(), "results")
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	// The signal comes a second into the second cell's 3 s run (had the
	// generator not started yet on a slow machine, SIGINT stops it all the
	// same).
	stdout := &trigger{match: "index-rate10 run 1/1: loadtest", fire: func() {
		time.Sleep(time.Second)
		cancel(signalCause{os.Interrupt})
	}}
	var stderr bytes.Buffer
	code := run(ctx, benchArgs(srv.URL, out, "--endpoints", "/index", "--scenarios", "saturation,rate10",
		"--connections", "2", "--threads", "1", "--duration", "3s"), stdout, &stderr)
	t.Log(stdout.String())
	if code != 130 || !strings.Contains(stderr.String(), "INTERRUPTED (SIGINT): 1 cell(s) completed") {
		t.Errorf("exit %d, want 130; stderr %s", code, stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Interrupted || s.InterruptedBy != "SIGINT" || len(s.Cells) != 1 || s.Cells[0].Scenario != "saturation" ||
		s.Cells[0].Status != report.StatusClosedLoop || s.Cells[0].Requests == 0 {
		t.Errorf("summary: interrupted %v by %q, cells %+v", s.Interrupted, s.InterruptedBy, s.Cells)
	}
	if !strings.Contains(strings.Join(s.Failures, "\n"), "interrupted (SIGINT) after 1 of 2 cells") ||
		!strings.Contains(strings.Join(s.Notes, "\n"), "/index rate10 was interrupted: not reported") {
		t.Errorf("failures %q, notes %q", s.Failures, s.Notes)
	}
	if b, err := os.ReadFile(filepath.Join(out, InterruptedMarker)); err != nil || !strings.Contains(string(b), "interrupted (SIGINT)") {
		t.Errorf("%s: %q, %v", InterruptedMarker, b, err)
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !bytes.Contains(md, []byte("> **INTERRUPTED** (SIGINT)")) || !bytes.Contains(md, []byte("| /index | app | closed-loop |")) {
		t.Errorf("summary.md lacks the banner or the completed cell:\n%s", md)
	}
	// No generator is left: no process names this run's folder.
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		if b, err := os.ReadFile(p); err == nil && bytes.Contains(b, []byte(out)) {
			t.Errorf("a process is left: %s: %q", p, bytes.ReplaceAll(b, []byte{0}, []byte{' '}))
		}
	}
	// No temporary file of the atomic writes is left either.
	if tmp, _ := filepath.Glob(filepath.Join(out, ".*.tmp-*")); len(tmp) > 0 {
		t.Errorf("temporary files left: %v", tmp)
	}
}
