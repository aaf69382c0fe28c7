package benchrun

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/formats"
)

// Settings are a bench run's flags, with their defaults and validation in
// one place.
type Settings struct {
	Endpoints       []string      // paths, e.g. /index
	Scenarios       []string      // saturation | rate4000 | rate10
	Duration        time.Duration // overrides every scenario's duration when > 0
	Rate            float64       // overrides the rate scenarios' target rate when > 0
	Connections     int           // overrides every scenario's connections when > 0
	Threads         int           // generator threads; 0 = the generator's CPUs
	Warmup          time.Duration // per cell, a separate generator run before the measured one
	Quick           bool
	Repeat          int
	Target          string   // remote base URL: no compose, the generator runs here
	TargetOriginal  string   // with Target: the original's base URL
	Targets         []string // what each cell runs against, in order: report.TargetApp, TargetOriginal
	ErrorThreshold  float64  // fraction
	SaturatedBelow  float64  // fraction of the target rate under which a cell is "saturated"
	OutDir          string
	DatabaseURL     string        // for pg_stat_statements / pg_stat_database; "" = no DB evidence
	PrometheusURL   string        // "" = no Prometheus evidence
	PrometheusJob   string        // the app's scrape job
	GrafanaURL      string        // "" = no annotations
	CeilingDuration time.Duration // each pgbench run; 0 = skip the ceilings
	Timeout         time.Duration // generator's per-request timeout
	IsolationWait   time.Duration // bound of the wait for an idle server before (and after) each run; 0 = no wait
	LoadtestBin     string        // generator binary for the local executor; default: DefaultLoadtestBin
	Generators      int           // generators per measured run, started together as parts of it (generators.go)
	GeneratorsLead  time.Duration // with Generators > 1: how far ahead of now their --start-at is; 0 = the executor's default
	Sweep           SweepSettings // --sweep and its flags (sweep.go)
	Swarm           bool          // the executor is a Swarm stack (swarm.go)
	Stack           string        // with Swarm: the stack's name
	StackFiles      []string      // with Swarm: stack files merged over swarm.yaml (-c)
}

// DefaultEndpoints and DefaultScenarios form the original's matrix.
var (
	DefaultEndpoints = []string{"/index", "/agents", "/agents_with_pool"}
	DefaultScenarios = []string{"saturation", "rate4000", "rate10"}
)

// AllTargets are the servers a run can measure, in the order a cell runs
// against them: this lab's app, and the original Flask app under gunicorn
// (compose service "original", profile "original").
var AllTargets = []string{report.TargetApp, report.TargetOriginal}

// usageError is a bad command line (exit 2).
type usageError struct{ error }

func (e usageError) Unwrap() error { return e.error }

// ParseFlags reads the bench command line. Environment: MACROBENCH_DATABASE_URL,
// MACROBENCH_PROMETHEUS_URL, MACROBENCH_GRAFANA_URL provide the defaults of
// --database-url, --prometheus and --grafana. -h/--help writes the usage to
// usage and returns an error that is flag.ErrHelp (exit 0).
func ParseFlags(args []string, usage io.Writer) (Settings, error) {
	var c Settings
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported once, by the caller
	endpoints := fs.String("endpoints", strings.Join(DefaultEndpoints, ","), "comma-separated endpoints to measure")
	scenarios := fs.String("scenarios", strings.Join(DefaultScenarios, ","), "comma-separated scenarios: saturation, rate4000, rate10")
	fs.DurationVar(&c.Duration, "duration", 0, "override every scenario's duration (e.g. 20s)")
	fs.Float64Var(&c.Rate, "rate", 0, "override the target rate (req/s) of the rate4000 scenario")
	fs.IntVar(&c.Connections, "connections", 0, "override every scenario's connections")
	fs.IntVar(&c.Threads, "threads", 0, "generator threads (default: the CPUs available to the generator)")
	fs.DurationVar(&c.Warmup, "warmup", 5*time.Second, "warm-up before each cell (a separate generator run, excluded from results)")
	fs.BoolVar(&c.Quick, "quick", false, "smoke run: every cell for 3s after a 1s warm-up, short ceilings")
	fs.IntVar(&c.Repeat, "repeat", 1, "run every cell N times; report the median and the spread")
	fs.StringVar(&c.Target, "target", "", "base URL of a remote app (e.g. http://192.168.2.100:8000): no compose, the generator runs on this machine")
	fs.StringVar(&c.TargetOriginal, "target-original", "", "with --target: base URL of the original Flask app (e.g. http://192.168.2.100:8001); implies --targets app,original")
	targets := fs.String("targets", report.TargetApp, "comma-separated targets each cell runs against, back to back: app, original (in compose the bench starts the original: docker compose --profile original up -d --wait original; and removes it again at the end if it started it)")
	threshold := fs.String("error-threshold", "1%", "fail the run when a cell's error ratio exceeds this (e.g. 1% or 0.01)")
	fs.Float64Var(&c.SaturatedBelow, "saturated-below", 0.9, "a rate cell achieving less than this fraction of its target is reported saturated")
	fs.StringVar(&c.OutDir, "out", "", "results folder (default results/<UTC timestamp>)")
	fs.StringVar(&c.DatabaseURL, "database-url", envOr("MACROBENCH_DATABASE_URL", ""), "PostgreSQL URL for server-side evidence (default in compose: postgres's published port, 127.0.0.1:5432; \"off\" disables)")
	fs.StringVar(&c.PrometheusURL, "prometheus", envOr("MACROBENCH_PROMETHEUS_URL", ""), "Prometheus base URL (default in compose: prometheus's published port, 127.0.0.1:9090; \"off\" disables)")
	fs.StringVar(&c.PrometheusJob, "prometheus-job", "app", "Prometheus job label of the app's target")
	fs.StringVar(&c.GrafanaURL, "grafana", envOr("MACROBENCH_GRAFANA_URL", ""), "Grafana base URL for annotations (default in compose: grafana's published port, 127.0.0.1:3000; \"off\" disables)")
	fs.DurationVar(&c.CeilingDuration, "ceiling-duration", 10*time.Second, "duration of each pgbench ceiling run (0 skips them)")
	fs.DurationVar(&c.Timeout, "timeout", 0, "generator's per-request timeout (default: the generator's)")
	fs.DurationVar(&c.IsolationWait, "isolation-wait", 30*time.Second, "before each run, wait at most this long for the app to have no request in flight and PostgreSQL no backend at work (and after it, for its last requests); a wait that hits it is a warning in the report; 0 disables the waits")
	fs.StringVar(&c.LoadtestBin, "loadtest-bin", "", "generator binary for --target runs (default: loadtest beside this program, e.g. bin/loadtest)")
	fs.IntVar(&c.Generators, "generators", 1, "run each cell's measured run as N generators (containers, in compose) started together, each with its share of the connections and rate (loadtest --part I/N --start-at); the report is their merged result, each part's files beside it")
	fs.DurationVar(&c.GeneratorsLead, "generators-lead", 0, "with --generators N > 1: start the generators this long after launching them, time enough for all to open their connections (default 4s in compose, 2s with --target)")
	c.registerSweepFlags(fs) // sweep.go
	fs.BoolVar(&c.Swarm, "swarm", false, "run on a Docker Swarm stack (swarm.yaml; the docker CLI talks to a manager): generators and pgbench as Swarm jobs, --generators 2 by default (docs/swarm.md)")
	fs.StringVar(&c.Stack, "stack", "macrobench", "with --swarm: the stack's name")
	fs.Func("c", "with --swarm: a stack file merged over swarm.yaml (repeatable)", func(v string) error { c.StackFiles = append(c.StackFiles, v); return nil })
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(usage, "usage: scripts/bench.sh [flags]  (bench run [flags])\n\nVerifies the endpoints, runs the scenario matrix, writes results/<UTC timestamp>/ (never over an existing folder).\n\n")
			fs.SetOutput(usage)
			fs.PrintDefaults()
		}
		return c, usageError{err}
	}
	if fs.NArg() > 0 {
		return c, usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	var err error
	if c.Endpoints, err = parseEndpoints(*endpoints); err != nil {
		return c, usageError{err}
	}
	if c.Scenarios, err = parseScenarios(*scenarios); err != nil {
		return c, usageError{err}
	}
	if c.ErrorThreshold, err = formats.Fraction(*threshold, 1); err != nil {
		return c, usageError{fmt.Errorf("--error-threshold: %w", err)}
	}
	setFlags := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { setFlags[f.Name] = true })
	if c.TargetOriginal != "" && !setFlags["targets"] {
		*targets = strings.Join(AllTargets, ",")
	}
	if c.Targets, err = parseTargets(*targets); err != nil {
		return c, usageError{err}
	}
	if c.Quick {
		if !setFlags["duration"] {
			c.Duration = 3 * time.Second
		}
		if !setFlags["warmup"] {
			c.Warmup = time.Second
		}
		if !setFlags["ceiling-duration"] {
			c.CeilingDuration = 2 * time.Second
		}
	}
	if c.Swarm && !setFlags["generators"] {
		c.Generators = 2
	}
	if !c.Swarm && (setFlags["stack"] || setFlags["c"]) {
		return c, usageError{errors.New("--stack and -c need --swarm")}
	}
	if err := c.finishSweep(setFlags); err != nil { // sweep.go
		return c, err
	}
	return c, c.validate()
}

func (c *Settings) validate() error {
	switch {
	case c.Duration < 0 || (c.Duration > 0 && c.Duration < time.Second):
		return usageError{errors.New("--duration must be at least 1s")}
	case c.Duration%time.Second != 0:
		return usageError{errors.New("--duration must be whole seconds")}
	case c.Rate < 0:
		return usageError{errors.New("--rate must be positive")}
	case c.Connections < 0:
		return usageError{errors.New("--connections must be positive")}
	case c.Threads < 0:
		return usageError{errors.New("--threads must be positive")}
	case c.Warmup < 0 || c.Warmup%time.Second != 0:
		return usageError{errors.New("--warmup must be whole seconds (0 disables it)")}
	case c.Repeat < 1:
		return usageError{errors.New("--repeat must be at least 1")}
	case c.SaturatedBelow <= 0 || c.SaturatedBelow > 1:
		return usageError{errors.New("--saturated-below must be in (0, 1]")}
	case c.CeilingDuration < 0 || c.CeilingDuration%time.Second != 0:
		return usageError{errors.New("--ceiling-duration must be whole seconds")}
	case c.IsolationWait < 0:
		return usageError{errors.New("--isolation-wait must not be negative (0 disables it)")}
	case c.Generators < 1:
		return usageError{fmt.Errorf("--generators must be at least 1, got %d", c.Generators)}
	case c.GeneratorsLead < 0:
		return usageError{errors.New("--generators-lead must not be negative")}
	}
	if c.Generators > 1 && !c.Sweep.On {
		for _, name := range c.Scenarios {
			sc, _ := scenarioByName(name)
			if conns := max(c.Connections, 0); conns > 0 && conns < c.Generators || conns == 0 && sc.Connections < c.Generators {
				return usageError{fmt.Errorf("--generators %d: scenario %s has fewer connections than generators (each needs one)", c.Generators, name)}
			}
			if conns := max(c.Connections, 0); c.Swarm && (conns > 0 && conns%c.Generators != 0 || conns == 0 && sc.Connections%c.Generators != 0) {
				return usageError{fmt.Errorf("--swarm --generators %d: scenario %s's connections are not a multiple of it (a Swarm job's tasks take equal shares)", c.Generators, name)}
			}
		}
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"--target", &c.Target}, {"--target-original", &c.TargetOriginal}} {
		if *f.v == "" {
			continue
		}
		u, err := url.Parse(*f.v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usageError{fmt.Errorf("%s %q: want a base URL like http://host:8000", f.name, *f.v)}
		}
		*f.v = strings.TrimRight(*f.v, "/")
	}
	switch {
	case c.Swarm && c.Target != "":
		return usageError{errors.New("--swarm and --target exclude each other: on swarm the app is the stack's")}
	case c.Swarm && slices.Contains(c.Targets, report.TargetOriginal):
		return usageError{errors.New("--swarm: the original runs on one engine only (compose); --targets original is not available on swarm")}
	case c.TargetOriginal != "" && c.Target == "":
		return usageError{errors.New("--target-original needs --target: both servers are remote, measured from this machine (in compose, use --targets app,original)")}
	case c.Target != "" && slices.Contains(c.Targets, report.TargetOriginal) && c.TargetOriginal == "":
		return usageError{errors.New("--targets original with --target: give the original's base URL with --target-original")}
	case c.TargetOriginal != "" && !slices.Contains(c.Targets, report.TargetOriginal):
		return usageError{errors.New("--target-original given, but --targets does not name original")}
	}
	return nil
}

// Measures reports whether the run measures target.
func (c *Settings) Measures(target string) bool { return slices.Contains(c.Targets, target) }

func parseTargets(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		if !slices.Contains(AllTargets, t) {
			return nil, fmt.Errorf("--targets: unknown target %q (known: %s)", t, strings.Join(AllTargets, ", "))
		}
		out = appendUnique(out, t)
	}
	if len(out) == 0 {
		return nil, errors.New("--targets: none given")
	}
	// Always in AllTargets' order: the app first, whatever the flag's.
	var ordered []string
	for _, t := range AllTargets {
		if slices.Contains(out, t) {
			ordered = append(ordered, t)
		}
	}
	return ordered, nil
}

func parseEndpoints(s string) ([]string, error) {
	var out []string
	for _, e := range strings.Split(s, ",") {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if !strings.HasPrefix(e, "/") {
			e = "/" + e
		}
		if _, ok := expectations[e]; !ok {
			return nil, fmt.Errorf("--endpoints: unknown endpoint %q (known: %s)", e, strings.Join(DefaultEndpoints, ", "))
		}
		out = appendUnique(out, e)
	}
	if len(out) == 0 {
		return nil, errors.New("--endpoints: none given")
	}
	return out, nil
}

func parseScenarios(s string) ([]string, error) {
	var out []string
	for _, n := range strings.Split(s, ",") {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		if _, ok := scenarioByName(n); !ok {
			return nil, fmt.Errorf("--scenarios: unknown scenario %q (known: %s)", n, strings.Join(DefaultScenarios, ", "))
		}
		out = appendUnique(out, n)
	}
	if len(out) == 0 {
		return nil, errors.New("--scenarios: none given")
	}
	return out, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// localCPUs is the CPUs this process may use (affinity; GOMAXPROCS also
// honours cgroup limits since Go 1.25).
func localCPUs() int { return runtime.GOMAXPROCS(0) }
