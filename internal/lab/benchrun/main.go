// Package benchrun is the benchmark runner behind scripts/bench.sh (`bench run`,
// internal/cmd/bench): it verifies the endpoints, runs the original's scenario matrix
// through the load generator against each target (the app, and with
// --targets app,original the original Flask app, back to back), reads the
// server side of every window back from the app, PostgreSQL and Prometheus,
// reconciles client and server counts, and writes results/<UTC timestamp>/
// with a report.
package benchrun

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// Main runs `bench ARGS` and returns the exit status: 0 ok, 1 a failed run
// (verification, error ratio, a generator failure), 2 a bad command line
// (or an --out folder that is not empty), 128 + the signal's number when
// SIGINT or SIGTERM stopped it (130, 143). The first such signal stops the
// generator (its containers too) and writes the cells completed so far; a
// second one quits at once.
func Main(args []string) int {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		sig := <-sigs
		fmt.Fprintf(os.Stderr, "bench: %s: stopping the generator and writing the cells completed so far (a second signal quits at once)\n", sigName(sig))
		cancel(signalCause{sig})
		sig = <-sigs
		fmt.Fprintf(os.Stderr, "bench: %s again: quitting now; generator containers may be left (docker ps --filter name=%s)\n", sigName(sig), GeneratorContainerPrefix)
		os.Exit(interruptedExit(ctx))
	}()
	return run(ctx, args, os.Stdout, os.Stderr)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (code int) {
	stdout, stderr = redactWriter{stdout}, redactWriter{stderr}
	cfg, err := ParseFlags(args, stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintf(stderr, "bench: %v\n", err)
		return 2
	}
	// The results folder is claimed before anything else runs (no load on a
	// folder that would be refused); left empty by an early failure, it goes.
	dir, err := claimOutDir(cfg.OutDir, time.Now())
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		if errors.As(err, new(usageError)) {
			return 2
		}
		return 1
	}
	cfg.OutDir = dir
	defer func() {
		if checkOutDirEmpty(dir) == nil {
			os.Remove(dir)
		}
	}()
	r := &Runner{Cfg: cfg, Log: stdout, CmdLine: append([]string{"bench"}, args...)}
	logf := func(format string, a ...any) { fmt.Fprintf(stdout, format+"\n", a...) }

	if cfg.Swarm {
		ex, err := upSwarm(ctx, &cfg, r, logf)
		if err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		r.Ex = ex
	} else if cfg.Target == "" {
		ex := &ComposeExecutor{Docker: envOr("DOCKER", "docker")}
		// The lab's ports are on 127.0.0.1: an engine that lets the LAN
		// reach them is said (and recorded), not refused.
		if v, err := EngineServerVersion(ctx, ex.cli()); err == nil {
			if w := EngineWarning(v); w != "" {
				fmt.Fprintf(stderr, "bench: WARNING: %s\n", w)
				r.Notes = append(r.Notes, "WARNING: "+w)
			}
		}
		if err := ex.Up(ctx, logf); err != nil {
			fmt.Fprintf(stderr, "bench: %v\n", err)
			return 1
		}
		if cfg.Measures(report.TargetOriginal) {
			// When run returns (the matrix and the report done, or not), an
			// original the bench started goes again.
			defer func() {
				if err := ex.StopOriginal(logf); err != nil {
					fmt.Fprintf(stderr, "bench: %v\n", err)
				}
			}()
			if err := ex.UpOriginal(ctx, logf); err != nil {
				fmt.Fprintf(stderr, "bench: %v\n", err)
				return 1
			}
			logf("bench: the original at %s", ex.HostURL(report.TargetOriginal))
		}
		r.Ex = ex
		// Unless given, the evidence comes from the services' published
		// ports (127.0.0.1:5432, :9090, :3000 in compose.yaml).
		published := func(service string, port int) string {
			addr, err := ex.Published(ctx, service, port)
			if err != nil {
				r.Notes = append(r.Notes, fmt.Sprintf("%s: no published port %d (%v)", service, port, err))
				return "off"
			}
			return addr
		}
		if cfg.DatabaseURL == "" {
			if a := published("postgres", 5432); a != "off" {
				cfg.DatabaseURL = ex.BenchDatabaseURL(ctx, a)
			}
		}
		if cfg.PrometheusURL == "" {
			if a := published("prometheus", 9090); a != "off" {
				cfg.PrometheusURL = "http://" + a
			}
		}
		if cfg.GrafanaURL == "" {
			if a := published("grafana", 3000); a != "off" {
				cfg.GrafanaURL = "http://" + a
			}
		}
	} else {
		bin := cfg.LoadtestBin
		if bin == "" {
			if bin, err = DefaultLoadtestBin(); err != nil {
				fmt.Fprintf(stderr, "bench: %v\n", err)
				return 1
			}
		}
		r.Ex = &LocalExecutor{Bin: bin, BaseURL: cfg.Target, OriginalURL: cfg.TargetOriginal, DatabaseURL: off(cfg.DatabaseURL)}
	}
	cfg.DatabaseURL, cfg.PrometheusURL, cfg.GrafanaURL = off(cfg.DatabaseURL), off(cfg.PrometheusURL), off(cfg.GrafanaURL)
	r.Cfg = cfg

	if cfg.DatabaseURL != "" {
		db, err := evidence.OpenDB(ctx, cfg.DatabaseURL)
		if err != nil {
			r.Notes = append(r.Notes, "no PostgreSQL evidence or ceilings: "+err.Error())
			logf("bench: PostgreSQL not readable, continuing without its evidence: %v", err)
		} else {
			defer db.Close()
			r.DB = db
		}
	} else if !cfg.Swarm {
		r.Notes = append(r.Notes, "no PostgreSQL evidence or ceilings: no --database-url")
	}
	if cfg.PrometheusURL != "" {
		p, err := evidence.NewProm(cfg.PrometheusURL)
		if err == nil {
			p.Job = cfg.PrometheusJob
			err = p.Ready(ctx)
		}
		if err != nil {
			r.Notes = append(r.Notes, "no Prometheus evidence: "+err.Error())
			logf("bench: Prometheus not usable, continuing without it: %v", err)
		} else {
			r.Prom = p
		}
	} else {
		r.Notes = append(r.Notes, "no Prometheus evidence: no --prometheus")
	}
	if cfg.GrafanaURL != "" {
		r.GrafanaURL = cfg.GrafanaURL
		logf("bench: Grafana dashboard: %s/d/%s (annotations mark every scenario)", cfg.GrafanaURL, DashboardUID)
		if n := GrafanaCredentialNotice(); n != "" {
			logf("%s", n)
		}
	} else {
		r.Notes = append(r.Notes, "no Grafana annotations: no --grafana")
	}

	s, err := r.Run(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "bench: %v\n", err)
		if ctx.Err() != nil {
			return interruptedExit(ctx)
		}
		return 1
	}
	logf("bench: results in %s (index.html, summary.md, summary.json, charts)", cfg.OutDir)
	if s.Interrupted {
		fmt.Fprintf(stderr, "bench: INTERRUPTED (%s): %s, written to %s (marked %s)\n", s.InterruptedBy, completedText(s), cfg.OutDir, InterruptedMarker)
		return interruptedExit(ctx)
	}
	if len(s.Failures) > 0 {
		for _, f := range s.Failures {
			fmt.Fprintf(stderr, "bench: FAILED: %s\n", f)
		}
		return 1
	}
	return 0
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// DefaultLoadtestBin is the generator for --target runs without
// --loadtest-bin: the loadtest binary beside this program (bin/loadtest next
// to bin/bench, as scripts/bench.sh builds them).
func DefaultLoadtestBin() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("finding the generator binary: %v", err)
	}
	return loadtestBeside(exe)
}

func loadtestBeside(exe string) (string, error) {
	bin := filepath.Join(filepath.Dir(exe), "loadtest")
	if st, err := os.Stat(bin); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		return "", fmt.Errorf("no load generator at %s (beside %s): build it with `go build -o %s ./loadtest`, or pass --loadtest-bin", bin, filepath.Base(exe), bin)
	}
	return bin, nil
}

// off maps the explicit "off" to "" (disabled).
func off(v string) string {
	if v == "off" {
		return ""
	}
	return v
}
