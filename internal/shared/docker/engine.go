package docker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Engine is the Docker engine's API over its Unix socket, for what the CLI
// does not print: a container's CPU counter (its stats' total_usage, which
// `docker stats` only shows as a percentage). The bench reads it natively
// and from the runner container alike (which has the socket mounted), where
// the host's cgroup files are out of reach.
type Engine struct {
	Socket string
	hc     *http.Client
}

// DefaultSocket is the engine's socket when DOCKER_HOST does not name one.
const DefaultSocket = "/var/run/docker.sock"

// EngineFromEnv is the engine the docker CLI would talk to through
// DOCKER_HOST: a unix:// socket, or the default one. A TCP or SSH engine is
// an error (its counters are not read).
func EngineFromEnv() (*Engine, error) {
	sock := DefaultSocket
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		p, ok := strings.CutPrefix(h, "unix://")
		if !ok {
			return nil, fmt.Errorf("DOCKER_HOST=%s: the engine's counters are read through a unix socket only", h)
		}
		sock = p
	}
	if _, err := os.Stat(sock); err != nil {
		return nil, fmt.Errorf("docker engine socket: %v", err)
	}
	return NewEngine(sock), nil
}

// NewEngine talks to the engine at the Unix socket path.
func NewEngine(socket string) *Engine {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConnsPerHost: 8,
	}
	return &Engine{Socket: socket, hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
}

// get fetches an API path (unversioned: the engine's own version) into v,
// or its raw body when v is *[]byte.
func (e *Engine) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker"+path, nil)
	if err != nil {
		return err
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return fmt.Errorf("docker engine %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("docker engine %s: %v", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("docker engine %s: %s: %s", path, resp.Status, Clip(string(b), 300))
	}
	if raw, ok := v.(*[]byte); ok {
		*raw = b
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("docker engine %s: %v", path, err)
	}
	return nil
}

// Listed is a running container as the engine lists it.
type Listed struct {
	ID      string
	Name    string // without the leading "/"
	Service string // compose service label
	OneOff  bool
}

// ProjectContainers lists a compose project's running containers.
func (e *Engine) ProjectContainers(ctx context.Context, project string) ([]Listed, error) {
	filters, _ := json.Marshal(map[string][]string{"label": {"com.docker.compose.project=" + project}})
	var list []struct {
		ID     string `json:"Id"`
		Names  []string
		Labels map[string]string
	}
	if err := e.get(ctx, "/containers/json?filters="+url.QueryEscape(string(filters)), &list); err != nil {
		return nil, err
	}
	out := make([]Listed, 0, len(list))
	for _, c := range list {
		l := Listed{ID: c.ID, Service: c.Labels["com.docker.compose.service"], OneOff: c.Labels["com.docker.compose.oneoff"] == "True"}
		if len(c.Names) > 0 {
			l.Name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, l)
	}
	return out, nil
}

// Inspect is one container's Settings as the engine applied them
// (envPrefixes as for ParseInspect).
func (e *Engine) Inspect(ctx context.Context, id string, envPrefixes ...string) (Settings, error) {
	var b []byte
	if err := e.get(ctx, "/containers/"+url.PathEscape(id)+"/json", &b); err != nil {
		return Settings{}, err
	}
	s, err := ParseInspect(b, envPrefixes...)
	if err != nil || len(s) != 1 {
		return Settings{}, fmt.Errorf("docker engine: inspect %s: %v", id, err)
	}
	return s[0], nil
}

// ErrNoCounter is a stats document without a CPU counter (a container that
// is not running any more).
var ErrNoCounter = errors.New("no CPU counter")

// CPUUsage is a container's CPU time since it started: its stats'
// cpu_stats.cpu_usage.total_usage (nanoseconds; from cpuacct.usage on
// cgroup v1, cpu.stat usage_usec on v2), read once (one-shot: no wait for
// a second sample, API 1.41 and later; an older engine waits about a
// second).
func (e *Engine) CPUUsage(ctx context.Context, id string) (time.Duration, error) {
	var b []byte
	if err := e.get(ctx, "/containers/"+url.PathEscape(id)+"/stats?stream=false&one-shot=true", &b); err != nil {
		return 0, err
	}
	return ParseCPUUsage(b)
}

// ParseCPUUsage reads total_usage from an engine stats document.
func ParseCPUUsage(b []byte) (time.Duration, error) {
	var st struct {
		Read     time.Time `json:"read"`
		CPUStats struct {
			CPUUsage struct {
				TotalUsage *uint64 `json:"total_usage"`
			} `json:"cpu_usage"`
		} `json:"cpu_stats"`
	}
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, fmt.Errorf("docker engine stats: %v", err)
	}
	// A stopped container's stats are all zero, its read time too.
	if st.CPUStats.CPUUsage.TotalUsage == nil || st.Read.IsZero() {
		return 0, ErrNoCounter
	}
	return time.Duration(*st.CPUStats.CPUUsage.TotalUsage), nil
}
