package benchrun

import (
	"context"
	"strconv"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/formats"
)

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
		text, command, err := ex.Pgbench(ctx, agentscontract.PgbenchScript(), r.args)
		c.Command = command
		if err == nil {
			var r formats.PgbenchSummary
			r, err = formats.ParsePgbench(text)
			c.TPS = r.TPS
		}
		if err != nil {
			c.Error = err.Error()
		}
		out = append(out, c)
	}
	return out
}
