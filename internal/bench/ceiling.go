package bench

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/macrobench/macrobench/internal/report"
)

var tpsRe = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)

// Ceilings measures PostgreSQL's own throughput for the agents query with
// pgbench: over 8 prepared, long-lived connections (what a pool can at best
// reach), and with a new connection per transaction (what /agents can at
// best reach). One pgbench thread per client: a thread opens its clients'
// connections one at a time, which would cap the -C ceiling.
func Ceilings(ctx context.Context, ex Executor, d time.Duration) []report.Ceiling {
	jobs := 8
	secs := strconv.Itoa(int(d / time.Second))
	runs := []struct {
		name string
		args []string
	}{
		{"prepared", []string{"-n", "-M", "prepared", "-c", "8", "-j", strconv.Itoa(jobs), "-T", secs}},
		{"connect", []string{"-n", "-C", "-c", "8", "-j", strconv.Itoa(jobs), "-T", secs}},
	}
	var out []report.Ceiling
	for _, r := range runs {
		c := report.Ceiling{Name: r.name, DurationS: d.Seconds()}
		text, command, err := ex.Pgbench(ctx, AgentsQuery+";\n", r.args)
		c.Command = command
		if err == nil {
			c.TPS, err = parseTPS(text)
		}
		if err != nil {
			c.Error = err.Error()
		}
		out = append(out, c)
	}
	return out
}

func parseTPS(out string) (float64, error) {
	m := tpsRe.FindStringSubmatch(out)
	if m == nil {
		return 0, fmt.Errorf("pgbench printed no tps line: %s", clip(out, 300))
	}
	return strconv.ParseFloat(m[1], 64)
}
