package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/enginecluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
)

func TestLoadPlan(t *testing.T) {
	roles := []string{"manager", "app", "gen1", "gen2"}
	plan, err := loadPlan([]string{"manager=pg:15", "base:1", "gen1,gen2=lt:dev", "manager=prom:3"}, roles)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"manager": {"pg:15", "base:1", "prom:3"},
		"app":     {"base:1"},
		"gen1":    {"base:1", "lt:dev"},
		"gen2":    {"base:1", "lt:dev"},
	}
	if fmt.Sprint(plan) != fmt.Sprint(want) {
		t.Errorf("plan %v, want %v", plan, want)
	}
	for _, bad := range [][]string{{"gen2=x"}, {"app="}, {"db=x"}} {
		if _, err := loadPlan(bad, []string{"manager", "app", "gen1"}); err == nil {
			t.Errorf("loadPlan(%q): no error", bad)
		}
	}
	if plan, err := loadPlan(nil, roles); err != nil || len(plan) != 0 {
		t.Errorf("no --load: %v, %v", plan, err)
	}
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"run", "--id", "x"}} {
		if code, err := run(args); err == nil || code != 2 {
			t.Errorf("run(%q) = %d, %v; want 2 and a usage error", args, code, err)
		}
	}
}

// `nodecluster run -- CMD`, sent SIGTERM while CMD runs on the cluster:
// CMD gets the signal, the cluster is torn down, the exit is a failure, and
// nothing of it is left.
func TestRunTornDownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no cluster")
	}
	repo := testenv.RepoRoot(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := enginecluster.NeedEngine(ctx, repo); err != nil {
		if errors.Is(err, enginecluster.ErrNoEngine) {
			testenv.Missing(t, "%v", err)
		}
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "nodecluster")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	b := make([]byte, 3)
	rand.Read(b)
	id := fmt.Sprintf("s%d-%x", os.Getpid(), b)
	t.Cleanup(func() { _ = enginecluster.Down(id, enginecluster.DownConfig{}) })
	marker := filepath.Join(t.TempDir(), "cmd-started")
	// CMD notes that it runs (with the cluster's env), then waits; on
	// SIGTERM it writes that it got it.
	script := `echo "$MBCLUSTER_MANAGER_HOST" >"$1"; trap 'echo TERM >>"$1"; exit 143' TERM; while :; do sleep 0.2; done`
	cmd := exec.Command(bin, "run", "--id", id, "--nodes", "2", "--", "sh", "-c", script, "sh", marker)
	var log testenv.SyncBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Minute); ; {
		if b, err := os.ReadFile(marker); err == nil && strings.HasPrefix(string(b), "tcp://") {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("CMD never started: %s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	t.Logf("nodecluster: %v\n%s", err, log.String())
	if err == nil {
		t.Error("nodecluster run exited 0 after SIGTERM")
	}
	if b, _ := os.ReadFile(marker); !strings.Contains(string(b), "TERM") {
		t.Errorf("CMD did not get SIGTERM: %q", b)
	}
	if !strings.Contains(log.String(), "down "+id+" in") {
		t.Errorf("no teardown in the log")
	}
	left, err := enginecluster.Leftovers(ctx, id, enginecluster.DownConfig{})
	if err != nil || len(left) > 0 {
		t.Errorf("left after SIGTERM: %v %s", err, strings.Join(left, "; "))
	}
}
