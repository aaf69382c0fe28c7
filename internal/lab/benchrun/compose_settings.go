package benchrun

import (
	"context"
	"fmt"
	"strings"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

// Settings recorded as they were: metadata.json's CPU limits, CPU sets,
// memory limits and the app's environment come from the running
// containers (docker inspect), not from compose's files, which only say
// what the next `docker compose up` would do (an app recreated with
// APP_CPUS=0.5 outside the bench's environment runs with 0.5 whatever the
// bench's compose config says). The generators run per cell: their
// settings are read from their containers while the first measured run
// goes (the machine sampler's inspect, recordSeenSettings); until then, and
// when no measured run saw one, compose's config stands in, and
// settings_sources says which is which.

// The metadata.json keys of the settings, by compose service.
const (
	mdCPULimits       = "cpu_limits"       // CPUs, compose's notation ("2", "0.5"); "" none
	mdCPUSets         = "cpusets"          // CpusetCpus; "" any CPU
	mdMemoryLimits    = "memory_limits"    // bytes; 0 none
	mdSettingsSources = "settings_sources" // where each service's figures come from
	mdAppEnv          = "app_env"          // the app container's APP_* variables, passwords removed
	mdOriginalEnv     = "original_env"     // the original's ORIGINAL_* variables, passwords removed
)

const (
	sourceInspect   = "docker inspect of its running container"
	sourceGenerator = "docker inspect of its container during the first measured run it ran"
	sourceCompose   = "docker compose config (no running container seen)"
)

// describeSettings fills the settings keys from the project's running
// containers, compose's config (svcs) for services without one.
func (e *ComposeExecutor) describeSettings(ctx context.Context, md map[string]any, svcs map[string]composeService) {
	limits, sets, mems, sources := map[string]string{}, map[string]string{}, map[string]int64{}, map[string]string{}
	md[mdCPULimits], md[mdCPUSets], md[mdMemoryLimits], md[mdSettingsSources] = limits, sets, mems, sources
	running, err := e.cli().RunningSettings(ctx, e.project, settingsEnvPrefixes...)
	if err != nil {
		md["settings_error"] = err.Error()
	}
	for _, s := range running {
		if s.OneOff || s.Service == "" {
			continue
		}
		if _, dup := sources[s.Service]; dup {
			md["settings_note"] = fmt.Sprintf("service %s has more than one running container: %s recorded", s.Service, s.Service)
			continue
		}
		limits[s.Service], sets[s.Service], mems[s.Service], sources[s.Service] = s.CPUs, s.CPUSet, s.MemoryBytes, sourceInspect
		switch s.Service {
		case "app":
			md[mdAppEnv] = s.Env
			setEnvKeys(md, s.Env, "APP_POOL_SIZE", "APP_NEWCONN_LIMIT")
		case OriginalService:
			md[mdOriginalEnv] = s.Env
			setEnvKeys(md, s.Env, "ORIGINAL_WORKERS", "ORIGINAL_POOL_SIZE")
		}
	}
	for name, s := range svcs {
		if _, ok := sources[name]; !ok {
			limits[name], sets[name], sources[name] = s.CPUs.String(), s.CPUSet, sourceCompose
		}
	}
}

// setEnvKeys records variables under the keys metadata.json always had
// (app_pool_size_env, ...).
func setEnvKeys(md map[string]any, env map[string]string, names ...string) {
	for _, n := range names {
		if v, ok := env[n]; ok {
			md[strings.ToLower(n)+"_env"] = v
		}
	}
}

// recordSeenSettings puts the settings of the containers the machine
// samplers saw that had no running container when the run began (the
// generators) into the metadata, the first of each service.
func recordSeenSettings(md map[string]any, seen []docker.Settings) {
	limits, ok1 := md[mdCPULimits].(map[string]string)
	sets, ok2 := md[mdCPUSets].(map[string]string)
	mems, ok3 := md[mdMemoryLimits].(map[string]int64)
	sources, ok4 := md[mdSettingsSources].(map[string]string)
	if !ok1 || !ok2 || !ok3 || !ok4 {
		return // not a compose run
	}
	done := map[string]bool{}
	for _, s := range seen {
		if s.Service == "" || done[s.Service] || sources[s.Service] == sourceInspect {
			continue
		}
		done[s.Service] = true
		limits[s.Service], sets[s.Service], mems[s.Service], sources[s.Service] = s.CPUs, s.CPUSet, s.MemoryBytes, sourceGenerator
	}
}

// runningEnv is a service's environment as its running container has it,
// or else compose's config.
func (e *ComposeExecutor) runningEnv(ctx context.Context, service string, config map[string]*string) map[string]*string {
	running, err := e.cli().RunningSettings(ctx, e.project, settingsEnvPrefixes...)
	if err != nil {
		return config
	}
	for _, s := range running {
		if s.Service == service && !s.OneOff {
			env := map[string]*string{}
			for k, v := range s.Env {
				env[k] = &v
			}
			return env
		}
	}
	return config
}

// LabEngine is the engine the lab runs on and its compose project, for the
// machine sampler's container figures.
func (e *ComposeExecutor) LabEngine(ctx context.Context) (*docker.Engine, string, error) {
	if e.project == "" {
		if _, err := e.services(ctx); err != nil {
			return nil, "", err
		}
	}
	if e.project == "" {
		return nil, "", fmt.Errorf("docker compose config: no project name")
	}
	eng, err := docker.EngineFromEnv()
	return eng, e.project, err
}
