package benchrun

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/report"
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
