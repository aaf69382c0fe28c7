package stackcheck

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/proc"
	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// Live: the real Prometheus (the pinned release, built by
// scripts/build-tools.sh) scrapes the real app, postgres_exporter and load
// generator with the repository's scrape settings, only the targets moved to
// this machine; then every dashboard query must return data.
func TestDashboardQueriesReturnDataFromTheRealStack(t *testing.T) {
	promBin := testenv.Env(t, "MACROBENCH_PROMETHEUS_BIN")
	exporterBin := testenv.Env(t, "MACROBENCH_POSTGRES_EXPORTER_BIN")
	root := testenv.RepoRoot(t)
	project, err := LoadCompose(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkToolVersions(t, project, promBin, exporterBin)
	dashboards, err := LoadDashboards(filepath.Join(root, DashboardsDir))
	if err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	appBin, loadBin := filepath.Join(dir, "app"), filepath.Join(dir, "loadtest")
	var wg sync.WaitGroup
	buildErrs := make([]error, 2)
	for i, b := range [][2]string{{appBin, "./app"}, {loadBin, "./loadtest"}} {
		wg.Go(func() {
			cmd := exec.Command("go", "build", "-o", b[0], b[1])
			cmd.Dir = root
			if out, err := cmd.CombinedOutput(); err != nil {
				buildErrs[i] = fmt.Errorf("go build %s: %v\n%s", b[1], err, out)
			}
		})
	}
	pg := testenv.StartPostgres(t)
	wg.Wait()
	for _, err := range buildErrs {
		if err != nil {
			t.Fatal(err)
		}
	}

	// The app and the exporter log in as compose.yaml has them log in (their
	// roles, .env's passwords), only the host moved to the private cluster.
	appAddr := testenv.FreeAddr(t)
	appDB := strings.Replace(*project.Services["app"].Environment["APP_DATABASE_URL"], "@postgres:5432/", "@"+pg.Addr()+"/", 1)
	app := startServer(t, dir, "app", "http://"+appAddr+"/healthz", 30*time.Second, appBin, nil, "APP_LISTEN_ADDR="+appAddr, "APP_DATABASE_URL="+appDB)

	exporterAddr := testenv.FreeAddr(t)
	exporterArgs, exporterEnv := exporterCommand(t, project, root, exporterAddr, pg.Addr())
	startServer(t, dir, "postgres_exporter", "http://"+exporterAddr+"/metrics", 30*time.Second, exporterBin, exporterArgs, exporterEnv...)

	routes := []string{"/index", "/agents", "/agents_with_pool"}
	loadAddrs := make([]string, len(routes))
	for i := range routes {
		loadAddrs[i] = testenv.FreeAddr(t)
	}
	promAddr := testenv.FreeAddr(t)
	cfgPath := localPrometheusConfig(t, root, dir, map[string][]string{
		"prometheus": {promAddr},
		"app":        {appAddr},
		"postgres":   {exporterAddr},
		"loadtest":   loadAddrs,
	})
	startServer(t, dir, "prometheus", "http://"+promAddr+"/-/ready", 60*time.Second,
		promBin, prometheusCommand(t, project, cfgPath, filepath.Join(dir, "tsdb"), promAddr))
	prom, err := promapi.New("http://" + promAddr)
	if err != nil {
		t.Fatal(err)
	}
	// Before the load: the generator's targets are down, the rest up.
	waitFor(t, prom, `sum by (job) (up{job=~"app|postgres|prometheus"}) == 1`, 3, 30*time.Second)

	start := time.Now()
	for i, route := range routes {
		wg.Go(func() {
			cmd := exec.Command(loadBin, "-t2", "-c10", "-d20s", "-R200",
				"--metrics-addr", loadAddrs[i], "--metrics-linger", "7s",
				"--run-id", "live", "http://"+appAddr+route)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("loadtest %s: %v\n%s", route, err, out)
			} else {
				t.Logf("loadtest %s:\n%s", route, out)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// One more scrape so the generators are seen down.
	time.Sleep(6 * time.Second)
	end := time.Now()

	exported, err := prom.LabelValues(context.Background(), "__name__")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range dashboards {
		for _, q := range d.Queries {
			e, err := d.Parse(q)
			if err != nil {
				t.Error(err)
				continue
			}
			for _, name := range MetricNames(e) {
				if !slices.Contains(exported, name) {
					t.Errorf("%s: metric %s is not exported by the app, the generator or the exporter", q, name)
				}
			}
			floats, hists, err := samplesInRange(prom, d.Substitute(q.Expr), start.Add(-30*time.Second), end, 5*time.Second)
			n := floats + hists
			if err != nil {
				t.Errorf("%s: %v", q, err)
			} else if n == 0 {
				t.Errorf("%s: no data over the live run: %s", q, d.Substitute(q.Expr))
			}
		}
	}

	// Both kinds of histogram are stored: native samples under the bare
	// name, classic buckets under _bucket.
	for expr, kind := range map[string]string{
		`sum(rate(app_http_request_duration_seconds[20s]))`:        "native",
		`sum(rate(loadtest_latency_seconds[20s]))`:                 "native",
		`sum(rate(app_http_request_duration_seconds_bucket[20s]))`: "classic",
		`sum(rate(loadtest_latency_seconds_bucket[20s]))`:          "classic",
	} {
		floats, hists, err := samplesInRange(prom, expr, start, end, 5*time.Second)
		switch {
		case err != nil:
			t.Errorf("%s: %v", expr, err)
		case kind == "native" && hists == 0:
			t.Errorf("%s: no native histogram samples (scrape_native_histograms not in effect?)", expr)
		case kind == "classic" && floats == 0:
			t.Errorf("%s: no classic buckets (always_scrape_classic_histograms not in effect?)", expr)
		}
	}

	// The generator gone: its targets are just down; everything else is
	// still scraped, and the app did not notice.
	waitFor(t, prom, `up{job="loadtest"} == 0`, len(routes), 15*time.Second)
	waitFor(t, prom, `up{job=~"app|postgres|prometheus"} == 1`, 3, 15*time.Second)
	select {
	case <-app.Exited():
		t.Errorf("the app exited: %v", app.Cmd.ProcessState)
	default:
	}
	// Grafana itself: TestGrafanaServesTheProvisionedDashboards (only where
	// the official image runs).
}

// checkToolVersions: the binaries the live test runs are the releases
// compose.yaml pins.
func checkToolVersions(t *testing.T, p *types.Project, promBin, exporterBin string) {
	t.Helper()
	info, err := buildinfo.ReadFile(promBin)
	if err != nil {
		t.Fatalf("MACROBENCH_PROMETHEUS_BIN=%s: %v", promBin, err)
	}
	mod := info.Main
	for _, d := range info.Deps {
		if d.Path == "github.com/prometheus/prometheus" {
			mod = *d
		}
	}
	release, err := PrometheusReleaseOfModule(mod.Version)
	if err != nil {
		t.Fatalf("MACROBENCH_PROMETHEUS_BIN=%s: %v", promBin, err)
	}
	if tag := ImageTag(p, "prometheus"); tag != release {
		t.Errorf("MACROBENCH_PROMETHEUS_BIN is Prometheus %s, compose.yaml pins %s", release, tag)
	}
	out, _ := exec.Command(exporterBin, "--version").CombinedOutput()
	want := strings.TrimPrefix(ImageTag(p, "postgres-exporter"), "v")
	if !strings.Contains(string(out), "version "+want) {
		t.Errorf("MACROBENCH_POSTGRES_EXPORTER_BIN=%s is not postgres_exporter %s (compose.yaml's): %s", exporterBin, want, out)
	}
}

// exporterCommand is compose's postgres-exporter command and environment,
// with container paths mapped back to the repository files mounted there and
// the database moved to dbAddr (host:port); its role and password are kept.
func exporterCommand(t *testing.T, p *types.Project, root, addr, dbAddr string) ([]string, []string) {
	t.Helper()
	s := p.Services["postgres-exporter"]
	mounts := map[string]string{}
	for _, v := range s.Volumes {
		if v.Type == types.VolumeTypeBind {
			mounts[v.Target] = v.Source
		}
	}
	local := func(v string) string {
		if src, ok := mounts[v]; ok {
			return src
		}
		return v
	}
	var args []string
	for _, a := range s.Command {
		name, val, ok := strings.Cut(a, "=")
		switch {
		case name == "--web.listen-address":
			continue
		case ok:
			args = append(args, name+"="+local(val))
		default:
			args = append(args, a)
		}
	}
	args = append(args, "--web.listen-address="+addr)
	var env []string
	for k, v := range s.Environment {
		switch {
		case v == nil:
		case k == "DATA_SOURCE_URI":
			env = append(env, k+"="+strings.Replace(*v, "postgres:5432/", dbAddr+"/", 1))
		default:
			env = append(env, k+"="+local(*v))
		}
	}
	if s.Environment["DATA_SOURCE_URI"] == nil || s.Environment["DATA_SOURCE_USER"] == nil {
		t.Fatalf("compose.yaml: services.postgres-exporter.environment: no DATA_SOURCE_URI/DATA_SOURCE_USER (the exporter's login)")
	}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--extend.query-path=") }) {
		t.Fatalf("compose.yaml: services.postgres-exporter.command: no --extend.query-path (the pg_stat_statements panel needs it)")
	}
	return args, env
}

// prometheusCommand is compose's prometheus command with the config file,
// storage and listen address moved here (retention flags kept).
func prometheusCommand(t *testing.T, p *types.Project, cfg, tsdb, addr string) []string {
	t.Helper()
	var args []string
	for _, a := range p.Services["prometheus"].Command {
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "--config.file", "--storage.tsdb.path", "--web.listen-address":
		default:
			args = append(args, a)
		}
	}
	return append(args, "--config.file="+cfg, "--storage.tsdb.path="+tsdb, "--web.listen-address="+addr)
}

// localPrometheusConfig writes the repository's prometheus.yml with each
// job's targets replaced; every other setting is kept as it is.
func localPrometheusConfig(t *testing.T, root, dir string, targets map[string][]string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, PrometheusFile))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", PrometheusFile, err)
	}
	jobs, _ := doc["scrape_configs"].([]any)
	for _, j := range jobs {
		job := j.(map[string]any)
		name, _ := job["job_name"].(string)
		tg, ok := targets[name]
		if !ok {
			t.Fatalf("%s: job %q has no local target in the live test", PrometheusFile, name)
		}
		job["static_configs"] = []any{map[string]any{"targets": tg}}
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := LoadPrometheus(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPrometheus(cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// startServer runs bin until the test ends (testenv.StartServer), its
// output in dir/name.log, and waits until url answers.
func startServer(t *testing.T, dir, name, url string, timeout time.Duration, bin string, args []string, env ...string) *proc.Process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	return testenv.StartServer(t, cmd, filepath.Join(dir, name+".log"), url, timeout)
}

// samplesInRange counts the finite float samples and the histogram samples
// expr returns over [start, end].
func samplesInRange(prom *promapi.Client, expr string, start, end time.Time, step time.Duration) (floats, hists int, err error) {
	m, err := prom.Range(context.Background(), expr, start, end, step)
	if err != nil {
		return 0, 0, err
	}
	for _, s := range m {
		hists += len(s.Histograms)
		for _, v := range s.Values {
			if f := float64(v.Value); !math.IsNaN(f) && !math.IsInf(f, 0) {
				floats++
			}
		}
	}
	return floats, hists, nil
}

// waitFor waits until the instant query returns want series.
func waitFor(t *testing.T, prom *promapi.Client, expr string, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	got := -1
	var err error
	for time.Now().Before(deadline) {
		vec, verr := prom.Vector(context.Background(), expr, time.Now())
		if err = verr; err == nil {
			if got = len(vec); got == want {
				return
			}
		}
		time.Sleep(time.Second)
	}
	t.Fatalf("%s: %d series after %s, want %d (%v)", expr, got, timeout, want, err)
}
