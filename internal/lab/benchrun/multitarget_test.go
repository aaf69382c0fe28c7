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
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// stampedServer is a real HTTP server that notes when each request came.
type stampedServer struct {
	mu   sync.Mutex
	hits []time.Time
	srv  *httptest.Server
}

func newStampedServer(t *testing.T, routes map[string][]byte) *stampedServer {
	s := &stampedServer{}
	mux := http.NewServeMux()
	for path, body := range routes {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			s.mu.Lock()
			s.hits = append(s.hits, time.Now())
			s.mu.Unlock()
			jsonHandler(body)(w, r)
		})
	}
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

// between is the requests that came in [from, to].
func (s *stampedServer) between(from, to time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, h := range s.hits {
		if !h.Before(from) && !h.After(to) {
			n++
		}
	}
	return n
}

// Two real HTTP servers as the two targets, through the local executor
// (--target and --target-original): every cell runs against the app, then
// against the original, back to back, with the same generator settings,
// each warmed up on its own; neither server gets a request while the
// other's run is on; the original, whose bodies are Python's json.dumps
// (other spacing, other key order), is verified by parsed JSON.
func TestTwoTargetsBackToBack(t *testing.T) {
	t.Parallel()
	binaries(t)
	app := newStampedServer(t, map[string][]byte{"/index": []byte(`{"hello":"world"}`), "/agents": agentscontract.Body()})
	orig := newStampedServer(t, map[string][]byte{"/index": []byte(`{"hello": "world"}`), "/agents": pythonAgents(nil)})
	out := t.TempDir()
	var stdout, stderr bytes.Buffer
	_, lt := binariesNoT()
	code := run(context.Background(), []string{"--target", app.srv.URL, "--target-original", orig.srv.URL, "--loadtest-bin", lt,
		"--database-url", "off", "--prometheus", "off", "--grafana", "off", "--out", out,
		"--endpoints", "/index,/agents", "--scenarios", "saturation,rate10", "--connections", "2", "--threads", "1",
		"--duration", "2s", "--warmup", "1s"}, &stdout, &stderr)
	t.Log(stdout.String())
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Targets) != 2 || s.Targets[0].Name != "app" || s.Targets[0].URL != app.srv.URL ||
		s.Targets[1].Name != "original" || s.Targets[1].URL != orig.srv.URL {
		t.Errorf("targets: %+v", s.Targets)
	}
	for _, v := range s.Verification {
		if !v.OK {
			t.Errorf("verification of %s %s: %v", v.Target, v.Endpoint, v.Problems)
		}
	}
	if len(s.Verification) != 4 {
		t.Errorf("%d verifications, want 2 endpoints × 2 targets", len(s.Verification))
	}
	// The order: endpoint, scenario, then each target.
	var order []string
	for _, c := range s.Cells {
		order = append(order, c.Endpoint+" "+c.Scenario+" "+c.Target)
	}
	want := "/index saturation app,/index saturation original,/index rate10 app,/index rate10 original," +
		"/agents saturation app,/agents saturation original,/agents rate10 app,/agents rate10 original"
	if strings.Join(order, ",") != want {
		t.Fatalf("cells in the order\n%s\nwant\n%s", strings.Join(order, ","), want)
	}
	servers := map[string]*stampedServer{"app": app, "original": orig}
	other := map[string]*stampedServer{"app": orig, "original": app}
	for i, c := range s.Cells {
		r := c.Runs[0]
		name := c.Endpoint + " " + c.Scenario + " " + c.Target
		if c.Requests == 0 || c.ErrorRatio != 0 {
			t.Errorf("%s: %d requests, error ratio %v", name, c.Requests, c.ErrorRatio)
		}
		// Back to back: each run starts after the one before has ended ...
		if i > 0 && r.Start.Before(s.Cells[i-1].Runs[0].End) {
			t.Errorf("%s started at %s, before the previous run ended (%s)", name, r.Start, s.Cells[i-1].Runs[0].End)
		}
		// ... its own server served it, and the other target got nothing
		// while it ran but what the previous run (the other target's) had
		// sent and not seen answered in its window: its requests in flight
		// at the end and those cut by a socket error, which a loaded
		// machine may deliver to the server late. A response the previous
		// run counted was served before its window closed.
		if n := servers[c.Target].between(r.Start, r.End); n == 0 {
			t.Errorf("%s: its server got no request in its window", name)
		}
		late := int64(0)
		if i > 0 {
			p := s.Cells[i-1].Runs[0]
			late = p.InFlight + p.Errors.Connect + p.Errors.Read + p.Errors.Write
		}
		if n := other[c.Target].between(r.Start, r.End); int64(n) > late {
			t.Errorf("%s: the other target got %d requests while it ran (the previous run left %d unanswered)", name, n, late)
		}
		// The same generator settings against both.
		if i%2 == 1 {
			a := s.Cells[i-1]
			if strings.Join(a.Runs[0].Args[:3], " ") != strings.Join(r.Args[:3], " ") || a.TargetRate != c.TargetRate || a.Via != c.Via {
				t.Errorf("%s ran with %v, the app's cell with %v", name, r.Args, a.Runs[0].Args)
			}
		}
		if c.Target == "original" {
			if r.Server == nil || r.Server.AppRequests != nil || r.Server.Prometheus != nil {
				t.Errorf("%s: the original has no /metrics: server side %+v", name, r.Server)
			}
			if r.Isolation == nil || r.Isolation.AppInFlight != nil || !strings.Contains(r.Isolation.Scope, "no in-flight gauge") {
				t.Errorf("%s: isolation wait %+v", name, r.Isolation)
			}
			for _, f := range []string{c.Endpoint[1:] + "-" + c.Scenario + "-original.json", c.Endpoint[1:] + "-" + c.Scenario + "-original.hgrm"} {
				if _, err := os.Stat(filepath.Join(out, f)); err != nil {
					t.Errorf("%s: %v", name, err)
				}
			}
		}
	}
	if len(s.Warmups) != 4 {
		t.Errorf("%d warm-ups, want one per endpoint and target", len(s.Warmups))
	}
	for _, w := range s.Warmups {
		if w.Requests == 0 {
			t.Errorf("warm-up of %s %s: no requests", w.Target, w.Endpoint)
		}
	}
	for _, f := range []string{"warmup/index.txt", "warmup/index-original.txt", "throughput-saturation.png", "latency-rate10.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s missing (%v)", f, err)
		}
	}
	if len(s.SideBySide) != 4 || s.SideBySide[0].RateRatio <= 0 || s.SideBySide[0].App == nil || s.SideBySide[0].Original == nil {
		t.Errorf("side by side: %+v", s.SideBySide)
	}
	md, _ := os.ReadFile(filepath.Join(out, "summary.md"))
	for _, want := range []string{report.SideBySideHeading, "| endpoint | scenario | app | original | app ÷ original | publication (other hardware) |",
		"| original | /index | ok | headers; parsed JSON equal |"} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
}

// The real original (gunicorn, original/) beside the real app on a private
// PostgreSQL: the original verifies by parsed JSON, its runs' server side
// is PostgreSQL's (queries, sessions) and reconciles, and the isolation
// wait before and after each of its runs looks at PostgreSQL alone.
func TestRealOriginalBesideTheApp(t *testing.T) {
	t.Parallel()
	const workers, pool = 4, 1
	s, _, log := benchBothTargets(t, workers, pool, "--scenarios", "rate10", "--duration", "2s")
	// A failed run is reported, and its cells are still checked below.
	if len(s.Failures) > 0 {
		if b, _ := os.ReadFile(log); len(b) > 0 {
			t.Logf("gunicorn log:\n%s", b)
		}
		t.Errorf("run failed: %v", s.Failures)
	}
	if len(s.Cells) != 6 {
		t.Fatalf("%d cells, want 3 endpoints × 2 targets", len(s.Cells))
	}
	for _, c := range s.Cells {
		name := c.Endpoint + " " + c.Target
		run := c.Runs[0]
		// 10 req/s is kept on a machine that keeps up; a loaded one may
		// fall short (saturated: reported, not failed), never err.
		if (c.Status != report.StatusOK && c.Status != report.StatusSaturated) || c.ErrorRatio != 0 || c.Reconciled == nil || !*c.Reconciled {
			t.Errorf("%s: %s, error ratio %v, reconciled %v: %+v", name, c.Status, c.ErrorRatio, c.Reconciled, run.Checks)
		}
		if run.Server == nil || run.Server.DB == nil {
			t.Errorf("%s: no PostgreSQL evidence: %+v", name, run.Server)
			continue
		}
		// The cluster is this test's own, its only clients the two targets
		// and the bench's one evidence connection (opened before any run):
		// a run's sessions are its target's alone.
		calls, sessions, ok := run.Server.DB.AgentsQueryCalls, run.Server.DB.Sessions, run.Requests-run.Errors.Status
		switch c.Endpoint {
		case "/index":
			if calls != 0 || sessions != 0 {
				t.Errorf("%s: %d agents queries, %d sessions", name, calls, sessions)
			}
		case "/agents":
			// One new connection per request: at least one per query, at
			// most one per attempt.
			if calls < ok || sessions < calls || sessions > run.Attempts {
				t.Errorf("%s: %d successes, %d queries, %d sessions for %d attempts", name, ok, calls, sessions, run.Attempts)
			}
		case "/agents_with_pool":
			// The app's pool holds 16; the original's gunicorn workers one
			// each. Warmed up before the run, they open none in it, and
			// never more than their size.
			size := map[string]int64{"app": 16, "original": workers * pool}[c.Target]
			if calls < ok || sessions > size {
				t.Errorf("%s: %d successes, %d queries, %d sessions (pools of %d)", name, ok, calls, sessions, size)
			}
		}
		for what, w := range map[string]*report.Wait{"isolation": run.Isolation, "drain": run.Drain} {
			if w == nil || w.TimedOut || w.DBActive == nil || *w.DBActive != 0 {
				t.Errorf("%s: %s wait %+v", name, what, w)
				continue
			}
			if c.Target == "original" && (w.AppInFlight != nil || w.Scope != "PostgreSQL only (the original has no in-flight gauge)") {
				t.Errorf("%s: %s wait %+v: want PostgreSQL's part alone", name, what, w)
			}
			if c.Target == "app" && (w.AppInFlight == nil || *w.AppInFlight != 0) {
				t.Errorf("%s: %s wait %+v: want the app's part too", name, what, w)
			}
		}
		if c.Target == "original" && c.Endpoint == "/agents_with_pool" {
			found := false
			for _, ch := range run.Checks {
				found = found || ch.Name == "pooled connections reused"
			}
			if !found {
				t.Errorf("%s: the pool check was not made: %+v", name, run.Checks)
			}
		}
	}
	if s.Targets[1].PoolSize != workers*pool || !strings.Contains(strings.Join(s.Targets[1].Evidence, "; "), "no /metrics") {
		t.Errorf("the original's target info: %+v", s.Targets[1])
	}
}
