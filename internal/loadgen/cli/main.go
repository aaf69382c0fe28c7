package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/loadgen/wire"
	"github.com/macrobench/macrobench/internal/loadgen/wrkreport"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Version is printed by -v/--version.
const Version = "loadtest 1.0 (wrk2-compatible, github.com/macrobench/macrobench)"

const usage = `Usage: loadtest <options> <url>
  Options (wrk2's):
    -c, --connections <N>  Connections to keep open (total)        [10]
    -d, --duration    <T>  Duration of the test (2s, 30s, 5m, 1h)   [10s]
    -t, --threads     <N>  Number of workers                       [2]
    -R, --rate        <N>  Total requests/s, constant (open loop, latency
                           corrected for coordinated omission); without -R
                           a closed loop, as wrk
    -H, --header      <H>  Add a header to the request (repeatable)
    -L, --latency          Print the latency distribution and spectrum
    -U, --u_latency        Print the uncorrected latency distribution
                           too (implies -L)
        --timeout     <T>  Socket/request timeout                  [2s]
    -v, --version          Print version details
  Options (ours):
        --json     <FILE>  Write the result as JSON
        --hgrm     <FILE>  Write the corrected latency as an HdrHistogram
                           percentile distribution (plottable)
        --warmup      <T>  Run this long first, excluded from the results
        --metrics-addr <A> Serve Prometheus metrics at A/metrics while running
        --metrics-linger <T> Keep serving metrics this long after the run
        --run-id     <ID>  run_id label of the metrics [start timestamp]
        --start-at <TIME>  Start exactly at TIME (RFC 3339, e.g.
                           2026-11-30T01:00:05.25Z), connections opened
                           before; exit 1 if not ready by then
        --part      <I/N>  Be part I of N generators of one run whose -t,
                           -c and -R are totals (connections j, j mod N =
                           I-1, of its schedule); merge with bench merge
  --json - writes the JSON on stdout, the text report then on stderr.
  Numbers may carry a k/M/G suffix (4k); times a unit (2s, 5m, 1h, 500ms).
  Not supported: -s/--script (Lua), -B/--batch_latency.
`

// Main runs the command line and returns the exit status: 0 done, 1 the run
// failed, 2 bad usage. Errors are one line on stderr.
func Main(args []string, stdout, stderr io.Writer) int {
	o, err := Parse(args)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	if o.Help {
		fmt.Fprint(stdout, usage)
		return 0
	}
	if o.Version {
		fmt.Fprintln(stdout, Version)
		return 0
	}
	threads, conns := o.Config.Share()
	setProcs(threads, o.Config.Rate*float64(conns)/float64(o.Config.Connections))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o, args, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	return 0
}

func run(ctx context.Context, o *Options, args []string, stdout, stderr io.Writer) error {
	cfg := o.Config
	// --json - puts the JSON on stdout (a container's log carries it whole)
	// and the text report, header included, on stderr.
	report, jsonStdout := stdout, o.JSONFile == "-"
	if jsonStdout {
		report = stderr
	}
	target, err := wire.NewTarget(cfg.URL, cfg.Headers)
	if err != nil {
		return err
	}
	// Open output files first: a typo in a path should not cost a whole run.
	var jsonOut, hgrmOut *runresult.File
	if o.JSONFile != "" && !jsonStdout {
		if jsonOut, err = runresult.CreateFile(o.JSONFile); err != nil {
			return fmt.Errorf("--json: %v", err)
		}
		defer jsonOut.Discard()
	}
	if o.HgrmFile != "" {
		if hgrmOut, err = runresult.CreateFile(o.HgrmFile); err != nil {
			return fmt.Errorf("--hgrm: %v", err)
		}
		defer hgrmOut.Discard()
	}
	runID := o.RunID
	if runID == "" {
		runID = time.Now().UTC().Format("20060102T150405Z")
	}
	if o.MetricsAddr != "" {
		cfg.Metrics = loadgen.NewMetrics(runID, target.URL.Path)
		shutdown, err := serveMetrics(o.MetricsAddr, cfg.Metrics)
		if err != nil {
			return err
		}
		defer func() {
			if o.MetricsWait > 0 {
				select {
				case <-time.After(o.MetricsWait):
				case <-ctx.Done():
				}
			}
			shutdown()
		}()
	}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		cfg.Progress = func(p loadgen.Progress) { fmt.Fprint(f, progressLine(p)) }
		defer fmt.Fprint(f, "\r\x1b[K")
	}

	if path := os.Getenv("LOADTEST_CPUPROFILE"); path != "" {
		// A debugging aid for the generator's own efficiency.
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	// The header comes once the connections are open, so a refused host
	// gives only its one-line error.
	cfg.Started = func() { wrkreport.Header(report, cfg) }
	res, err := loadgen.Run(ctx, cfg)
	if cfg.Progress != nil {
		fmt.Fprint(stderr, "\r\x1b[K")
	}
	if err != nil {
		return err
	}
	// A run without a single response still reports (its errors and in-flight
	// requests say why), then fails.
	s := wrkreport.Summarize(res)
	if err := wrkreport.Text(report, s, wrkreport.Options{Latency: o.Latency, ULatency: o.ULatency}); err != nil {
		return err
	}
	j, err := wrkreport.ToJSON(s, args, runID)
	if err != nil {
		return err
	}
	wrkreport.HealthLine(report, j.Health) // one line after wrk2's layout
	writeJSON := func(w io.Writer) error { return wrkreport.WriteJSON(w, j) }
	if jsonOut != nil {
		if err := jsonOut.Commit(writeJSON); err != nil {
			return fmt.Errorf("--json: %v", err)
		}
	}
	if jsonStdout {
		if err := writeJSON(stdout); err != nil {
			return fmt.Errorf("--json -: %v", err)
		}
	}
	if hgrmOut != nil {
		if err := hgrmOut.Commit(func(w io.Writer) error { formats.WriteHgrm(w, res.Corrected); return nil }); err != nil {
			return fmt.Errorf("--hgrm: %v", err)
		}
	}
	if res.Requests == 0 {
		return fmt.Errorf("no responses in %v: socket errors connect %d, read %d, write %d, timeout %d; %d in flight at the end",
			res.Elapsed.Round(time.Millisecond), res.Error(loadgen.ErrConnect), res.Error(loadgen.ErrRead),
			res.Error(loadgen.ErrWrite), res.Error(loadgen.ErrTimeout), res.InFlight)
	}
	if res.Interrupted {
		return errors.New("interrupted: the results above cover only part of the duration")
	}
	return nil
}

// setProcs sets how many threads run Go code, unless $GOMAXPROCS says
// otherwise. Closed loop: one per worker, at most one per CPU, as wrk runs
// -t threads. Open loop: only as many as the rate needs (one per 25k req/s,
// ~12 µs of CPU per request), since every extra thread means more handing
// of goroutines between threads (futex wake-ups, work stealing): at 4000
// req/s one thread costs ~20% less CPU than two.
func setProcs(threads int, rate float64) {
	if os.Getenv("GOMAXPROCS") != "" {
		return
	}
	procs := min(threads, runtime.GOMAXPROCS(0))
	if rate > 0 {
		procs = min(procs, int(rate/25000)+1)
	}
	runtime.GOMAXPROCS(max(1, procs))
}

// metricsTimeouts bound every connection to the metrics server: a scrape
// is a small GET answered in milliseconds; Prometheus (prometheus.yml:
// every 5 s, 4 s timeout) keeps its connection between scrapes, so the
// idle timeout is well above the scrape interval and closes only a
// connection no scraper uses.
type metricsTimeouts struct {
	readHeader, read, write, idle time.Duration
}

var scrapeTimeouts = metricsTimeouts{readHeader: 10 * time.Second, read: 10 * time.Second, write: 30 * time.Second, idle: time.Minute}

func serveMetrics(addr string, m *loadgen.Metrics) (shutdown func(), err error) {
	return serveMetricsWith(addr, m.Handler(), scrapeTimeouts)
}

// serveMetricsWith serves h at addr/metrics with these timeouts.
func serveMetricsWith(addr string, h http.Handler, t metricsTimeouts) (shutdown func(), err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics-addr: %v", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", h)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: t.readHeader, ReadTimeout: t.read, WriteTimeout: t.write, IdleTimeout: t.idle}
	go srv.Serve(ln)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	}, nil
}

func progressLine(p loadgen.Progress) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\r  %s / %s", fmtSecs(p.Elapsed), fmtSecs(p.Total))
	if p.Warmup {
		b.WriteString(" (warm-up)")
	}
	fmt.Fprintf(&b, "  %.0f req/s  errors %d  p99 %s\x1b[K", p.Rate, p.Errors, wrkreport.FormatTimeUS(float64(p.P99.Microseconds())))
	return b.String()
}

func fmtSecs(d time.Duration) string { return fmt.Sprintf("%.0fs", d.Seconds()) }
