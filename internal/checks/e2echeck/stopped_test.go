package e2echeck

import (
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

func container(service string, running bool, exit int) docker.Container {
	var c docker.Container
	c.Config.Labels = map[string]string{"com.docker.compose.service": service}
	c.State.Running, c.State.ExitCode = running, exit
	return c
}

func TestCheckStopped(t *testing.T) {
	cs := []docker.Container{container("app", false, 0), container("postgres", true, 0), container("killed", false, 137)}
	if err := CheckStopped(cs, "app"); err != nil {
		t.Errorf("app exited 0: %v", err)
	}
	for _, svc := range []string{"postgres", "killed", "missing"} {
		if err := CheckStopped(cs, svc); err == nil || !strings.Contains(err.Error(), svc) {
			t.Errorf("%s: %v, want an error naming it", svc, err)
		}
	}
}
