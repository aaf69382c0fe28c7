package benchrun

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/docker"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
	"github.com/macrobench/macrobench/internal/shared/proc"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// ComposeExecutor runs the generator in the compose stack's loadtest
// containers and pgbench inside the postgres container. docker compose reads
// COMPOSE_FILE (and the other COMPOSE_* variables) from the environment, as
// it does on the command line.
type ComposeExecutor struct {
	Docker      string // "docker"
	appURL      string // the app's published address, found by Up
	originalURL string // the original's, found by UpOriginal
	project     string // compose's project name, found by services
	// startedOriginal: UpOriginal started the original (it was not
	// answering), so StopOriginal takes it away again.
	startedOriginal bool
}

// The compose names of the original and of its generator "via localhost":
// a service sharing the original's network namespace, as loadtest-local
// shares the app's, behind a profile of its own (with "loadtest" it would
// name a disabled service whenever the original's profile is not on).
const (
	OriginalService        = "original"
	OriginalProfile        = "original"
	OriginalLocalGenerator = "loadtest-local-original"
	OriginalLocalProfile   = "loadtest-original"
)

func (e *ComposeExecutor) Name() string { return "compose" }

// HostURL is a target's published port (the app's 127.0.0.1:8000, the
// original's 127.0.0.1:8001 in compose.yaml; an override may move them).
func (e *ComposeExecutor) HostURL(target string) string {
	if target == report.TargetOriginal {
		return e.originalURL
	}
	return e.appURL
}

// cli is the docker CLI, compose's project left to compose.
func (e *ComposeExecutor) cli() docker.CLI { return docker.CLI{Bin: e.Docker} }

// Published is the host address (host:port) of a service's container port.
func (e *ComposeExecutor) Published(ctx context.Context, service string, port int) (string, error) {
	return e.cli().Published(ctx, service, port)
}

// Up starts the stack unless the app already answers /healthz on its
// published port, then waits until it does.
func (e *ComposeExecutor) Up(ctx context.Context, log func(string, ...any)) error {
	if addr, err := e.Published(ctx, "app", 8000); err == nil && proc.WaitHTTPOK(ctx, "http://"+addr+"/healthz", 0) == nil {
		e.appURL = "http://" + addr
		return nil
	}
	log("bench: the stack is not up; running docker compose up -d --wait")
	cmd := e.cli().Compose(ctx, "up", "-d", "--wait")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker compose up -d --wait: %v", err)
	}
	addr, err := e.Published(ctx, "app", 8000)
	if err != nil {
		return err
	}
	e.appURL = "http://" + addr
	if err := proc.WaitHTTPOK(ctx, e.appURL+"/healthz", 3*time.Minute); err != nil {
		return fmt.Errorf("the app did not become healthy: %w", err)
	}
	return nil
}

// UpOriginal starts the original (`docker compose --profile original up -d
// --wait original`) unless it already answers /index on its published port,
// then waits until it does. Up comes first: it needs the stack's PostgreSQL.
// An original it starts, StopOriginal removes when the bench ends.
func (e *ComposeExecutor) UpOriginal(ctx context.Context, log func(string, ...any)) error {
	if addr, err := e.Published(ctx, OriginalService, 8000); err == nil && proc.WaitHTTPOK(ctx, "http://"+addr+"/index", 0) == nil {
		e.originalURL = "http://" + addr
		return nil
	}
	log("bench: the original is not up; running docker compose --profile %s up -d --wait %s", OriginalProfile, OriginalService)
	// From here on the container may exist, whatever happens next.
	e.startedOriginal = true
	cmd := e.cli().Compose(ctx, "--profile", OriginalProfile, "up", "-d", "--wait", OriginalService)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("docker compose --profile %s up -d --wait %s: %v", OriginalProfile, OriginalService, err)
	}
	addr, err := e.Published(ctx, OriginalService, 8000)
	if err != nil {
		return err
	}
	e.originalURL = "http://" + addr
	if err := proc.WaitHTTPOK(ctx, e.originalURL+"/index", 3*time.Minute); err != nil {
		return fmt.Errorf("the original did not answer /index: %w", err)
	}
	return nil
}

// StopOriginal stops and removes the original if UpOriginal started it
// (`docker compose --profile original rm --stop --force original`), and
// leaves one that was already running alone: the bench leaves the lab as
// it found it, so a plain `docker compose down` still stops all of it (it
// does not touch a container of a profile it is not given). It runs on a
// context of its own: the bench's may have ended (an interrupted run).
func (e *ComposeExecutor) StopOriginal(log func(string, ...any)) error {
	if !e.startedOriginal {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args := []string{"--profile", OriginalProfile, "rm", "--stop", "--force", OriginalService}
	log("bench: stopping the original it started: docker compose %s", strings.Join(args, " "))
	if _, err := e.cli().ComposeOutput(ctx, args...); err != nil {
		return fmt.Errorf("the original it started is left running: %v", err)
	}
	e.startedOriginal = false
	return nil
}

// OriginalPoolSize is the most connections the original's /agents_with_pool
// holds: a pool of ORIGINAL_POOL_SIZE in each of its ORIGINAL_WORKERS
// gunicorn workers, as compose configures them (0 when unknown).
func (e *ComposeExecutor) OriginalPoolSize(ctx context.Context) int64 {
	svcs, err := e.services(ctx)
	if err != nil {
		return 0
	}
	env := e.runningEnv(ctx, OriginalService, svcs[OriginalService].Environment) // compose_settings.go
	num := func(name string) int64 {
		if v := env[name]; v != nil {
			n, err := strconv.ParseInt(*v, 10, 64)
			if err == nil && n > 0 {
				return n
			}
		}
		return 0
	}
	return num("ORIGINAL_WORKERS") * num("ORIGINAL_POOL_SIZE")
}

// services is `docker compose config`'s view of the stack (COMPOSE_FILE
// overrides included), the generators' profile on, and the original's
// when the run measures it (UpOriginal).
func (e *ComposeExecutor) services(ctx context.Context) (map[string]composeService, error) {
	args := []string{"--profile", "loadtest"}
	if e.originalURL != "" {
		args = append(args, "--profile", OriginalProfile)
	}
	out, err := e.cli().ComposeOutput(ctx, append(args, "config", "--format", "json")...)
	if err != nil {
		return nil, err
	}
	var cfg struct {
		Name     string                    `json:"name"`
		Services map[string]composeService `json:"services"`
	}
	if err := json.Unmarshal([]byte(out), &cfg); err != nil {
		return nil, fmt.Errorf("docker compose config: %w", err)
	}
	e.project = cfg.Name
	return cfg.Services, nil
}

type composeService struct {
	Image       string             `json:"image"`
	CPUs        json.Number        `json:"cpus"`
	CPUSet      string             `json:"cpuset"`
	Environment map[string]*string `json:"environment"`
}

func (e *ComposeExecutor) GeneratorCPUs(ctx context.Context) int {
	n, err := e.cli().NCPU(ctx)
	if err != nil || n <= 0 {
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
	// Via the network, the generator reaches the target by its service
	// name; via localhost, it shares the target's network namespace.
	profiles, service, url := []string{"--profile", "loadtest"}, "loadtest", "http://app:8000"
	switch {
	case s.Target == report.TargetOriginal && s.Via == "localhost":
		profiles = []string{"--profile", OriginalProfile, "--profile", OriginalLocalProfile}
		service, url = OriginalLocalGenerator, "http://127.0.0.1:8000"
	case s.Target == report.TargetOriginal:
		url = "http://" + OriginalService + ":8000"
	case s.Via == "localhost":
		service, url = "loadtest-local", "http://127.0.0.1:8000"
	}
	name := fmt.Sprintf("%s%d-%d", GeneratorContainerPrefix, os.Getpid(), genSeq.Add(1))
	// --no-deps: Up has checked the stack; compose need not check it again per run.
	args := append(profiles, "run", "--rm", "-T", "--no-deps", "--name", name,
		"--user", fmt.Sprintf("%d:%d", os.Getuid(), os.Getgid()),
		"-v", abs+":/results", service)
	if s.Via != "localhost" {
		// Registers the name "loadtest" on the network: Prometheus finds every
		// generator by it (DNS), at :9102 (the localhost one shares app's namespace).
		args = append(args[:len(args)-1], "--use-aliases", service)
	}
	args = append(args, s.Args...)
	if s.Via == "localhost" && s.Part > 1 {
		// Parts via localhost share the target's network namespace: each
		// needs a metrics port of its own (prometheus.yml scrapes 9102..9105).
		args = append(args, "--metrics-addr", fmt.Sprintf(":%d", 9101+s.Part))
	}
	args = append(args, "--json", "/results/"+s.Stem+".json", "--hgrm", "/results/"+s.Stem+".hgrm", url+s.Path)
	cmd := e.cli().Compose(ctx, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() != nil {
		if rerr := e.cli().RemoveContainer(name); rerr != nil {
			return stdout.String(), "", fmt.Errorf("interrupted; removing the generator container %s: %v", name, rerr)
		}
		return stdout.String(), "", fmt.Errorf("interrupted: generator container %s stopped and removed", name)
	}
	if err != nil {
		err = fmt.Errorf("docker compose %s: %v: %s", strings.Join(args, " "), err, clip(stderr.String(), 800))
	}
	return stdout.String(), filepath.Join(s.Dir, s.Stem+".json"), err
}

// pgbenchLookup finds pgbench in the postgres container: Debian-based
// images keep it beside the server, off the PATH. A fixed script: no
// argument of the bench's is ever part of it.
const pgbenchLookup = `for d in /usr/lib/postgresql/*/bin; do PATH=$PATH:$d; done; command -v pgbench`

// Pgbench runs pgbench in the postgres container, its arguments passed as
// arguments (exec form), the script through stdin (-f -). It logs in as the
// bench's role with the password compose gives the container
// (postgres/initdb/03-roles.sql), which reaches it through the environment:
// set in the docker CLI's own, and named without a value by `exec -e
// PGPASSWORD`, so that no process list shows it.
func (e *ComposeExecutor) Pgbench(ctx context.Context, script string, args []string) (string, string, error) {
	command := "docker compose exec postgres pgbench " + strings.Join(args, " ") + " -f agents.sql macrobench"
	bin, err := e.cli().ComposeOutput(ctx, "exec", "-T", "postgres", "sh", "-c", pgbenchLookup)
	bin = strings.TrimSpace(bin)
	if err != nil || bin == "" {
		return "", command, fmt.Errorf("no pgbench in the postgres container: %v", err)
	}
	password := ""
	if svcs, err := e.services(ctx); err == nil {
		if v := svcs["postgres"].Environment[pgroles.PasswordVar[pgroles.Bench]]; v != nil {
			password = *v
		}
	}
	cmd := e.cli().Compose(ctx, pgbenchExecArgs(bin, args)...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
	cmd.Stdin = strings.NewReader(script)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), command, fmt.Errorf("pgbench in the postgres container: %v: %s", err, runresult.Redact(clip(string(out), 500)))
	}
	return string(out), command, nil
}

// pgbenchExecArgs is `docker compose exec` of pgbench (at bin) as the
// bench's role over TCP, the script from stdin, the password from the
// environment: PGPASSWORD is named, never given a value, here.
func pgbenchExecArgs(bin string, args []string) []string {
	a := []string{"exec", "-T", "-e", "PGPASSWORD", "postgres", bin, "-h", "127.0.0.1", "-U", pgroles.Bench}
	a = append(a, args...)
	return append(a, "-f", "-", pgroles.Database)
}

func (e *ComposeExecutor) Describe(ctx context.Context, md map[string]any) {
	if out, err := e.cli().ComposeOutput(ctx, "images", "--format", "json"); err == nil {
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
		images := map[string]string{}
		for name, s := range svcs {
			images[name] = s.Image
		}
		md["service_images"] = images
		e.describeSettings(ctx, md, svcs) // compose_settings.go
	} else {
		md["compose_config_error"] = err.Error()
	}
	if n, err := e.cli().NCPU(ctx); err == nil {
		md["docker_host_cpus"] = strconv.Itoa(n)
	}
	if f := os.Getenv("COMPOSE_FILE"); f != "" {
		md["compose_file"] = f
	}
	if e.originalURL != "" {
		md["original_url"] = e.originalURL
	}
}
