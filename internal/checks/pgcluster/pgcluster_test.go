package pgcluster_test

import (
	"database/sql"
	"testing"

	_ "github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// A private cluster comes up seeded with the repo's SQL and settings, and can
// be stopped and started again on the same port.
func TestPrivateClusterIsSeededAndRestartable(t *testing.T) {
	c := testenv.StartPostgres(t)
	db, err := sql.Open("postgres", c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// The seed's rows themselves are agentscontract's test; here, that the
	// cluster is seeded at all.
	var agents, logins int
	if err := db.QueryRow(`SELECT count(*), (SELECT count(*) FROM agent_login_status) FROM agentfeatures`).Scan(&agents, &logins); err != nil {
		t.Fatal(err)
	}
	if agents != agentscontract.SeedAgents || logins != 0 {
		t.Fatalf("seed: %d agents and %d logins, want %d and 0", agents, logins, agentscontract.SeedAgents)
	}
	var maxConn, preload string
	if err := db.QueryRow(`SELECT current_setting('max_connections'), current_setting('shared_preload_libraries')`).Scan(&maxConn, &preload); err != nil {
		t.Fatal(err)
	}
	if maxConn != "200" || preload != "pg_stat_statements" {
		t.Fatalf("settings: max_connections=%s shared_preload_libraries=%s", maxConn, preload)
	}

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err == nil {
		t.Fatal("ping succeeded with the server stopped")
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(); err != nil {
		t.Fatalf("ping after restart: %v", err)
	}
}
