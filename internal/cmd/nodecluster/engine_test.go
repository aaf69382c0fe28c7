//go:build enginecluster

// These tests need a Docker engine and the stand-in base image, which the
// test phase does not have: scripts/e2e.sh runs them (`go test -tags
// enginecluster`) in its cluster step, where it requires both.
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
