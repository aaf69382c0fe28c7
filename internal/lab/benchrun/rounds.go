package benchrun

import (
	"context"
	"fmt"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// runRounds runs the matrix cfg.Repeat times in rounds: every cell once (in
// the matrix's order, the targets of a cell back to back), then again, so
// that a drift of the machine over the run (another tenant, thermal, a
// filling disk) spreads over every cell's repeats instead of landing on one
// cell's. Each endpoint of each target is warmed up at the start of every
// round, before its first cell of that round (a round reaches it after the
// other endpoints' load). It returns each cell's report, its runs in round
// order; a run that fails is a failure of the summary and the round goes
// on. When ctx ends, the run cut short is not a measurement: its cell
// keeps the runs of the earlier rounds (a note says so), cells never
// reached have none.
func (r *Runner) runRounds(ctx context.Context, s *report.Summary, cells []Cell, poolSize map[string]int64) []report.Cell {
	cfg := r.Cfg
	rcs := make([]report.Cell, len(cells))
	for i, cell := range cells {
		rcs[i] = report.Cell{Target: cell.Target, Endpoint: cell.Endpoint, Scenario: cell.Scenario, Via: cell.Via, Threads: cell.Threads,
			Connections: cell.Connections, DurationS: cell.Duration.Seconds(), TargetRate: cell.Rate}
	}
	for round := 0; round < cfg.Repeat && ctx.Err() == nil; round++ {
		if cfg.Repeat > 1 {
			r.logf("bench: round %d of %d", round+1, cfg.Repeat)
		}
		warmed := map[string]bool{} // target + endpoint, this round
		for i, cell := range cells {
			if ctx.Err() != nil {
				break
			}
			if key := cell.Target + " " + cell.Endpoint; cfg.Warmup > 0 && !warmed[key] {
				warmed[key] = true
				w, err := r.warmup(ctx, cell, round)
				if err != nil && ctx.Err() == nil {
					r.logf("bench: %s%s: %v", cell.Endpoint, onTarget(cell.Target), err)
					s.Failures = append(s.Failures, fmt.Sprintf("%s%s warm-up: %v", cell.Endpoint, onTarget(cell.Target), err))
				}
				s.Warmups = append(s.Warmups, w)
			}
			run, err := r.runOnce(ctx, cell, round, poolSize[cell.Target])
			if ctx.Err() != nil {
				note := fmt.Sprintf("%s %s%s was interrupted: not reported (the generator's output so far, if any, is in the folder)", cell.Endpoint, cell.Scenario, onTarget(cell.Target))
				if round > 0 {
					note = fmt.Sprintf("%s %s%s: its run %d was interrupted and is not reported (the generator's output so far, if any, is in the folder); the cell holds the %d run(s) of the rounds before", cell.Endpoint, cell.Scenario, onTarget(cell.Target), round+1, len(rcs[i].Runs))
				}
				s.Notes = append(s.Notes, note)
				break
			}
			if err != nil {
				r.logf("bench: %s: %v", cell.Name(), err)
				s.Failures = append(s.Failures, fmt.Sprintf("%s %s%s: %v", cell.Endpoint, cell.Scenario, onTarget(cell.Target), err))
				continue
			}
			rcs[i].Runs = append(rcs[i].Runs, run)
		}
	}
	return rcs
}
