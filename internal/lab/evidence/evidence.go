// Package evidence reads the server side of a run's window, the evidence
// the bench reconciles the generator's counts with: the app's own counters
// (its /metrics), PostgreSQL's (pg_stat_statements, sessions, settings) and
// Prometheus's view of the same window. bench run and bench swarm read
// through it.
package evidence

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"time"

	_ "github.com/lib/pq" // the benchmark database's driver
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// AppSnapshot is the app's own counters, read from its /metrics.
type AppSnapshot struct {
	Requests          map[string]map[string]float64 // route → code → count
	ConnectionsOpened float64                       // app_agents_connections_opened_total
	PoolOpened        float64                       // app_agents_pool_connections_opened_total
	HasPoolOpened     bool                          // the app exports PoolOpened (older builds do not)
	PoolMaxOpen       float64                       // go_sql_max_open_connections{db_name="agents_pool"}
	// InFlight is app_http_requests_in_flight by route; nil when the app
	// has no such gauge (an older build behind --target).
	InFlight map[string]float64
}

// AppInFlightMetric is httpapi.InFlightMetric (not imported: the lab has
// no use for the app's web framework; a test checks they agree).
const AppInFlightMetric = "app_http_requests_in_flight"

// metricsRoute is where the app serves its metrics: the bench's own scrape
// of it is always in flight while it reads them.
const metricsRoute = "/metrics"

// Busy is the requests in the app's handlers, its /metrics scrapes aside
// (-1 when the app has no in-flight gauge).
func (s *AppSnapshot) Busy() int64 {
	if s.InFlight == nil {
		return -1
	}
	var n float64
	for route, v := range s.InFlight {
		if route != metricsRoute {
			n += v
		}
	}
	return int64(n)
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
	if f := fams["app_agents_pool_connections_opened_total"]; f != nil {
		s.HasPoolOpened = true
		for _, m := range f.GetMetric() {
			s.PoolOpened += m.GetCounter().GetValue()
		}
	}
	if f := fams[AppInFlightMetric]; f != nil {
		s.InFlight = map[string]float64{}
		for _, m := range f.GetMetric() {
			s.InFlight[label(m, "route")] += m.GetGauge().GetValue()
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

// Total is every response the app counted for route, whatever its code.
func (s *AppSnapshot) Total(route string) float64 {
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

// DB reads PostgreSQL's statistics over one long-lived connection, so that
// reading them opens no session of its own inside a window; or, opened
// with OpenExporter, from postgres-exporter's /metrics (exporter.go).
type DB struct {
	db       *sql.DB
	exporter *exporter
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

func (d *DB) Close() error {
	if d.db == nil {
		return nil
	}
	return d.db.Close()
}

// DBSnapshot is the cumulative counters at one instant, and the backends
// of the database at that instant.
type DBSnapshot struct {
	Calls    int64 // pg_stat_statements calls of the agents query
	Sessions int64 // pg_stat_database.sessions: connections ever opened
	// Active is the client backends of the database, besides this reader's
	// own, that are doing anything: running a statement, or in a
	// transaction. (A backend whose state is not readable, another user's
	// without pg_read_all_stats, is not counted; nor is one still starting
	// up, which PostgreSQL 15 does not list: the sessions counter moves when
	// start-ups complete.) Backends is all of them, idle ones included.
	Active, Backends int64
}

// Counters is the part of the snapshot that only grows.
func (s DBSnapshot) Counters() [2]int64 { return [2]int64{s.Calls, s.Sessions} }

// Snapshot reads the agents query's calls, the database's sessions and its
// backends.
//
// PostgreSQL is "idle" when Active is 0 and the counters stand still, not
// when Backends is back to a count seen before the load: the pool keeps its
// connections open, idle, by design (so the total only grows until the pool
// is full and then stays), and an idle backend costs nothing. What a
// previous overload leaves behind is backends at work (queries, connection
// start-ups: a /agents backlog) and sessions still being opened or closed,
// which moves pg_stat_database.sessions.
func (d *DB) Snapshot(ctx context.Context) (DBSnapshot, error) {
	if d.exporter != nil {
		return d.exporter.snapshot(ctx)
	}
	var s DBSnapshot
	err := d.db.QueryRowContext(ctx, `SELECT st.calls, db.sessions, act.active, act.backends FROM
		(SELECT coalesce(sum(calls), 0)::bigint AS calls FROM pg_stat_statements
		  WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
		    AND query LIKE $1) st,
		(SELECT sessions FROM pg_stat_database WHERE datname = current_database()) db,
		(SELECT count(*) FILTER (WHERE state <> 'idle') AS active, count(*) AS backends
		   FROM pg_stat_activity
		  WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend') act`,
		agentsQueryMatch).Scan(&s.Calls, &s.Sessions, &s.Active, &s.Backends)
	if err != nil {
		return s, fmt.Errorf("reading pg_stat_statements / pg_stat_database / pg_stat_activity: %w", err)
	}
	return s, nil
}

// RecordedSettings are the server settings a run records (metadata.json
// postgres_<name>); postgres/exporter/queries.yaml's macrobench_settings
// has them as its labels, in this order (internal/checks/stackcheck checks).
var RecordedSettings = []string{"max_connections", "server_version", "shared_buffers"}

// Setting reads a server setting (SHOW); through postgres-exporter, one of
// RecordedSettings.
func (d *DB) Setting(ctx context.Context, name string) (string, error) {
	if d.exporter != nil {
		return d.exporter.setting(ctx, name)
	}
	var v string
	err := d.db.QueryRowContext(ctx, "SELECT current_setting($1)", name).Scan(&v)
	return v, err
}
