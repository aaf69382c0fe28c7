package benchrun

import (
	"context"

	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

// BenchDatabaseURL is the bench's evidence connection to addr (postgres's
// published port): the least-privilege role macrobench_bench
// (pg_read_all_stats, reads the two tables), with the password compose gives
// the postgres service (POSTGRES_BENCH_PASSWORD from the shell or .env). No
// password found: the connection fails and the run goes on without
// PostgreSQL's evidence, saying so.
func (e *ComposeExecutor) BenchDatabaseURL(ctx context.Context, addr string) string {
	pw := ""
	if svcs, err := e.services(ctx); err == nil {
		if v := svcs["postgres"].Environment[pgroles.PasswordVar[pgroles.Bench]]; v != nil {
			pw = *v
		}
	}
	return pgroles.URL(pgroles.Bench, pw, addr)
}
