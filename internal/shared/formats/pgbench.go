package formats

// pgbench's summary output: the transactions per
// second and the failed transactions. The bench runner's PostgreSQL
// ceilings and scripts/perf.sh's references read through it.

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// PgbenchSummary is what the benchmark reads from pgbench's output.
type PgbenchSummary struct {
	TPS    float64
	Failed int64 // "number of failed transactions" (0 when not printed)
}

var (
	tpsLine    = regexp.MustCompile(`(?m)^tps = ([0-9.]+)`)
	failedLine = regexp.MustCompile(`(?m)^number of failed transactions: ([0-9]+)`)
)

// ParsePgbench reads pgbench's summary (PostgreSQL 15 prints one tps line); without
// a tps line pgbench did not finish a run, and its output is the error.
func ParsePgbench(out string) (PgbenchSummary, error) {
	var s PgbenchSummary
	m := tpsLine.FindStringSubmatch(out)
	if m == nil {
		return s, fmt.Errorf("no tps in pgbench output:\n%s", strings.TrimSpace(out))
	}
	s.TPS, _ = strconv.ParseFloat(m[1], 64)
	if m := failedLine.FindStringSubmatch(out); m != nil {
		s.Failed, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return s, nil
}
