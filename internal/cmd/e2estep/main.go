// Command e2echeck runs one step of the end-to-end checks for scripts/e2e.sh.
//
//	e2echeck engine-warning      one line on stderr when the engine lets hosts on the
//	                             LAN reach ports published on 127.0.0.1 (bench run's
//	                             warning, benchrun.EngineWarning); never fails
//	e2echeck mirror [FILE]       print the Debian mirror for bookworm (default
//	                             FILE /etc/apt/sources.list.d/debian.sources)
//	e2echeck healthy SERVICE...  wait until the services are healthy
//	e2echeck stack               app endpoints, Prometheus targets, seed data
//	e2echeck security            database roles, no superuser over TCP, the
//	                             containers' confinement (caps, limits, read-only)
//	e2echeck outage              stop/start postgres under load
//	e2echeck pool-idle           /agents_with_pool requests 3 s apart (past
//	                             APP_REQUEST_TIMEOUT) reuse the pool's connection
//	e2echeck bench DIR           the results of `scripts/bench.sh --quick --targets app,original --generators 2`
//	e2echeck page DIR            DIR's index.html in headless Chromium, network off: under
//	                             1 MB, nothing fetched, every cell; keeps DIR/index.png
//	e2echeck live-generators     Prometheus scraped every generator part of that bench
//	e2echeck sweep DIR           the results of `scripts/bench.sh --sweep --quick`
//	e2echeck no-generators       no load generator container is left
//	e2echeck interrupted DIR     a bench stopped by SIGINT marked its results
//	e2echeck same-report NATIVE CONTAINER  the same bench run natively and in the
//	                             runner container: the same report, each naming its runner
//	e2echeck owned DIR UID:GID   everything under DIR belongs to UID:GID
//	e2echeck test-log LOG PATH PKG...  the output of `scripts/test.sh -v -count=1`:
//	                             the first line names PATH (native|container),
//	                             each PKG ran, tests passed, none failed or skipped
//	e2echeck running             every container up, healthy, never restarted
//	e2echeck stopped SERVICE...  the services' containers exited 0 (after docker compose stop)
//	e2echeck absent SERVICE...   no container of the services is left (the
//	                             original, after the bench that started it)
//	e2echeck gone                nothing of the project is left
//	e2echeck swarm-nodes STACK NODE...  every node's node-exporter scraped by the stack's Prometheus
//	                             (reached through the stack's gateway), its CPU read
//	e2echeck swarm-closed STACK  the stack as its manager's API shows it: nothing published, no
//	                             password in a service's spec, the network SWARM_OVERLAY names
//	e2echeck swarm-bench DIR [native|container]  the results of `bench run --swarm` (cells reconciled,
//	                             parts, placement, clock offsets); with a runner, the report names it
//
// The compose project is COMPOSE_PROJECT_NAME (default macrobench); the
// compose files come from COMPOSE_FILE, as for docker compose itself. The
// published ports and the roles' passwords are compose's (`docker compose
// port`, `docker compose config`: .env and the shell), unless given as flags.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/checks/e2echeck"
	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/lab/swarm"
	"github.com/macrobench/macrobench/internal/shared/docker"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "e2echeck:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "e2echeck: "+format+"\n", args...)
}

func run(args []string) error {
	fs := flag.NewFlagSet("e2echeck", flag.ContinueOnError)
	app := fs.String("app", "", "the app's published URL (default: docker compose port app 8000)")
	prom := fs.String("prometheus", "", "Prometheus's published URL (default: docker compose port prometheus 9090)")
	dsn := fs.String("dsn", "", "the published database, as the app's role (default: docker compose port postgres 5432, with POSTGRES_APP_PASSWORD from compose)")
	timeout := fs.Duration("timeout", 3*time.Minute, "how long `healthy` waits")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("usage: e2echeck [flags] engine-warning|mirror|healthy|stack|security|outage|pool-idle|bench|live-generators|sweep|no-generators|interrupted|same-report|owned|test-log|running|stopped|absent|gone|swarm-bench|swarm-nodes|swarm-closed [ARGS]")
	}
	project := os.Getenv("COMPOSE_PROJECT_NAME")
	if project == "" {
		project = "macrobench"
	}
	d := e2echeck.Stack{CLI: docker.CLI{Bin: "docker", Project: project}}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var stack e2echeck.Endpoints
	findStack := func() error {
		var err error
		if stack, err = e2echeck.FindEndpoints(ctx, d); err != nil {
			return fmt.Errorf("finding the stack: %v", err)
		}
		*app, *prom, *dsn = cmp.Or(*app, stack.AppURL), cmp.Or(*prom, stack.PrometheusURL), cmp.Or(*dsn, stack.AppDSN())
		return nil
	}

	switch cmd, rest := fs.Arg(0), fs.Args()[1:]; cmd {
	case "engine-warning":
		v, err := benchrun.EngineServerVersion(ctx, d.CLI)
		if err != nil {
			logf("engine-warning: the engine's version not read: %v", err)
			return nil
		}
		if w := benchrun.EngineWarning(v); w != "" {
			fmt.Fprintln(os.Stderr, "e2e: WARNING: "+w)
		}
	case "mirror":
		file := "/etc/apt/sources.list.d/debian.sources"
		if len(rest) > 0 {
			file = rest[0]
		}
		f, err := os.Open(file)
		if err != nil {
			return err
		}
		defer f.Close()
		m, err := e2echeck.DebianMirror(f, "bookworm")
		if err != nil {
			return fmt.Errorf("%s: %v", file, err)
		}
		fmt.Println(m)
	case "healthy":
		if len(rest) == 0 {
			return fmt.Errorf("healthy: name the services")
		}
		if err := d.WaitHealthy(ctx, *timeout, rest...); err != nil {
			return err
		}
		logf("healthy: %v", rest)
	case "stack":
		if err := findStack(); err != nil {
			return err
		}
		if err := e2echeck.CheckEndpoints(ctx, *app); err != nil {
			return fmt.Errorf("app endpoints: %v", err)
		}
		logf("app: /index, /agents and /agents_with_pool answer as seeded")
		// The load generator's targets are only up while a scenario runs.
		if err := e2echeck.WaitTargetsUp(ctx, *prom, time.Minute, []string{"app", "postgres", "prometheus"}, []string{"loadtest"}); err != nil {
			return err
		}
		logf("prometheus: every target up (loadtest aside)")
		if err := e2echeck.CheckSeed(ctx, *dsn); err != nil {
			return err
		}
		logf("postgres: seed data present")
	case "pool-idle":
		if err := findStack(); err != nil {
			return err
		}
		if err := e2echeck.CheckPoolKeepsConnections(ctx, *app, 4, 3*time.Second); err != nil {
			return fmt.Errorf("pool-idle: %v", err)
		}
		logf("pool-idle: 4 requests 3s apart, no pooled connection reopened")
	case "security":
		if err := findStack(); err != nil {
			return err
		}
		repo, err := os.Getwd()
		if err != nil {
			return err
		}
		if err := e2echeck.CheckDatabaseRoles(ctx, stack, repo); err != nil {
			return fmt.Errorf("database roles: %v", err)
		}
		logf("postgres: app, exporter and bench roles can do what they need and no more; the superuser cannot log in over TCP")
		if err := e2echeck.WaitExporterUp(ctx, *prom, 30*time.Second); err != nil {
			return err
		}
		logf("postgres-exporter: reaches PostgreSQL as its pg_monitor role")
		hs, err := d.Hardenings(ctx)
		if err != nil {
			return err
		}
		if err := e2echeck.CheckHardening(hs); err != nil {
			return fmt.Errorf("containers: %v", err)
		}
		logf("containers: no capabilities, no-new-privileges, read-only root, memory and pids limits (%d)", len(hs))
	case "outage":
		if err := findStack(); err != nil {
			return err
		}
		if err := e2echeck.Outage(ctx, d, *app, logf); err != nil {
			return fmt.Errorf("outage: %v", err)
		}
		logf("outage: 503 while the database was gone, recovered by itself, no container restarted")
	case "bench":
		if len(rest) != 1 {
			return fmt.Errorf("bench: name the results folder")
		}
		cells, err := e2echeck.CheckBenchReport(rest[0])
		for _, c := range cells {
			logf("bench: %s", c)
		}
		if err != nil {
			return err
		}
		logf("bench: every cell ran, verified and reconciled; report and charts written")
	case "page":
		if len(rest) != 1 {
			return fmt.Errorf("page: name the results folder")
		}
		size, err := e2echeck.CheckPage(ctx, rest[0])
		if err != nil {
			return err
		}
		logf("page: index.html %d bytes, rendered offline with nothing fetched; screenshot %s", size, e2echeck.PageScreenshot)
	case "live-generators":
		// Over the bench just run: every generator part was scraped.
		if err := findStack(); err != nil {
			return err
		}
		seen, err := e2echeck.CheckLiveGenerators(ctx, *prom, 15*time.Minute)
		if err != nil {
			return err
		}
		logf("live-generators: Prometheus scraped %s", seen)
	case "sweep":
		if len(rest) != 1 {
			return fmt.Errorf("sweep: name the results folder")
		}
		lines, err := e2echeck.CheckSweepReport(rest[0])
		for _, l := range lines {
			logf("sweep: %s", l)
		}
		if err != nil {
			return err
		}
		logf("sweep: steps with percentiles, a knee or a bound with its reason, report and chart written")
	case "no-generators":
		if err := d.CheckNoGenerators(ctx); err != nil {
			return err
		}
		logf("no-generators: no load generator container left")
	case "interrupted":
		if len(rest) != 1 {
			return fmt.Errorf("interrupted: name the results folder")
		}
		what, err := e2echeck.CheckInterrupted(rest[0])
		if err != nil {
			return err
		}
		logf("interrupted: %s", what)
	case "same-report":
		if len(rest) != 2 {
			return fmt.Errorf("same-report: name the native results folder, then the container's")
		}
		if err := e2echeck.CheckSameReport(rest[0], rest[1]); err != nil {
			return err
		}
		logf("same-report: the native and the container runner's reports have the same structure")
	case "owned":
		var uid, gid int
		if len(rest) != 2 {
			return fmt.Errorf("owned: want DIR UID:GID")
		}
		if _, err := fmt.Sscanf(rest[1], "%d:%d", &uid, &gid); err != nil {
			return fmt.Errorf("owned: %q: want UID:GID", rest[1])
		}
		if err := e2echeck.CheckOwnedBy(rest[0], uid, gid); err != nil {
			return err
		}
		logf("owned: everything under %s is %d:%d's", rest[0], uid, gid)
	case "test-log":
		if len(rest) < 3 {
			return fmt.Errorf("test-log: want LOG native|container PKG...")
		}
		f, err := os.Open(rest[0])
		if err != nil {
			return err
		}
		defer f.Close()
		tr, err := e2echeck.CheckTestLog(f, rest[1], rest[2:])
		if err != nil {
			return fmt.Errorf("%s: %v", rest[0], err)
		}
		logf("test-log: the %s path ran %v: %d tests passed, none failed or skipped", tr.Path, rest[2:], tr.Passed)
	case "running":
		cs, err := d.Containers(ctx)
		if err != nil {
			return err
		}
		if err := e2echeck.CheckRunning(cs); err != nil {
			return err
		}
		logf("running: %v", cs)
	case "stopped":
		cs, err := d.Containers(ctx)
		if err != nil {
			return err
		}
		if err := e2echeck.CheckStopped(cs, rest...); err != nil {
			return err
		}
		logf("stopped: %v exited 0", rest)
	case "absent":
		cs, err := d.Containers(ctx)
		if err != nil {
			return err
		}
		if err := e2echeck.CheckAbsent(cs, rest...); err != nil {
			return err
		}
		logf("absent: no container of %v", rest)
	case "swarm-bench":
		runner := ""
		switch {
		case len(rest) == 2 && (rest[1] == report.RunnerNative || rest[1] == report.RunnerContainer):
			runner = rest[1]
		case len(rest) != 1:
			return fmt.Errorf("swarm-bench: want DIR [native|container]")
		}
		lines, err := e2echeck.CheckSwarmBench(rest[0], runner)
		for _, l := range lines {
			logf("swarm-bench: %s", l)
		}
		if err != nil {
			return fmt.Errorf("swarm-bench: %v", err)
		}
	case "swarm-nodes":
		if len(rest) < 2 {
			return fmt.Errorf("swarm-nodes: name the stack and the nodes' hostnames")
		}
		// The stack publishes nothing: its Prometheus through the tunnel
		// (DOCKER_HOST: the manager that deployed it).
		st := &swarm.Stack{Docker: docker.CLI{Bin: "docker"}, Name: rest[0], Repo: "."}
		promURL, err := st.Reach(ctx, "prometheus", 9090)
		if err != nil {
			return fmt.Errorf("swarm-nodes: %v", err)
		}
		lines, err := e2echeck.CheckSwarmNodes(ctx, promURL, rest[1:], 60*time.Second)
		for _, l := range lines {
			logf("swarm-nodes: %s", l)
		}
		if err != nil {
			return fmt.Errorf("swarm-nodes: %v", err)
		}
	case "swarm-closed":
		if len(rest) != 1 {
			return fmt.Errorf("swarm-closed: name the stack")
		}
		// As the manager's API shows it (DOCKER_HOST): nothing published,
		// no password of .env's or the shell's in a service's spec, the
		// network SWARM_OVERLAY chose, encrypted when it says so.
		st := &swarm.Stack{Docker: docker.CLI{Bin: "docker"}, Name: rest[0], Repo: "."}
		env, err := swarm.Environ(".", os.Environ(), nil)
		if err != nil {
			return fmt.Errorf("swarm-closed: %v", err)
		}
		overlay, err := swarm.Overlay(env)
		if err != nil {
			return fmt.Errorf("swarm-closed: %v", err)
		}
		var pws []string
		for _, kv := range env {
			if k, v, _ := strings.Cut(kv, "="); strings.HasSuffix(k, "_PASSWORD") && v != "" {
				pws = append(pws, v)
			}
		}
		lines, err := e2echeck.CheckSwarmClosed(ctx, st, pws, overlay)
		for _, l := range lines {
			logf("swarm-closed: %s", l)
		}
		if err != nil {
			return fmt.Errorf("swarm-closed: %v", err)
		}
	case "gone":
		if err := d.CheckGone(ctx); err != nil {
			return err
		}
		logf("gone: no container, volume or network of %s left", project)
	default:
		return fmt.Errorf("unknown step %q", cmd)
	}
	return nil
}
