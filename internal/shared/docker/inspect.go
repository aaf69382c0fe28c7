package docker

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Settings is what a container ran with, as the engine applied it (`docker
// inspect`, or the engine API's /containers/{id}/json, the same document):
// its CPU limit and set, its memory limit and the environment variables
// with a chosen prefix, passwords removed. A run records these rather than
// what compose's files say, which is only what the next `up` would do.
type Settings struct {
	Name    string `json:"name"`              // without the leading "/"
	Service string `json:"service,omitempty"` // compose service label
	OneOff  bool   `json:"one_off,omitempty"` // a `docker compose run` container
	// CPUs is the CPU limit, from NanoCpus (compose's cpus, docker's
	// --cpus) or else CpuQuota/CpuPeriod, in compose's notation ("2",
	// "0.5"); "" when there is none.
	CPUs string `json:"cpus"`
	// CPUSet is CpusetCpus (compose's cpuset, --cpuset-cpus), e.g. "0-1";
	// "" is any CPU.
	CPUSet     string `json:"cpuset"`
	CPUSetMems string `json:"cpuset_mems,omitempty"`
	// MemoryBytes is the memory limit (compose's mem_limit); 0 is none.
	MemoryBytes int64 `json:"memory_bytes"`
	// Env is the variables with the prefix asked for, passwords removed
	// (SafeEnv).
	Env map[string]string `json:"env,omitempty"`
}

// inspected is the part of `docker inspect`'s document Settings reads.
type inspected struct {
	Name       string
	HostConfig struct {
		NanoCpus   int64
		CpuQuota   int64
		CpuPeriod  int64
		CpusetCpus string
		CpusetMems string
		Memory     int64
	}
	Config struct {
		Env    []string
		Labels map[string]string
	}
}

// ParseInspect reads `docker inspect`'s output (a JSON array) or one
// container's document (an object), keeping the variables that start with
// one of envPrefixes (none: no variable), sorted by service, then name.
func ParseInspect(b []byte, envPrefixes ...string) ([]Settings, error) {
	var list []inspected
	if t := strings.TrimSpace(string(b)); strings.HasPrefix(t, "{") {
		var one inspected
		if err := json.Unmarshal(b, &one); err != nil {
			return nil, fmt.Errorf("docker inspect output: %v", err)
		}
		list = []inspected{one}
	} else if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("docker inspect output: %v", err)
	}
	out := make([]Settings, 0, len(list))
	for _, c := range list {
		h := c.HostConfig
		s := Settings{
			Name:        strings.TrimPrefix(c.Name, "/"),
			Service:     c.Config.Labels["com.docker.compose.service"],
			OneOff:      c.Config.Labels["com.docker.compose.oneoff"] == "True",
			CPUs:        cpuLimit(h.NanoCpus, h.CpuQuota, h.CpuPeriod),
			CPUSet:      h.CpusetCpus,
			CPUSetMems:  h.CpusetMems,
			MemoryBytes: h.Memory,
		}
		if len(envPrefixes) > 0 {
			s.Env = SafeEnv(c.Config.Env, envPrefixes...)
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// cpuLimit is a container's CPU limit in CPUs: NanoCpus when set (what
// --cpus and compose's cpus set), else CpuQuota over CpuPeriod (the
// kernel's default period, 100 ms, when the period is 0); "" when neither
// limits it.
func cpuLimit(nano, quota, period int64) string {
	var cpus float64
	switch {
	case nano > 0:
		cpus = float64(nano) / 1e9
	case quota > 0:
		if period <= 0 {
			period = 100000
		}
		cpus = float64(quota) / float64(period)
	default:
		return ""
	}
	return strconv.FormatFloat(cpus, 'f', -1, 64)
}

// SafeEnv keeps the KEY=VALUE variables whose name starts with a prefix,
// without passwords: a variable whose name holds PASSWORD (any case) is
// left out, and a URL's password is cut from its value (the user stays),
// as is a password=... query parameter or keyword.
func SafeEnv(env []string, prefixes ...string) map[string]string {
	out := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(k, p) }) || strings.Contains(strings.ToUpper(k), "PASSWORD") {
			continue
		}
		out[k] = withoutPassword(v)
	}
	return out
}

// withoutPassword cuts a password out of a URL (user:password@ and a
// password query parameter) or a keyword/value connection string
// (password=...).
func withoutPassword(v string) string {
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && (u.User != nil || u.RawQuery != "") {
		changed := false
		if u.User != nil {
			if _, has := u.User.Password(); has {
				u.User = url.User(u.User.Username())
				changed = true
			}
		}
		if q := u.Query(); q.Has("password") {
			q.Del("password")
			u.RawQuery = q.Encode()
			changed = true
		}
		if changed {
			return u.String()
		}
		return v
	}
	if !strings.Contains(strings.ToLower(v), "password=") {
		return v
	}
	var kept []string
	for _, f := range strings.Fields(v) {
		if !strings.HasPrefix(strings.ToLower(f), "password=") {
			kept = append(kept, f)
		}
	}
	return strings.Join(kept, " ")
}

// InspectSettings inspects the containers a `docker ps -q ...` command (ps)
// lists and returns their Settings (ParseInspect, envPrefixes the
// variables kept).
func (d CLI) InspectSettings(ctx context.Context, envPrefixes []string, ps ...string) ([]Settings, error) {
	out, err := d.inspectListed(ctx, ps...)
	if err != nil || out == "" {
		return nil, err
	}
	return ParseInspect([]byte(out), envPrefixes...)
}

// inspectListed is `docker inspect` of the containers a `docker ps -q ...`
// command (ps) lists; "" when it lists none.
func (d CLI) inspectListed(ctx context.Context, ps ...string) (string, error) {
	out, err := d.Run(ctx, ps...)
	if err != nil {
		return "", err
	}
	ids := strings.Fields(out)
	if len(ids) == 0 {
		return "", nil
	}
	return d.Run(ctx, append([]string{"inspect"}, ids...)...)
}

// RunningSettings is the Settings of a compose project's running
// containers (envPrefixes as for ParseInspect).
func (d CLI) RunningSettings(ctx context.Context, project string, envPrefixes ...string) ([]Settings, error) {
	return d.InspectSettings(ctx, envPrefixes, "ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project="+project)
}
