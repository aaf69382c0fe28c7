// Command loadtest is a wrk2-compatible HTTP load generator:
//
//	loadtest -t12 -c400 -d5m -R4000 -L http://app:8000/index
//
// See internal/loadgen for the model and internal/loadgen/cli for the options.
// The benchmark runner that drives it is a separate command
// (internal/cmd/bench): this binary links no charts, no database driver and
// no Prometheus API client (deps_test.go).
package main

import (
	"os"

	"github.com/macrobench/macrobench/internal/loadgen/cli"
	"github.com/macrobench/macrobench/internal/shared/netpipe"
)

func main() {
	// `pipe` and `gateway`: the bench's tunnel into a Swarm stack.
	if code, ok := netpipe.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
