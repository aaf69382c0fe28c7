// Package grafanaids holds the identifiers that the lab's Grafana
// provisioning (grafana/), the dashboards generated from internal/lab/dashboards,
// their checks (internal/checks/stackcheck) and the bench runner's links and
// annotations must agree on. Constants only: the bench runner uses them
// without linking the dashboards' SDK.
package grafanaids

// BenchmarkDashboardUID is the uid of the provisioned Benchmark dashboard
// (grafana/dashboards/benchmark.json): its address is /d/<uid>.
const BenchmarkDashboardUID = "macrobench-benchmark"

// DatasourceUID is the uid grafana/provisioning/datasources gives Prometheus.
// Dashboards refer to the datasource by this uid only (no ${DS_...} inputs).
const DatasourceUID = "prometheus"

// AnnotationTag is the tag a scenario annotation posted to Grafana's
// /api/annotations must carry to show on the dashboard.
const AnnotationTag = "macrobench"
