// Command loadtest is a wrk2-compatible HTTP load generator:
//
//	loadtest -t12 -c400 -d5m -R4000 -L http://app:8000/index
//
// See internal/loadgen for the model and internal/loadgen/cli for the options.
package main

import (
	"os"

	"github.com/macrobench/macrobench/internal/bench"
	"github.com/macrobench/macrobench/internal/compare"
	"github.com/macrobench/macrobench/internal/loadgen/cli"
)

func main() {
	args := os.Args[1:]
	// Subcommands dispatch here before the wrk2 command line (`loadtest bench ...`).
	if len(args) > 0 && args[0] == "bench" {
		os.Exit(bench.Main(args[1:]))
	}
	if len(args) > 0 && args[0] == "compare" {
		os.Exit(compare.Main(args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(cli.Main(args, os.Stdout, os.Stderr))
}
