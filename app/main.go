// Command app is the service under test: an Echo app serving /index, /agents
// and /agents_with_pool on PostgreSQL, configured by APP_* variables.
//
//	app              serve (until SIGTERM or SIGINT)
//	app healthcheck  exit 0 when the local server answers /healthz
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/service/config"
	"github.com/macrobench/macrobench/internal/service/server"
)

func main() {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(2)
	}
	switch {
	case len(os.Args) == 1 || os.Args[1] == "serve":
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
		defer stop()
		err = server.Run(ctx, cfg, os.Stderr)
	case os.Args[1] == "healthcheck":
		err = server.Healthcheck(cfg.ListenAddr, 2*time.Second)
	default:
		err = fmt.Errorf("unknown command %q (want serve or healthcheck)", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "app:", err)
		os.Exit(1)
	}
}
