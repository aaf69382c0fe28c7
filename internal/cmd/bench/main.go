// Command bench is the benchmark runner and its companion, one binary apart
// from the load generator (./loadtest), which stays free of their
// dependencies (charts, PostgreSQL, Prometheus's API):
//
//	bench [run] [flags]   verify the endpoints, run the scenario matrix, write
//	                      results/<UTC timestamp>/ (internal/lab/benchrun; scripts/bench.sh)
//	bench compare A B     compare two results folders cell by cell
//	                      (internal/lab/compare; scripts/compare.sh)
//	bench merge FILE...   merge generator results into one report
//	                      (internal/lab/merge)
//	bench swarm VERB      the lab as a Docker Swarm stack: up, down
//	                      (internal/lab/swarm; scripts/swarm.sh); run is bench run --swarm
//	bench help            list the subcommands
//
// `bench run` drives the generator in the compose stack's containers, or, with
// --target, the loadtest binary beside this one (bin/loadtest next to
// bin/bench, as scripts/bench.sh builds them; --loadtest-bin overrides).
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/compare"
	"github.com/macrobench/macrobench/internal/lab/merge"
	"github.com/macrobench/macrobench/internal/lab/swarm"
)

// subcommand is one of bench's subcommands.
type subcommand struct {
	name, args, summary string
	main                func(args []string, stdout, stderr io.Writer) int
}

// subcommands, in the order help lists them; the first is the default.
var subcommands = []subcommand{
	{"run", "[flags]", "verify the endpoints, run the scenario matrix, write results/<UTC timestamp>/ (the default; `bench run -h` lists the flags)",
		func(args []string, _, _ io.Writer) int { return benchrun.Main(args) }},
	{"compare", "RESULTS_A RESULTS_B", "compare two results folders cell by cell (B judged against A)", compare.Main},
	{"merge", "[--json OUT] [--hgrm OUT] FILE...", "merge load generator results (--json files of one run's parts, or of generators with the same settings) into one report", merge.Main},
	{"swarm", "up|run|down [flags]", "the lab as a Docker Swarm stack (swarm.yaml): deploy, remove (internal/lab/swarm; scripts/swarm.sh); `swarm run` is `bench run --swarm`", swarmMain},
	{"help", "", "this text", nil}, // run handles it: usage lists this table
}

// swarmMain is `bench swarm`: run is the bench on the stack (bench run
// --swarm), up and down the stack's own.
func swarmMain(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "run" {
		return benchrun.Main(append([]string{"--swarm"}, args[1:]...))
	}
	return swarm.Main(args, stdout, stderr)
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "help" || isHelpFlag(args[0])) {
		usage(stdout)
		return 0
	}
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return subcommands[0].main(args, stdout, stderr) // `bench --quick` is `bench run --quick`
	}
	for _, c := range subcommands {
		if c.name == args[0] {
			return c.main(args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "bench: unknown subcommand %q\n\n", args[0])
	usage(stderr)
	return 2
}

func isHelpFlag(a string) bool {
	return a == "-h" || a == "-help" || a == "--help"
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "usage: bench [SUBCOMMAND] [ARGS]  (scripts/bench.sh is `bench run`, scripts/compare.sh `bench compare`)\n\nsubcommands:\n")
	for _, c := range subcommands {
		fmt.Fprintf(w, "  %-28s %s\n", strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
}
