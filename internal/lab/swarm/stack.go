// Package swarm runs the lab as a Docker Swarm stack (swarm.yaml at the
// repository root): it deploys the stack with .env's settings, waits until
// every service is healthy, runs the load generator as a replicated job
// whose tasks share the load and start together, collects each task's JSON
// from its log, merges them, reads the app's own count for the window, and
// removes the stack. `bench swarm` (scripts/swarm.sh) is its command line.
package swarm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/macrobench/macrobench/internal/shared/docker"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

// StackFile is the stack's file, at the repository root.
const StackFile = "swarm.yaml"

// Label is the label Docker puts on a stack's services, networks, configs
// and volumes (its value: the stack's name).
const Label = "com.docker.stack.namespace"

// Service names in swarm.yaml.
const (
	AppService      = "app"
	LoadtestService = "loadtest"
)

// Stack is one deployed (or to be deployed) swarm.yaml.
type Stack struct {
	Docker docker.CLI
	Name   string   // the stack's name (docker stack deploy NAME)
	Repo   string   // the repository root: swarm.yaml, .env
	Extra  []string // further stack files merged over swarm.yaml (-c)
	Log    io.Writer

	mu      sync.Mutex
	tunnel  *Tunnel           // into the stack's network (Reach)
	reached map[string]string // host:port on the network -> its URL here
}

// Service is the full name of one of the stack's services.
func (s *Stack) Service(name string) string { return s.Name + "_" + name }

func (s *Stack) logf(format string, a ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, "swarm: "+format+"\n", a...)
	}
}

// Environ is the environment `docker stack deploy` interpolates swarm.yaml
// with: the process's own, then .env's variables for those it lacks (as
// compose reads .env; the stack loader does not), then vars, which win.
func Environ(repo string, environ []string, vars map[string]string) ([]string, error) {
	dotenv, err := pgroles.DotEnv(filepath.Join(repo, ".env"))
	if err != nil {
		return nil, err
	}
	env := map[string]string{}
	for k, v := range dotenv {
		env[k] = v
	}
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for k, v := range vars {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// Deploy runs `docker stack deploy` with the stack's files, vars over the
// environment (see Environ), after creating the stack's secrets from its
// values (ensureSecrets) and placing the gateway on the node the docker
// CLI talks to (SWARM_GATEWAY_NODE). Local images are used as they are
// (--resolve-image never: no registry is asked for a digest).
func (s *Stack) Deploy(ctx context.Context, vars map[string]string) error {
	env, err := Environ(s.Repo, os.Environ(), vars)
	if err != nil {
		return err
	}
	if _, err := Overlay(env); err != nil {
		return err
	}
	// (not `docker info`: a CLI newer than the engine asks /info at its own
	// API version and gets a 404 there)
	node, err := s.Docker.Run(ctx, "node", "inspect", "self", "--format", "{{.ID}}")
	if err != nil {
		return fmt.Errorf("the docker CLI's engine must be a manager of a swarm (DOCKER_HOST): %v", err)
	}
	if node = strings.TrimSpace(node); node == "" {
		return errors.New("docker node inspect self: no node ID: DOCKER_HOST must name a manager of a swarm")
	}
	values := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		values[k] = v
	}
	secrets, err := s.ensureSecrets(ctx, values)
	if err != nil {
		return err
	}
	all := map[string]string{gatewayNodeVar: node}
	for k, v := range secrets {
		all[k] = v
	}
	for k, v := range vars {
		all[k] = v
	}
	if env, err = Environ(s.Repo, os.Environ(), all); err != nil {
		return err
	}
	args := []string{"stack", "deploy", "--detach=true", "--resolve-image", "never", "--prune", "-c", filepath.Join(s.Repo, StackFile)}
	for _, f := range s.Extra {
		args = append(args, "-c", f)
	}
	args = append(args, s.Name)
	cmd := s.Docker.Command(ctx, args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("docker stack deploy %s: %v: %s", s.Name, err, docker.Clip(string(out), 800))
	}
	s.pruneSecrets(ctx, secrets)
	return nil
}

// serviceInfo is what the stack needs of `docker service inspect`.
type serviceInfo struct {
	ID   string
	Spec struct {
		Name   string
		Labels map[string]string
		Mode   struct {
			Replicated    *struct{ Replicas uint64 }
			ReplicatedJob *struct{ TotalCompletions uint64 }
		}
	}
	JobStatus *struct {
		JobIteration struct{ Index uint64 }
	}
}

// services inspects the stack's services.
func (s *Stack) services(ctx context.Context) ([]serviceInfo, error) {
	out, err := s.Docker.Run(ctx, "service", "ls", "-q", "--filter", "label="+Label+"="+s.Name)
	if err != nil {
		return nil, err
	}
	ids := strings.Fields(out)
	if len(ids) == 0 {
		return nil, nil
	}
	out, err = s.Docker.Run(ctx, append([]string{"service", "inspect"}, ids...)...)
	if err != nil {
		return nil, err
	}
	var ss []serviceInfo
	if err := json.Unmarshal([]byte(out), &ss); err != nil {
		return nil, fmt.Errorf("docker service inspect output: %v", err)
	}
	return ss, nil
}

// Task is what the stack needs of a task's `docker inspect`.
type Task struct {
	ID           string
	ServiceID    string
	NodeID       string
	Slot         int
	DesiredState string
	CreatedAt    time.Time // the manager's clock
	UpdatedAt    time.Time // the manager's clock, when it stored the last update
	JobIteration *struct{ Index uint64 }
	Status       struct {
		Timestamp       time.Time // the clock of the node that reported the state
		State           string
		Message         string
		Err             string
		ContainerStatus *struct{ ExitCode int }
	}
}

// Running is a task whose container runs (and passes its healthcheck:
// Swarm holds a task in "starting" until then).
func (t Task) Running() bool { return t.Status.State == "running" }

// Done is a task that reached a final state.
func (t Task) Done() bool {
	switch t.Status.State {
	case "complete", "failed", "rejected", "shutdown", "orphaned", "remove":
		return true
	}
	return false
}

func (t Task) String() string {
	s := t.ID
	if len(s) > 12 {
		s = s[:12]
	}
	s += " " + t.Status.State
	if t.Status.ContainerStatus != nil && t.Done() {
		s += fmt.Sprintf(" exit=%d", t.Status.ContainerStatus.ExitCode)
	}
	if t.Status.Err != "" {
		s += ": " + t.Status.Err
	}
	return s
}

// Tasks inspects a service's tasks (those Swarm still keeps: the current
// ones and a few past ones a slot).
func (s *Stack) Tasks(ctx context.Context, service string) ([]Task, error) {
	return s.serviceTasks(ctx, s.Service(service))
}

// WaitReady waits until every replicated service of the stack with
// replicas has all of them running (healthy) and no other task desired
// to run. It gives up at timeout, naming the services not ready.
func (s *Stack) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	last := "no services"
	for {
		ss, err := s.services(ctx)
		if err == nil && len(ss) > 0 {
			var bad []string
			for _, svc := range ss {
				if svc.Spec.Mode.Replicated == nil {
					continue
				}
				want := int(svc.Spec.Mode.Replicated.Replicas)
				ts, err := s.Tasks(ctx, strings.TrimPrefix(svc.Spec.Name, s.Name+"_"))
				if err != nil {
					bad = append(bad, svc.Spec.Name+": "+err.Error())
					continue
				}
				running, states := 0, []string{}
				for _, t := range ts {
					if t.DesiredState != "running" {
						continue
					}
					if t.Running() {
						running++
					} else {
						states = append(states, t.String())
					}
				}
				if running != want {
					bad = append(bad, fmt.Sprintf("%s %d/%d running %v", svc.Spec.Name, running, want, states))
				}
			}
			if len(bad) == 0 {
				return nil
			}
			sort.Strings(bad)
			last = strings.Join(bad, "; ")
		} else if err != nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stack %s not ready after %s: %s", s.Name, timeout, last)
		case <-time.After(time.Second):
		}
	}
}

// Remove removes the stack and waits (up to timeout) until its
// containers, networks, configs and secrets are gone (removing the job's finished
// containers on this node); with volumes, it then removes its volumes on
// this node. Other nodes keep their volumes and finished job containers
// (docs/swarm.md).
func (s *Stack) Remove(ctx context.Context, timeout time.Duration, volumes bool) error {
	if _, err := s.Docker.Run(ctx, "stack", "rm", s.Name); err != nil && !strings.Contains(err.Error(), "Nothing found in stack") {
		return err
	}
	filter := "label=" + Label + "=" + s.Name
	deadline := time.Now().Add(timeout)
	for {
		// The containers of a job's finished tasks stay after the stack is
		// gone (Swarm keeps them on their node): removed here, on this node.
		if done, err := s.Docker.Run(ctx, "ps", "-aq", "--filter", filter, "--filter", "status=exited", "--filter", "status=created"); err == nil && strings.TrimSpace(done) != "" {
			s.Docker.Run(ctx, append([]string{"rm"}, strings.Fields(done)...)...)
		}
		cs, err1 := s.Docker.Run(ctx, "ps", "-aq", "--filter", filter)
		ns, err2 := s.Docker.Run(ctx, "network", "ls", "-q", "--filter", filter)
		cf, err3 := s.Docker.Run(ctx, "config", "ls", "-q", "--filter", filter)
		// Secrets are taken away once no task uses them any more.
		sc, err4 := s.Docker.Run(ctx, "secret", "ls", "-q", "--filter", filter)
		if ids := strings.Fields(sc); len(ids) > 0 && err4 == nil {
			s.Docker.Run(ctx, append([]string{"secret", "rm"}, ids...)...)
		}
		left := strings.TrimSpace(cs + ns + cf + sc)
		if err1 == nil && err2 == nil && err3 == nil && err4 == nil && left == "" {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("stack %s: containers [%s], networks [%s], configs [%s] and secrets [%s] still there after %s (%v %v %v %v)",
				s.Name, strings.Join(strings.Fields(cs), " "), strings.Join(strings.Fields(ns), " "), strings.Join(strings.Fields(cf), " "), strings.Join(strings.Fields(sc), " "), timeout, err1, err2, err3, err4)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
	if !volumes {
		return nil
	}
	out, err := s.Docker.Run(ctx, "volume", "ls", "-q", "--filter", filter)
	if err != nil {
		return err
	}
	if vs := strings.Fields(out); len(vs) > 0 {
		if _, err := s.Docker.Run(ctx, append([]string{"volume", "rm"}, vs...)...); err != nil {
			return err
		}
	}
	if out, err := s.Docker.Run(ctx, "volume", "ls", "-q", "--filter", filter); err != nil || strings.TrimSpace(out) != "" {
		return fmt.Errorf("stack %s: volumes still there: [%s] %v", s.Name, strings.Join(strings.Fields(out), " "), err)
	}
	return nil
}
