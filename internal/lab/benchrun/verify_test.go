package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

func agentsBody(n int, mutate func(i int, a map[string]any)) []byte {
	var list []map[string]any
	for i := 0; i < n; i++ {
		a := map[string]any{"number": fmt.Sprint(300 + i), "extension": nil, "context": nil, "state_interface": nil,
			"status": "offline", "extension_status": "-1", "paused": "0"}
		if mutate != nil {
			mutate(i, a)
		}
		list = append(list, a)
	}
	b, _ := json.Marshal(list)
	return b
}

func jsonHandler(body []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}
}

func serve(t *testing.T, routes map[string]http.Handler) (*httptest.Server, *countingServer) {
	mux := http.NewServeMux()
	cs := &countingServer{}
	for p, h := range routes {
		mux.Handle(p, cs.wrap(h))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, cs
}

// pythonAgents is the agents body as the original's json.dumps writes it:
// its keys in the query's column order, ", " and ": " between them.
func pythonAgents(mutate func(i int, a map[string]any)) []byte {
	var items []string
	for i := 0; i < 50; i++ {
		a := map[string]any{"number": fmt.Sprint(300 + i), "extension": nil, "context": nil, "state_interface": nil,
			"status": "offline", "extension_status": "-1", "paused": "0"}
		if mutate != nil {
			mutate(i, a)
		}
		var kv []string
		for _, k := range agentscontract.Columns {
			v, _ := json.Marshal(a[k])
			kv = append(kv, fmt.Sprintf("%q: %s", k, v))
		}
		items = append(items, "{"+strings.Join(kv, ", ")+"}")
	}
	return []byte("[" + strings.Join(items, ", ") + "]")
}

// Verify's verdicts, against real HTTP servers serving right and wrong
// answers: the app's bodies byte for byte, the original's parsed.
func TestVerifyExpectedVersusGot(t *testing.T) {
	t.Parallel()
	app, orig := report.TargetApp, report.TargetOriginal
	cases := []struct {
		name, target, endpoint string
		h                      http.HandlerFunc
		want                   string // "" = no problem
	}{
		{"good index", app, "/index", jsonHandler([]byte(`{"hello":"world"}`)), ""},
		{"good agents", app, "/agents", jsonHandler(agentscontract.Body()), ""},
		// The app's bytes are its contract: the same JSON spelt otherwise is not it.
		{"app, spaced", app, "/index", jsonHandler([]byte(`{"hello": "world"}`)), `expected exactly the 17 bytes {"hello":"world"}, got 18 bytes {"hello": "world"}`},
		{"app, keys sorted", app, "/agents", jsonHandler(agentsBody(50, nil)), `expected exactly the 6401 bytes [{"number":"300","extension":null`},
		// The original's json.dumps: spaces, and in agentsBody keys in another order.
		{"original index", orig, "/index", jsonHandler([]byte(`{"hello": "world"}`)), ""},
		{"original agents", orig, "/agents", jsonHandler(pythonAgents(nil)), ""},
		{"original, keys sorted", orig, "/agents_with_pool", jsonHandler(agentsBody(50, nil)), ""},
		{"original, wrong value", orig, "/agents", jsonHandler(pythonAgents(func(i int, a map[string]any) {
			if i == 7 {
				a["paused"] = "1"
			}
		})), `agent 7: expected {"context":null,"extension":null,"extension_status":"-1","number":"307","paused":"0"`},
		{"original, other order", orig, "/agents", jsonHandler(pythonAgents(func(i int, a map[string]any) { a["number"] = fmt.Sprint(349 - i) })),
			`expected JSON equal to [{"number":"300"`},
		{"original, wrong index", orig, "/index", jsonHandler([]byte(`{"hello": "World"}`)), `expected body {"hello":"world"}, got {"hello":"World"}`},
		{"original, no Date", orig, "/index", func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Date"] = nil // net/http adds one unless told not to
			jsonHandler([]byte(`{"hello": "world"}`))(w, r)
		}, "expected a Date header, got none"},
		{"extra key", app, "/index", jsonHandler([]byte(`{"hello":"world","x":1}`)), `expected body {"hello":"world"}, got {"hello":"world","x":1}`},
		{"text/plain", app, "/index", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(`{"hello":"world"}`))
		}, `expected Content-Type application/json, got "text/plain"`},
		{"chunked", app, "/index", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(`{"hello":`))
			w.(http.Flusher).Flush() // no Content-Length: chunked
			w.Write([]byte(`"world"}`))
		}, "expected a Content-Length header, got none"},
		{"redirect", app, "/index", http.RedirectHandler("/elsewhere", http.StatusFound).ServeHTTP, "expected status 200, got 302"},
		{"49 agents", app, "/agents", jsonHandler(agentsBody(49, nil)), "expected 50 agents, got 49"},
		{"not null", app, "/agents", jsonHandler(agentsBody(50, func(i int, a map[string]any) { a["context"] = "default" })), `"context":"default"`},
		{"missing key", app, "/agents_with_pool", jsonHandler(agentsBody(50, func(i int, a map[string]any) { delete(a, "paused") })), "expected keys"},
		{"duplicate", app, "/agents", jsonHandler(agentsBody(50, func(i int, a map[string]any) { a["number"] = "300" })), "number 300 appears twice"},
		{"int number", app, "/agents", jsonHandler(agentsBody(50, func(i int, a map[string]any) { a["number"] = 300 + i })), `expected "number" a string`},
		{"object not array", app, "/agents", jsonHandler([]byte(`{"hello":"world"}`)), "expected a JSON array of 50 agents"},
		{"trailing", app, "/index", jsonHandler([]byte(`{"hello":"world"} {}`)), "trailing data"},
		{"500", app, "/agents", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) }, "expected status 200, got 500 (body: boom)"},
	}
	for _, c := range cases {
		srv := httptest.NewServer(c.h)
		problems := Verify(context.Background(), http.DefaultClient, c.target, srv.URL, c.endpoint)
		srv.Close()
		joined := strings.Join(problems, "; ")
		if c.want == "" && len(problems) > 0 {
			t.Errorf("%s: unexpected problems: %s", c.name, joined)
		}
		if c.want != "" && !strings.Contains(joined, c.want) {
			t.Errorf("%s: problems %q, want one containing %q", c.name, joined, c.want)
		}
	}
}

func benchArgs(target, out string, extra ...string) []string {
	_, lt := binariesNoT()
	return append([]string{"--target", target, "--loadtest-bin", lt, "--database-url", "off", "--prometheus", "off",
		"--grafana", "off", "--out", out, "--warmup", "0s"}, extra...)
}

// A broken endpoint (wrong body, 500s) is refused before any load, with what
// was expected and what came back; a good one beside it is still measured;
// the run exits non-zero.
func TestBrokenEndpointRefusedBeforeLoad(t *testing.T) {
	t.Parallel()
	binaries(t)
	srv, cs := serve(t, map[string]http.Handler{
		"/index": jsonHandler([]byte(`{"hello":"world"}`)),
		"/agents": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "boom", http.StatusInternalServerError)
		}),
		"/agents_with_pool": jsonHandler(agentsBody(50, func(i int, a map[string]any) { a["status"] = "online" })),
	})
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), benchArgs(srv.URL, out, "--scenarios", "rate10", "--duration", "1s"), &stdout, &stderr)
	t.Log(stdout.String(), stderr.String())
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	for _, want := range []string{
		"VERIFY FAILED /agents",
		"expected status 200, got 500 (body: boom)",
		"VERIFY FAILED /agents_with_pool",
		`agent 0: expected {"context":null,"extension":null,"extension_status":"-1","number":"300","paused":"0","state_interface":null,"status":"offline"}, got {"context":null,"extension":null,"extension_status":"-1","number":"300","paused":"0","state_interface":null,"status":"online"}`,
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	if !strings.Contains(stderr.String(), "FAILED: verification failed for /agents: expected status 200, got 500") {
		t.Errorf("stderr lacks the failure line: %s", stderr.String())
	}
	// One verification request each for the broken ones: no load.
	if n := cs.count("/agents"); n != 1 {
		t.Errorf("/agents got %d requests, want 1 (verification only)", n)
	}
	if n := cs.count("/agents_with_pool"); n != 1 {
		t.Errorf("/agents_with_pool got %d requests, want 1", n)
	}
	if n := cs.count("/index"); n < 5 {
		t.Errorf("/index got %d requests: it should have been measured", n)
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cells) != 1 || s.Cells[0].Endpoint != "/index" || s.Cells[0].Status != report.StatusOK {
		t.Errorf("cells: %+v", s.Cells)
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !bytes.Contains(md, []byte("| /agents | **FAILED — not benchmarked** | expected status 200, got 500")) {
		t.Errorf("summary.md lacks the refused endpoint:\n%s", md)
	}
}

// A cell whose error ratio passes --error-threshold fails the run; raising
// the threshold lets it pass.
func TestErrorThreshold(t *testing.T) {
	t.Parallel()
	binaries(t)
	var n atomic.Int64
	srv, _ := serve(t, map[string]http.Handler{
		"/index": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if n.Add(1) == 1 { // the verification request
				jsonHandler([]byte(`{"hello":"world"}`))(w, r)
				return
			}
			http.Error(w, "overloaded", http.StatusServiceUnavailable)
		}),
	})
	args := func(out string, extra ...string) []string {
		return benchArgs(srv.URL, out, append([]string{"--endpoints", "/index", "--scenarios", "rate10", "--duration", "1s"}, extra...)...)
	}
	var stdout, stderr bytes.Buffer
	out := t.TempDir()
	if code := run(context.Background(), args(out), &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stderr.String(), "/index rate10: error ratio 100.00% exceeds 1.00%") {
		t.Errorf("stderr: %s", stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if c := s.Cells[0]; c.Status != report.StatusErrors || c.Errors.Status != c.Requests || c.Requests == 0 {
		t.Errorf("cell: status %s, %d requests, errors %+v", c.Status, c.Requests, c.Errors)
	}
	n.Store(0)
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), args(t.TempDir(), "--error-threshold", "100%"), &stdout, &stderr); code != 0 {
		t.Errorf("with --error-threshold 100%%: exit %d\n%s", code, stderr.String())
	}

	// At capacity (closed loop) a 500 is still a failure: only timeouts and
	// the app's 503s count as load shedding.
	srv500, _ := serve(t, map[string]http.Handler{
		"/index": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("User-Agent") == "Go-http-client/1.1" { // the verification request
				jsonHandler([]byte(`{"hello":"world"}`))(w, r)
				return
			}
			http.Error(w, "bug", http.StatusInternalServerError)
		}),
	})
	stdout.Reset()
	stderr.Reset()
	out = t.TempDir()
	code := run(context.Background(), benchArgs(srv500.URL, out, "--endpoints", "/index", "--scenarios", "saturation",
		"--connections", "2", "--threads", "1", "--duration", "1s"), &stdout, &stderr)
	// Nearly all: a request still in flight when the window closed is an
	// attempt that is not a failure.
	if code != 1 || !regexp.MustCompile(`/index saturation: error ratio (9[5-9]|100)\.\d\d% exceeds 1\.00%`).MatchString(stderr.String()) {
		t.Errorf("closed loop of 500s: exit %d, stderr %s", code, stderr.String())
	}
}

// The real app shedding load (one new-connection slot, a 300 ms request
// budget, 200 connections in a closed loop: a new connection with SCRAM
// authentication takes milliseconds, so the queue is longer than the budget,
// while the single verification request fits in it even on a loaded
// machine): its 503s are overload, reported with the cell and not failing
// the run; the reconciliation still holds.
func TestOverloadShedIsReportedNotFailed(t *testing.T) {
	t.Parallel()
	appBin, ltBin := binaries(t)
	pg := testenv.StartPostgres(t)
	base := startApp(t, appBin, pg.URL(), "APP_NEWCONN_LIMIT=1", "APP_REQUEST_TIMEOUT=300ms")
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--target", base, "--loadtest-bin", ltBin, "--database-url", pg.URL(),
		"--prometheus", "off", "--grafana", "off", "--out", out, "--warmup", "0s", "--ceiling-duration", "0s",
		"--endpoints", "/agents", "--scenarios", "saturation", "--connections", "200", "--duration", "2s"}, &stdout, &stderr)
	t.Log(stdout.String())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Cells[0]
	run := c.Runs[0]
	shed := run.Server.AppRequests["503"]
	if shed == 0 || c.Errors.Status == 0 {
		t.Fatalf("the app shed nothing (app %v, client errors %+v): the overload did not happen", run.Server.AppRequests, c.Errors)
	}
	// This app answers 200 or 503 and nothing else: every non-2xx the
	// generator saw is one of the app's 503s, so all of them are shed, and
	// so are its timeouts (at most both: a late 503 is both). What is left
	// counted is the socket errors alone (none, on a machine that keeps up).
	for code := range run.Server.AppRequests {
		if code != "200" && code != "503" {
			t.Fatalf("the app answered %s: %v", code, run.Server.AppRequests)
		}
	}
	counted := math.Round(c.CountedErrorRatio * float64(c.Attempts))
	if c.Status != report.StatusClosedLoop || c.Overload < c.Errors.Status || c.Overload > c.Errors.Status+c.Errors.Timeout ||
		counted != float64(c.Errors.Connect+c.Errors.Read+c.Errors.Write) || !strings.Contains(c.Note, "shed under overload") {
		t.Errorf("status %s, overload %d, errors %+v, %d attempts, counted ratio %v (%g counted, want the socket errors), note %q",
			c.Status, c.Overload, c.Errors, c.Attempts, c.CountedErrorRatio, counted, c.Note)
	}
	if c.Reconciled == nil || !*c.Reconciled {
		t.Errorf("reconciliation under overload: %+v", run.Checks)
	}
}

// A rate the server cannot reach is reported saturated with its achieved
// rate and does not fail the run.
func TestSaturatedCellDoesNotFail(t *testing.T) {
	t.Parallel()
	binaries(t)
	srv, _ := serve(t, map[string]http.Handler{
		"/index": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("User-Agent") != "Go-http-client/1.1" {
				time.Sleep(200 * time.Millisecond) // 2 connections: at most 10 req/s
			}
			jsonHandler([]byte(`{"hello":"world"}`))(w, r)
		}),
	})
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), benchArgs(srv.URL, out, "--endpoints", "/index", "--scenarios", "rate4000",
		"--rate", "100", "--connections", "2", "--threads", "1", "--duration", "2s"), &stdout, &stderr)
	t.Log(stdout.String())
	if code != 0 {
		t.Fatalf("exit %d, want 0: %s", code, stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Cells[0]
	if c.Status != report.StatusSaturated || c.AchievedRate > 20 || c.AchievedRate <= 0 {
		t.Errorf("status %s at %.1f req/s of %g, want saturated", c.Status, c.AchievedRate, c.TargetRate)
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	if !bytes.Contains(md, []byte("| /index | app | saturated |")) || !bytes.Contains(md, []byte("- /index (app): the hardware reached")) {
		t.Errorf("summary.md does not say saturated")
	}
}
