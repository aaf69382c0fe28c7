package e2echeck

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"sort"
	"strings"
	"time"
)

// Docker runs the docker CLI for one compose project. docker compose takes
// the file list from COMPOSE_FILE in the environment, as scripts/e2e.sh sets it.
type Docker struct {
	Bin     string // "docker"
	Project string // compose project name (the containers' label)
}

// Container is what the checks need from `docker inspect`.
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
	Config struct{ Labels map[string]string }
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

func (d Docker) run(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, d.Bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", d.Bin, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// Compose runs `docker compose ARGS` for the project.
func (d Docker) Compose(ctx context.Context, args ...string) error {
	_, err := d.run(ctx, append([]string{"compose", "-p", d.Project}, args...)...)
	return err
}

func (d Docker) label() string { return "label=com.docker.compose.project=" + d.Project }

// Containers returns the project's containers, running or not, by service name.
func (d Docker) Containers(ctx context.Context) ([]Container, error) {
	return d.inspectAll(ctx, "ps", "-aq", "--no-trunc", "--filter", d.label())
}

// inspectAll inspects the containers a `docker ps -q` command lists.
func (d Docker) inspectAll(ctx context.Context, ps ...string) ([]Container, error) {
	out, err := d.run(ctx, ps...)
	if err != nil {
		return nil, err
	}
	ids := strings.Fields(out)
	if len(ids) == 0 {
		return nil, nil
	}
	out, err = d.run(ctx, append([]string{"inspect"}, ids...)...)
	if err != nil {
		return nil, err
	}
	var cs []Container
	if err := json.Unmarshal([]byte(out), &cs); err != nil {
		return nil, fmt.Errorf("docker inspect output: %v", err)
	}
	sort.Slice(cs, func(i, j int) bool { return cs[i].Service() < cs[j].Service() })
	return cs, nil
}

// service finds the (non one-off) container of a service.
func service(cs []Container, name string) (Container, bool) {
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
func (d Docker) WaitHealthy(ctx context.Context, timeout time.Duration, services ...string) error {
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
			c, ok := service(cs, s)
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

// CheckRunning requires every (non one-off) container of the project to be
// running, healthy, and never restarted.
func CheckRunning(cs []Container) error {
	if len(cs) == 0 {
		return fmt.Errorf("no containers")
	}
	var bad []string
	for _, c := range cs {
		if c.OneOff() {
			continue
		}
		if !c.Healthy() || c.RestartCount != 0 {
			bad = append(bad, c.String())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("containers not running cleanly: %s", strings.Join(bad, ", "))
	}
	return nil
}

// CheckGone requires that nothing of the project is left: no containers,
// volumes or networks carrying its label.
func (d Docker) CheckGone(ctx context.Context) error {
	var left []string
	for _, kind := range []string{"container", "volume", "network"} {
		args := []string{kind, "ls", "-q", "--filter", d.label()}
		if kind == "container" {
			args = []string{"ps", "-aq", "--filter", d.label()}
		}
		out, err := d.run(ctx, args...)
		if err != nil {
			return err
		}
		if f := strings.Fields(out); len(f) > 0 {
			left = append(left, fmt.Sprintf("%d %s(s)", len(f), kind))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("project %s still has %s", d.Project, strings.Join(left, ", "))
	}
	return nil
}
