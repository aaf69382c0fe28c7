package benchrun

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// idlePoll is how often waitIdle looks; two looks in a row that agree make
// the server side idle.
const idlePoll = 200 * time.Millisecond

// idleState is one look at the server side.
type idleState struct {
	app    *evidence.AppSnapshot
	appErr error
	db     evidence.DBSnapshot
	dbErr  error
}

// waitIdle is the bench's one wait for the server side to be idle, before a
// run (isolation: the previous run's load, warm-up or overload, is over) and
// after it (drain: the run's own last requests are done, so its server-side
// counts are complete). Idle is two looks idlePoll apart that both find
//
//   - the app: no request in flight (app_http_requests_in_flight, its /metrics
//     scrapes aside) and route's counts, and the connections /agents opened,
//     unchanged;
//   - PostgreSQL (when r.DB is set): no backend of the database at work
//     besides the bench's own (evidence.DBSnapshot.Active) and the agents query's
//     calls and the sessions unchanged.
//
// The app's part applies to the app's runs. The original has no /metrics,
// so no in-flight gauge: for its runs the wait is PostgreSQL's part alone
// (its /agents connections and queries, its pools' queries); a backlog of
// /index requests in gunicorn's listen queue is not seen (the report says
// so).
//
// It waits at most bound; the Wait says how long it waited and, when it hit
// the bound, what was still busy (the caller reports that: never silent).
// bound 0 disables the wait: one look, Wait.Skipped. The snapshots returned
// are the last look's: the "before" or "after" of a run's window.
func (r *Runner) waitIdle(ctx context.Context, cell Cell, bound time.Duration) (idleState, report.Wait) {
	start := time.Now()
	route := cell.Endpoint
	w := report.Wait{BoundS: bound.Seconds(), Skipped: bound <= 0, Scope: waitScope(cell.Target, r.DB != nil)}
	look := func() idleState {
		var s idleState
		if cell.Target == report.TargetOriginal {
			s.appErr = errNoMetrics
		} else {
			s.app, s.appErr = evidence.ReadAppMetrics(ctx, r.HTTP, r.Ex.HostURL(report.TargetApp))
		}
		if r.DB != nil {
			s.db, s.dbErr = r.DB.Snapshot(ctx)
		}
		return s
	}
	prev := look()
	var busy []string
	for bound > 0 {
		if ctx.Err() != nil {
			busy = []string{"interrupted"}
			break
		}
		timer := time.NewTimer(idlePoll)
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		timer.Stop()
		cur := look()
		busy = stillBusy(prev, cur, route, r.DB != nil)
		prev = cur
		if len(busy) == 0 {
			break
		}
		if time.Since(start) >= bound {
			w.TimedOut = true
			break
		}
	}
	w.WaitedS = time.Since(start).Seconds()
	if w.TimedOut || (len(busy) > 0 && busy[0] == "interrupted") {
		w.Busy = strings.Join(busy, "; ")
	}
	if prev.appErr == nil {
		if n := prev.app.Busy(); n >= 0 {
			w.AppInFlight = &n
		}
	}
	if r.DB != nil && prev.dbErr == nil {
		a, b := prev.db.Active, prev.db.Backends
		w.DBActive, w.DBBackends = &a, &b
	}
	return prev, w
}

// errNoMetrics stands for the app's part of a look at the original, which
// has no /metrics.
var errNoMetrics = errors.New("the original has no /metrics")

// waitScope says what a wait for target looks at.
func waitScope(target string, withDB bool) string {
	switch {
	case target == report.TargetOriginal && withDB:
		return "PostgreSQL only (the original has no in-flight gauge)"
	case target == report.TargetOriginal:
		return "nothing: the original has no in-flight gauge and there is no PostgreSQL evidence"
	case withDB:
		return "the app and PostgreSQL"
	}
	return "the app only (no PostgreSQL evidence)"
}

// stillBusy lists what keeps the server side from being idle between two
// looks (nothing: idle). Evidence that cannot be read does not hold the wait
// up: its absence is reported with the run.
func stillBusy(prev, cur idleState, route string, withDB bool) []string {
	var busy []string
	if prev.appErr == nil && cur.appErr == nil {
		if n := cur.app.Busy(); n > 0 {
			busy = append(busy, fmt.Sprintf("app: %d request(s) in flight", n))
		}
		if d := cur.app.Total(route) - prev.app.Total(route); d != 0 {
			busy = append(busy, fmt.Sprintf("app: %g more %s response(s) in %s", d, route, idlePoll))
		}
		if d := cur.app.ConnectionsOpened - prev.app.ConnectionsOpened; d != 0 {
			busy = append(busy, fmt.Sprintf("app: %g more /agents connection(s) opened in %s", d, idlePoll))
		}
		if d := cur.app.PoolOpened - prev.app.PoolOpened; d != 0 {
			busy = append(busy, fmt.Sprintf("app: %g more pooled connection(s) opened in %s", d, idlePoll))
		}
	}
	if withDB && prev.dbErr == nil && cur.dbErr == nil {
		if cur.db.Active > 0 {
			busy = append(busy, fmt.Sprintf("PostgreSQL: %d backend(s) at work", cur.db.Active))
		}
		if cur.db.Counters() != prev.db.Counters() {
			busy = append(busy, fmt.Sprintf("PostgreSQL: sessions or agents query calls still moving (%d → %d sessions, %d → %d calls)",
				prev.db.Sessions, cur.db.Sessions, prev.db.Calls, cur.db.Calls))
		}
	}
	return busy
}
