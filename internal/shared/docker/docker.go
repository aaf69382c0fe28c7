// Package docker is the lab's one wrapper of the docker CLI and its compose
// plugin: run a command and get its output (stderr in the error), the
// published address of a service's port, the engine's CPUs, the containers
// of a compose project (docker inspect) and their health, and the removal
// of a container until it is gone. The bench runs the generator and pgbench
// through it (internal/lab/benchrun's ComposeExecutor), e2echeck checks the stack
// with it.
package docker

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CLI runs the docker CLI. docker compose takes the file list from
// COMPOSE_FILE in the environment (scripts/e2e.sh sets it), as on the
// command line.
type CLI struct {
	Bin string // "docker"
	// Project is the compose project (-p, and the label of its
	// containers); "" leaves it to compose (COMPOSE_PROJECT_NAME, the
	// folder's name).
	Project string
}

// Command prepares `docker ARGS`.
func (d CLI) Command(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, d.Bin, args...)
}

// Run runs `docker ARGS` and returns its standard output; a failure's error
// carries its standard error.
func (d CLI) Run(ctx context.Context, args ...string) (string, error) {
	cmd := d.Command(ctx, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", d.Bin, strings.Join(args, " "), err, Clip(errb.String(), 800))
	}
	return out.String(), nil
}

// composeArgs is `compose [-p PROJECT] ARGS`.
func (d CLI) composeArgs(args []string) []string {
	c := []string{"compose"}
	if d.Project != "" {
		c = append(c, "-p", d.Project)
	}
	return append(c, args...)
}

// Compose prepares `docker compose ARGS` for the project.
func (d CLI) Compose(ctx context.Context, args ...string) *exec.Cmd {
	return d.Command(ctx, d.composeArgs(args)...)
}

// ComposeOutput runs `docker compose ARGS` for the project (see Run).
func (d CLI) ComposeOutput(ctx context.Context, args ...string) (string, error) {
	return d.Run(ctx, d.composeArgs(args)...)
}

// Published is the host address (host:port) of a service's container port,
// as `docker compose port` reports it; an address on every interface is
// given as 127.0.0.1.
func (d CLI) Published(ctx context.Context, service string, port int) (string, error) {
	out, err := d.ComposeOutput(ctx, "port", service, strconv.Itoa(port))
	if err != nil {
		return "", err
	}
	addr := strings.TrimSpace(out)
	if addr == "" || strings.HasSuffix(addr, ":0") {
		return "", fmt.Errorf("%s publishes no port %d", service, port)
	}
	if host, p, ok := strings.Cut(addr, ":"); ok && (host == "0.0.0.0" || host == "::" || host == "[::]") {
		addr = "127.0.0.1:" + p
	}
	return addr, nil
}

// NCPU is the CPUs of the engine's machine (docker info).
func (d CLI) NCPU(ctx context.Context) (int, error) {
	out, err := d.Run(ctx, "info", "--format", "{{.NCPU}}")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(out))
}

// RemoveContainer stops and removes a container by name, if it is still
// there, and checks it is gone: the engine may still have been creating it
// when whatever started it stopped. It retries for up to 30 s, with a
// context of its own (the caller's has usually ended: an interrupted run).
func (d CLI) RemoveContainer(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last error
	for try := 0; try < 5; try++ {
		if try > 0 {
			time.Sleep(time.Second)
		}
		out, err := d.Command(ctx, "rm", "-f", name).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "No such container") {
			last = fmt.Errorf("docker rm -f %s: %v: %s", name, err, Clip(string(out), 300))
			continue
		}
		ids, err := d.Run(ctx, "ps", "-aq", "--filter", "name=^/?"+name+"$")
		if err != nil {
			last = err
			continue
		}
		if strings.TrimSpace(ids) == "" {
			return nil
		}
		last = fmt.Errorf("container %s still there", name)
	}
	return last
}

// Container is what the lab needs from `docker inspect`.
type Container struct {
	ID           string `json:"Id"`
	Name         string
	RestartCount int
	State        struct {
		Status    string
		Running   bool
		ExitCode  int
		StartedAt string
		Health    *struct{ Status string }
	}
	// HostConfig is its confinement, as the engine applied it.
	HostConfig struct {
		CapAdd         []string
		CapDrop        []string
		SecurityOpt    []string
		ReadonlyRootfs bool
		Memory         int64
		PidsLimit      *int64
	}
	Config struct {
		User   string
		Labels map[string]string
	}
}

// Service is the compose service the container belongs to.
func (c Container) Service() string { return c.Config.Labels["com.docker.compose.service"] }

// OneOff reports a `docker compose run` container.
func (c Container) OneOff() bool { return c.Config.Labels["com.docker.compose.oneoff"] == "True" }

// Healthy is true for a running container whose healthcheck passes, or that
// has none.
func (c Container) Healthy() bool {
	if !c.State.Running {
		return false
	}
	return c.State.Health == nil || c.State.Health.Status == "healthy"
}

func (c Container) String() string {
	s := c.State.Status
	if c.State.Health != nil {
		s += "/" + c.State.Health.Status
	}
	if !c.State.Running {
		s += fmt.Sprintf(" exit=%d", c.State.ExitCode)
	}
	return fmt.Sprintf("%s(%s restarts=%d)", c.Service(), s, c.RestartCount)
}

// ProjectLabel is the filter of the project's containers, volumes and networks.
func (d CLI) ProjectLabel() string { return "label=com.docker.compose.project=" + d.Project }

// Containers returns the project's containers, running or not, by service name.
func (d CLI) Containers(ctx context.Context) ([]Container, error) {
	return d.Inspect(ctx, "ps", "-aq", "--no-trunc", "--filter", d.ProjectLabel())
}

// Inspect inspects the containers a `docker ps -q ...` command (ps) lists,
// sorted by service.
func (d CLI) Inspect(ctx context.Context, ps ...string) ([]Container, error) {
	out, err := d.inspectListed(ctx, ps...) // inspect.go
	if err != nil || out == "" {
		return nil, err
	}
	var cs []Container
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		return nil, fmt.Errorf("docker inspect output: %v", err)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Service() < cs[j].Service() })
	return cs, nil
}

// ServiceContainer finds the (non one-off) container of a service.
func ServiceContainer(cs []Container, name string) (Container, bool) {
	for _, c := range cs {
		if c.Service() == name && !c.OneOff() {
			return c, true
		}
	}
	return Container{}, false
}

// WaitHealthy polls until every named service has a healthy container. It
// gives up at once when one has exited, and at the deadline otherwise,
// naming each service's state.
func (d CLI) WaitHealthy(ctx context.Context, timeout time.Duration, services ...string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last string
	for {
		cs, err := d.Containers(ctx)
		if err != nil && ctx.Err() == nil {
			return err
		}
		var bad []string
		for _, s := range services {
			c, ok := ServiceContainer(cs, s)
			switch {
			case !ok:
				bad = append(bad, s+"(no container)")
			case c.State.Status == "exited" || c.State.Status == "dead":
				return fmt.Errorf("service %s is not running: %s", s, c)
			case !c.Healthy():
				bad = append(bad, c.String())
			}
		}
		if len(bad) == 0 {
			return nil
		}
		last = strings.Join(bad, ", ")
		select {
		case <-ctx.Done():
			return fmt.Errorf("not healthy after %s: %s", timeout, last)
		case <-time.After(time.Second):
		}
	}
}

// Clip trims s and cuts it to n bytes (with "…"), for errors that quote
// command output.
func Clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
