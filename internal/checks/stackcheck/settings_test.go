package stackcheck

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// The settings the official images want of the lab, in compose.yaml and in
// swarm.yaml alike.
func loadBothStacks(t *testing.T) map[string]*types.Project {
	t.Helper()
	root, c := loadRepoCompose(t)
	s, err := LoadSwarm(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*types.Project{ComposeFile: c, SwarmFile: s}
}

// Retention lives in the configuration file (storage.tsdb.retention), the
// form Prometheus 3 prefers: its --storage.tsdb.retention.* flags are
// deprecated, and the file's block takes precedence over them. Both limits
// are set, and the swarm's file has the same.
func TestPrometheusRetentionIsInItsConfigurationFile(t *testing.T) {
	root := testenv.RepoRoot(t)
	for file, p := range loadBothStacks(t) {
		for _, a := range p.Services["prometheus"].Command {
			if strings.HasPrefix(a, "--storage.tsdb.retention") {
				t.Errorf("%s: services.prometheus.command: %q is deprecated; retention belongs in the configuration file", file, a)
			}
		}
	}
	var got []string
	for _, file := range []string{PrometheusFile, PrometheusSwarmFile} {
		cfg, err := LoadPrometheus(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		ts := cfg.StorageConfig.TSDBConfig
		if ts == nil || ts.Retention == nil {
			t.Fatalf("%s: storage.tsdb.retention: missing", file)
		}
		r := ts.Retention
		// 15 days, 2 GiB: what the lab has always kept (README).
		if time.Duration(r.Time) != 15*24*time.Hour || int64(r.Size) != 2<<30 {
			t.Errorf("%s: storage.tsdb.retention: time %v, size %d bytes; want 15d and 2GB", file, r.Time, int64(r.Size))
		}
		got = append(got, r.Time.String()+" "+r.Size.String())
	}
	if got[0] != got[1] {
		t.Errorf("retention: %s has %s, %s has %s", PrometheusFile, got[0], PrometheusSwarmFile, got[1])
	}
}

// Grafana starts offline: its background installation of preinstalled
// plugins is off ([plugins] preinstall_disabled). Its first start migrates
// an empty database on one CPU before /api/health answers, so failing
// checks count only after a start period long enough for that: two minutes
// at least (the old 30 s plus retries ran out first).
func TestGrafanaStartsOfflineWithTimeToMigrate(t *testing.T) {
	for file, p := range loadBothStacks(t) {
		g := p.Services["grafana"]
		if v := g.Environment["GF_PLUGINS_PREINSTALL_DISABLED"]; v == nil || *v != "true" {
			t.Errorf("%s: services.grafana.environment.GF_PLUGINS_PREINSTALL_DISABLED: want \"true\"", file)
		}
		if g.HealthCheck == nil || g.HealthCheck.StartPeriod == nil || time.Duration(*g.HealthCheck.StartPeriod) < 2*time.Minute {
			t.Errorf("%s: services.grafana.healthcheck.start_period: want at least 2m for the first start's migrations", file)
		}
		// Engine 25+ only: compose.yaml must also run on Debian's 20.10.
		if g.HealthCheck != nil && g.HealthCheck.StartInterval != nil {
			t.Errorf("%s: services.grafana.healthcheck.start_interval: needs Docker Engine 25", file)
		}
	}
}

// `docker compose exec postgres psql` keeps a history: PSQL_HISTORY points
// into a tmpfs of the container (its home is on the read-only root).
func TestPsqlHistoryIsWritable(t *testing.T) {
	for file, p := range loadBothStacks(t) {
		pg := p.Services["postgres"]
		h := pg.Environment["PSQL_HISTORY"]
		if h == nil || !filepath.IsAbs(*h) {
			t.Errorf("%s: services.postgres.environment.PSQL_HISTORY: want an absolute path", file)
			continue
		}
		writable := slices.Clone(pg.Tmpfs)
		for _, v := range pg.Volumes {
			if v.Type == types.VolumeTypeTmpfs {
				writable = append(writable, v.Target)
			}
		}
		in := false
		for _, dir := range writable {
			dir, _, _ = strings.Cut(dir, ":")
			if strings.HasPrefix(*h, strings.TrimSuffix(dir, "/")+"/") {
				in = true
			}
		}
		if !pg.ReadOnly || !in {
			t.Errorf("%s: services.postgres: PSQL_HISTORY %s is not in a tmpfs (%v) of a read-only root", file, *h, writable)
		}
	}
}

// The runner image copies the Docker CLI and its plugins from the docker
// CLI image: buildx among them (compose builds through it), and the e2e's
// stand-in for that image holds every file the runner copies.
func TestRunnerGetsBuildxAndTheStandInHasIt(t *testing.T) {
	root := testenv.RepoRoot(t)
	read := func(rel string) string {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	copied := regexp.MustCompile(`(?m)^COPY --from=docker-cli (\S+) \S+$`).FindAllStringSubmatch(read("scripts/runner/Dockerfile"), -1)
	var paths []string
	for _, m := range copied {
		paths = append(paths, m[1])
	}
	const buildx = "/usr/local/libexec/docker/cli-plugins/docker-buildx"
	if !slices.Contains(paths, buildx) {
		t.Errorf("scripts/runner/Dockerfile: copies %q from the docker CLI image, not %s", paths, buildx)
	}
	standIn := regexp.MustCompile(`(?m)^COPY \S+ (\S+)$`).FindAllStringSubmatch(read("scripts/e2e/docker-cli/Dockerfile"), -1)
	var has []string
	for _, m := range standIn {
		has = append(has, m[1])
	}
	for _, p := range paths {
		if !slices.Contains(has, p) {
			t.Errorf("scripts/e2e/docker-cli/Dockerfile: no %s (the runner image copies it)", p)
		}
	}
}
