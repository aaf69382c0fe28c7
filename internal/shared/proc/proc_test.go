package proc

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A process that exits ends the wait at once, with its log named.
func TestWaitHTTPGivesUpWhenTheProcessExits(t *testing.T) {
	log := filepath.Join(t.TempDir(), "x.log")
	p, err := Start(exec.Command("sh", "-c", "echo no config >&2; exit 3"), log)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	err = p.WaitHTTP(context.Background(), "http://127.0.0.1:1/", time.Minute)
	if err == nil || !strings.Contains(err.Error(), "sh exited before answering (exit status 3") || time.Since(start) > 10*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	if got := p.LogTail(100); got != "no config\n" {
		t.Errorf("log %q", got)
	}
	if err := p.Stop(time.Second); err == nil {
		t.Error("Stop of an exited process: want its exit error")
	}
}

// A process that ignores SIGTERM is killed after the grace period, with
// its process group.
func TestStopKillsAfterGrace(t *testing.T) {
	cmd := exec.Command("sh", "-c", "trap '' TERM; sleep 30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the kill reaches sleep too
	p, err := Start(cmd, filepath.Join(t.TempDir(), "x.log"))
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the trap is set
	if err := p.Stop(300 * time.Millisecond); err == nil || !strings.Contains(err.Error(), "killed") {
		t.Errorf("Stop: %v", err)
	}
}
