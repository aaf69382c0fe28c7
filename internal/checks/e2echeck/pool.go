package e2echeck

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/macrobench/macrobench/internal/lab/benchrun"
	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// CheckPoolKeepsConnections sends requests to /agents_with_pool spaced by
// gap (longer than the app's APP_REQUEST_TIMEOUT) and checks, by the app's
// own count of the connections its pool opened, that an idle pooled
// connection is reused: after the first request, the count never moves.
func CheckPoolKeepsConnections(ctx context.Context, base string, requests int, gap time.Duration) error {
	client := &http.Client{Timeout: 10 * time.Second}
	var first float64
	for i := range requests {
		if i > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(gap):
			}
		}
		if problems := benchrun.Verify(ctx, client, report.TargetApp, base, "/agents_with_pool"); len(problems) > 0 {
			return fmt.Errorf("request %d: %v", i+1, problems)
		}
		snap, err := evidence.ReadAppMetrics(ctx, client, base)
		if err != nil {
			return err
		}
		if !snap.HasPoolOpened {
			return fmt.Errorf("the app exports no app_agents_pool_connections_opened_total")
		}
		if i == 0 {
			first = snap.PoolOpened
		} else if snap.PoolOpened != first {
			return fmt.Errorf("request %d, %v after the previous one: the pool has opened %g connections, %g more than after the first (an idle pooled connection was replaced)",
				i+1, gap, snap.PoolOpened, snap.PoolOpened-first)
		}
	}
	return nil
}
