// Command profapp is the app with a CPU profile, for profiling by hand
// (docs/performance.md): it serves like `app`, with the same APP_*
// environment, and writes the profile to $1 on SIGTERM, for `go tool
// pprof`. Benchmark-only code; the app binary itself carries no profiler.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/macrobench/macrobench/internal/service/config"
	"github.com/macrobench/macrobench/internal/service/server"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: profapp CPU_PROFILE_FILE")
		os.Exit(2)
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "profapp:", err)
		os.Exit(2)
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, "profapp:", err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintln(os.Stderr, "profapp:", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	err = server.Run(ctx, cfg, os.Stderr)
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "profapp:", err)
		os.Exit(1)
	}
}
