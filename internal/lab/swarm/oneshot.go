package swarm

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Network is the stack's overlay network, which every service of
// swarm.yaml joins: the one SWARM_OVERLAY chooses (Overlay).
func (s *Stack) Network() string {
	overlay := OverlayEncrypted
	if env, err := Environ(s.Repo, os.Environ(), nil); err == nil {
		if o, err := Overlay(env); err == nil {
			overlay = o
		}
	}
	return s.Name + "_" + overlay
}

// OneShot is a replicated job the bench creates beside the stack (`docker
// service create --mode replicated-job`): Replicas tasks of Image on the
// stack's network, placed by Constraints, that run once and are collected
// from their logs. It carries the stack's label, so `docker stack rm` takes
// a left one away too.
type OneShot struct {
	Name        string // the service's name (unique per run)
	Image       string
	Replicas    int
	Constraints []string          // e.g. node.labels.macrobench.loadgen==true
	Env         map[string]string // not secret: given in the service's spec
	Secrets     []string          // secret names, mounted at /run/secrets/NAME
	Entrypoint  string            // "": the image's
	Args        []string
	Alias       string // a second DNS name on the network ("": none)
	CPUs        string // limit per task ("": none)
}

// CreateArgs is the `docker service create` command line of j (after
// "docker").
func (s *Stack) CreateArgs(j OneShot) []string {
	net := "name=" + s.Network()
	if j.Alias != "" {
		net += ",alias=" + j.Alias
	}
	args := []string{"service", "create", "--detach", "--quiet", "--name", j.Name,
		"--mode", "replicated-job", "--replicas", strconv.Itoa(j.Replicas),
		"--restart-condition", "none", "--network", net,
		"--label", Label + "=" + s.Name, "--container-label", Label + "=" + s.Name,
		"--endpoint-mode", "dnsrr", "--no-resolve-image"}
	for _, c := range j.Constraints {
		args = append(args, "--constraint", c)
	}
	keys := make([]string, 0, len(j.Env))
	for k := range j.Env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--env", k+"="+j.Env[k])
	}
	for _, sec := range j.Secrets {
		args = append(args, "--secret", sec)
	}
	if j.Entrypoint != "" {
		args = append(args, "--entrypoint", j.Entrypoint)
	}
	if j.CPUs != "" {
		args = append(args, "--limit-cpu", j.CPUs)
	}
	return append(append(args, j.Image), j.Args...)
}

// TaskOutput is one finished task of a one-shot job and its log.
type TaskOutput struct {
	Task Task
	Log  []byte
}

// RunOneShot creates the job, waits (up to timeout) until its Replicas
// tasks are complete, reads each task's log, and removes the job whatever
// happened (also when ctx ends: on a context of its own). A task that
// failed ends the wait at once; the error carries its log.
func (s *Stack) RunOneShot(ctx context.Context, j OneShot, timeout time.Duration) ([]TaskOutput, error) {
	if j.Replicas < 1 {
		return nil, fmt.Errorf("job %s: %d replicas", j.Name, j.Replicas)
	}
	if out, err := s.Docker.Run(ctx, s.CreateArgs(j)...); err != nil {
		s.removeService(j.Name)
		return nil, fmt.Errorf("docker service create %s: %v %s", j.Name, err, strings.TrimSpace(out))
	}
	defer s.removeService(j.Name)
	ts, err := s.waitJob(ctx, j.Name, j.Replicas, timeout)
	var outs []TaskOutput
	for _, t := range ts {
		log, lerr := s.TaskLog(context.WithoutCancel(ctx), t.ID)
		if lerr != nil && err == nil {
			err = lerr
		}
		outs = append(outs, TaskOutput{Task: t, Log: log})
	}
	if err != nil {
		for _, o := range outs {
			if o.Task.Status.State != "complete" {
				err = fmt.Errorf("%w; its log: %s", err, strings.TrimSpace(tail(string(o.Log), 400)))
			}
		}
	}
	return outs, err
}

// removeService removes a one-shot job (its finished containers stay on
// their nodes until the stack's removal: docs/swarm.md).
func (s *Stack) removeService(name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.Docker.Run(ctx, "service", "rm", name)
}

// waitJob waits until service (a job) has want tasks, all in a final
// state, and returns them; a failed one ends the wait at once.
func (s *Stack) waitJob(ctx context.Context, service string, want int, timeout time.Duration) ([]Task, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no tasks yet"
	for {
		ts, err := s.serviceTasks(ctx, service)
		if err != nil {
			last = err.Error()
		} else {
			done := 0
			for _, t := range ts {
				if t.Done() && t.Status.State != "complete" {
					return []Task{t}, fmt.Errorf("%s: task %s", service, t)
				}
				if t.Done() {
					done++
				}
			}
			if len(ts) == want && done == want {
				return ts, nil
			}
			last = fmt.Sprintf("%d tasks, %d done: %v", len(ts), done, ts)
		}
		select {
		case <-ctx.Done():
			if ts, err := s.serviceTasks(context.WithoutCancel(ctx), service); err == nil {
				return ts, fmt.Errorf("%s: the job did not finish (%v): %s", service, ctx.Err(), last)
			}
			return nil, fmt.Errorf("%s: the job did not finish (%v): %s", service, ctx.Err(), last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// serviceTasks inspects a service's tasks by its full name.
func (s *Stack) serviceTasks(ctx context.Context, service string) ([]Task, error) {
	out, err := s.Docker.Run(ctx, "service", "ps", "-q", "--no-trunc", service)
	if err != nil {
		return nil, err
	}
	ids := strings.Fields(out)
	if len(ids) == 0 {
		return nil, nil
	}
	out, err = s.Docker.Run(ctx, append([]string{"inspect"}, ids...)...)
	if err != nil {
		return nil, err
	}
	var ts []Task
	if err := json.Unmarshal([]byte(out), &ts); err != nil {
		return nil, fmt.Errorf("docker inspect (tasks) output: %v", err)
	}
	return ts, nil
}

// ServiceImage is the image a service of the stack runs (its spec's).
func (s *Stack) ServiceImage(ctx context.Context, service string) (string, error) {
	out, err := s.Docker.Run(ctx, "service", "inspect", "--format", "{{.Spec.TaskTemplate.ContainerSpec.Image}}", s.Service(service))
	if err != nil {
		return "", err
	}
	img, _, _ := strings.Cut(strings.TrimSpace(out), "@") // a digest pinned by the CLI
	return img, nil
}

// CreateSecret creates a Swarm secret from value (through stdin: never on
// a command line) with the stack's label and labels (KEY=VALUE);
// RemoveSecret takes it away.
func (s *Stack) CreateSecret(ctx context.Context, name, value string, labels ...string) error {
	args := []string{"secret", "create", "--label", Label + "=" + s.Name}
	for _, l := range labels {
		args = append(args, "--label", l)
	}
	cmd := s.Docker.Command(ctx, append(args, name, "-")...)
	cmd.Stdin = strings.NewReader(value)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker secret create %s: %v %s", name, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// RemoveSecret removes a secret, on a context of its own (it runs after a
// cancelled run too).
func (s *Stack) RemoveSecret(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := s.Docker.Run(ctx, "secret", "rm", name)
	return err
}
