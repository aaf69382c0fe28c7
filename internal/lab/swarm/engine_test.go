//go:build enginecluster

// These tests need a Docker engine and the stand-in base image: scripts/e2e.sh
// runs them (`go test -tags enginecluster`) in its engine-cluster step.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/enginecluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/docker"
)

// On a real two-engine swarm: a one-shot job's tasks run on the labelled
// node, read a Swarm secret, are collected from their logs, and the job is
// gone when RunOneShot returns; a cancelled one is removed too, and a
// removed secret is gone; the nodes' records name them and give each that
// ran a task a clock offset.
func TestOneShotJobsOnTwoEngines(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no cluster")
	}
	if err := enginecluster.NeedEngine(context.Background(), testenv.RepoRoot(t)); err != nil {
		if errors.Is(err, enginecluster.ErrNoEngine) {
			testenv.Missing(t, "%v", err)
		}
		t.Fatal(err)
	}
	id := fmt.Sprintf("oneshot%d", os.Getpid())
	logf := func(format string, args ...any) { t.Logf(format, args...) }
	t.Cleanup(func() {
		if err := enginecluster.Down(id, enginecluster.DownConfig{Log: logf}); err != nil {
			t.Errorf("down: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	c, err := enginecluster.Up(ctx, enginecluster.Config{ID: id, Nodes: 2, Log: logf})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.LoadImages(ctx, []string{enginecluster.BaseImage}, "gen1"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_HOST", c.Manager().Host())
	s := &Stack{Docker: docker.CLI{Bin: "docker"}, Name: "t"}
	if _, err := s.Docker.Run(ctx, "network", "create", "--driver", "overlay", s.Network()); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateSecret(ctx, "t_pw", "sesame"); err != nil {
		t.Fatal(err)
	}
	job := OneShot{Name: "t_job", Image: enginecluster.BaseImage, Replicas: 2, Secrets: []string{"t_pw"},
		Constraints: []string{"node.labels.macrobench.loadgen==true"}, Env: map[string]string{"WHO": "task"},
		Entrypoint: "sh", Args: []string{"-c", `echo "$WHO $(cat /run/secrets/t_pw)"`}}
	outs, err := s.RunOneShot(ctx, job, 2*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	gen, _ := c.Node("gen1")
	ns, err := s.Nodes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	genID := ""
	for _, n := range ns {
		if n.Hostname == gen.Name {
			genID = n.ID
		}
	}
	if len(ns) != 2 || genID == "" {
		t.Fatalf("nodes %+v: want 2, one of them %s", ns, gen.Name)
	}
	var tasks []Task
	for _, o := range outs {
		tasks = append(tasks, o.Task)
		if o.Task.NodeID != genID || o.Task.Status.State != "complete" || strings.TrimSpace(string(o.Log)) != "task sesame" {
			t.Errorf("task %s on %s: log %q; want complete on %s saying %q", o.Task, o.Task.NodeID, o.Log, genID, "task sesame")
		}
	}
	if len(outs) != 2 {
		t.Errorf("%d tasks collected, want 2", len(outs))
	}
	offs := ClockOffsets(tasks)
	if len(offs) != 1 || offs[0].Node != genID || offs[0].AtLeastS > 1 || offs[0].AtLeastS < -1 {
		t.Errorf("clock offsets %+v: want one for %s within a second (one clock here)", offs, genID)
	}
	gone := func(what string, args ...string) {
		t.Helper()
		if out, err := s.Docker.Run(ctx, args...); err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("%s left: %q %v", what, out, err)
		}
	}
	gone("the job", "service", "ls", "-q", "--filter", "name=t_job")

	// Cancelled while its task runs: the job goes all the same.
	jctx, jcancel := context.WithCancel(ctx)
	time.AfterFunc(5*time.Second, jcancel)
	job = OneShot{Name: "t_sleep", Image: enginecluster.BaseImage, Replicas: 1,
		Constraints: []string{"node.labels.macrobench.loadgen==true"}, Entrypoint: "sleep", Args: []string{"300"}}
	t0 := time.Now()
	if _, err := s.RunOneShot(jctx, job, 2*time.Minute); err == nil {
		t.Error("a cancelled job gave no error")
	}
	if d := time.Since(t0); d > 45*time.Second {
		t.Errorf("the cancelled job took %s to return", d)
	}
	gone("the cancelled job", "service", "ls", "-q", "--filter", "name=t_sleep")
	if err := s.RemoveSecret("t_pw"); err != nil {
		t.Error(err)
	}
	gone("the secret", "secret", "ls", "-q", "--filter", "name=t_pw")
}
