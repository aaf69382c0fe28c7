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

func TestCheckAbsent(t *testing.T) {
	oneOff := container("original", false, 0)
	oneOff.Config.Labels["com.docker.compose.oneoff"] = "True"
	for _, tc := range []struct {
		name string
		cs   []docker.Container
		ok   bool
	}{
		{"none", []docker.Container{container("app", true, 0), oneOff}, true},
		{"running", []docker.Container{container("app", true, 0), container("original", true, 0)}, false},
		{"stopped", []docker.Container{container("original", false, 0)}, false},
	} {
		err := CheckAbsent(tc.cs, "original")
		if tc.ok != (err == nil) || (err != nil && !strings.Contains(err.Error(), "original")) {
			t.Errorf("%s: %v, want ok=%v (an error naming the original)", tc.name, err, tc.ok)
		}
	}
}
