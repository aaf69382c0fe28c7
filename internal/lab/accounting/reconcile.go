package accounting

// Reconciliation: the generator's counts against the server's own for the
// same window (the app's counters, pg_stat_statements and sessions).

import (
	"fmt"
	"strconv"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// sessionSlack is sessions a window may see from others than the app
// (postgres-exporter reconnecting, a psql).
const sessionSlack = 3

// Reconcile checks the client's counts against the server's for one run of
// endpoint. poolSize is the target's pool size (0 if unknown). Each check
// applies only where its evidence is there: the app's counters
// (srv.AppRequests), the pool's own counts, PostgreSQL's (srv.DB).
func Reconcile(endpoint string, client *runresult.Generator, srv *report.Server, poolSize int64) []report.Check {
	var checks []report.Check
	add := func(name string, ok bool, format string, a ...any) {
		checks = append(checks, report.Check{Name: name, OK: ok, Detail: fmt.Sprintf(format, a...)})
	}
	var appTotal, app2xx int64
	haveApp := srv.AppRequests != nil
	for code, n := range srv.AppRequests {
		appTotal += n
		if c, _ := strconv.Atoi(code); c >= 200 && c < 300 {
			app2xx += n
		}
	}
	// What the server may have answered: every request that reached it,
	// that is every attempt but a connect error (runresult.Accounting).
	reached := client.Attempts() - client.Errors.Connect
	if haveApp {
		// Requests the client gave up on (timeouts, closed connections) or
		// still had in flight when its window closed may have been answered
		// by the server too; never fewer, never more than reached it.
		add("server saw every response", appTotal >= client.Requests,
			"app counted %d responses, the generator received %d", appTotal, client.Requests)
		add("server answered no more than was sent", appTotal <= reached,
			"app counted %d responses; the generator sent %d that reached it (%d responses, %d in flight at the end, %d read and %d write errors)",
			appTotal, reached, client.Requests, client.InFlightAtEnd, client.Errors.Read, client.Errors.Write)
		add("server 2xx ≥ client successes", app2xx >= client.Successes(),
			"app 2xx %d, generator 2xx/3xx %d", app2xx, client.Successes())
	}
	if endpoint == "/agents_with_pool" && poolSize > 0 && srv.AppPoolConnectionsOpened != nil && srv.AppPoolOpenedSinceStart != nil {
		n, since := *srv.AppPoolConnectionsOpened, *srv.AppPoolOpenedSinceStart
		add("pool kept its connections", since <= poolSize,
			"the app's pool opened %d connections in this run and %d since the bench began, with a pool of %d", n, since, poolSize)
	}
	if srv.DB == nil {
		return checks
	}
	calls, sessions := srv.DB.AgentsQueryCalls, srv.DB.Sessions
	switch endpoint {
	case "/index":
		add("no database work", calls == 0, "agents query calls %d (want 0)", calls)
	case "/agents", "/agents_with_pool":
		add("every success reached the database", calls >= client.Successes(),
			"agents query calls %d, generator successes %d", calls, client.Successes())
		if haveApp {
			// A query that finished after its request timed out counts on
			// the database but not as a 2xx.
			add("one query per 2xx response", app2xx <= calls && calls <= appTotal,
				"app 2xx %d ≤ agents query calls %d ≤ app responses %d", app2xx, calls, appTotal)
		}
	}
	switch endpoint {
	case "/agents":
		upper := appTotal
		if !haveApp {
			upper = reached
		}
		add("one connection per request", sessions >= calls && sessions <= upper+sessionSlack,
			"connections opened %d, agents query calls %d, requests %d", sessions, calls, upper)
	case "/agents_with_pool":
		if poolSize > 0 {
			add("pooled connections reused", sessions <= poolSize+sessionSlack,
				"connections opened %d with a pool of %d, for %d queries", sessions, poolSize, calls)
		}
	}
	return checks
}
