package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/macrobench/macrobench/internal/httpwait"
)

// ComposeExecutor runs the generator in the compose stack's loadtest
// containers and pgbench inside the postgres container. docker compose reads
// COMPOSE_FILE (and the other COMPOSE_* variables) from the environment, as
// it does on the command line.
type ComposeExecutor struct {
	Docker string // "docker"
	appURL string // the app's published address, found by Up
}

func (e *ComposeExecutor) Name() string { return "compose" }

// HostURL is the app's published port (127.0.0.1:8000 in compose.yaml; an
// override may move it).
func (e *ComposeExecutor) HostURL() string { return e.appURL }

func (e *ComposeExecutor) compose(ctx context.Context, args ...string) *exec.Cmd {
	return exec.CommandContext(ctx, e.Docker, append([]string{"compose"}, args...)...)
}

func (e *ComposeExecutor) output(ctx context.Context, args ...string) (string, error) {
	cmd := e.compose(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("docker compose %s: %v: %s", strings.Join(args, " "), err, clip(stderr.String(), 800))
	}
	return stdout.String(), nil
}

// Published is the host address (host:port) of a service's container port,
// as `docker compose port` reports it.
func (e *ComposeExecutor) Published(ctx context.Context, service string, port int) (string, error) {
	out, err := e.output(ctx, "port", service, strconv.Itoa(port))
	if err != nil {
		return "", err
	}
	addr := strings.TrimSpace(out)
	if addr == "" || strings.HasSuffix(addr, ":0") {
		return "", fmt.Errorf("%s publishes no port %d", service, port)
	}
	if host, p, ok := strings.Cut(addr, ":"); ok && (host == "0.0.0.0" || host == "::" || host == "[::]") {
		addr = "127.0.0.1:" + p
	}
	return addr, nil
}

// Up starts the stack unless the app already answers /healthz on its
// published port, then waits until it does.
func (e *ComposeExecutor) Up(ctx context.Context, log func(string, ...any)) error {
	if addr, err := e.Published(ctx, "app", 8000); err == nil && httpwait.OK(ctx, "http://"+addr+"/healthz", 0) == nil {
		e.appURL = "http://" + addr
		return nil
	}
	log("bench: the stack is not up; running docker compose up -d --wait")
	cmd := e.compose(ctx, "up", "-d", "--wait")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker compose up -d --wait: %v", err)
	}
	addr, err := e.Published(ctx, "app", 8000)
	if err != nil {
		return err
	}
	e.appURL = "http://" + addr
	if err := httpwait.OK(ctx, e.appURL+"/healthz", 3*time.Minute); err != nil {
		return fmt.Errorf("the app did not become healthy: %w", err)
	}
	return nil
}

// services is `docker compose config`'s view of the stack (COMPOSE_FILE
// overrides included).
func (e *ComposeExecutor) services(ctx context.Context) (map[string]composeService, error) {
	out, err := e.output(ctx, "--profile", "loadtest", "config", "--format", "json")
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Services map[string]composeService `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		return nil, fmt.Errorf("docker compose config: %w", err)
	}
	return cfg.Services, nil
}

type composeService struct {
	Image       string             `json:"image"`
	CPUs        json.Number        `json:"cpus"`
	Environment map[string]*string `json:"environment"`
}

func (e *ComposeExecutor) GeneratorCPUs(ctx context.Context) int {
	n := 0
	if out, err := exec.CommandContext(ctx, e.Docker, "info", "--format", "{{.NCPU}}").Output(); err == nil {
		n, _ = strconv.Atoi(strings.TrimSpace(string(out)))
	}
	if n <= 0 {
		n = localCPUs()
	}
	if svcs, err := e.services(ctx); err == nil {
		if c, err := svcs["loadtest"].CPUs.Float64(); err == nil && c > 0 && int(math.Ceil(c)) < n {
			n = int(math.Ceil(c))
		}
	}
	return n
}

// GeneratorContainerPrefix starts the name of every generator container the
// bench runs: GeneratorContainerPrefix<pid>-<n> (e2echeck no-generators
// looks for them).
const GeneratorContainerPrefix = "macrobench-gen-"

var genSeq atomic.Int64

// Generate runs the generator in a one-off container of its own name. When
// ctx ends first (the bench was interrupted), the container is stopped and
// removed by that name: `docker compose run` gets SIGINT, and whatever it
// leaves, `docker rm -f` takes away.
func (e *ComposeExecutor) Generate(ctx context.Context, s GenSpec) (string, string, error) {
	abs, err := filepath.Abs(s.Dir)
	if err != nil {
		return "", "", err
	}
	service, url := "loadtest", "http://app:8000"
	if s.Via == "localhost" {
		service, url = "loadtest-local", "http://127.0.0.1:8000"
	}
	name := fmt.Sprintf("%s%d-%d", GeneratorContainerPrefix, os.Getpid(), genSeq.Add(1))
	// --no-deps: Up has checked the stack; compose need not check it again per run.
	args := []string{"--profile", "loadtest", "run", "--rm", "-T", "--no-deps", "--name", name,
		"--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
		"-v", abs + ":/results", service}
	if s.Via != "localhost" {
		// Registers the name "loadtest" on the network: Prometheus scrapes the
		// generator at loadtest:9102 (the localhost one shares app's namespace).
		args = append(args[:len(args)-1], "--use-aliases", service)
	}
	args = append(args, s.Args...)
	args = append(args, "--json", "/results/"+s.Stem+".json", "--hgrm", "/results/"+s.Stem+".hgrm", url+s.Path)
	cmd := e.compose(ctx, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		if rerr := e.removeContainer(name); rerr != nil {
			return stdout.String(), "", fmt.Errorf("interrupted; removing the generator container %s: %v", name, rerr)
		}
		return stdout.String(), "", fmt.Errorf("interrupted: generator container %s stopped and removed", name)
	}
	if err != nil {
		err = fmt.Errorf("docker compose %s: %v: %s", strings.Join(args, " "), err, clip(stderr.String(), 800))
	}
	return stdout.String(), filepath.Join(s.Dir, s.Stem+".json"), err
}

// removeContainer stops and removes a container by name, if it is still
// there (with a context of its own: the run's has ended), and checks it is
// gone: the engine may still have been creating it when compose stopped.
func (e *ComposeExecutor) removeContainer(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var last error
	for try := 0; try < 5; try++ {
		if try > 0 {
			time.Sleep(time.Second)
		}
		out, err := exec.CommandContext(ctx, e.Docker, "rm", "-f", name).CombinedOutput()
		if err != nil && !strings.Contains(string(out), "No such container") {
			last = fmt.Errorf("docker rm -f %s: %v: %s", name, err, clip(string(out), 300))
			continue
		}
		ids, err := exec.CommandContext(ctx, e.Docker, "ps", "-aq", "--filter", "name=^/?"+name+"$").Output()
		if err != nil {
			last = fmt.Errorf("docker ps: %v", err)
			continue
		}
		if len(bytes.TrimSpace(ids)) == 0 {
			return nil
		}
		last = fmt.Errorf("container %s still there", name)
	}
	return last
}

func (e *ComposeExecutor) Pgbench(ctx context.Context, script string, args []string) (string, string, error) {
	// The script goes in through stdin: the container has a shell and /tmp.
	// Debian-based images keep pgbench beside the server, off the PATH.
	sh := "for d in /usr/lib/postgresql/*/bin; do PATH=$PATH:$d; done; " +
		"cat > /tmp/macrobench-agents.sql && exec pgbench -h 127.0.0.1 -U macrobench " +
		strings.Join(args, " ") + " -f /tmp/macrobench-agents.sql macrobench"
	cmd := e.compose(ctx, "exec", "-T", "-e", "PGPASSWORD=macrobench", "postgres", "sh", "-c", sh)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	command := "docker compose exec postgres pgbench " + strings.Join(args, " ") + " -f agents.sql macrobench"
	if err != nil {
		return string(out), command, fmt.Errorf("pgbench in the postgres container: %v: %s", err, clip(string(out), 500))
	}
	return string(out), command, nil
}

func (e *ComposeExecutor) Describe(ctx context.Context, md map[string]any) {
	if out, err := e.output(ctx, "images", "--format", "json"); err == nil {
		var imgs []map[string]any
		if json.Unmarshal([]byte(out), &imgs) == nil {
			md["images"] = imgs
		} else {
			md["images"] = strings.TrimSpace(out)
		}
	} else {
		md["images_error"] = err.Error()
	}
	if svcs, err := e.services(ctx); err == nil {
		limits := map[string]string{}
		images := map[string]string{}
		for name, s := range svcs {
			limits[name] = s.CPUs.String()
			images[name] = s.Image
		}
		md["cpu_limits"] = limits
		md["service_images"] = images
		if v := svcs["app"].Environment["APP_POOL_SIZE"]; v != nil {
			md["app_pool_size_env"] = *v
		}
		if v := svcs["app"].Environment["APP_NEWCONN_LIMIT"]; v != nil {
			md["app_newconn_limit_env"] = *v
		}
	} else {
		md["compose_config_error"] = err.Error()
	}
	if out, err := exec.CommandContext(ctx, e.Docker, "info", "--format", "{{.NCPU}}").Output(); err == nil {
		md["docker_host_cpus"] = strings.TrimSpace(string(out))
	}
	if f := os.Getenv("COMPOSE_FILE"); f != "" {
		md["compose_file"] = f
	}
}
