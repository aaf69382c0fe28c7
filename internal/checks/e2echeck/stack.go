package e2echeck

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

// Stack is the compose project under check, through the docker CLI.
type Stack struct{ docker.CLI }

// CheckRunning requires every (non one-off) container of the project to be
// running, healthy, and never restarted.
func CheckRunning(cs []docker.Container) error {
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
func (d Stack) CheckGone(ctx context.Context) error {
	var left []string
	for _, kind := range []string{"container", "volume", "network"} {
		args := []string{kind, "ls", "-q", "--filter", d.ProjectLabel()}
		if kind == "container" {
			args = []string{"ps", "-aq", "--filter", d.ProjectLabel()}
		}
		out, err := d.Run(ctx, args...)
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

// CheckStopped requires each named service's containers to have stopped by
// themselves with exit status 0 (after `docker compose stop`: SIGTERM, not
// the SIGKILL that follows a stop grace period, which shows as 137).
func CheckStopped(cs []docker.Container, services ...string) error {
	var bad []string
	for _, name := range services {
		found := false
		for _, c := range cs {
			if c.Service() != name || c.OneOff() {
				continue
			}
			found = true
			if c.State.Running || c.State.ExitCode != 0 {
				bad = append(bad, c.String())
			}
		}
		if !found {
			bad = append(bad, name+": no container")
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("not stopped cleanly (exit 0): %s", strings.Join(bad, ", "))
	}
	return nil
}

// CheckAbsent requires that no container of the named services is left,
// running or stopped (one-off containers aside): after a bench that started
// the original, the bench has removed it again (benchrun's StopOriginal),
// so the lab is as the bench found it and a plain `docker compose down`
// stops all of it.
func CheckAbsent(cs []docker.Container, services ...string) error {
	var left []string
	for _, c := range cs {
		if !c.OneOff() && slices.Contains(services, c.Service()) {
			left = append(left, c.String())
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("containers left: %s", strings.Join(left, ", "))
	}
	return nil
}
