package docker

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeDocker is a docker CLI stand-in: it logs its arguments and answers
// the few commands the tests ask.
func fakeDocker(t *testing.T) (bin, log string) {
	dir := t.TempDir()
	log = filepath.Join(dir, "calls")
	script := `#!/bin/sh
echo "$*" >>` + log + `
case "$*" in
  "compose -p lab port app 8000") echo "0.0.0.0:18000" ;;
  "compose port db 5432") echo "127.0.0.1:15432" ;;
  "compose port none 1") echo ":0" ;;
  "info --format {{.NCPU}}") echo 4 ;;
  "rm -f gone") echo "Error: No such container: gone" >&2; exit 1 ;;
  "ps -aq --filter name=^/?gone$") ;;
  ps\ -aq\ --no-trunc*) echo "abc" ;;
  "inspect abc") echo '[{"Id":"abc","Name":"/lab-app-1","State":{"Status":"running","Running":true,"Health":{"Status":"healthy"}},"Config":{"Labels":{"com.docker.compose.service":"app"}}}]' ;;
  *) echo "unknown command: $*" >&2; exit 1 ;;
esac
`
	bin = filepath.Join(dir, "docker")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, log
}

func TestCLI(t *testing.T) {
	bin, log := fakeDocker(t)
	ctx := context.Background()
	lab, plain := CLI{Bin: bin, Project: "lab"}, CLI{Bin: bin}
	if a, err := lab.Published(ctx, "app", 8000); err != nil || a != "127.0.0.1:18000" {
		t.Errorf("published app: %q %v", a, err)
	}
	if a, err := plain.Published(ctx, "db", 5432); err != nil || a != "127.0.0.1:15432" {
		t.Errorf("published db (no project): %q %v", a, err)
	}
	if _, err := plain.Published(ctx, "none", 1); err == nil || !strings.Contains(err.Error(), "publishes no port 1") {
		t.Errorf("unpublished: %v", err)
	}
	if n, err := plain.NCPU(ctx); err != nil || n != 4 {
		t.Errorf("NCPU %d %v", n, err)
	}
	if _, err := plain.Run(ctx, "frobnicate"); err == nil || !strings.Contains(err.Error(), "unknown command: frobnicate") {
		t.Errorf("a failure carries stderr: %v", err)
	}
	if err := plain.RemoveContainer("gone"); err != nil {
		t.Errorf("removing a container that is not there: %v", err)
	}
	cs, err := lab.Containers(ctx)
	if err != nil || len(cs) != 1 || cs[0].Service() != "app" || !cs[0].Healthy() || cs[0].OneOff() {
		t.Errorf("containers %v %v", cs, err)
	}
	if c, ok := ServiceContainer(cs, "app"); !ok || c.ID != "abc" {
		t.Errorf("service container %v %v", c, ok)
	}
	if err := lab.WaitHealthy(ctx, 10*time.Second, "app"); err != nil {
		t.Errorf("WaitHealthy: %v", err)
	}
	calls, _ := os.ReadFile(log)
	if !strings.Contains(string(calls), "ps -aq --no-trunc --filter label=com.docker.compose.project=lab\n") {
		t.Errorf("calls:\n%s", calls)
	}
}
