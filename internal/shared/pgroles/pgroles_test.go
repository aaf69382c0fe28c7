package pgroles_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

func roleURL(t *testing.T, c *pgcluster.Cluster, role string) string {
	t.Helper()
	u, err := c.RoleURL(role)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// A cluster seeded from postgres/initdb and run with postgres/pg_hba.conf, as
// compose runs it: each role can do what its client needs and nothing more,
// and the superuser cannot log in over TCP with any password in the repository.
func TestRolesAsComposeRunsThem(t *testing.T) {
	ctx := context.Background()
	c := testenv.StartPostgres(t)
	if err := c.RestartWithRepoHBA(); err != nil {
		t.Fatal(err)
	}

	// The app's query runs as the app's role first, so that the statistics
	// roles have another role's statement to read.
	app := roleURL(t, c, pgroles.App)
	db, err := sql.Open("postgres", app)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(agentscontract.Query)
	if err != nil {
		t.Fatalf("the agents query as %s: %v", pgroles.App, err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if err := rows.Close(); err != nil || n != agentscontract.SeedAgents {
		t.Fatalf("the agents query as %s: %d rows (%v), want %d", pgroles.App, n, err, agentscontract.SeedAgents)
	}

	if err := pgroles.CheckApp(ctx, app); err != nil {
		t.Error(err)
	}
	if err := pgroles.CheckExporter(ctx, roleURL(t, c, pgroles.Exporter)); err != nil {
		t.Error(err)
	}
	if err := pgroles.CheckBench(ctx, roleURL(t, c, pgroles.Bench)); err != nil {
		t.Error(err)
	}

	passwords, err := pgroles.RepoPasswords(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(passwords) < 6 {
		t.Fatalf("RepoPasswords: %q, want .env's three and the well-known ones", passwords)
	}
	if err := pgroles.CheckSuperuserRejected(ctx, c.Addr(), pgroles.Superuser, passwords); err != nil {
		t.Error(err)
	}
	// Nor the lab's former superuser, nor a role with another's password, nor
	// a role in another database.
	if err := pgroles.CheckSuperuserRejected(ctx, c.Addr(), "macrobench", []string{"macrobench"}); err != nil {
		t.Error(err)
	}
	if err := pgroles.CheckSuperuserRejected(ctx, c.Addr(), pgroles.App, []string{"macrobench", "wrong"}); err != nil {
		t.Error(err)
	}
	other := strings.Replace(app, "/"+pgroles.Database+"?", "/postgres?", 1)
	if db, err := sql.Open("postgres", other); err == nil {
		if err := db.Ping(); err == nil || !strings.Contains(err.Error(), "pg_hba.conf rejects") {
			t.Errorf("%s in database postgres: %v, want pg_hba.conf's refusal", pgroles.App, err)
		}
		db.Close()
	}
}

// The checks catch what they are for: a role that may write, a statistics
// role without pg_read_all_stats, a superuser that can log in over TCP.
func TestChecksCatchTooMuchPrivilege(t *testing.T) {
	ctx := context.Background()
	c := testenv.StartPostgres(t) // the cluster's own pg_hba.conf: trust
	su, err := sql.Open("postgres", c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	for _, s := range []string{
		`GRANT INSERT ON agent_login_status TO macrobench_app`,
		`GRANT TEMPORARY ON DATABASE macrobench TO macrobench_app`,
		`REVOKE pg_read_all_stats FROM macrobench_bench`,
		`GRANT SELECT ON agentfeatures TO macrobench_exporter`,
		// another role's statement for the statistics checks to read
		`SELECT count(*) FROM agentfeatures`,
	} {
		if _, err := su.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	err = pgroles.CheckApp(ctx, roleURL(t, c, pgroles.App))
	for _, want := range []string{"macrobench_app may run \"INSERT INTO agent_login_status", "may run \"CREATE TEMP TABLE"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckApp with INSERT and TEMPORARY granted: %v, want %q", err, want)
		}
	}
	if err := pgroles.CheckBench(ctx, roleURL(t, c, pgroles.Bench)); err == nil || !strings.Contains(err.Error(), "<insufficient privilege>") {
		t.Errorf("CheckBench without pg_read_all_stats: %v, want <insufficient privilege> rows", err)
	}
	if err := pgroles.CheckExporter(ctx, roleURL(t, c, pgroles.Exporter)); err == nil || !strings.Contains(err.Error(), "SELECT count(*) FROM agentfeatures") {
		t.Errorf("CheckExporter with SELECT on agentfeatures: %v, want it named", err)
	}
	if err := pgroles.CheckSuperuserRejected(ctx, c.Addr(), pgroles.Superuser, []string{"anything"}); err == nil || !strings.Contains(err.Error(), "logged in over TCP") {
		t.Errorf("CheckSuperuserRejected under trust: %v, want a login reported", err)
	}
}

func TestDotEnvAndPasswords(t *testing.T) {
	dir := t.TempDir()
	env := "# comment\n\nPOSTGRES_APP_PASSWORD=a-1\nPOSTGRES_EXPORTER_PASSWORD=\"e 2\"\nexport POSTGRES_BENCH_PASSWORD='b3'\nOTHER_PASSWORD=o\nAPP_PORT=8000\n"
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	pw, err := pgroles.Passwords(dir, func(k string) string {
		if k == "POSTGRES_BENCH_PASSWORD" {
			return "from-shell"
		}
		return ""
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{pgroles.App: "a-1", pgroles.Exporter: "e 2", pgroles.Bench: "from-shell"}
	for role, p := range want {
		if pw[role] != p {
			t.Errorf("%s: password %q, want %q", role, pw[role], p)
		}
	}
	all, err := pgroles.RepoPasswords(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(all, ","); got != ",a-1,admin,b3,e 2,macrobench,o,postgres" {
		t.Errorf("RepoPasswords: %q", got)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("POSTGRES_APP_PASSWORD=\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := pgroles.Passwords(dir, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), "POSTGRES_APP_PASSWORD") {
		t.Errorf("empty password: %v, want an error naming POSTGRES_APP_PASSWORD", err)
	}
	if u := pgroles.URL("r", "p@ss/w", "h:1"); u != "postgres://r:p%40ss%2Fw@h:1/macrobench?sslmode=disable&connect_timeout=5" {
		t.Errorf("URL: %s", u)
	}
}

// The repository's .env: every role has a password, URL-safe as compose's
// URLs need it, and none is the superuser's former one.
func TestRepoPasswordsAreSetAndURLSafe(t *testing.T) {
	pw, err := pgroles.Passwords(testenv.RepoRoot(t), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	for role, p := range pw {
		if strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~") != "" {
			t.Errorf(".env: %s (%s): %q has characters a URL would need escaped", pgroles.PasswordVar[role], role, p)
		}
		if p == "macrobench" {
			t.Errorf(".env: %s is the former superuser's password", pgroles.PasswordVar[role])
		}
	}
}
