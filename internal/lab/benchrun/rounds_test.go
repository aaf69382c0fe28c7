package benchrun

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// seenOrder is what two real HTTP servers saw, in the order it came: one
// "server endpoint" entry per run of requests to the same place.
type seenOrder struct {
	mu  sync.Mutex
	seq []string
}

func (o *seenOrder) serve(t *testing.T, name string, routes map[string][]byte) *httptest.Server {
	mux := http.NewServeMux()
	for path, body := range routes {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			o.mu.Lock()
			if at := name + " " + path; len(o.seq) == 0 || o.seq[len(o.seq)-1] != at {
				o.seq = append(o.seq, at)
			}
			o.mu.Unlock()
			jsonHandler(body)(w, r)
		})
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// --repeat 2 runs the matrix in rounds, as the servers see it: every cell
// once (its targets back to back), then every cell again; not a cell's
// repeats back to back. Each endpoint of each target is warmed up in every
// round, and the runs' files keep their -rK names.
func TestRepeatRunsTheMatrixInRounds(t *testing.T) {
	t.Parallel()
	binaries(t)
	order := &seenOrder{}
	app := order.serve(t, "app", map[string][]byte{"/index": []byte(`{"hello":"world"}`), "/agents": agentscontract.Body()})
	orig := order.serve(t, "original", map[string][]byte{"/index": []byte(`{"hello": "world"}`), "/agents": pythonAgents(nil)})
	out := t.TempDir()
	_, lt := binariesNoT()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--target", app.URL, "--target-original", orig.URL, "--loadtest-bin", lt,
		"--database-url", "off", "--prometheus", "off", "--grafana", "off", "--out", out,
		"--endpoints", "/index,/agents", "--scenarios", "rate10", "--connections", "2", "--threads", "1",
		"--duration", "1s", "--warmup", "1s", "--repeat", "2"}, &stdout, &stderr)
	t.Log(stdout.String())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}

	verify := []string{"app /index", "app /agents", "original /index", "original /agents"} // before any load
	round := []string{"app /index", "original /index", "app /agents", "original /agents"}  // warm-up and run, per cell
	want := append(append(append([]string(nil), verify...), round...), round...)
	order.mu.Lock()
	got := append([]string(nil), order.seq...)
	order.mu.Unlock()
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("the servers saw\n  %s\nwant (verification, then two rounds)\n  %s", strings.Join(got, ", "), strings.Join(want, ", "))
	}

	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	var warmups []string
	for _, w := range s.Warmups {
		warmups = append(warmups, w.Target+" "+w.Endpoint+" round "+string(rune('0'+w.Round)))
		if _, err := os.Stat(filepath.Join(out, w.TextFile)); err != nil {
			t.Errorf("warm-up file: %v", err)
		}
	}
	wantW := "app /index round 1, original /index round 1, app /agents round 1, original /agents round 1, " +
		"app /index round 2, original /index round 2, app /agents round 2, original /agents round 2"
	if strings.Join(warmups, ", ") != wantW {
		t.Errorf("warm-ups %s, want %s", strings.Join(warmups, ", "), wantW)
	}
	// Each run started after the whole round before it had ended.
	for _, c := range s.Cells {
		if len(c.Runs) != 2 {
			t.Fatalf("%s %s %s: %d runs", c.Target, c.Endpoint, c.Scenario, len(c.Runs))
		}
		for _, other := range s.Cells {
			if !c.Runs[1].Start.After(other.Runs[0].End) {
				t.Errorf("%s %s run 2 started before %s %s run 1 ended", c.Target, c.Endpoint, other.Target, other.Endpoint)
			}
		}
		for i, r := range c.Runs {
			if want := "-r" + string(rune('1'+i)) + ".json"; r.Index != i+1 || !strings.HasSuffix(r.JSONFile, want) {
				t.Errorf("%s %s run %d: index %d, file %s", c.Target, c.Endpoint, i+1, r.Index, r.JSONFile)
			}
		}
		if c.Intervals == nil || c.Intervals.AchievedRate.N != 2 || c.Intervals.AchievedRate.Finite() {
			t.Errorf("%s %s: intervals %+v, want n=2 and no finite interval", c.Target, c.Endpoint, c.Intervals)
		}
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, want := range []string{"in rounds", "### Over the repeats: median [95% confidence interval] n", "(n=2, no interval: needs ≥6)"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
}
