package benchrun

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/originalrun"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// The app and the generator are built once per test binary, without -race
// (they are the system under test, not this package).
var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// binariesNoT is binaries for helpers without a *testing.T, after binaries ran.
func binariesNoT() (app, loadtest string) {
	return filepath.Join(buildDir, "app"), filepath.Join(buildDir, "loadtest")
}

// binaries returns the paths of freshly built app and loadtest binaries.
func binaries(t *testing.T) (app, loadtest string) {
	t.Helper()
	root := testenv.RepoRoot(t)
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "macrobench-bench-bin-")
		if buildErr != nil {
			return
		}
		for _, pkg := range []string{"app", "loadtest"} {
			cmd := exec.Command("go", "build", "-o", filepath.Join(buildDir, pkg), "./"+pkg)
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build ./%s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "app"), filepath.Join(buildDir, "loadtest")
}

// startApp runs the real app against dbURL and returns its base URL.
func startApp(t *testing.T, bin, dbURL string, env ...string) string {
	t.Helper()
	addr := testenv.FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(append(os.Environ(), "APP_LISTEN_ADDR="+addr, "APP_DATABASE_URL="+dbURL), env...)
	base := "http://" + addr
	testenv.StartServer(t, cmd, filepath.Join(t.TempDir(), "app.log"), base+"/healthz", 30*time.Second)
	return base
}

// startPrometheus runs the real Prometheus (bin, $MACROBENCH_PROMETHEUS_BIN)
// scraping the app every second, with the lab's histogram settings.
func startPrometheus(t *testing.T, bin, appBase string) (url string) {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  scrape_native_histograms: true
  always_scrape_classic_histograms: true
scrape_configs:
  - job_name: app
    static_configs:
      - targets: [%q]
`, appBase[len("http://"):])
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testenv.FreeAddr(t)
	cmd := exec.Command(bin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+addr)
	url = "http://" + addr
	prom := testenv.StartServer(t, cmd, filepath.Join(dir, "prometheus.log"), url+"/-/ready", 60*time.Second)
	// Until the first scrape, the window has no "before".
	p, err := evidence.NewProm(url)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.ScrapeAfter(context.Background(), time.Now(), 20*time.Second); err != nil {
		t.Fatalf("prometheus never scraped the app: %v\n%s", err, prom.LogTail(4000))
	}
	return url
}

// countingServer is a tiny real HTTP server with a handler per path, counting requests.
type countingServer struct {
	mu     sync.Mutex
	counts map[string]int
}

func (c *countingServer) count(path string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[path]
}

func (c *countingServer) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		if c.counts == nil {
			c.counts = map[string]int{}
		}
		c.counts[r.URL.Path]++
		c.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

// benchBothTargets runs a small bench (args, then 4 connections, a 1 s
// warm-up, no ceiling) of the real app and the real original (gunicorn,
// workers × pool connections) on a private PostgreSQL; it returns the
// summary, the results folder and gunicorn's log.
func benchBothTargets(t *testing.T, workers, pool int, args ...string) (*report.Summary, string, string) {
	t.Helper()
	gunicorn, err := originalrun.FindGunicorn()
	if err != nil {
		testenv.Missing(t, "the original app: %v", err)
	}
	appBin, ltBin := binaries(t)
	pg := testenv.StartPostgres(t)
	base := startApp(t, appBin, pg.URL())
	log := filepath.Join(t.TempDir(), "gunicorn.log")
	orig, err := originalrun.Start(gunicorn, originalrun.Options{Dir: filepath.Join(testenv.RepoRoot(t), "original"), DatabaseURL: pg.URL(),
		Addr: testenv.FreeAddr(t), Workers: workers, PoolSize: pool, Log: log}, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = orig.Stop(15 * time.Second) })

	out := filepath.Join(t.TempDir(), "results")
	cfg, err := ParseFlags(append([]string{"--target", base, "--target-original", orig.URL,
		"--warmup", "1s", "--connections", "4", "--ceiling-duration", "0s", "--out", out}, args...), nil)
	if err != nil {
		t.Fatal(err)
	}
	db, err := evidence.OpenDB(context.Background(), pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r := &Runner{Cfg: cfg, Ex: &LocalExecutor{Bin: ltBin, BaseURL: base, OriginalURL: orig.URL, OriginalPool: int64(workers * pool), DatabaseURL: pg.URL()},
		Log: testLog{t}, DB: db, CmdLine: []string{"bench", "(test)"}}
	s, err := r.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return s, out, log
}

// indexApp is a real HTTP server with the app's /index and a /metrics
// whose in-flight gauge always reads inFlight on /index and whose response
// counter reads counted(responses served so far).
func indexApp(t *testing.T, inFlight int, counted func(served int64) int64) *httptest.Server {
	var served atomic.Int64
	index := jsonHandler([]byte(`{"hello":"world"}`))
	srv, _ := serve(t, map[string]http.Handler{
		"/index": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			index(w, r)
		}),
		"/metrics": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; version=0.0.4")
			fmt.Fprintf(w, "# TYPE app_http_requests_in_flight gauge\napp_http_requests_in_flight{route=\"/index\"} %d\napp_http_requests_in_flight{route=\"/metrics\"} 1\n"+
				"# TYPE app_http_requests_total counter\napp_http_requests_total{code=\"200\",route=\"/index\"} %d\n", inFlight, counted(served.Load()))
		}),
	})
	return srv
}
