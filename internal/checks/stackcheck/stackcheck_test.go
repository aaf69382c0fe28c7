package stackcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
	"github.com/macrobench/macrobench/internal/lab/swarm"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/dns"
)

func loadRepoCompose(t *testing.T, env ...string) (string, *types.Project) {
	t.Helper()
	root := testenv.RepoRoot(t)
	p, err := LoadCompose(context.Background(), root, env)
	if err != nil {
		t.Fatal(err)
	}
	return root, p
}

func TestComposeHasTheLabsProperties(t *testing.T) {
	root, p := loadRepoCompose(t)
	if err := CheckCompose(p, root); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app", "postgres", "postgres-exporter", "prometheus", "grafana", "loadtest", "loadtest-local", "original", "loadtest-local-original"} {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("compose.yaml: services.%s: missing", name)
		}
	}

	app := p.Services["app"]
	if got := []string(app.HealthCheck.Test); !slices.Equal(got, []string{"CMD", "/app", "healthcheck"}) {
		t.Errorf("compose.yaml: services.app.healthcheck.test: %q, want the binary's own healthcheck subcommand", got)
	}
	if got, want := app.Environment["APP_DATABASE_URL"], "postgres://macrobench_app:"+dotenvDefault(t, "POSTGRES_APP_PASSWORD")+"@postgres:5432/macrobench?sslmode=disable"; got == nil || *got != want {
		t.Errorf("compose.yaml: services.app.environment.APP_DATABASE_URL: %v, want %s", got, want)
	}
	if app.Build == nil || app.Build.Context != root || app.Build.Dockerfile != "app/Dockerfile" {
		t.Errorf("compose.yaml: services.app.build: want context . and dockerfile app/Dockerfile")
	}

	pg := p.Services["postgres"]
	if hc := strings.Join(pg.HealthCheck.Test, " "); !strings.Contains(hc, "pg_isready") || !strings.Contains(hc, "-h 127.0.0.1") {
		t.Errorf("compose.yaml: services.postgres.healthcheck.test: %q must use pg_isready over TCP (-h 127.0.0.1) so it fails while the seed runs", hc)
	}
	if !slices.Contains(pg.Command, "config_file=/etc/postgresql/postgresql.conf") {
		t.Errorf("compose.yaml: services.postgres.command: %q does not load postgres/postgresql.conf", pg.Command)
	}
	mounted := map[string]string{}
	for _, v := range pg.Volumes {
		rel, _ := filepath.Rel(root, v.Source)
		mounted[v.Target] = filepath.ToSlash(rel)
	}
	if mounted["/etc/postgresql/postgresql.conf"] != "postgres/postgresql.conf" || mounted["/docker-entrypoint-initdb.d"] != "postgres/initdb" ||
		mounted["/etc/postgresql/pg_hba.conf"] != "postgres/pg_hba.conf" {
		t.Errorf("compose.yaml: services.postgres.volumes: want postgres/postgresql.conf, postgres/pg_hba.conf and postgres/initdb mounted, got %v", mounted)
	}

	for _, name := range []string{"app", "postgres", "loadtest", "loadtest-local", "original", "loadtest-local-original"} {
		if p.Services[name].CPUS <= 0 {
			t.Errorf("compose.yaml: services.%s.cpus: no CPU limit", name)
		}
	}
	if got := p.Services["loadtest-local"].NetworkMode; got != "service:app" {
		t.Errorf("compose.yaml: services.loadtest-local.network_mode: %q, want service:app (\"via localhost\")", got)
	}
	if got := p.Services["loadtest-local-original"].NetworkMode; got != "service:original" {
		t.Errorf("compose.yaml: services.loadtest-local-original.network_mode: %q, want service:original (\"via localhost\" for the original)", got)
	}
	// The two localhost generators are the same generator with the same
	// settings, each in its target's namespace.
	local, localOrig := p.Services["loadtest-local"], p.Services["loadtest-local-original"]
	if local.Image != localOrig.Image || !slices.Equal(local.Entrypoint, localOrig.Entrypoint) || local.CPUS != localOrig.CPUS ||
		local.MemLimit != localOrig.MemLimit || local.PidsLimit != localOrig.PidsLimit {
		t.Errorf("compose.yaml: services.loadtest-local-original: want loadtest-local's image, entrypoint and limits, got %s %q cpus %v mem %v pids %v",
			localOrig.Image, localOrig.Entrypoint, localOrig.CPUS, localOrig.MemLimit, localOrig.PidsLimit)
	}
	// Non-root (built images set USER in their Dockerfile): postgres too,
	// whose entrypoint then needs no capability.
	for _, name := range []string{"postgres", "postgres-exporter", "prometheus", "grafana"} {
		if u := p.Services[name].User; u == "" || u == "root" || u == "0" {
			t.Errorf("compose.yaml: services.%s.user: %q, want a non-root user", name, u)
		}
	}
}

func TestComposeCPULimitsComeFromTheEnvironment(t *testing.T) {
	_, defaults := loadRepoCompose(t)
	dotenv, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), ".env"))
	if err != nil {
		t.Fatal(err)
	}
	for name, variable := range map[string]string{"app": "APP_CPUS", "postgres": "POSTGRES_CPUS", "loadtest": "LOADTEST_CPUS"} {
		want := ""
		for _, line := range strings.Split(string(dotenv), "\n") {
			if v, ok := strings.CutPrefix(line, variable+"="); ok {
				want = v
			}
		}
		if want == "" {
			t.Errorf(".env: %s: no default", variable)
		} else if got := fmt.Sprint(defaults.Services[name].CPUS); got != want {
			t.Errorf("compose.yaml: services.%s.cpus: %s with .env, want %s from %s", name, got, want, variable)
		}
	}

	_, p := loadRepoCompose(t, "APP_CPUS=1.5", "POSTGRES_CPUS=0.75", "LOADTEST_CPUS=1.25")
	for name, want := range map[string]float32{"app": 1.5, "postgres": 0.75, "loadtest": 1.25, "loadtest-local": 1.25, "loadtest-local-original": 1.25} {
		if got := p.Services[name].CPUS; got != want {
			t.Errorf("compose.yaml: services.%s.cpus: %v, want %v from the environment", name, got, want)
		}
	}
}

// The versions the tests run (Prometheus's Go module, the PostgreSQL server
// binaries) are the versions compose.yaml pins.
func TestComposeImagesMatchTheVersionsTestsUse(t *testing.T) {
	root, p := loadRepoCompose(t)
	// This module's go.mod (internal/checks/stackcheck/go.mod): the root module
	// does not depend on Prometheus's.
	gomod, err := os.ReadFile("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`github.com/prometheus/prometheus (v\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("internal/checks/stackcheck/go.mod does not require github.com/prometheus/prometheus")
	}
	modVersion := string(m[1])
	want, err := PrometheusReleaseOfModule(modVersion)
	if err != nil {
		t.Fatal(err)
	}
	if got := ImageTag(p, "prometheus"); got != want {
		t.Errorf("compose.yaml: services.prometheus.image: tag %s, but the tests use the Go module %s (= %s)", got, modVersion, want)
	}
	script, err := os.ReadFile(filepath.Join(root, "scripts/build-tools.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(script), "PROMETHEUS_MODULE_VERSION="+modVersion) {
		t.Errorf("scripts/build-tools.sh: PROMETHEUS_MODULE_VERSION is not %s (internal/checks/stackcheck/go.mod's version)", modVersion)
	}

	// scripts/test.sh's PostgreSQL in Docker, where the machine has no server binaries.
	if got := p.Services["postgres"].Image; got != pgcluster.DockerImage {
		t.Errorf("compose.yaml: services.postgres.image: %s, but pgcluster.DockerImage (scripts/test.sh's PostgreSQL in Docker) is %s", got, pgcluster.DockerImage)
	}

	bin := testenv.PostgresBinDir(t)
	major := filepath.Base(filepath.Dir(bin)) // /usr/lib/postgresql/15/bin
	if got := ImageTag(p, "postgres"); !strings.HasPrefix(got, major+".") {
		t.Errorf("compose.yaml: services.postgres.image: tag %s, but the tests run PostgreSQL %s (%s)", got, major, bin)
	}
}

func TestComposeProblemsNameServiceAndField(t *testing.T) {
	cases := []struct {
		name, service, want string
	}{
		{"moving tag", `
  db:
    image: postgres:latest
    healthcheck: {test: ["CMD", "true"]}`, "services.db.image"},
		{"no tag", `
  db:
    image: postgres
    healthcheck: {test: ["CMD", "true"]}`, "services.db.image"},
		{"no healthcheck", `
  db:
    image: postgres:15.18-bookworm`, "services.db.healthcheck"},
		{"all interfaces", `
  db:
    image: postgres:15.18-bookworm
    healthcheck: {test: ["CMD", "true"]}
    ports: ["5432:5432"]`, "services.db.ports[0]"},
		{"started, not healthy", `
  db:
    image: postgres:15.18-bookworm
    healthcheck: {test: ["CMD", "true"]}
  web:
    image: nginx:1.27.0
    healthcheck: {test: ["CMD", "true"]}
    depends_on: {db: {condition: service_started}}`, "services.web.depends_on.db.condition"},
		{"missing bind source", `
  db:
    image: postgres:15.18-bookworm
    healthcheck: {test: ["CMD", "true"]}
    volumes: ["./nowhere/postgresql.conf:/etc/postgresql/postgresql.conf:ro"]`, "services.db.volumes[0]: bind source ./nowhere/postgresql.conf does not exist"},
		{"load without profile", `
  loadtest:
    image: macrobench/loadtest:1.0.0
    healthcheck: {test: ["CMD", "true"]}`, "services.loadtest.profiles"},
		{"load behind another service's profile", `
  loadtest:
    image: macrobench/loadtest:1.0.0
    profiles: [loadtest, original]`, "services.loadtest.profiles"},
		{"capabilities kept", confined("cap_drop: [CHOWN]"), "services.db.cap_drop"},
		{"capability added", confined("cap_add: [NET_ADMIN]"), "services.db.cap_add: NET_ADMIN is not a capability it needs"},
		{"setuid allowed", confined("security_opt: [seccomp=unconfined]"), "services.db.security_opt"},
		{"writable root", confined("read_only: false"), "services.db.read_only"},
		{"no memory limit", confined("mem_limit: 0"), "services.db.mem_limit"},
		{"no process limit", confined("pids_limit: 0"), "services.db.pids_limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			body := "services:" + c.service + "\n"
			if !strings.Contains(c.service, "loadtest") {
				body += `
  loadtest:
    image: macrobench/loadtest:1.0.0
    profiles: [loadtest]
`
			}
			if err := os.WriteFile(filepath.Join(dir, ComposeFile), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			p, err := LoadCompose(context.Background(), dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = CheckCompose(p, dir)
			if err == nil || !strings.Contains(err.Error(), "compose.yaml: "+c.want) {
				t.Fatalf("got %v, want an error naming compose.yaml: %s", err, c.want)
			}
		})
	}
}

// confined is a service db with every confinement compose.yaml's services
// have, one line replaced by override (same key).
func confined(override string) string {
	lines := []string{
		"security_opt: [\"no-new-privileges:true\"]",
		"cap_drop: [ALL]",
		"read_only: true",
		"mem_limit: 256m",
		"pids_limit: 100",
	}
	key, _, _ := strings.Cut(override, ":")
	body := "\n  db:\n    image: postgres:15.18-bookworm\n    healthcheck: {test: [\"CMD\", \"true\"]}"
	replaced := false
	for _, l := range lines {
		if strings.HasPrefix(l, key+":") {
			l, replaced = override, true
		}
		body += "\n    " + l
	}
	if !replaced {
		body += "\n    " + override
	}
	return body
}

// The confined service itself passes, so each case above fails for its line.
func TestConfinedServicePasses(t *testing.T) {
	dir := t.TempDir()
	body := "services:" + confined("user: \"999\"") + "\n  loadtest:\n    image: macrobench/loadtest:1.0.0\n    profiles: [loadtest]\n" +
		"    security_opt: [\"no-new-privileges:true\"]\n    cap_drop: [ALL]\n    read_only: true\n    mem_limit: 64m\n    pids_limit: 10\n"
	if err := os.WriteFile(filepath.Join(dir, ComposeFile), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := LoadCompose(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckCompose(p, dir); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
}

func TestComposeThatDoesNotLoadNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ComposeFile), []byte("services:\n  db:\n    image: postgres:15.18\n    cpus: many\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadCompose(context.Background(), dir, nil)
	if err == nil || !strings.Contains(err.Error(), ComposeFile) || !strings.Contains(err.Error(), "cpus") {
		t.Fatalf("got %v, want an error naming %s and cpus", err, ComposeFile)
	}
}

func TestPrometheusConfig(t *testing.T) {
	path := filepath.Join(testenv.RepoRoot(t), PrometheusFile)
	cfg, err := LoadPrometheus(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPrometheus(cfg, PrometheusFile); err != nil {
		t.Fatal(err)
	}
}

func TestPrometheusProblemsNameFileAndField(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"unknown field", "global:\n  scrape_intervall: 5s\n", "scrape_intervall"},
		{"bad duration", "global:\n  scrape_interval: fast\n", "fast"},
		{"slow scrape", "global:\n  scrape_interval: 30s\n  scrape_native_histograms: true\n  always_scrape_classic_histograms: true\nscrape_configs:\n- job_name: app\n  static_configs: [{targets: ['app:8000']}]\n", `scrape_configs[0] (job "app").scrape_interval`},
		{"no native histograms", "global:\n  scrape_interval: 5s\nscrape_configs:\n- job_name: app\n  static_configs: [{targets: ['app:8000']}]\n", "scrape_native_histograms"},
		{"missing job", "global:\n  scrape_interval: 5s\n", `no job "loadtest"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "prometheus.yml")
			if err := os.WriteFile(path, []byte(c.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := LoadPrometheus(path)
			if err == nil {
				err = CheckPrometheus(cfg, path)
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s and %s", err, path, c.want)
			}
		})
	}
}

func TestDashboardQueriesParse(t *testing.T) {
	ds, err := LoadDashboards(filepath.Join(testenv.RepoRoot(t), DashboardsDir))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, d := range ds {
		for _, q := range d.Queries {
			e, err := d.Parse(q)
			if err != nil {
				t.Error(err)
				continue
			}
			if len(MetricNames(e)) == 0 && !strings.HasPrefix(q.Expr, "up") {
				t.Errorf("%s: selects no metric by name: %s", q, q.Expr)
			}
			if strings.Contains(d.Substitute(q.Expr), "$") {
				t.Errorf("%s: unknown Grafana variable in %s", q, q.Expr)
			}
			n++
		}
	}
	if n < 30 {
		t.Errorf("only %d queries in the dashboards", n)
	}
	// The bench runner links to /d/<uid> and annotates that dashboard.
	if !slices.ContainsFunc(ds, func(d Dashboard) bool { return d.UID == grafanaids.BenchmarkDashboardUID }) {
		t.Errorf("%s: no dashboard with uid %q (grafanaids.BenchmarkDashboardUID)", DashboardsDir, grafanaids.BenchmarkDashboardUID)
	}
}

func TestDashboardProblemsNameFileAndPanel(t *testing.T) {
	base := `{"uid":"x","title":"X","schemaVersion":41,"templating":{"list":[]},"annotations":{"list":[]},"panels":[{"type":"timeseries","id":1,"title":"Broken",
	  "datasource":DS,"targets":[{"refId":"A","datasource":DS,"expr":EXPR}]}]}`
	good := `{"type":"prometheus","uid":"prometheus"}`
	cases := []struct{ name, ds, expr, want string }{
		{"bad PromQL", good, `"sum by (route (rate(x[$__rate_interval]))"`, `panel "Broken"`},
		{"import input", `{"type":"prometheus","uid":"${DS_PROMETHEUS}"}`, `"up"`, `panels[0].datasource.uid (panel "Broken")`},
		{"other datasource", `{"type":"prometheus","uid":"abc123"}`, `"up"`, `uid "abc123"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.json")
			body := strings.ReplaceAll(strings.ReplaceAll(base, "DS", c.ds), "EXPR", c.expr)
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := LoadDashboard(path)
			if err == nil {
				prov := Provisioning{Datasources: map[string]ProvisionedDatasource{"prometheus": {Type: "prometheus", UID: "prometheus"}}}
				err = CheckDashboard(d, prov)
			}
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s and %s", err, path, c.want)
			}
		})
	}
	t.Run("not a dashboard", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bad.json")
		if err := os.WriteFile(path, []byte(`{"uid":"x","panels":"many"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadDashboard(path); err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "panels") {
			t.Fatalf("got %v, want an error naming %s and panels", err, path)
		}
	})
}

func TestSubstitute(t *testing.T) {
	d := Dashboard{AllValues: map[string]string{"route": ".*"}}
	got := d.Substitute(`rate(x{route=~"$route",a=~"${route:regex}"}[$__rate_interval]) offset $__interval`)
	want := `rate(x{route=~".*",a=~".*"}[20s]) offset 5s`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

func TestProvisioning(t *testing.T) {
	root, p := loadRepoCompose(t)
	if err := CheckProvisioning(p, root); err != nil {
		t.Fatal(err)
	}
}

// prometheus.yml's targets are compose services at the ports they listen on.
func TestPrometheusTargetsAreComposeServices(t *testing.T) {
	root, p := loadRepoCompose(t)
	cfg, err := LoadPrometheus(filepath.Join(root, PrometheusFile))
	if err != nil {
		t.Fatal(err)
	}
	// What each service listens on, as compose.yaml configures it.
	listens := map[string]bool{"localhost:9090": true}
	if v := p.Services["app"].Environment["APP_LISTEN_ADDR"]; v != nil {
		listens["app"+*v] = true
	}
	for _, a := range p.Services["postgres-exporter"].Command {
		if v, ok := strings.CutPrefix(a, "--web.listen-address="); ok {
			listens["postgres-exporter"+v] = true
		}
	}
	for name, host := range map[string]string{"loadtest": "loadtest", "loadtest-local": "app", "loadtest-local-original": "original"} {
		ep := p.Services[name].Entrypoint
		i := slices.Index(ep, "--metrics-addr")
		if i < 0 || i+1 >= len(ep) {
			t.Errorf("compose.yaml: services.%s.entrypoint: %q does not serve metrics (--metrics-addr)", name, ep)
			continue
		}
		listens[host+ep[i+1]] = true
	}
	// Via localhost, part I of a run serves on 9101+I in the target's
	// namespace (internal/lab/benchrun): parts 2.. at the next ports.
	for _, host := range []string{"app", "original"} {
		for port := 9103; port <= 9105; port++ {
			listens[fmt.Sprintf("%s:%d", host, port)] = true
		}
	}
	for _, sc := range cfg.ScrapeConfigs {
		for _, sd := range sc.ServiceDiscoveryConfigs {
			if dns, ok := sd.(*dns.SDConfig); ok {
				// Every container with one of these names (compose aliases).
				for _, name := range dns.Names {
					if target := fmt.Sprintf("%s:%d", name, dns.Port); !listens[target] || dns.Type != "A" {
						t.Errorf("%s: job %q: DNS discovery of %s (type %s) finds no compose service's listen address (%v)", PrometheusFile, sc.JobName, target, dns.Type, listens)
					}
				}
				continue
			}
			b, _ := json.Marshal(sd)
			var groups []struct {
				Targets []string `json:"targets"`
			}
			if err := json.Unmarshal(b, &groups); err != nil {
				t.Fatalf("%s: job %s: %v", PrometheusFile, sc.JobName, err)
			}
			for _, g := range groups {
				for _, target := range g.Targets {
					if !listens[target] {
						t.Errorf("%s: job %q: target %s is not a compose service's listen address (%v)", PrometheusFile, sc.JobName, target, listens)
					}
				}
			}
		}
	}
}

func TestSwarmStackMatchesCompose(t *testing.T) {
	root, c := loadRepoCompose(t)
	s, err := LoadSwarm(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSwarm(s, c, root); err != nil {
		t.Fatal(err)
	}
	// Broken on purpose: a VIP, an ingress port, a restarted job, a lost
	// label; node-exporter replicated, publishing, writable, on a node's own
	// hostname no more.
	ne := s.Services[NodeExporter]
	ne.Deploy.Mode = "replicated"
	ne.Ports = []types.ServicePortConfig{{Target: 9100, Published: "9100", Mode: "host"}}
	ne.Volumes[2].ReadOnly = false
	ne.ReadOnly = false
	ne.Hostname = ""
	s.Services[NodeExporter] = ne
	s.Services["app"].Deploy.EndpointMode = "vip"
	app := s.Services["app"]
	app.Ports = []types.ServicePortConfig{{Target: 8000, Published: "8000", Mode: "host"}}
	pw := "sesame"
	url := "postgres://macrobench_app:sesame@postgres:5432/macrobench"
	app.Environment["APP_DATABASE_URL"] = &url
	s.Services["app"] = app
	pg := s.Services["postgres"]
	pg.Environment["POSTGRES_APP_PASSWORD"] = &pw
	s.Services["postgres"] = pg
	g := s.Services["grafana"]
	on := "true"
	g.Environment["GF_AUTH_ANONYMOUS_ENABLED"] = &on
	s.Services["grafana"] = g
	delete(s.Networks[swarm.OverlayEncrypted].DriverOpts, "encrypted")
	s.Services["loadtest"].Deploy.RestartPolicy.Condition = "on-failure"
	s.Services["postgres"].Deploy.Placement.Constraints = nil
	err = CheckSwarm(s, c, root)
	for _, want := range []string{"services.app.deploy.endpoint_mode", "services.app.ports: 1 published", "services.app.environment.APP_DATABASE_URL: a URL with a password",
		"services.postgres.environment.POSTGRES_APP_PASSWORD: a credential", "services.grafana.environment.GF_AUTH_ANONYMOUS_ENABLED", "networks.encrypted.driver_opts", "services.loadtest.deploy.restart_policy.condition", "services.postgres.deploy.placement.constraints",
		"services.node-exporter.deploy.mode", "services.node-exporter.ports", "services.node-exporter.volumes[2].read_only",
		"services.node-exporter.read_only", "services.node-exporter.hostname"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("broken %s not reported: %v", want, err)
		}
	}
}

// swarm.publish.yaml publishes the four ports in host mode and nothing else.
func TestSwarmPublishOptIn(t *testing.T) {
	root := testenv.RepoRoot(t)
	p, err := LoadSwarm(context.Background(), root, nil, SwarmPublishFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSwarmPublish(p); err != nil {
		t.Fatal(err)
	}
	// Broken on purpose: the routing mesh, and node-exporter published.
	p.Services["prometheus"].Ports[0].Mode = "ingress"
	ne := p.Services[NodeExporter]
	ne.Ports = []types.ServicePortConfig{{Target: 9100, Published: "9100", Mode: "host"}}
	p.Services[NodeExporter] = ne
	err = CheckSwarmPublish(p)
	for _, want := range []string{"services.prometheus.ports[0].mode", "services.node-exporter.ports"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("broken %s not reported: %v", want, err)
		}
	}
	// Without it, nothing is published (CheckSwarm says so too).
	s, err := LoadSwarm(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSwarmPublish(s); err == nil || !strings.Contains(err.Error(), "services.app.ports") {
		t.Errorf("swarm.yaml alone: %v, want the app's port missing", err)
	}
}

func TestPrometheusSwarmConfigFindsTasksByDNS(t *testing.T) {
	root := testenv.RepoRoot(t)
	cfg, err := LoadPrometheus(filepath.Join(root, PrometheusFile))
	if err != nil {
		t.Fatal(err)
	}
	sw, err := LoadPrometheus(filepath.Join(root, PrometheusSwarmFile))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckPrometheusSwarm(sw, cfg); err != nil {
		t.Fatal(err)
	}
	// prometheus.yml's static targets are not the swarm's.
	if err := CheckPrometheusSwarm(cfg, cfg); err == nil || !strings.Contains(err.Error(), "tasks.loadtest") {
		t.Errorf("static targets not reported: %v", err)
	}
	// Broken on purpose: no node-exporter job.
	var kept []*config.ScrapeConfig
	for _, sc := range sw.ScrapeConfigs {
		if sc.JobName != "node" {
			kept = append(kept, sc)
		}
	}
	sw.ScrapeConfigs = kept
	if err := CheckPrometheusSwarm(sw, cfg); err == nil || !strings.Contains(err.Error(), `no job "node"`) {
		t.Errorf("no node job not reported: %v", err)
	}
}

// The app's, PostgreSQL's and the generators' CPU sets are .env variables,
// empty by default: compose-go loads an empty cpuset as no restriction
// (docker's CpusetCpus "": any CPU), and the environment sets it.
func TestComposeCPUSetsComeFromTheEnvironment(t *testing.T) {
	services := map[string]string{"app": "APP_CPUSET", "postgres": "POSTGRES_CPUSET", "loadtest": "LOADTEST_CPUSET",
		"loadtest-local": "LOADTEST_CPUSET", "loadtest-local-original": "LOADTEST_CPUSET"}
	_, defaults := loadRepoCompose(t)
	for name := range services {
		if got := defaults.Services[name].CPUSet; got != "" {
			t.Errorf("compose.yaml: services.%s.cpuset: %q with .env, want empty (no restriction)", name, got)
		}
	}
	_, p := loadRepoCompose(t, "APP_CPUSET=0", "POSTGRES_CPUSET=0-1", "LOADTEST_CPUSET=1")
	want := map[string]string{"APP_CPUSET": "0", "POSTGRES_CPUSET": "0-1", "LOADTEST_CPUSET": "1"}
	for name, variable := range services {
		if got := p.Services[name].CPUSet; got != want[variable] {
			t.Errorf("compose.yaml: services.%s.cpuset: %q, want %q from %s", name, got, want[variable], variable)
		}
	}
}
