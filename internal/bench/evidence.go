package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	_ "github.com/lib/pq" // the benchmark database's driver
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/macrobench/macrobench/internal/agentscontract"
	"github.com/macrobench/macrobench/internal/report"
)

// AppSnapshot is the app's own counters, read from its /metrics.
type AppSnapshot struct {
	Requests          map[string]map[string]float64 // route → code → count
	ConnectionsOpened float64                       // app_agents_connections_opened_total
	PoolMaxOpen       float64                       // go_sql_max_open_connections{db_name="agents_pool"}
}

// ReadAppMetrics scrapes baseURL/metrics once.
func ReadAppMetrics(ctx context.Context, client *http.Client, baseURL string) (*AppSnapshot, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("app metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return nil, fmt.Errorf("app metrics: %s: status %d: %s", baseURL+"/metrics", resp.StatusCode, b)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("app metrics: %w", err)
	}
	s := &AppSnapshot{Requests: map[string]map[string]float64{}}
	if f := fams["app_http_requests_total"]; f != nil {
		for _, m := range f.GetMetric() {
			route, code := label(m, "route"), label(m, "code")
			if s.Requests[route] == nil {
				s.Requests[route] = map[string]float64{}
			}
			s.Requests[route][code] += m.GetCounter().GetValue()
		}
	}
	if f := fams["app_agents_connections_opened_total"]; f != nil {
		for _, m := range f.GetMetric() {
			s.ConnectionsOpened += m.GetCounter().GetValue()
		}
	}
	if f := fams["go_sql_max_open_connections"]; f != nil {
		for _, m := range f.GetMetric() {
			if label(m, "db_name") == "agents_pool" {
				s.PoolMaxOpen = m.GetGauge().GetValue()
			}
		}
	}
	return s, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func (s *AppSnapshot) total(route string) float64 {
	var t float64
	for _, v := range s.Requests[route] {
		t += v
	}
	return t
}

// RouteDelta is the per-code request counts of route between two snapshots.
func RouteDelta(before, after *AppSnapshot, route string) map[string]int64 {
	out := map[string]int64{}
	for code, v := range after.Requests[route] {
		if d := int64(v - before.Requests[route][code]); d != 0 {
			out[code] = d
		}
	}
	return out
}

// WaitQuiet polls the app's counters until route's count stops moving (the
// requests still in flight when the generator stopped have finished), for at
// most max. It returns the last snapshot.
func WaitQuiet(ctx context.Context, client *http.Client, baseURL, route string, max time.Duration) (*AppSnapshot, error) {
	deadline := time.Now().Add(max)
	prev, err := ReadAppMetrics(ctx, client, baseURL)
	if err != nil {
		return nil, err
	}
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		cur, err := ReadAppMetrics(ctx, client, baseURL)
		if err != nil {
			return nil, err
		}
		if cur.total(route) == prev.total(route) && cur.ConnectionsOpened == prev.ConnectionsOpened {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// DB reads PostgreSQL's statistics over one long-lived connection, so that
// reading them opens no session of its own inside a window.
type DB struct {
	db *sql.DB
}

// agentsQueryMatch picks the agents query out of pg_stat_statements
// (normalized text; the LIKE pattern of this very query becomes $1 there).
const agentsQueryMatch = agentscontract.StatementsPattern

// OpenDB connects and checks pg_stat_statements is there.
func OpenDB(ctx context.Context, url string) (*DB, error) {
	db, err := sql.Open("postgres", url)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	d := &DB{db: db}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := d.Snapshot(cctx); err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *DB) Close() error { return d.db.Close() }

// DBSnapshot is the cumulative counters at one instant.
type DBSnapshot struct {
	Calls    int64
	Sessions int64
}

// Snapshot reads the agents query's calls and the database's sessions.
func (d *DB) Snapshot(ctx context.Context) (DBSnapshot, error) {
	var s DBSnapshot
	err := d.db.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements
		  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		    AND query LIKE $1),
		(SELECT sessions FROM pg_stat_database WHERE datname = current_database())`, agentsQueryMatch).Scan(&s.Calls, &s.Sessions)
	if err != nil {
		return s, fmt.Errorf("reading pg_stat_statements / pg_stat_database: %w", err)
	}
	return s, nil
}

// SettledSnapshot reads until two reads 200 ms apart agree (backends publish
// their session counts when they go idle or exit), for at most max.
func (d *DB) SettledSnapshot(ctx context.Context, max time.Duration) (DBSnapshot, error) {
	deadline := time.Now().Add(max)
	prev, err := d.Snapshot(ctx)
	if err != nil {
		return prev, err
	}
	for time.Now().Before(deadline) {
		time.Sleep(200 * time.Millisecond)
		cur, err := d.Snapshot(ctx)
		if err != nil {
			return cur, err
		}
		if cur == prev {
			return cur, nil
		}
		prev = cur
	}
	return prev, nil
}

// Setting reads a server setting (SHOW).
func (d *DB) Setting(ctx context.Context, name string) (string, error) {
	var v string
	err := d.db.QueryRowContext(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v, err
}

// sessionSlack is sessions a window may see from others than the app
// (postgres-exporter reconnecting, a psql).
const sessionSlack = 3

// Reconcile checks the client's counts against the server's for one run of
// endpoint. poolSize is the app's pool size (0 if unknown).
func Reconcile(endpoint string, client *GenResult, srv *report.Server, poolSize int64) []report.Check {
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
	if haveApp {
		// Requests the client gave up on (timeouts, closed connections) may
		// still have been answered by the server; never fewer.
		add("server saw every response", appTotal >= client.Requests,
			"app counted %d responses, the generator received %d", appTotal, client.Requests)
		add("server 2xx ≥ client successes", app2xx >= successes(client),
			"app 2xx %d, generator 2xx/3xx %d", app2xx, successes(client))
	}
	if srv.DB == nil {
		return checks
	}
	calls, sessions := srv.DB.AgentsQueryCalls, srv.DB.Sessions
	switch endpoint {
	case "/index":
		add("no database work", calls == 0, "agents query calls %d (want 0)", calls)
	case "/agents", "/agents_with_pool":
		add("every success reached the database", calls >= successes(client),
			"agents query calls %d, generator successes %d", calls, successes(client))
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
			upper = client.Requests + client.Errors.Timeout + client.Errors.Read
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
