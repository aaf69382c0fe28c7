package stackcheck

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/lib/pq" // the driver the app uses

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

func loadExporterQueries(t *testing.T) map[string]ExporterQuery {
	t.Helper()
	qs, err := LoadExporterQueries(filepath.Join(testenv.RepoRoot(t), ExporterQueriesFile))
	if err != nil {
		t.Fatal(err)
	}
	return qs
}

func TestExporterQueriesFollowTheAgentsContract(t *testing.T) {
	if err := CheckExporterQueries(loadExporterQueries(t), ExporterQueriesFile); err != nil {
		t.Fatal(err)
	}
}

func TestExporterQueriesProblemsNameTheField(t *testing.T) {
	qs := loadExporterQueries(t)
	q := qs[AgentsStatementsQuery]
	q.Query = strings.ReplaceAll(q.Query, agentscontract.StatementsPattern, "%FROM agentfeatures%")
	q.Metrics = append(q.Metrics, map[string]ExporterMetricDef{"extra": {Usage: "HISTOGRAM"}})
	qs[AgentsStatementsQuery] = q
	err := CheckExporterQueries(qs, ExporterQueriesFile)
	for _, want := range []string{
		ExporterQueriesFile + ": pg_stat_statements_agents.query: does not filter with LIKE '" + agentscontract.StatementsPattern + "'",
		"pg_stat_statements_agents.metrics.extra.usage",
		"pg_stat_statements_agents.metrics: columns statement,calls,rows,exec_seconds,extra",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want one containing %q", err, want)
		}
	}
	delete(qs, AgentsStatementsQuery)
	if err := CheckExporterQueries(qs, ExporterQueriesFile); err == nil || !strings.Contains(err.Error(), "pg_stat_statements_agents: missing") {
		t.Errorf("without the agents entry: %v", err)
	}
}

// On a private PostgreSQL (so the counters are this test's alone), the
// exporter's agents query counts exactly the agents query's runs, the app's
// text and pgbench's, and never itself.
func TestExporterCountsTheAgentsQueryOnly(t *testing.T) {
	q := loadExporterQueries(t)[AgentsStatementsQuery]
	pg := testenv.StartPostgres(t)
	// The exporter reads as its role (pg_monitor); the queries run as the
	// app's, so the counts read are another role's statements.
	exporterURL, err := pg.RoleURL(pgroles.Exporter)
	if err != nil {
		t.Fatal(err)
	}
	appURL, err := pg.RoleURL(pgroles.App)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("postgres", exporterURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	app, err := sql.Open("postgres", appURL)
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	app.SetMaxOpenConns(1)

	read := func() (calls, rows float64) {
		t.Helper()
		var statement string
		var execSeconds float64
		if err := db.QueryRow(q.Query).Scan(&statement, &calls, &rows, &execSeconds); err != nil {
			t.Fatalf("%s: %v", AgentsStatementsQuery, err)
		}
		if statement != "agents" {
			t.Errorf("statement label %q, want agents", statement)
		}
		return calls, rows
	}
	run := func(text string) {
		t.Helper()
		r, err := app.Query(text)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for r.Next() {
			n++
		}
		if err := r.Close(); err != nil || n != agentscontract.SeedAgents {
			t.Fatalf("%q: %d rows (%v), want %d", text, n, err, agentscontract.SeedAgents)
		}
	}

	calls0, rows0 := read()
	if calls1, _ := read(); calls1 != calls0 {
		t.Fatalf("the exporter's query counts itself: calls %v, then %v", calls0, calls1)
	}
	run(agentscontract.Query)
	run(strings.TrimSuffix(agentscontract.PgbenchScript(), ";\n"))
	calls, rows := read()
	if calls-calls0 != 2 || rows-rows0 != 2*agentscontract.SeedAgents {
		t.Errorf("after the app's and pgbench's text: calls +%v, rows +%v; want +2, +%d", calls-calls0, rows-rows0, 2*agentscontract.SeedAgents)
	}
}
