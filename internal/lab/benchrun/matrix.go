package benchrun

import (
	"fmt"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// Scenario is one of the original's three ways of loading an endpoint.
type Scenario struct {
	Name        string
	Via         string // localhost: the generator shares the app's network namespace; network: over the network
	Connections int
	Rate        float64 // 0 = closed loop (wrk); > 0 = constant rate (wrk2)
	Duration    time.Duration
	Original    string // the original's command, for the report
}

var scenarios = []Scenario{
	{Name: "saturation", Via: "localhost", Connections: 400, Rate: 0, Duration: 30 * time.Second, Original: "wrk -t12 -c400 -d30s"},
	{Name: "rate4000", Via: "network", Connections: 400, Rate: 4000, Duration: 5 * time.Minute, Original: "wrk2 -t12 -c400 -d5m -R 4000"},
	{Name: "rate10", Via: "network", Connections: 10, Rate: 10, Duration: 30 * time.Second, Original: "wrk2 -t10 -c10 -d30s -R 10"},
}

func scenarioByName(name string) (Scenario, bool) {
	for _, s := range scenarios {
		if s.Name == name {
			return s, true
		}
	}
	return Scenario{}, false
}

// Cell is one endpoint under one scenario against one target, with the
// overrides applied.
type Cell struct {
	Target      string // report.TargetApp | TargetOriginal
	Endpoint    string
	Scenario    string
	Via         string
	Threads     int
	Connections int
	Rate        float64
	Duration    time.Duration
}

// Name is the cell's file-name stem, e.g. "agents_with_pool-rate10", with
// the target after it unless it is the app's ("index-rate10-original").
func (c Cell) Name() string { return c.Endpoint[1:] + "-" + c.Scenario + targetSuffix(c.Target) }

// targetSuffix tells the original's files from the app's (whose names are
// what they were before the bench measured anything else).
func targetSuffix(target string) string {
	if target == "" || target == report.TargetApp {
		return ""
	}
	return "-" + target
}

// Matrix expands the configuration into cells, endpoint-major (so one
// endpoint's warm-up benefits its own scenarios), in the original's order,
// each cell against every target back to back (the app first), with the
// same generator settings. threads is the generator's CPU count when not
// set by flag.
func Matrix(cfg Settings, threads int) []Cell {
	targets := cfg.Targets
	if len(targets) == 0 {
		targets = []string{report.TargetApp}
	}
	var cells []Cell
	for _, ep := range cfg.Endpoints {
		for _, name := range cfg.Scenarios {
			for _, target := range targets {
				cells = append(cells, matrixCell(cfg, threads, target, ep, name))
			}
		}
	}
	return cells
}

func matrixCell(cfg Settings, threads int, target, ep, name string) Cell {
	s, _ := scenarioByName(name)
	c := Cell{Target: target, Endpoint: ep, Scenario: s.Name, Via: s.Via, Connections: s.Connections, Rate: s.Rate, Duration: s.Duration}
	if cfg.Duration > 0 {
		c.Duration = cfg.Duration
	}
	if cfg.Connections > 0 {
		c.Connections = cfg.Connections
	}
	if cfg.Rate > 0 && s.Name == "rate4000" {
		c.Rate = cfg.Rate
	}
	c.Threads = threads
	if cfg.Threads > 0 {
		c.Threads = cfg.Threads
	}
	// -t is the whole run's with --generators: each part needs a thread.
	c.Threads = max(c.Threads, cfg.Generators)
	// wrk refuses fewer connections than threads.
	if c.Threads > c.Connections {
		c.Threads = c.Connections
	}
	return c
}

// GeneratorArgs is the wrk2 command line for the cell (without --json and the
// URL, which the executor adds) for a run of duration d. noLinger stops the
// generator from serving its metrics on after the run (the compose services
// keep them up a few seconds for Prometheus's last scrape): for warm-ups and
// --quick, where those seconds would add up.
func (c Cell) GeneratorArgs(d time.Duration, runID string, timeout time.Duration, noLinger bool) []string {
	args := []string{
		fmt.Sprintf("-t%d", c.Threads),
		fmt.Sprintf("-c%d", c.Connections),
		fmt.Sprintf("-d%ds", int(d/time.Second)),
	}
	if c.Rate > 0 {
		args = append(args, "-R", fmt.Sprintf("%g", c.Rate))
	}
	if timeout > 0 {
		args = append(args, "--timeout", fmt.Sprintf("%ds", int((timeout+time.Second-1)/time.Second)))
	}
	args = append(args, "--latency", "--run-id", runID)
	if noLinger {
		args = append(args, "--metrics-linger", "0s")
	}
	return args
}
