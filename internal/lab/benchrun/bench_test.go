package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// The whole runner against the real app, a private PostgreSQL (so the
// pg_stat_statements and pg_stat_database deltas are this test's alone) and
// a real Prometheus scraping the app.
func TestMatrixAgainstRealAppAndPostgres(t *testing.T) {
	promBin := testenv.Env(t, "MACROBENCH_PROMETHEUS_BIN")
	appBin, ltBin := binaries(t)
	pg := testenv.StartPostgres(t)
	base := startApp(t, appBin, pg.URL())
	promURL := startPrometheus(t, promBin, base)

	out := filepath.Join(t.TempDir(), "results")
	cfg, err := ParseFlags([]string{"--target", base, "--duration", "1s", "--warmup", "1s", "--connections", "4",
		"--rate", "100", "--ceiling-duration", "1s", "--out", out}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := evidence.OpenDB(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// No Grafana here: annotations are best effort, and the report says so.
	r := &Runner{Cfg: cfg, Ex: &LocalExecutor{Bin: ltBin, BaseURL: base, DatabaseURL: pg.URL()}, Log: testLog{t}, DB: db,
		GrafanaURL: "http://127.0.0.1:1",
		CmdLine:    []string{"bench", "(test)"}}
	if promURL != "" {
		if r.Prom, err = evidence.NewProm(promURL); err != nil {
			t.Fatal(err)
		}
	}
	s, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Failures) > 0 {
		t.Fatalf("run failed: %v", s.Failures)
	}

	// The matrix: 3 endpoints × 3 scenarios, endpoint-major, overrides applied.
	if len(s.Cells) != 9 {
		t.Fatalf("%d cells, want 9", len(s.Cells))
	}
	for i, c := range s.Cells {
		wantEp, wantSc := DefaultEndpoints[i/3], DefaultScenarios[i%3]
		if c.Endpoint != wantEp || c.Scenario != wantSc || c.Connections != 4 || c.DurationS != 1 {
			t.Errorf("cell %d: %s %s c%d %gs, want %s %s c4 1s", i, c.Endpoint, c.Scenario, c.Connections, c.DurationS, wantEp, wantSc)
		}
		wantRate := map[string]float64{"saturation": 0, "rate4000": 100, "rate10": 10}[wantSc]
		if c.TargetRate != wantRate {
			t.Errorf("%s %s: target rate %g, want %g", c.Endpoint, c.Scenario, c.TargetRate, wantRate)
		}
	}
	if len(s.Warmups) != 3 {
		t.Errorf("%d warm-ups, want one per endpoint", len(s.Warmups))
	}
	for _, w := range s.Warmups {
		if w.Requests == 0 || runresult.Failed(w.Requests, w.InFlight, w.Errors) != 0 {
			t.Errorf("warm-up of %s: %d requests, errors %+v", w.Endpoint, w.Requests, w.Errors)
		}
		if st, err := os.Stat(filepath.Join(out, w.TextFile)); err != nil || st.Size() == 0 {
			t.Errorf("warm-up output %s missing (%v)", w.TextFile, err)
		}
	}
	for _, v := range s.Verification {
		if !v.OK {
			t.Errorf("verification of the real app failed: %s: %v", v.Endpoint, v.Problems)
		}
	}
	for _, c := range s.Ceilings {
		if c.Error != "" || c.TPS <= 0 {
			t.Errorf("ceiling %s: tps %g, error %q", c.Name, c.TPS, c.Error)
		}
	}

	md, err := os.ReadFile(filepath.Join(out, "summary.md"))
	if err != nil {
		t.Fatal(err)
	}
	onDisk, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(onDisk.Cells) != len(s.Cells) {
		t.Fatalf("summary.json has %d cells, want %d", len(onDisk.Cells), len(s.Cells))
	}

	for i, c := range onDisk.Cells {
		name := c.Endpoint + " " + c.Scenario
		if len(c.Runs) != 1 {
			t.Fatalf("%s: %d runs", name, len(c.Runs))
		}
		run := c.Runs[0]
		// The report's numbers are the generator's JSON's, read independently.
		raw := readJSONMap(t, filepath.Join(out, run.JSONFile))
		lat := raw["latency_ms"].(map[string]any)
		errs := raw["errors"].(map[string]any)
		for _, cmp := range []struct {
			what      string
			got, want float64
		}{
			{"requests", float64(c.Requests), raw["requests"].(float64)},
			{"achieved_rate", c.AchievedRate, raw["achieved_rate"].(float64)},
			{"p50", c.Latency.P50, lat["p50"].(float64)},
			{"p90", c.Latency.P90, lat["p90"].(float64)},
			{"p99", c.Latency.P99, lat["p99"].(float64)},
			{"p99.9", c.Latency.P99_9, lat["p99_9"].(float64)},
			{"max", c.Latency.Max, lat["max"].(float64)},
			{"timeout errors", float64(c.Errors.Timeout), errs["timeout"].(float64)},
			{"status errors", float64(c.Errors.Status), errs["status"].(float64)},
		} {
			if cmp.got != cmp.want {
				t.Errorf("%s: report %s = %v, generator JSON %v", name, cmp.what, cmp.got, cmp.want)
			}
		}
		// The generator's in_flight_at_end, or (a generator from before it)
		// its timeouts, which were then the requests sent and not answered.
		wantInFlight := errs["timeout"].(float64)
		if v, ok := raw["in_flight_at_end"]; ok {
			wantInFlight = v.(float64)
		}
		// The attempts, summed here from the generator's own file: its
		// responses, its connect, read and write errors and what it had in
		// flight at the end. The app's own count of the same window lies
		// between the responses and the attempts, and a rate cell sends no
		// more than its schedule: rate × duration, one more per thread at
		// most (each thread's schedule rounds up).
		wantAttempts := int64(raw["requests"].(float64) + errs["connect"].(float64) + errs["read"].(float64) + errs["write"].(float64) + wantInFlight)
		if float64(run.InFlight) != wantInFlight || c.InFlight != run.InFlight || c.Attempts != wantAttempts {
			t.Errorf("%s: in flight %d (generator %v), attempts %d, want %d from the generator's file (errors %+v)", name, run.InFlight, wantInFlight, c.Attempts, wantAttempts, c.Errors)
		}
		if run.Server != nil && run.Server.AppRequests != nil {
			var app int64
			for _, n := range run.Server.AppRequests {
				app += n
			}
			if app < c.Requests || app > c.Attempts {
				t.Errorf("%s: the app counted %d in the window: not between the %d responses and the %d attempts", name, app, c.Requests, c.Attempts)
			}
		}
		if scheduled := int64(c.TargetRate*c.DurationS) + int64(c.Threads); c.TargetRate > 0 && c.Attempts > scheduled {
			t.Errorf("%s: %d attempts at %g req/s for %gs over %d threads: more than the %d scheduled", name, c.Attempts, c.TargetRate, c.DurationS, c.Threads, scheduled)
		}
		// On a slow or loaded machine a DB endpoint may not reach a rate
		// cell's 100 req/s: saturated then, and its timeouts are load
		// shedding. Nothing else may fail anywhere.
		atCapacity := c.Status == report.StatusSaturated || c.Status == report.StatusClosedLoop
		if c.Requests == 0 || c.CountedErrorRatio != 0 || (!atCapacity && c.ErrorRatio != 0) {
			t.Errorf("%s: %s, %d requests, error ratio %v (counted %v), errors %+v", name, c.Status, c.Requests, c.ErrorRatio, c.CountedErrorRatio, c.Errors)
		}
		// Every run started on an idle server and was drained, well within
		// the bound.
		for what, w := range map[string]*report.Wait{"isolation": run.Isolation, "drain": run.Drain} {
			if w == nil || w.Skipped || w.TimedOut || w.AppInFlight == nil || *w.AppInFlight != 0 ||
				w.DBActive == nil || *w.DBActive != 0 || w.BoundS != 30 {
				t.Errorf("%s: %s wait %+v", name, what, w)
			}
		}
		row := fmt.Sprintf("| %s | app | %s | ", c.Endpoint, c.Status)
		if !bytes.Contains(md, []byte(row)) {
			t.Errorf("summary.md lacks the row %q", row)
		}
		for _, f := range []string{run.TextFile, run.JSONFile, run.HgrmFile} {
			if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: file %q missing or empty (%v)", name, f, err)
			}
		}
		if len(run.Spectrum) < 5 {
			t.Errorf("%s: percentile spectrum has %d points", name, len(run.Spectrum))
		}
		switch {
		case c.TargetRate == 0 && c.Status != report.StatusClosedLoop:
			t.Errorf("%s: status %s, want %s (%s)", name, c.Status, report.StatusClosedLoop, c.Note)
		case c.TargetRate > 0 && c.Status != report.StatusOK && c.Status != report.StatusSaturated:
			t.Errorf("%s: status %s, want ok, or saturated on a slow machine (%s)", name, c.Status, c.Note)
		case c.Status == report.StatusSaturated && (c.Endpoint == "/index" || !strings.Contains(c.Note, "the hardware reached")):
			t.Errorf("%s: saturated (%s): /index at 100 req/s is not", name, c.Note)
		}
		// The publication's figure for the same cell, or the statement that it has none.
		if c.Endpoint == "/agents_with_pool" && c.Scenario != "saturation" {
			if c.Publication == nil || c.Publication.Measured {
				t.Errorf("%s: the publication did not measure this cell: %+v", name, c.Publication)
			}
		} else if pub := published[c.Endpoint+" "+c.Scenario]; c.Publication == nil || !c.Publication.Measured || c.Publication.RequestsPerSec != pub ||
			math.Abs(c.Publication.Ratio*pub-c.AchievedRate) > 1e-9*c.AchievedRate {
			// The ratio is this run's rate over the publication's (the
			// figure below, from its results file), not the other way round.
			t.Errorf("%s: publication %+v, want %g req/s published, ratio × it = %g req/s achieved", name, c.Publication, pub, c.AchievedRate)
		}
		checkServerSide(t, name, c, run, promURL != "")
		_ = i
	}
	if !bytes.Contains(md, []byte("| not measured |")) || !bytes.Contains(md, []byte("| 2,644.7 |")) ||
		!bytes.Contains(md, []byte("| 13,160 |")) || !bytes.Contains(md, []byte("failed: 99.4% errors")) {
		t.Error("summary.md lacks the publication's figures or the unmeasured statement")
	}
	for _, f := range []string{"metadata.json", "latency-saturation.png", "latency-rate10.png", "throughput-rate4000.png"} {
		b, err := os.ReadFile(filepath.Join(out, f))
		if err != nil || len(b) < 100 {
			t.Errorf("%s missing or tiny: %v", f, err)
		} else if strings.HasSuffix(f, ".png") && !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("%s is not a PNG", f)
		}
	}
	meta := readJSONMap(t, filepath.Join(out, "metadata.json"))
	for _, k := range []string{"git_commit", "host_cpus", "generator_cpus", "app_pool_size", "postgres_max_connections", "command_line"} {
		if meta[k] == nil {
			t.Errorf("metadata.json lacks %s", k)
		}
	}
	if meta["app_pool_size"] != float64(16) || meta["postgres_max_connections"] != "200" {
		t.Errorf("metadata: pool %v, max_connections %v", meta["app_pool_size"], meta["postgres_max_connections"])
	}
	if !bytes.Contains(md, []byte("Grafana annotations (best effort) not posted: grafana annotation:")) {
		t.Error("summary.md does not state that the annotations were not posted")
	}
}

// published is the original benchmark's req/s per cell, as its results
// file (flask-gunicorn-results.rst) has them.
var published = map[string]float64{
	"/index saturation": 2644.71, "/index rate4000": 2714.49, "/index rate10": 10.33,
	"/agents saturation": 634.05, "/agents rate4000": 304.10, "/agents rate10": 10.00,
	"/agents_with_pool saturation": 2535.06,
}

// checkServerSide: the reconciliation of one run, recomputed from its parts.
func checkServerSide(t *testing.T, name string, c report.Cell, run report.Run, withProm bool) {
	t.Helper()
	srv := run.Server
	if srv == nil || srv.DB == nil || srv.AppRequests == nil {
		t.Errorf("%s: server-side evidence missing: %+v", name, srv)
		return
	}
	if len(srv.Problems) > 0 {
		t.Errorf("%s: evidence problems: %v", name, srv.Problems)
	}
	if c.Reconciled == nil || !*c.Reconciled {
		t.Errorf("%s: not reconciled: %+v", name, run.Checks)
	}
	success := run.Requests - run.Errors.Status
	app2xx := srv.AppRequests["200"]
	// Requests in flight when the window closed (or timed out, or cut off
	// by a read or write error) may be answered after the generator stopped
	// counting them.
	if app2xx < success || app2xx > success+run.InFlight+run.Errors.Read+run.Errors.Write {
		t.Errorf("%s: app 2xx %d, generator successes %d, in flight at the end %d, errors %+v", name, app2xx, success, run.InFlight, run.Errors)
	}
	var appTotal int64
	for _, n := range srv.AppRequests {
		appTotal += n
	}
	calls, sessions := srv.DB.AgentsQueryCalls, srv.DB.Sessions
	// A request cancelled by the generator's exit may have run its query
	// and still not be a 2xx: between the two, never outside.
	switch c.Endpoint {
	case "/index":
		if calls != 0 || sessions != 0 {
			t.Errorf("%s: %d agents queries, %d sessions for /index", name, calls, sessions)
		}
	case "/agents":
		if calls < app2xx || calls > appTotal || sessions < calls || sessions > appTotal {
			t.Errorf("%s: calls %d, sessions %d, app responses %v", name, calls, sessions, srv.AppRequests)
		}
		// This cluster is the test's own: every session is one the app opened.
		if srv.AppConnectionsOpened == nil || *srv.AppConnectionsOpened != sessions {
			t.Errorf("%s: app connections opened %v, PostgreSQL sessions %d", name, srv.AppConnectionsOpened, sessions)
		}
	case "/agents_with_pool":
		if calls < app2xx || calls > appTotal || sessions > 16 {
			t.Errorf("%s: calls %d, sessions %d (pool 16), app responses %v", name, calls, sessions, srv.AppRequests)
		}
	}
	if !withProm {
		return
	}
	p := srv.Prometheus
	if p == nil {
		t.Errorf("%s: no Prometheus evidence", name)
		return
	}
	// Outside --quick, Prometheus's window is the run alone, from the quiet
	// before it to the quiet after its drain: the same count as the app's
	// own counters, which cover the same span.
	for code, n := range srv.AppRequests {
		if int64(p.Requests[code]) != n {
			t.Errorf("%s: Prometheus saw %v, the app counted %v", name, p.Requests, srv.AppRequests)
		}
	}
	if !p.RunAlone || p.WindowStart.After(run.Start) || p.WindowEnd.Before(run.End) {
		t.Errorf("%s: Prometheus window %s – %s, run %s – %s, run alone %v", name, p.WindowStart, p.WindowEnd, run.Start, run.End, p.RunAlone)
	}
	if p.Histogram != "native" || p.P50MS <= 0 || p.P99MS < p.P50MS {
		t.Errorf("%s: Prometheus latency %+v", name, p)
	}
}

func readJSONMap(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}
