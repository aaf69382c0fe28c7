package pgcluster_test

import (
	"database/sql"
	"testing"

	_ "github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/testenv"
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

	var agents int
	var first, last string
	if err := db.QueryRow(`SELECT count(*), min(number), max(number) FROM agentfeatures WHERE numgroup = 1 AND context = 'default'`).Scan(&agents, &first, &last); err != nil {
		t.Fatal(err)
	}
	if agents != 50 || first != "300" || last != "349" {
		t.Fatalf("seed: got %d agents %s..%s, want 50 agents 300..349", agents, first, last)
	}
	var logins int
	if err := db.QueryRow(`SELECT count(*) FROM agent_login_status`).Scan(&logins); err != nil {
		t.Fatal(err)
	}
	if logins != 0 {
		t.Fatalf("agent_login_status has %d rows, want 0", logins)
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
