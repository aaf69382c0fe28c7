// Package stackcheck checks the lab's configuration files the way the tools
// that read them do: compose.yaml through compose-go (docker compose's own
// loader), prometheus.yml through Prometheus's config package, dashboards'
// PromQL through Prometheus's parser. Every problem is reported as
// "FILE: FIELD: what is wrong".
package stackcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// ComposeFile is the compose file's name in the repository root.
const ComposeFile = "compose.yaml"

// LoadCompose loads dir/compose.yaml as `docker compose` would, with dir/.env
// supplying variables and every profile enabled. env (KEY=VALUE) stands in for
// the shell environment, so a test decides what is set.
func LoadCompose(ctx context.Context, dir string, env []string) (*types.Project, error) {
	return loadProject(ctx, filepath.Join(dir, ComposeFile), env, cli.WithProfiles([]string{"*"}))
}

// loadProject loads one compose-format file as `docker compose` would, with
// its folder's .env supplying variables under env, paths resolved.
func loadProject(ctx context.Context, path string, env []string, extra ...cli.ProjectOptionsFn) (*types.Project, error) {
	opts, err := cli.NewProjectOptions([]string{path}, append([]cli.ProjectOptionsFn{
		cli.WithWorkingDirectory(filepath.Dir(path)),
		cli.WithEnv(env),
		cli.WithEnvFiles(), // the folder's .env, as docker compose finds it
		cli.WithDotEnv,
		cli.WithResolvedPaths(true),
	}, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// exactTag is a tag that names one release (v3.16.0, 15.18-bookworm, 12.2.1),
// not a moving one (latest, 15, bookworm).
var exactTag = regexp.MustCompile(`^v?\d+\.\d+(\.\d+)?([-.][0-9A-Za-z.-]+)?$`)

// LongRunning reports whether a service is part of the plain `docker compose up`
// (no profile). Services behind a profile here are one-shot jobs.
func LongRunning(s types.ServiceConfig) bool { return len(s.Profiles) == 0 }

// CheckCompose checks the properties the lab promises of compose.yaml. dir is
// the repository root (bind-mount sources must exist inside it).
func CheckCompose(p *types.Project, dir string) error {
	var errs []error
	bad := func(service, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: services.%s.%s: %s", ComposeFile, service, field, fmt.Sprintf(format, args...)))
	}
	root, err := filepath.Abs(dir)
	if err != nil {
		return err
	}

	for _, name := range sortedServices(p) {
		s := p.Services[name]
		checkImage(s, bad)
		checkConfinement(s, bad)

		if LongRunning(s) {
			switch {
			case s.HealthCheck == nil || s.HealthCheck.Disable || len(s.HealthCheck.Test) == 0:
				bad(name, "healthcheck", "a long-running service needs a healthcheck")
			case s.HealthCheck.Test[0] == "NONE":
				bad(name, "healthcheck.test", "is NONE")
			}
		}

		for dep, d := range s.DependsOn {
			if d.Condition != types.ServiceConditionHealthy {
				bad(name, "depends_on."+dep+".condition", "is %q, want %q", d.Condition, types.ServiceConditionHealthy)
			}
			if ds, ok := p.Services[dep]; ok && (ds.HealthCheck == nil || ds.HealthCheck.Disable) {
				bad(name, "depends_on."+dep, "waits for %s to be healthy but %s has no healthcheck", dep, dep)
			}
		}

		for i, port := range s.Ports {
			if port.HostIP != "127.0.0.1" {
				bad(name, fmt.Sprintf("ports[%d]", i), "published on %q, want 127.0.0.1 only", port.HostIP)
			}
		}

		for i, v := range s.Volumes {
			field := fmt.Sprintf("volumes[%d]", i)
			switch v.Type {
			case types.VolumeTypeBind:
				src := v.Source
				rel, err := filepath.Rel(root, src)
				if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
					bad(name, field, "bind source %s is outside the repository", src)
					continue
				}
				if _, err := os.Stat(src); err != nil {
					bad(name, field, "bind source ./%s does not exist in the repository", rel)
				}
			case types.VolumeTypeVolume:
				if v.Source == "" {
					bad(name, field, "anonymous volume at %s: use a named volume", v.Target)
				} else if _, ok := p.Volumes[v.Source]; !ok {
					bad(name, field, "volume %q is not declared under volumes:", v.Source)
				}
			}
		}

		if strings.HasPrefix(s.NetworkMode, "service:") {
			other := strings.TrimPrefix(s.NetworkMode, "service:")
			if _, ok := p.Services[other]; !ok {
				bad(name, "network_mode", "names unknown service %q", other)
			}
		}
	}

	// The load generator must never start with `docker compose up`, plain
	// or with another service's profile (`--profile original up`): every
	// generator service is behind generators' profiles alone, "loadtest"
	// (or, for the one in the original's namespace, "loadtest-original").
	found := false
	for _, name := range sortedServices(p) {
		s := p.Services[name]
		if s.Build != nil && filepath.Base(filepath.Dir(s.Build.Dockerfile)) == "loadtest" || name == "loadtest" {
			found = true
			if len(s.Profiles) == 0 || slices.ContainsFunc(s.Profiles, func(p string) bool { return !strings.HasPrefix(p, "loadtest") }) {
				bad(name, "profiles", "the load generator must be behind the \"loadtest\" profile (or a generator's own, \"loadtest-...\"), got %v", s.Profiles)
			}
		}
	}
	if !found {
		errs = append(errs, fmt.Errorf("%s: services.loadtest: missing", ComposeFile))
	}
	return errors.Join(errs...)
}

func checkImage(s types.ServiceConfig, bad func(service, field, format string, args ...any)) {
	if s.Build != nil {
		// Built here; its base images are pinned in its Dockerfile.
		if df := s.Build.Dockerfile; df != "" {
			if !filepath.IsAbs(df) {
				df = filepath.Join(s.Build.Context, df)
			}
			if _, err := os.Stat(df); err != nil {
				bad(s.Name, "build.dockerfile", "%s does not exist", s.Build.Dockerfile)
			}
		}
		return
	}
	if s.Image == "" {
		bad(s.Name, "image", "missing")
		return
	}
	if strings.Contains(s.Image, "@sha256:") {
		return
	}
	ref := s.Image[strings.LastIndex(s.Image, "/")+1:]
	_, tag, ok := strings.Cut(ref, ":")
	if !ok || !exactTag.MatchString(tag) {
		bad(s.Name, "image", "%q is not pinned to an exact version", s.Image)
	}
}

// ImageTag is the tag of service's image in p ("" when the service is missing).
func ImageTag(p *types.Project, service string) string {
	s, ok := p.Services[service]
	if !ok {
		return ""
	}
	ref := s.Image[strings.LastIndex(s.Image, "/")+1:]
	_, tag, _ := strings.Cut(ref, ":")
	return tag
}

func sortedServices(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for name := range p.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	return names
}
