package e2echeck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/shared/docker"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// ServiceEnv is a service's environment as compose resolves it (.env and the
// shell interpolated), from `docker compose config`.
func (d Stack) ServiceEnv(ctx context.Context, service string) (map[string]string, error) {
	out, err := d.ComposeOutput(ctx, "config", "--format", "json")
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Services map[string]struct {
			Environment map[string]*string `json:"environment"`
		} `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		return nil, fmt.Errorf("docker compose config: %v", err)
	}
	s, ok := cfg.Services[service]
	if !ok {
		return nil, fmt.Errorf("docker compose config: no service %s", service)
	}
	env := map[string]string{}
	for k, v := range s.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	return env, nil
}

// Endpoints is where the checks reach the stack: published URLs and the
// database as the app's role.
type Endpoints struct {
	AppURL, PrometheusURL string
	DatabaseAddr          string            // postgres's published host:port
	Passwords             map[string]string // role -> password, as compose gave them to postgres
}

// AppDSN is the published database as the app's (read-only) role.
func (s Endpoints) AppDSN() string {
	return pgroles.URL(pgroles.App, s.Passwords[pgroles.App], s.DatabaseAddr)
}

// FindEndpoints asks compose where the app, Prometheus and PostgreSQL are
// published and which passwords the roles got.
func FindEndpoints(ctx context.Context, d Stack) (Endpoints, error) {
	var s Endpoints
	var err error
	if s.AppURL, err = d.Published(ctx, "app", 8000); err != nil {
		return s, err
	}
	s.AppURL = "http://" + s.AppURL
	if s.PrometheusURL, err = d.Published(ctx, "prometheus", 9090); err != nil {
		return s, err
	}
	s.PrometheusURL = "http://" + s.PrometheusURL
	if s.DatabaseAddr, err = d.Published(ctx, "postgres", 5432); err != nil {
		return s, err
	}
	env, err := d.ServiceEnv(ctx, "postgres")
	if err != nil {
		return s, err
	}
	s.Passwords = map[string]string{}
	for _, role := range pgroles.Roles {
		if s.Passwords[role] = env[pgroles.PasswordVar[role]]; s.Passwords[role] == "" {
			return s, fmt.Errorf("compose gives the postgres service no %s", pgroles.PasswordVar[role])
		}
	}
	return s, nil
}

// CheckDatabaseRoles checks the published database as compose set it up:
// each client's role can do what it needs and no more (pgroles), and the
// superuser cannot log in over TCP with any password in the repository (repo)
// or any role's.
func CheckDatabaseRoles(ctx context.Context, s Endpoints, repo string) error {
	var errs []error
	url := func(role string) string { return pgroles.URL(role, s.Passwords[role], s.DatabaseAddr) }
	if err := pgroles.CheckApp(ctx, url(pgroles.App)); err != nil {
		errs = append(errs, err)
	}
	if err := pgroles.CheckExporter(ctx, url(pgroles.Exporter)); err != nil {
		errs = append(errs, err)
	}
	if err := pgroles.CheckBench(ctx, url(pgroles.Bench)); err != nil {
		errs = append(errs, err)
	}
	passwords, err := pgroles.RepoPasswords(repo)
	if err != nil {
		return err
	}
	for _, p := range s.Passwords {
		passwords = append(passwords, p)
	}
	if err := pgroles.CheckSuperuserRejected(ctx, s.DatabaseAddr, pgroles.Superuser, passwords); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// WaitExporterUp waits up to timeout for CheckExporterUp.
func WaitExporterUp(ctx context.Context, promURL string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		err := CheckExporterUp(ctx, promURL)
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(2 * time.Second):
		}
	}
}

// CheckExporterUp: postgres_exporter, logged in as its role, reaches
// PostgreSQL (pg_up 1 in Prometheus; the target alone is up either way).
func CheckExporterUp(ctx context.Context, promURL string) error {
	c, err := promapi.New(promURL)
	if err != nil {
		return err
	}
	v, err := c.Vector(ctx, "pg_up", time.Now())
	if err != nil {
		return fmt.Errorf("prometheus query pg_up: %v", err)
	}
	if len(v) == 0 || v[0].Value != 1 {
		return fmt.Errorf("postgres-exporter does not reach PostgreSQL as %s: pg_up is %v", pgroles.Exporter, v)
	}
	return nil
}

// Hardening is what `docker inspect` shows of a container, its
// confinement (HostConfig) included.
type Hardening = docker.Container

// CheckHardening checks that the engine applied compose.yaml's confinement
// to every container of the project: all capabilities dropped and none added,
// no-new-privileges, a read-only root file system, memory and pids limits.
func CheckHardening(hs []Hardening) error {
	if len(hs) == 0 {
		return fmt.Errorf("no containers")
	}
	var errs []error
	for _, h := range hs {
		var bad []string
		hc := h.HostConfig
		if !slices.ContainsFunc(hc.CapDrop, func(c string) bool { return strings.EqualFold(c, "ALL") }) {
			bad = append(bad, fmt.Sprintf("cap_drop %v", hc.CapDrop))
		}
		if len(hc.CapAdd) > 0 {
			bad = append(bad, fmt.Sprintf("cap_add %v", hc.CapAdd))
		}
		if !slices.ContainsFunc(hc.SecurityOpt, func(o string) bool {
			return o == "no-new-privileges:true" || o == "no-new-privileges" || o == "no-new-privileges=true"
		}) {
			bad = append(bad, fmt.Sprintf("security_opt %v", hc.SecurityOpt))
		}
		if !hc.ReadonlyRootfs {
			bad = append(bad, "writable root file system")
		}
		if hc.Memory <= 0 {
			bad = append(bad, "no memory limit")
		}
		if hc.PidsLimit == nil || *hc.PidsLimit <= 0 {
			bad = append(bad, "no pids limit")
		}
		if len(bad) > 0 {
			errs = append(errs, fmt.Errorf("%s (%s): %s", h.Config.Labels["com.docker.compose.service"], strings.TrimPrefix(h.Name, "/"), strings.Join(bad, ", ")))
		}
	}
	return errors.Join(errs...)
}

// Hardenings inspects the project's containers.
func (d Stack) Hardenings(ctx context.Context) ([]Hardening, error) { return d.Containers(ctx) }
