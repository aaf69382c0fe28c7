package bench

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

func TestParseFlagsDefaultsAndQuick(t *testing.T) {
	c, err := ParseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Endpoints, ",") != "/index,/agents,/agents_with_pool" || strings.Join(c.Scenarios, ",") != "saturation,rate4000,rate10" ||
		c.ErrorThreshold != 0.01 || c.Repeat != 1 || c.Warmup != 5*time.Second || c.Duration != 0 {
		t.Errorf("defaults: %+v", c)
	}
	// The original's matrix: durations, connections and rates per scenario,
	// threads = the generator's CPUs (capped by connections, as wrk requires).
	cells := Matrix(c, 12)
	if len(cells) != 9 {
		t.Fatalf("%d cells", len(cells))
	}
	want := map[string]string{
		"saturation": "-t12 -c400 -d30s --latency --run-id x",
		"rate4000":   "-t12 -c400 -d300s -R 4000 --latency --run-id x",
		"rate10":     "-t10 -c10 -d30s -R 10 --latency --run-id x",
	}
	for _, cell := range cells {
		if got := strings.Join(cell.GeneratorArgs(cell.Duration, "x", 0, false), " "); got != want[cell.Scenario] {
			t.Errorf("%s: args %q, want %q", cell.Name(), got, want[cell.Scenario])
		}
		if wantVia := map[string]string{"saturation": "localhost", "rate4000": "network", "rate10": "network"}[cell.Scenario]; cell.Via != wantVia {
			t.Errorf("%s: via %s", cell.Name(), cell.Via)
		}
	}

	q, err := ParseFlags([]string{"--quick", "--endpoints", "agents,/index", "--scenarios", "rate10", "--error-threshold", "0.05"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if q.Duration != 3*time.Second || q.Warmup != time.Second || q.CeilingDuration != 2*time.Second ||
		strings.Join(q.Endpoints, ",") != "/agents,/index" || q.ErrorThreshold != 0.05 {
		t.Errorf("quick: %+v", q)
	}
	if got := strings.Join(Matrix(q, 2)[0].GeneratorArgs(q.Duration, "x", 0, q.Quick), " "); got != "-t2 -c10 -d3s -R 10 --latency --run-id x --metrics-linger 0s" {
		t.Errorf("quick args: %q", got)
	}
	// Explicit flags win over --quick's.
	q, _ = ParseFlags([]string{"--quick", "--duration", "5s", "--rate", "500", "--connections", "50"}, io.Discard)
	cells = Matrix(q, 2)
	for _, cell := range cells {
		if cell.Duration != 5*time.Second || cell.Connections != 50 {
			t.Errorf("%s: %s c%d", cell.Name(), cell.Duration, cell.Connections)
		}
		if cell.Scenario == "rate4000" && cell.Rate != 500 || cell.Scenario == "rate10" && cell.Rate != 10 {
			t.Errorf("%s: rate %g", cell.Name(), cell.Rate)
		}
	}
}

// Bad input: a one-line error naming the problem, exit 2, nothing run.
func TestBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--endpoints", "/nope"}, `--endpoints: unknown endpoint "/nope"`},
		{[]string{"--scenarios", "rate5"}, `--scenarios: unknown scenario "rate5"`},
		{[]string{"--error-threshold", "lots"}, `--error-threshold: not a number or percentage: "lots"`},
		{[]string{"--error-threshold", "150%"}, `outside 0..100%`},
		{[]string{"--duration", "1500ms"}, "--duration must be whole seconds"},
		{[]string{"--repeat", "0"}, "--repeat must be at least 1"},
		{[]string{"--target", "192.168.2.100:8000"}, `--target "192.168.2.100:8000": want a base URL`},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr.String(), c.want)
		}
	}
}
