// Command nodecluster makes and removes a multi-node Docker Swarm of Docker
// engines in containers on this machine (internal/checks/enginecluster;
// docs/swarm.md, "The CI cluster").
//
//	nodecluster up [--id ID] [--nodes N] [--image IMG] [--load [ROLE,ROLE=]IMG]...
//	        the network, N nodes (4: manager, app, gen1, gen2), the swarm,
//	        labelled; then the images; prints the env (below) and leaves the
//	        cluster running. A failure or SIGINT/SIGTERM tears it down.
//	nodecluster run [flags as up] -- CMD [ARG...]
//	        up, then CMD with the env added, then down (also on failure and
//	        on SIGINT/SIGTERM, which CMD gets too); exits with CMD's status
//	nodecluster load --id ID [--load [ROLE,ROLE=]IMG]...
//	nodecluster env --id ID     MBCLUSTER_* of a running cluster, one a line
//	nodecluster down --id ID    everything of the cluster; nothing found is success
//	nodecluster leftovers --id ID  what is left of it (exit 1 if anything)
//
// --load IMG loads IMG into every node; --load app,gen1=IMG into those roles'
// nodes only. The env: MBCLUSTER_ID, MBCLUSTER_NETWORK, MBCLUSTER_NODES, and
// per role MBCLUSTER_<ROLE>_NAME, _IP and _HOST (a DOCKER_HOST for that
// node's engine from the host: `DOCKER_HOST=$MBCLUSTER_MANAGER_HOST docker
// node ls`).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/checks/enginecluster"
)

func main() {
	code, err := run(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "nodecluster:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "nodecluster: "+format+"\n", args...)
}

type loads []string

func (l *loads) String() string     { return strings.Join(*l, " ") }
func (l *loads) Set(v string) error { *l = append(*l, v); return nil }

const usage = "usage: nodecluster up|run|load|env|down|leftovers [--id ID] [--nodes N] [--image IMG] [--load [ROLE,ROLE=]IMG]... [-- CMD...]"

func run(args []string) (int, error) {
	if len(args) == 0 {
		return 2, errors.New(usage)
	}
	verb := args[0]
	fs := flag.NewFlagSet("nodecluster "+verb, flag.ContinueOnError)
	id := fs.String("id", "ci", "the cluster's id: its names are mbcluster-ID…")
	nodes := fs.Int("nodes", 4, "nodes: 4 (manager, app, gen1, gen2), 3 or 2")
	image := fs.String("image", enginecluster.DefaultImage, "the node image (scripts/e2e/node)")
	var ls loads
	fs.Var(&ls, "load", "[ROLE,ROLE=]IMAGE to load into the nodes (all when no role is named); repeatable")
	if err := fs.Parse(args[1:]); err != nil {
		return 2, err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	down := func() error {
		t := time.Now()
		err := enginecluster.Down(*id, enginecluster.DownConfig{Image: *image, Log: logf})
		logf("down %s in %s", *id, time.Since(t).Round(time.Millisecond))
		return err
	}
	switch verb {
	case "down":
		return 0, down()
	case "leftovers":
		left, err := enginecluster.Leftovers(ctx, *id, enginecluster.DownConfig{Image: *image})
		if err != nil {
			return 1, err
		}
		for _, l := range left {
			fmt.Println(l)
		}
		if len(left) > 0 {
			return 1, nil
		}
		return 0, nil
	case "env", "load":
		c, err := enginecluster.Attach(ctx, *id, "")
		if err != nil {
			return 1, err
		}
		if verb == "load" {
			return 0, loadAll(ctx, c, ls)
		}
		printEnv(c)
		return 0, nil
	case "up", "run":
	default:
		return 2, errors.New(usage)
	}
	if verb == "run" && fs.NArg() == 0 {
		return 2, errors.New("run: no command after --")
	}
	c, err := enginecluster.Up(ctx, enginecluster.Config{ID: *id, Nodes: *nodes, Image: *image, Log: logf})
	if err != nil {
		return 1, err
	}
	if err := loadAll(ctx, c, ls); err != nil {
		return 1, errors.Join(err, down())
	}
	if ctx.Err() != nil {
		return 1, errors.Join(ctx.Err(), down())
	}
	if verb == "up" {
		printEnv(c)
		return 0, nil
	}
	// run: CMD with the env; SIGINT/SIGTERM reach it (the terminal's
	// process group, or forwarded here), then the cluster goes.
	stop()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	cmd := exec.Command(fs.Arg(0), fs.Args()[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), c.Env()...)
	code := 0
	if err := cmd.Start(); err != nil {
		return 1, errors.Join(err, down())
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var werr error
wait:
	for {
		select {
		case s := <-sigs:
			_ = cmd.Process.Signal(s)
		case werr = <-done:
			break wait
		}
	}
	signal.Stop(sigs)
	var exit *exec.ExitError
	if errors.As(werr, &exit) {
		code = exit.ExitCode()
		if code < 0 {
			code = 1
		}
		werr = nil
	}
	if err := down(); err != nil {
		return max(code, 1), errors.Join(werr, err)
	}
	return code, werr
}

// printEnv prints the cluster's env one variable a line, values with
// spaces single-quoted: `eval "$(nodecluster up ...)"` sets them.
func printEnv(c *enginecluster.Cluster) {
	if overlay, why := enginecluster.Overlay(); why != "" {
		fmt.Fprintf(os.Stderr, "nodecluster: MBCLUSTER_OVERLAY=%s: %s\n", overlay, why)
	}
	for _, e := range c.Env() {
		k, v, _ := strings.Cut(e, "=")
		if strings.ContainsAny(v, " \t") {
			v = "'" + v + "'"
		}
		fmt.Println(k + "=" + v)
	}
}

// loadPlan turns the --load values into each role's images, in the order
// given: "IMG" for every role, "ROLE,ROLE=IMG" for those.
func loadPlan(ls []string, roles []string) (map[string][]string, error) {
	plan := map[string][]string{}
	for _, l := range ls {
		img, rs := l, roles
		if r, im, ok := strings.Cut(l, "="); ok {
			img, rs = im, strings.Split(r, ",")
		}
		if img == "" {
			return nil, fmt.Errorf("--load %q: no image", l)
		}
		for _, r := range rs {
			if !slices.Contains(roles, r) {
				return nil, fmt.Errorf("--load %s: no node of role %q (the cluster's: %s)", l, r, strings.Join(roles, ", "))
			}
			plan[r] = append(plan[r], img)
		}
	}
	return plan, nil
}

// loadAll loads every --load into its nodes: the nodes in parallel, each
// node's images in the order given.
func loadAll(ctx context.Context, c *enginecluster.Cluster, ls loads) error {
	var roles []string
	for _, n := range c.Nodes {
		roles = append(roles, n.Role)
	}
	plan, err := loadPlan(ls, roles)
	if err != nil || len(plan) == 0 {
		return err
	}
	t := time.Now()
	got, err := c.LoadPlan(ctx, plan)
	for _, g := range got {
		logf("loaded %s into %s in %s", g.Image, g.Node, g.Took.Round(time.Millisecond))
	}
	if err != nil {
		return err
	}
	logf("images loaded in %s", time.Since(t).Round(time.Millisecond))
	return nil
}
