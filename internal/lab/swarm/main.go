package swarm

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

// Usage is `bench swarm`'s synopsis.
const Usage = `usage: bench swarm up|run|forward|down [flags]
  up       deploy swarm.yaml as stack --stack and wait until it is ready
  run      the bench on the stack: the same as bench run --swarm [flags]
  forward  SERVICE:PORT[=LOCALPORT]...: until interrupted, listen on this
           machine's 127.0.0.1:LOCALPORT (PORT by default) and carry each
           connection to the service through the Docker API (the stack's
           gateway; nothing is published): grafana:3000, prometheus:9090
  down     remove the stack and wait until its containers, networks and
           secrets are gone (--volumes: its volumes on this node too)
The swarm must exist and its nodes carry the labels (docs/swarm.md).`

// Main is `bench swarm ARGS`: 0 done, 1 failed, 2 bad usage.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		w := stderr
		if len(args) > 0 {
			w = stdout
		}
		fmt.Fprintln(w, Usage)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	verb := args[0]
	fs := flag.NewFlagSet("swarm "+verb, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	name := fs.String("stack", "macrobench", "the stack's name")
	repo := fs.String("repo", ".", "the repository root (swarm.yaml, .env)")
	var extra multiFlag
	fs.Var(&extra, "c", "a stack file merged over swarm.yaml (repeatable; e2e: scripts/e2e/swarm.standins.yaml)")
	timeout := fs.Duration("timeout", 5*time.Minute, "up: how long the stack has to become ready; down: to be gone")
	volumes := fs.Bool("volumes", false, "down: remove the stack's volumes on this node too")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, Usage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return 0
		}
		fmt.Fprintf(stderr, "bench swarm %s: %v\n", verb, err)
		return 2
	}
	if fs.NArg() > 0 && verb != "forward" {
		fmt.Fprintf(stderr, "bench swarm %s: unexpected argument %q\n", verb, fs.Arg(0))
		return 2
	}
	st := &Stack{Docker: docker.CLI{Bin: "docker"}, Name: *name, Repo: *repo, Extra: extra, Log: stderr}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch verb {
	case "up":
		if err = st.Up(ctx, *timeout); err == nil {
			fmt.Fprintf(stdout, "stack %s is up\n", st.Name)
		}
	case "forward":
		err = forward(ctx, st, fs.Args(), stdout)
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "bench swarm forward: %v\n", err)
			return 2
		}
	case "down":
		if err = st.Remove(ctx, *timeout, *volumes); err == nil {
			fmt.Fprintf(stdout, "stack %s is gone\n", st.Name)
		}
	default:
		fmt.Fprintf(stderr, "bench swarm: unknown subcommand %q\n%s\n", verb, Usage)
		return 2
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench swarm %s: %v\n", verb, err)
		return 1
	}
	return 0
}

var errUsage = errors.New("name SERVICE:PORT[=LOCALPORT]")

// forward is `bench swarm forward`: each SERVICE:PORT[=LOCALPORT] on
// 127.0.0.1, until ctx ends.
func forward(ctx context.Context, st *Stack, specs []string, stdout io.Writer) error {
	if len(specs) == 0 {
		return errUsage
	}
	if os.Getenv("MACROBENCH_RUNNER") == "container" {
		return errors.New("it listens on this machine's loopback, which the runner container does not share: run it where Go is installed (docs/swarm.md)")
	}
	for _, spec := range specs {
		target, local, hasLocal := strings.Cut(spec, "=")
		host, port, err := net.SplitHostPort(target)
		if err != nil || host == "" {
			return fmt.Errorf("%w: %q", errUsage, spec)
		}
		if !hasLocal {
			local = port
		}
		if n, err := strconv.Atoi(local); err != nil || n < 0 || n > 65535 {
			return fmt.Errorf("%q: LOCALPORT %q is not a port", spec, local)
		}
		addr, err := st.Forward(ctx, net.JoinHostPort("127.0.0.1", local), target)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s of stack %s at %s\n", target, st.Name, addr)
	}
	<-ctx.Done()
	return nil
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
