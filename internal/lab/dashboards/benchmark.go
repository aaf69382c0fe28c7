// Package dashboards builds the lab's Grafana dashboards as code (Grafana
// Foundation SDK). The JSON that Grafana provisions from grafana/dashboards/ is
// generated from here and committed; a test keeps the two identical. The uids
// and the annotation tag are internal/lab/dashboards/grafanaids's.
package dashboards

//go:generate go run ../../cmd/gendashboards -out ../../../grafana/dashboards

import (
	"encoding/json"
	"fmt"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/heatmap"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"
	"github.com/grafana/grafana-foundation-sdk/go/units"

	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
)

// Files are the dashboards to write into grafana/dashboards/, by file name.
func Files() (map[string][]byte, error) {
	b, err := Benchmark()
	if err != nil {
		return nil, err
	}
	out, err := Marshal(b)
	if err != nil {
		return nil, err
	}
	return map[string][]byte{"benchmark.json": out}, nil
}

// Marshal renders a dashboard the way it is committed: indented, final newline.
func Marshal(d dashboard.Dashboard) ([]byte, error) {
	out, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding dashboard: %w", err)
	}
	return append(out, '\n'), nil
}

func datasource() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr(grafanaids.DatasourceUID)}
}

// query is one PromQL target; refIDs are assigned in order by the panel helpers.
func query(expr, legend string) *prometheus.DataqueryBuilder {
	return prometheus.NewDataqueryBuilder().
		Datasource(datasource()).
		Expr(expr).
		LegendFormat(legend).
		Range()
}

const (
	// Grafana substitutes these; the tests substitute them the same way.
	rateWindow  = "$__rate_interval"
	routeFilter = `route=~"$route"`
	pathFilter  = `path=~"$route"`
)

func rate(selector string) string {
	return fmt.Sprintf("rate(%s[%s])", selector, rateWindow)
}

func legend() *common.VizLegendOptionsBuilder {
	return common.NewVizLegendOptionsBuilder().
		DisplayMode(common.LegendDisplayModeTable).
		Placement(common.LegendPlacementBottom).
		ShowLegend(true).
		Calcs([]string{"mean", "max", "lastNotNull"})
}

func graph(title, description, unit string, targets ...*prometheus.DataqueryBuilder) *timeseries.PanelBuilder {
	p := timeseries.NewPanelBuilder().
		Title(title).
		Description(description).
		Datasource(datasource()).
		Unit(unit).
		Height(8).
		Span(12).
		FillOpacity(10).
		LineWidth(1).
		ShowPoints(common.VisibilityModeNever).
		Legend(legend()).
		Tooltip(common.NewVizTooltipOptionsBuilder().Mode(common.TooltipDisplayModeMulti).Sort(common.SortOrderDescending))
	for i, t := range targets {
		p.WithTarget(t.RefId(refID(i)))
	}
	return p
}

func refID(i int) string { return string(rune('A' + i)) }

// quantiles are the server and client latency percentiles shown everywhere.
var quantiles = []struct {
	q     string
	label string
}{{"0.5", "p50"}, {"0.9", "p90"}, {"0.99", "p99"}, {"0.999", "p99.9"}}

// Benchmark is the "Benchmark" dashboard: per route, what the server and the
// load generator saw, the database behind it, and both processes' runtimes.
func Benchmark() (dashboard.Dashboard, error) {
	b := dashboard.NewDashboardBuilder("Benchmark").
		Uid(grafanaids.BenchmarkDashboardUID).
		Description("macrobench: per-route request rate, errors and latency (server and load generator), database and runtime.").
		Tags([]string{"macrobench"}).
		Refresh("5s").
		Time("now-15m", "now").
		Timezone("browser").
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Readonly().
		WithVariable(dashboard.NewQueryVariableBuilder("route").
			Label("Route").
			Description("Echo route template (the load generator's path label is matched against the same value)").
			Datasource(datasource()).
			Query(dashboard.StringOrMap{String: cog.ToPtr(`label_values(app_http_requests_total, route)`)}).
			Definition(`label_values(app_http_requests_total, route)`).
			Refresh(dashboard.VariableRefreshOnTimeRangeChanged).
			Sort(dashboard.VariableSortAlphabeticalAsc).
			Multi(true).
			IncludeAll(true).
			AllValue(".*").
			Current(dashboard.VariableOption{
				Text:  dashboard.StringOrArrayOfString{ArrayOfString: []string{"All"}},
				Value: dashboard.StringOrArrayOfString{ArrayOfString: []string{"$__all"}},
			})).
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("Scenario runs").
			Datasource(datasource()).
			Enable(true).
			IconColor("rgba(255, 176, 0, 0.6)").
			// A region per load-generator run: loadtest_running is 1 from its
			// start to its end (no bench runner needed).
			Expr(`max by (run_id, path) (loadtest_running)`).
			Step("5s").
			TitleFormat("run {{run_id}}").
			TextFormat("{{path}}")).
		Annotation(dashboard.NewAnnotationQueryBuilder().
			Name("Bench scenarios").
			Datasource(common.DataSourceRef{Type: cog.ToPtr("grafana"), Uid: cog.ToPtr("-- Grafana --")}).
			Enable(true).
			IconColor("rgba(0, 211, 255, 1)").
			// Posted to /api/annotations by the bench runner with this tag.
			Target(tagsQuery{Type: "tags", Tags: []string{grafanaids.AnnotationTag}, Limit: 500, MatchAny: true}))

	b.WithRow(dashboard.NewRowBuilder("Requests"))
	for _, p := range requestPanels() {
		b.WithPanel(p)
	}
	b.WithRow(dashboard.NewRowBuilder("Latency: server and load generator"))
	for _, p := range latencyPanels() {
		b.WithPanel(p)
	}
	b.WithRow(dashboard.NewRowBuilder("Database"))
	for _, p := range databasePanels() {
		b.WithPanel(p)
	}
	b.WithRow(dashboard.NewRowBuilder("Runtime: app and load generator"))
	for _, p := range runtimePanels() {
		b.WithPanel(p)
	}
	d, err := b.Build()
	if err != nil {
		return dashboard.Dashboard{}, fmt.Errorf("building the Benchmark dashboard: %w", err)
	}
	numberPanels(&d)
	// The SDK puts annotation toggles in the controls menu; show them on
	// the dashboard, where Grafana puts them by default.
	for i := range d.Annotations.List {
		d.Annotations.List[i].Placement = nil
	}
	return d, nil
}

// numberPanels gives every panel and row a stable id (Grafana needs unique
// ids for links and "view panel"; the SDK leaves them unset).
func numberPanels(d *dashboard.Dashboard) {
	var id uint32
	for _, p := range d.Panels {
		id++
		switch {
		case p.Panel != nil:
			p.Panel.Id = cog.ToPtr(id)
		case p.RowPanel != nil:
			p.RowPanel.Id = id
		}
	}
}

func requestPanels() []cog.Builder[dashboard.Panel] {
	all := fmt.Sprintf(`app_http_requests_total{%s}`, routeFilter)
	ok := fmt.Sprintf(`app_http_requests_total{%s,code=~"[23].."}`, routeFilter)
	return []cog.Builder[dashboard.Panel]{
		graph("Request rate by route", "Responses the app served per second (server side).", units.RequestsPerSecond,
			query(fmt.Sprintf(`sum by (route) (%s)`, rate(all)), "{{route}}")),
		graph("Status codes", "Responses per second by route and HTTP status code.", units.RequestsPerSecond,
			query(fmt.Sprintf(`sum by (route, code) (%s)`, rate(all)), "{{route}} {{code}}")),
		graph("Error ratio (non-2xx/3xx)", "Share of responses that were not 2xx/3xx, per route (the load generator's \"status\" errors).", units.PercentUnit,
			query(fmt.Sprintf(`1 - sum by (route) (%s) / sum by (route) (%s)`, rate(ok), rate(all)), "{{route}}")).
			Min(0).Max(1),
		graph("Achieved vs target rate (load generator)", "Completed responses per second the generator measured, against the rate it was asked for (0 = closed loop).", units.RequestsPerSecond,
			query(fmt.Sprintf(`sum by (path) (%s)`, rate(fmt.Sprintf(`loadtest_requests_total{%s}`, pathFilter))), "achieved {{path}}"),
			query(fmt.Sprintf(`sum by (path) (loadtest_target_rate{%s})`, pathFilter), "target {{path}}")),
		graph("Load generator errors", "Errors per second by class (connect, read, write, timeout, status); 0 while there are none.", units.RequestsPerSecond,
			query(fmt.Sprintf(`sum by (path, class) (%s) or sum by (path) (0 * %s)`,
				rate(fmt.Sprintf(`loadtest_errors_total{%s}`, pathFilter)),
				rate(fmt.Sprintf(`loadtest_requests_total{%s}`, pathFilter))), "{{path}} {{class}}")),
		graph("Scrape targets up", "1 = scraped. The load generator is only up while a scenario runs.", units.Short,
			query(`up`, "{{job}} {{instance}}")).Min(0).Max(1),
	}
}

func latencyPanels() []cog.Builder[dashboard.Panel] {
	server := fmt.Sprintf(`sum by (route) (%s)`, rate(fmt.Sprintf(`app_http_request_duration_seconds{%s}`, routeFilter)))
	var serverQs []*prometheus.DataqueryBuilder
	for _, q := range quantiles {
		serverQs = append(serverQs, query(fmt.Sprintf(`histogram_quantile(%s, %s)`, q.q, server), q.label+" {{route}}"))
	}
	client := func(measure string) string {
		return fmt.Sprintf(`sum by (path) (%s)`, rate(fmt.Sprintf(`loadtest_latency_seconds{%s,measure=%q}`, pathFilter, measure)))
	}
	var clientQs []*prometheus.DataqueryBuilder
	for _, q := range quantiles {
		clientQs = append(clientQs, query(fmt.Sprintf(`histogram_quantile(%s, %s)`, q.q, client("corrected")), q.label+" {{path}}"))
	}
	classic := fmt.Sprintf(`sum by (route, le) (%s)`, rate(fmt.Sprintf(`app_http_request_duration_seconds_bucket{%s}`, routeFilter)))

	return []cog.Builder[dashboard.Panel]{
		graph("Server latency (native histogram)", "Time in the app's handler chain, from app_http_request_duration_seconds (native histogram).", units.Seconds, serverQs...),
		heatmap.NewPanelBuilder().
			Title("Server latency heatmap").
			Description("Distribution of server latency over time, from the native histogram (all selected routes).").
			Datasource(datasource()).
			Height(8).
			Span(12).
			Calculate(false).
			YAxis(heatmap.NewYAxisConfigBuilder().Unit(units.Seconds)).
			Color(heatmap.NewHeatmapColorOptionsBuilder().Mode(heatmap.HeatmapColorModeScheme).Scheme("Oranges").Scale(heatmap.HeatmapColorScaleExponential).Exponent(0.5).Steps(64)).
			CellGap(1).
			WithTarget(query(fmt.Sprintf(`sum(%s)`, rate(fmt.Sprintf(`app_http_request_duration_seconds{%s}`, routeFilter))), "{{le}}").
				Format(prometheus.PromQueryFormatHeatmap).
				RefId("A")),
		graph("Client latency, corrected (load generator)", "What the generator saw, corrected for coordinated omission (wrk2 semantics), from loadtest_latency_seconds.", units.Seconds, clientQs...),
		graph("p99: client (corrected, uncorrected) vs server", "The gap between client and server is queueing outside the handler: in the kernel, the network, the generator.", units.Seconds,
			query(fmt.Sprintf(`histogram_quantile(0.99, %s)`, client("corrected")), "client corrected {{path}}"),
			query(fmt.Sprintf(`histogram_quantile(0.99, %s)`, client("uncorrected")), "client uncorrected {{path}}"),
			query(fmt.Sprintf(`histogram_quantile(0.99, %s)`, server), "server {{route}}")),
		graph("p50: client vs server", "Median latency on both sides.", units.Seconds,
			query(fmt.Sprintf(`histogram_quantile(0.5, %s)`, client("corrected")), "client {{path}}"),
			query(fmt.Sprintf(`histogram_quantile(0.5, %s)`, server), "server {{route}}")),
		graph("Server p99 (classic buckets)", "The same p99 from the classic le buckets, kept beside the native histogram: coarser, for comparison.", units.Seconds,
			query(fmt.Sprintf(`histogram_quantile(0.99, %s)`, classic), "p99 {{route}}")),
	}
}

func databasePanels() []cog.Builder[dashboard.Panel] {
	pool := `db_name="agents_pool",job="app"`
	return []cog.Builder[dashboard.Panel]{
		graph("/agents_with_pool: pool connections", "database/sql pool of /agents_with_pool: in use, idle, open, the configured maximum, and the connections it opened since the app started (a pool that keeps its connections stays at its size; every step up is a replacement).", units.Short,
			query(fmt.Sprintf(`sum(go_sql_in_use_connections{%s})`, pool), "in use"),
			query(fmt.Sprintf(`sum(go_sql_idle_connections{%s})`, pool), "idle"),
			query(fmt.Sprintf(`sum(go_sql_open_connections{%s})`, pool), "open"),
			query(fmt.Sprintf(`sum(go_sql_max_open_connections{%s})`, pool), "max open"),
			query(`sum(app_agents_pool_connections_opened_total{job="app"})`, "opened since start")),
		graph("/agents_with_pool: waits for a connection", "Requests per second that had to wait for a pooled connection, and seconds waited per second.", units.Short,
			query(fmt.Sprintf(`sum(%s)`, rate(fmt.Sprintf(`go_sql_wait_count_total{%s}`, pool))), "waits/s"),
			query(fmt.Sprintf(`sum(%s)`, rate(fmt.Sprintf(`go_sql_wait_duration_seconds_total{%s}`, pool))), "seconds waited/s")),
		graph("/agents: new connections", "Connections opened per second (one per request), connect errors per second, and requests waiting for a connect slot.", units.Short,
			query(fmt.Sprintf(`sum(%s)`, rate(`app_agents_connections_opened_total`)), "opened/s"),
			query(fmt.Sprintf(`sum(%s)`, rate(`app_agents_connect_errors_total`)), "connect errors/s"),
			query(`sum(app_agents_newconn_waiting)`, "waiting for a slot")),
		graph("/agents: connect time", "Time to open a new PostgreSQL connection per request (native histogram).", units.Seconds,
			query(fmt.Sprintf(`histogram_quantile(0.5, sum(%s))`, rate(`app_agents_connect_duration_seconds`)), "p50"),
			query(fmt.Sprintf(`histogram_quantile(0.99, sum(%s))`, rate(`app_agents_connect_duration_seconds`)), "p99")),
		graph("PostgreSQL backends vs max_connections", "Server processes by state against max_connections (200, 3 reserved for superusers).", units.Short,
			query(`sum by (state) (pg_stat_activity_count{datname="macrobench"})`, "{{state}}"),
			query(`sum(pg_stat_database_numbackends)`, "all backends"),
			query(`max(pg_settings_max_connections)`, "max_connections")),
		graph("PostgreSQL transactions per second", "Commits and rollbacks per second in the macrobench database.", units.Short,
			query(fmt.Sprintf(`sum(%s)`, rate(`pg_stat_database_xact_commit{datname="macrobench"}`)), "commits/s"),
			query(fmt.Sprintf(`sum(%s)`, rate(`pg_stat_database_xact_rollback{datname="macrobench"}`)), "rollbacks/s")),
		graph("Agents query (pg_stat_statements)", "Executions per second of the agents query and its mean execution time in the server.", units.Short,
			query(fmt.Sprintf(`sum(%s)`, rate(`pg_stat_statements_agents_calls`)), "calls/s"),
			query(fmt.Sprintf(`sum(%s) / sum(%s)`, rate(`pg_stat_statements_agents_exec_seconds`), rate(`pg_stat_statements_agents_calls`)), "mean exec seconds")),
	}
}

func runtimePanels() []cog.Builder[dashboard.Panel] {
	jobs := `job=~"app|loadtest"`
	return []cog.Builder[dashboard.Panel]{
		graph("CPU", "CPU seconds per second (1 = one core) of the app and the load generator.", units.Short,
			query(fmt.Sprintf(`sum by (job, instance) (%s)`, rate(fmt.Sprintf(`process_cpu_seconds_total{%s}`, jobs))), "{{job}} {{instance}}")),
		graph("Goroutines", "", units.Short,
			query(fmt.Sprintf(`sum by (job, instance) (go_goroutines{%s})`, jobs), "{{job}} {{instance}}")),
		graph("Heap", "Live heap and heap in use.", units.BytesIEC,
			query(fmt.Sprintf(`sum by (job, instance) (go_memstats_heap_alloc_bytes{%s})`, jobs), "alloc {{job}} {{instance}}"),
			query(fmt.Sprintf(`sum by (job, instance) (go_memstats_heap_inuse_bytes{%s})`, jobs), "in use {{job}} {{instance}}")),
		graph("GC pauses", "Longest recent stop-the-world pause, and pause seconds per second.", units.Seconds,
			// Prometheus 3 writes quantile="1.0" (floats normalised); 2.x wrote "1".
			query(fmt.Sprintf(`max by (job, instance) (go_gc_duration_seconds{%s,quantile=~"1|1.0"})`, jobs), "max pause {{job}} {{instance}}"),
			query(fmt.Sprintf(`sum by (job, instance) (%s)`, rate(fmt.Sprintf(`go_gc_duration_seconds_sum{%s}`, jobs))), "paused/s {{job}} {{instance}}")),
	}
}

// tagsQuery is the target of a Grafana built-in annotation query that lists
// annotations by tag (the SDK has no builder for it).
type tagsQuery struct {
	Type     string   `json:"type"`
	Tags     []string `json:"tags"`
	Limit    int      `json:"limit"`
	MatchAny bool     `json:"matchAny"`
}

func (tagsQuery) ImplementsDataqueryVariant() {}
func (tagsQuery) DataqueryType() string       { return "grafana" }
func (tagsQuery) Validate() error             { return nil }
func (q tagsQuery) Equals(other variants.Dataquery) bool {
	o, ok := other.(tagsQuery)
	return ok && fmt.Sprint(q) == fmt.Sprint(o)
}

// Build lets a tagsQuery be passed where the SDK wants a query builder.
func (q tagsQuery) Build() (variants.Dataquery, error) { return q, nil }
