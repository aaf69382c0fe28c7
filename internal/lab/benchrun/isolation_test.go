package benchrun

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// isolationArgs is a bench run of /agents against the real app and its
// private PostgreSQL, with the isolation wait at its default.
func isolationArgs(base, ltBin, dbURL, out string, extra ...string) []string {
	return append([]string{"--target", base, "--loadtest-bin", ltBin, "--database-url", dbURL,
		"--prometheus", "off", "--grafana", "off", "--out", out, "--ceiling-duration", "0s",
		"--endpoints", "/agents", "--duration", "3s", "--timeout", "1s"}, extra...)
}

// A light cell run right after an overloaded one measures what it measures
// when run first: no errors, its own requests alone in its server-side
// window, and a p99 near the first run's.
//
// The overload: /agents at 3000 req/s over 400 connections with a 1 s
// timeout, against an app whose new-connection limit is raised to 150, so
// that it piles up connection start-ups in PostgreSQL. When the generator
// stops, the app still has those in flight (a connection being set up does
// not notice its request was given up on) and PostgreSQL works through
// them: for a while after the generator has gone the server side is busy,
// and answers with 503s and 200s that belong to the overload. Without the
// isolation wait (--isolation-wait 0) the light cell that follows starts in
// that backlog: its window holds the overload's tail and its first requests
// queue behind it (this test then fails; checked by hand).
func TestLightCellAfterOverloadIsIsolated(t *testing.T) {
	t.Parallel()
	appBin, ltBin := binaries(t)
	pg := testenv.StartPostgres(t)
	base := startApp(t, appBin, pg.URL(), "APP_NEWCONN_LIMIT=150")

	// First: the light cell alone (after a warm-up of its own).
	first := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), isolationArgs(base, ltBin, pg.URL(), first, "--scenarios", "rate10", "--warmup", "1s"), &stdout, &stderr); code != 0 {
		t.Fatalf("light cell alone: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	a, err := report.Load(first)
	if err != nil {
		t.Fatal(err)
	}
	alone := a.Cells[0]

	// Then: the overload, and the same light cell right after it.
	after := t.TempDir()
	stdout.Reset()
	stderr.Reset()
	code := run(context.Background(), isolationArgs(base, ltBin, pg.URL(), after, "--scenarios", "rate4000,rate10", "--rate", "3000", "--warmup", "0s"), &stdout, &stderr)
	t.Log(stdout.String())
	if code != 0 {
		t.Fatalf("overload then light: exit %d: %s", code, stderr.String())
	}
	b, err := report.Load(after)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Cells) != 2 || b.Cells[0].Scenario != "rate4000" || b.Cells[1].Scenario != "rate10" {
		t.Fatalf("cells: %+v", b.Cells)
	}
	over, light := b.Cells[0], b.Cells[1]

	// The overload happened (else this test shows nothing): the app fell
	// behind, and when the window closed it still held requests (in flight
	// at the end) or had already answered late (timeouts, 503s).
	if over.Status != report.StatusSaturated || over.Errors.Timeout+over.Errors.Status+over.InFlight == 0 {
		t.Fatalf("the overload did not overload: %s, %.1f req/s, %d in flight at the end, errors %+v", over.Status, over.AchievedRate, over.InFlight, over.Errors)
	}
	// The light cell: no errors, as when run first ...
	lr := light.Runs[0]
	if f := runresult.Failed(light.Requests, light.InFlight, light.Errors); f != 0 || light.Status != report.StatusOK ||
		runresult.Failed(alone.Requests, alone.InFlight, alone.Errors) != 0 {
		t.Errorf("light cell after the overload: %s, %d failed (errors %+v); alone: %s, errors %+v", light.Status, f, light.Errors, alone.Status, alone.Errors)
	}
	// ... its server-side window holds its own requests only: 200s, as many
	// as reached the app, and no 503 of the overload's ...
	if lr.Server == nil || lr.Server.AppRequests == nil {
		t.Fatalf("light cell: no server-side counts: %+v", lr.Server)
	}
	var app int64
	for code, n := range lr.Server.AppRequests {
		app += n
		if code != "200" {
			t.Errorf("light cell after the overload: the app answered %d × %s in its window (%v): the overload's tail", n, code, lr.Server.AppRequests)
		}
	}
	if app < lr.Requests || app > lr.Attempts {
		t.Errorf("light cell: the app answered %d in its window, the generator sent %d and received %d", app, lr.Attempts, lr.Requests)
	}
	if light.Reconciled == nil || !*light.Reconciled {
		t.Errorf("light cell: reconciliation %+v", lr.Checks)
	}
	// ... and its median is the first run's, within 25% and a generous
	// allowance for a shared machine (a run in the overload's backlog waits
	// for hundreds of connection start-ups). The p99 of 30 requests is
	// their slowest one, which one stall of a loaded machine sets: it is
	// logged, and the bench's own figures compare it.
	if limit := 1.25*alone.Latency.P50 + 150; light.Latency.P50 > limit {
		t.Errorf("light cell p50 %.1fms after the overload, %.1fms alone (limit %.1fms)", light.Latency.P50, alone.Latency.P50, limit)
	}
	t.Logf("light cell p50/p99: alone %.1f/%.1fms, after the overload %.1f/%.1fms; waits: overload drain %+v, light isolation %+v",
		alone.Latency.P50, alone.Latency.P99, light.Latency.P50, light.Latency.P99, over.Runs[0].Drain, lr.Isolation)

	// What the waits did is recorded: the overload's drain waited for its
	// backlog, and ended on an idle server, within the bound.
	for name, w := range map[string]*report.Wait{"overload drain": over.Runs[0].Drain, "light isolation": lr.Isolation, "light drain": lr.Drain} {
		if w == nil || w.TimedOut || w.Skipped || w.AppInFlight == nil || *w.AppInFlight != 0 || w.DBActive == nil || *w.DBActive != 0 {
			t.Errorf("%s: %+v", name, w)
		}
	}
	md, _ := os.ReadFile(after + "/summary.md")
	if !bytes.Contains(md, []byte("- Isolation: before each run the bench waited (at most 30s)")) || !strings.Contains(string(md), "idle wait before / drain after") {
		t.Errorf("summary.md does not state the isolation wait")
	}
}

// A server that never goes idle: each wait gives up at its bound, and says
// so in summary.json, under Notes and in the run's row; the run goes on.
func TestIsolationWaitAtItsBoundIsAWarning(t *testing.T) {
	t.Parallel()
	binaries(t)
	// It counts its responses truly (the run reconciles), but its gauge
	// always shows two requests in flight.
	srv := indexApp(t, 2, func(served int64) int64 { return served })
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), benchArgs(srv.URL, out, "--endpoints", "/index", "--scenarios", "rate10",
		"--duration", "1s", "--isolation-wait", "1s"), &stdout, &stderr)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	r := s.Cells[0].Runs[0]
	for name, w := range map[string]*report.Wait{"isolation": r.Isolation, "drain": r.Drain} {
		if w == nil || !w.TimedOut || w.WaitedS < 1 || w.BoundS != 1 || !strings.Contains(w.Busy, "app: 2 request(s) in flight") ||
			w.AppInFlight == nil || *w.AppInFlight != 2 {
			t.Errorf("%s: %+v", name, w)
		}
	}
	notes := strings.Join(s.Notes, "\n")
	for _, want := range []string{"ISOLATION WAIT HIT ITS BOUND (1s) before index-rate10 run 1: still busy: app: 2 request(s) in flight",
		"ISOLATION WAIT HIT ITS BOUND (1s) after index-rate10 run 1"} {
		if !strings.Contains(notes, want) || !strings.Contains(stdout.String(), "WARNING: "+want) {
			t.Errorf("notes and console lack %q:\n%s", want, notes)
		}
	}
	md, _ := os.ReadFile(out + "/summary.md")
	if !bytes.Contains(md, []byte("| **BOUND HIT** after 1.")) || !bytes.Contains(md, []byte("## Notes\n\n")) {
		t.Errorf("summary.md does not show the bound hit:\n%s", md)
	}
}

// metricsApp is a real HTTP server whose /metrics is what metrics returns
// (the app's text format) for the n-th scrape (from 1); an empty string
// answers 500.
func metricsApp(t *testing.T, metrics func(n int64) string) *httptest.Server {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/metrics" {
			http.NotFound(w, r)
			return
		}
		text := metrics(n.Add(1))
		if text == "" {
			http.Error(w, "no metrics", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		io.WriteString(w, text)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// appMetrics is the app's /metrics with these counts: /agents 200s, the
// connections /agents opened, the pool's, and requests in flight.
func appMetrics(agents200, opened, poolOpened, inFlight int64) string {
	return fmt.Sprintf(`# TYPE app_http_requests_total counter
app_http_requests_total{code="200",route="/agents"} %d
# TYPE app_agents_connections_opened_total counter
app_agents_connections_opened_total %d
# TYPE app_agents_pool_connections_opened_total counter
app_agents_pool_connections_opened_total %d
# TYPE app_http_requests_in_flight gauge
app_http_requests_in_flight{route="/agents"} %d
app_http_requests_in_flight{route="/metrics"} 1
`, agents200, opened, poolOpened, inFlight)
}

// The isolation wait's branches besides the in-flight gauge, each against
// real servers: a /metrics over HTTP and a private PostgreSQL. A wait
// holds while a backend of the database is at work, while the agents
// query's calls (or the app's counters) still move between two looks, and
// gives up at its bound saying what was busy; it ends at once, not held
// up, on evidence it cannot read (a /metrics answering 500, a database
// connection that is gone), which the run reports instead. Every bound
// hit here is 1 s; the waits that must end before their bound get 20 s
// (two looks 200 ms apart need far less, on a loaded machine too).
func TestIsolationWaitBranches(t *testing.T) {
	t.Parallel()
	pg := testenv.StartPostgres(t)
	ctx := context.Background()
	db, err := evidence.OpenDB(ctx, pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Another client of the database: it runs the agents query, or sleeps.
	other, err := sql.Open("postgres", pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	other.SetMaxOpenConns(2)
	idleApp := metricsApp(t, func(int64) string { return appMetrics(10, 10, 16, 0) })
	agents := Cell{Target: report.TargetApp, Endpoint: "/agents"}
	runner := func(app *httptest.Server, d *evidence.DB) *Runner {
		return &Runner{HTTP: &http.Client{Timeout: 5 * time.Second}, Ex: &LocalExecutor{BaseURL: app.URL}, DB: d}
	}
	const short, long = time.Second, 20 * time.Second

	t.Run("idle", func(t *testing.T) {
		_, w := runner(idleApp, db).waitIdle(ctx, agents, long)
		if w.TimedOut || w.Busy != "" || w.AppInFlight == nil || *w.AppInFlight != 0 || w.DBActive == nil || *w.DBActive != 0 || w.WaitedS >= long.Seconds() {
			t.Errorf("an idle server side: %+v", w)
		}
	})

	t.Run("backend at work", func(t *testing.T) {
		sctx, stop := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { _, err := other.ExecContext(sctx, "SELECT pg_sleep(60)"); done <- err }()
		// Until the sleep has begun, the wait could find the database idle.
		for start := time.Now(); ; time.Sleep(50 * time.Millisecond) {
			s, err := db.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if s.Active > 0 {
				break
			}
			if time.Since(start) > 30*time.Second {
				t.Fatal("pg_sleep never showed in pg_stat_activity")
			}
		}
		_, w := runner(idleApp, db).waitIdle(ctx, agents, short)
		if !w.TimedOut || !strings.Contains(w.Busy, "PostgreSQL: 1 backend(s) at work") || w.DBActive == nil || *w.DBActive != 1 || w.WaitedS < short.Seconds() {
			t.Errorf("a backend at work: %+v", w)
		}
		// The original's wait is PostgreSQL's alone: held up the same.
		_, w = runner(idleApp, db).waitIdle(ctx, Cell{Target: report.TargetOriginal, Endpoint: "/agents"}, short)
		if !w.TimedOut || !strings.Contains(w.Busy, "PostgreSQL: 1 backend(s) at work") || w.AppInFlight != nil {
			t.Errorf("a backend at work, the original's wait: %+v", w)
		}
		stop()
		<-done
		// The backend done, the wait ends before its bound.
		_, w = runner(idleApp, db).waitIdle(ctx, agents, long)
		if w.TimedOut || w.DBActive == nil || *w.DBActive != 0 {
			t.Errorf("after the backend finished: %+v", w)
		}
	})

	t.Run("agents query calls moving", func(t *testing.T) {
		// Each look at the app runs the agents query once more before the
		// look at PostgreSQL: its calls move between any two looks.
		busyApp := metricsApp(t, func(int64) string {
			rows, err := other.QueryContext(ctx, agentscontract.Query)
			if err != nil {
				return ""
			}
			rows.Close()
			return appMetrics(10, 10, 16, 0)
		})
		_, w := runner(busyApp, db).waitIdle(ctx, agents, short)
		if !w.TimedOut || !strings.Contains(w.Busy, "PostgreSQL: sessions or agents query calls still moving") || strings.Contains(w.Busy, "app:") {
			t.Errorf("agents query calls moving: %+v", w)
		}
	})

	t.Run("app counters moving", func(t *testing.T) {
		// Each scrape one more /agents response, connection opened and
		// pooled connection opened; nothing in flight.
		moving := metricsApp(t, func(n int64) string { return appMetrics(n, n, n, 0) })
		_, w := runner(moving, nil).waitIdle(ctx, agents, short)
		for _, want := range []string{"app: 1 more /agents response(s) in 200ms", "app: 1 more /agents connection(s) opened in 200ms",
			"app: 1 more pooled connection(s) opened in 200ms"} {
			if !w.TimedOut || !strings.Contains(w.Busy, want) || w.AppInFlight == nil || *w.AppInFlight != 0 {
				t.Errorf("app counters moving: want %q: %+v", want, w)
			}
		}
	})

	t.Run("unreadable evidence", func(t *testing.T) {
		broken := metricsApp(t, func(int64) string { return "" })
		gone, err := evidence.OpenDB(ctx, pg.URL())
		if err != nil {
			t.Fatal(err)
		}
		gone.Close()
		s, w := runner(broken, gone).waitIdle(ctx, agents, long)
		if w.TimedOut || w.Busy != "" || w.AppInFlight != nil || w.DBActive != nil || w.WaitedS >= long.Seconds() {
			t.Errorf("unreadable evidence held the wait up or was reported read: %+v", w)
		}
		if s.appErr == nil || !strings.Contains(s.appErr.Error(), "status 500") || s.dbErr == nil {
			t.Errorf("the last look's errors: app %v, database %v", s.appErr, s.dbErr)
		}
	})
}
