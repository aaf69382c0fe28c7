package swarm

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

// Usage is `bench swarm`'s synopsis.
const Usage = `usage: bench swarm up|run|down [flags]
  up     deploy swarm.yaml as stack --stack and wait until it is ready
  run    the bench on the stack: the same as bench run --swarm [flags]
  down   remove the stack and wait until its containers and networks are gone
         (--volumes: its volumes on this node too)
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
	if fs.NArg() > 0 {
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

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }
