// Command appperf is scripts/perf.sh's engine: it benchmarks the app against
// reference servers and pgbench in one run and prints the ratios.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/checks/appperf"
)

func main() {
	o := appperf.Options{Out: os.Stdout}
	var only, env string
	flag.StringVar(&o.DatabaseURL, "db", "", "seeded database URL")
	flag.StringVar(&o.AppBin, "app", "", "app binary")
	flag.StringVar(&o.BareBin, "bare", "", "barehttp binary")
	flag.DurationVar(&o.Duration, "d", 10*time.Second, "duration of each wrk and pgbench run")
	flag.IntVar(&o.Threads, "t", 2, "wrk threads (and pgbench -j)")
	flag.IntVar(&o.Connections, "c", 400, "wrk connections (/index, /agents_with_pool; /agents is compared with pgbench at -pgbench-c connections, and run at -c for information: shedding)")
	flag.IntVar(&o.PgbenchC, "pgbench-c", 8, "pgbench clients (and the app's connections in the /agents comparison)")
	flag.IntVar(&o.Rounds, "rounds", 3, "rounds of each case (the order alternates; results are averaged)")
	flag.StringVar(&only, "only", "", "comma-separated cases to run: index,pool,agents (default all)")
	flag.StringVar(&env, "app-env", "", "comma-separated extra APP_*=value settings for the app")
	flag.Parse()
	if o.DatabaseURL == "" || o.AppBin == "" || o.BareBin == "" {
		fmt.Fprintln(os.Stderr, "perf: -db, -app and -bare are required")
		os.Exit(2)
	}
	if only != "" {
		o.Only = strings.Split(only, ",")
	}
	if env != "" {
		o.AppEnv = strings.Split(env, ",")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cases, err := appperf.Run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "perf:", err)
		os.Exit(1)
	}
	fmt.Println()
	if !appperf.Report(os.Stdout, cases) {
		os.Exit(1)
	}
}
