package e2echeck

import (
	"errors"
	"testing"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

func TestProbeUnexpected(t *testing.T) {
	p := &probe{phase: "down", counts: map[string]map[string]int{}, last: map[string]int{}}
	p.record("/agents", 503, nil)
	p.record("/agents_with_pool", 503, nil)
	if !p.lastAll(dbPaths, 503) || p.lastAll(dbPaths, 200) {
		t.Fatal("lastAll")
	}
	if bad := p.unexpected("down", 503); len(bad) != 0 {
		t.Fatalf("unexpected = %v", bad)
	}
	p.record("/agents", 0, errors.New("connection refused"))
	p.record("/agents", 500, nil)
	bad := p.unexpected("down", 503)
	if len(bad) != 2 || bad[0] != "/agents 500 x1" || bad[1] != "/agents error x1" {
		t.Fatalf("unexpected = %v", bad)
	}
}

func TestCheckRunning(t *testing.T) {
	c := func(svc string, running bool, health string, restarts int) docker.Container {
		var x docker.Container
		x.Config.Labels = map[string]string{"com.docker.compose.service": svc}
		x.State.Running = running
		x.State.Status = map[bool]string{true: "running", false: "exited"}[running]
		if health != "" {
			x.State.Health = &struct{ Status string }{health}
		}
		x.RestartCount = restarts
		return x
	}
	if err := CheckRunning([]docker.Container{c("app", true, "healthy", 0), c("prometheus", true, "", 0)}); err != nil {
		t.Error(err)
	}
	for _, bad := range []docker.Container{c("app", false, "", 0), c("app", true, "unhealthy", 0), c("app", true, "healthy", 1)} {
		if err := CheckRunning([]docker.Container{bad}); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
	if err := CheckRunning(nil); err == nil {
		t.Error("no containers: want an error")
	}
}
