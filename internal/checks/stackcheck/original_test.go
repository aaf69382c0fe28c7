package stackcheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// loadDefaultCompose loads compose.yaml as a plain `docker compose up` sees
// it: no profile enabled (LoadCompose enables them all).
func loadDefaultCompose(t *testing.T) *types.Project {
	t.Helper()
	root := testenv.RepoRoot(t)
	opts, err := cli.NewProjectOptions([]string{filepath.Join(root, ComposeFile)},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(nil),
		cli.WithEnvFiles(), // dir/.env, as docker compose finds it
		cli.WithDotEnv,
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// dotenvDefault is .env's value of variable ("" when absent).
func dotenvDefault(t *testing.T, variable string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), ".env"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, variable+"="); ok {
			return v
		}
	}
	return ""
}

// The original Flask app is a service of the lab, started only on demand:
// `docker compose --profile original up -d original`.
func TestOriginalServiceIsBehindItsProfile(t *testing.T) {
	root, p := loadRepoCompose(t)
	s, ok := p.Services["original"]
	if !ok {
		t.Fatal("compose.yaml: services.original: missing")
	}
	if !slices.Equal(s.Profiles, []string{"original"}) {
		t.Errorf("compose.yaml: services.original.profiles: %v, want [original]", s.Profiles)
	}
	def := loadDefaultCompose(t)
	if _, ok := def.Services["app"]; !ok {
		t.Fatal("compose.yaml without profiles: services.app missing (the loader dropped too much)")
	}
	if _, ok := def.Services["loadtest"]; ok {
		t.Fatal("compose.yaml without profiles: services.loadtest present (the loader enabled profiles)")
	}
	if _, ok := def.Services["original"]; ok {
		t.Error("compose.yaml: services.original: a plain `docker compose up` starts it")
	}

	if s.Build == nil || s.Build.Context != filepath.Join(root, "original") {
		t.Errorf("compose.yaml: services.original.build: want context original/")
	}
	if len(s.Ports) != 1 || s.Ports[0].HostIP != "127.0.0.1" || s.Ports[0].Published != "8001" || s.Ports[0].Target != 8000 {
		t.Errorf("compose.yaml: services.original.ports: %+v, want 127.0.0.1:8001:8000 only", s.Ports)
	}
	if hc := s.HealthCheck; hc == nil || hc.Disable || len(hc.Test) == 0 || !strings.Contains(strings.Join(hc.Test, " "), "/index") {
		t.Errorf("compose.yaml: services.original.healthcheck: %+v, want a check of /index", hc)
	}
	if d, ok := s.DependsOn["postgres"]; !ok || d.Condition != types.ServiceConditionHealthy {
		t.Errorf("compose.yaml: services.original.depends_on.postgres: %+v, want condition service_healthy", d)
	}
	if got, want := s.Environment["ORIGINAL_DATABASE_URL"], "postgres://macrobench_app:"+dotenvDefault(t, "POSTGRES_APP_PASSWORD")+"@postgres:5432/macrobench?sslmode=disable"; got == nil || *got != want {
		t.Errorf("compose.yaml: services.original.environment.ORIGINAL_DATABASE_URL: %v, want %s (the read-only role)", got, want)
	}

	// Settings come from .env, and the shell overrides them.
	for field, variable := range map[string]string{"cpus": "ORIGINAL_CPUS", "ORIGINAL_WORKERS": "ORIGINAL_WORKERS", "ORIGINAL_POOL_SIZE": "ORIGINAL_POOL_SIZE"} {
		want := dotenvDefault(t, variable)
		if want == "" {
			t.Errorf(".env: %s: no default", variable)
			continue
		}
		if got := originalSetting(s, field); got != want {
			t.Errorf("compose.yaml: services.original: %s is %s with .env, want %s from %s", field, got, want, variable)
		}
	}
	_, over := loadRepoCompose(t, "ORIGINAL_CPUS=1.5", "ORIGINAL_WORKERS=4", "ORIGINAL_POOL_SIZE=3")
	for field, want := range map[string]string{"cpus": "1.5", "ORIGINAL_WORKERS": "4", "ORIGINAL_POOL_SIZE": "3"} {
		if got := originalSetting(over.Services["original"], field); got != want {
			t.Errorf("compose.yaml: services.original: %s is %s, want %s from the environment", field, got, want)
		}
	}
}

func originalSetting(s types.ServiceConfig, field string) string {
	if field == "cpus" {
		return fmt.Sprint(s.CPUS)
	}
	if v := s.Environment[field]; v != nil {
		return *v
	}
	return ""
}

// The e2e's stand-in file builds the original on the debootstrapped base.
func TestOriginalStandInBuildsOnTheDebianStandIn(t *testing.T) {
	root := testenv.RepoRoot(t)
	opts, err := cli.NewProjectOptions(
		[]string{filepath.Join(root, ComposeFile), filepath.Join(root, "scripts/e2e/compose.standins.yaml")},
		cli.WithWorkingDirectory(root),
		cli.WithEnv(nil),
		cli.WithEnvFiles(), // dir/.env, as docker compose finds it
		cli.WithDotEnv,
		cli.WithProfiles([]string{"*"}),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s := p.Services["original"]
	if s.Build == nil {
		t.Fatal("compose.yaml + scripts/e2e/compose.standins.yaml: services.original.build: missing")
	}
	if got := s.Build.Args["BASE_IMAGE"]; got == nil || *got != "macrobench-standin/debian:bookworm" {
		t.Errorf("scripts/e2e/compose.standins.yaml: services.original.build.args.BASE_IMAGE: %v, want macrobench-standin/debian:bookworm", got)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "original/Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(dockerfile), "ARG BASE_IMAGE=debian:bookworm-") {
		t.Error("original/Dockerfile: ARG BASE_IMAGE: want a default pinned to a dated debian:bookworm-YYYYMMDD tag")
	}
}

// compose.yaml loads (compose checks a project's consistency after the
// profiles are applied) with every profile set the bench and the README
// use: the app's generators alone, the original alone, and the original's
// localhost generator beside it. loadtest-local-original names
// service:original: behind "loadtest" it would break every `--profile
// loadtest` command while the original's profile is off.
func TestComposeLoadsWithEveryProfileSetInUse(t *testing.T) {
	root := testenv.RepoRoot(t)
	for _, profiles := range [][]string{nil, {"loadtest"}, {"original"}, {"loadtest", "original"}, {"original", "loadtest-original"}} {
		opts, err := cli.NewProjectOptions([]string{filepath.Join(root, ComposeFile)},
			cli.WithWorkingDirectory(root), cli.WithEnv(nil), cli.WithEnvFiles(), cli.WithDotEnv,
			cli.WithProfiles(profiles), cli.WithResolvedPaths(true))
		if err != nil {
			t.Fatal(err)
		}
		p, err := opts.LoadProject(context.Background())
		if err != nil {
			t.Errorf("docker compose --profile %v: %v", profiles, err)
			continue
		}
		_, gen := p.Services["loadtest-local-original"]
		if want := slices.Contains(profiles, "loadtest-original"); gen != want {
			t.Errorf("--profile %v: loadtest-local-original enabled %v, want %v", profiles, gen, want)
		}
		if _, up := p.Services["loadtest"]; up && !slices.Contains(profiles, "loadtest") {
			t.Errorf("--profile %v starts the load generator", profiles)
		}
	}
}
