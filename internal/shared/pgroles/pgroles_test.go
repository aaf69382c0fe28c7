package pgroles_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
	"github.com/macrobench/macrobench/internal/shared/proc"
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

	// The agents' own passwords are not the app's to read.
	if _, err := db.Exec(`SELECT passwd FROM agentfeatures`); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("SELECT passwd FROM agentfeatures as %s: %v, want permission denied", pgroles.App, err)
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
		`GRANT SELECT (passwd) ON agentfeatures TO macrobench_app`,
		`ALTER ROLE macrobench_app CONNECTION LIMIT -1`,
		`REVOKE pg_read_all_stats FROM macrobench_bench`,
		`ALTER ROLE macrobench_bench RESET statement_timeout`,
		`GRANT SELECT ON agentfeatures TO macrobench_exporter`,
		// another role's statement for the statistics checks to read
		`SELECT count(*) FROM agentfeatures`,
	} {
		if _, err := su.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	err = pgroles.CheckApp(ctx, roleURL(t, c, pgroles.App))
	for _, want := range []string{"macrobench_app may run \"INSERT INTO agent_login_status", "may run \"CREATE TEMP TABLE",
		"may run \"SELECT passwd FROM agentfeatures\"", "macrobench_app: CONNECTION LIMIT -1, want 128"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckApp with INSERT, TEMPORARY and passwd granted, no connection limit: %v, want %q", err, want)
		}
	}
	err = pgroles.CheckBench(ctx, roleURL(t, c, pgroles.Bench))
	for _, want := range []string{"<insufficient privilege>", "macrobench_bench: statement_timeout 0, want 30s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CheckBench without pg_read_all_stats nor statement_timeout: %v, want %q", err, want)
		}
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

// pg_stat_statements keeps no password: not the roles' from the init
// scripts, not one set later with ALTER ROLE (a utility statement, which
// pg_stat_statements would keep verbatim: postgresql.conf has
// track_utility off), though it does keep the agents query.
func TestStatementStatisticsKeepNoPassword(t *testing.T) {
	c := testenv.StartPostgres(t)
	su, err := sql.Open("postgres", c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	secret := fmt.Sprintf("x-leak-probe-%d", time.Now().UnixNano())
	if _, err := su.Exec(`ALTER ROLE macrobench_app PASSWORD '` + secret + `'`); err != nil {
		t.Fatal(err)
	}
	app, err := sql.Open("postgres", roleURL(t, c, pgroles.App)) // trust: any password
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	if _, err := app.Exec(agentscontract.Query); err != nil {
		t.Fatal(err)
	}

	bench, err := sql.Open("postgres", roleURL(t, c, pgroles.Bench))
	if err != nil {
		t.Fatal(err)
	}
	defer bench.Close()
	var agents int
	if err := bench.QueryRow(`SELECT count(*) FROM pg_stat_statements WHERE query LIKE '%FROM agentfeatures af LEFT JOIN agent_login_status als%'`).Scan(&agents); err != nil || agents == 0 {
		t.Fatalf("pg_stat_statements as %s: %d rows of the agents query (%v), want some: nothing would show a leak", pgroles.Bench, agents, err)
	}
	passwords, err := pgroles.Passwords(testenv.RepoRoot(t), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	for who, pw := range map[string]string{"ALTER ROLE's": secret, pgroles.App: passwords[pgroles.App],
		pgroles.Exporter: passwords[pgroles.Exporter], pgroles.Bench: passwords[pgroles.Bench]} {
		var leaks []string
		rows, err := bench.Query(`SELECT query FROM pg_stat_statements WHERE strpos(query, $1) > 0`, pw)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var q string
			if err := rows.Scan(&q); err != nil {
				t.Fatal(err)
			}
			leaks = append(leaks, q)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		if len(leaks) > 0 {
			t.Errorf("pg_stat_statements keeps %s password in %d statement(s): %q", who, len(leaks), leaks)
		}
	}
}

// Each role has its connection limit and statement_timeout, the limits
// together fit the server's connections less the superuser's reserve, and
// the app's role gets no connection past its limit.
func TestConnectionLimitsAndTimeouts(t *testing.T) {
	ctx := context.Background()
	c := testenv.StartPostgres(t)
	su, err := sql.Open("postgres", c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer su.Close()
	sum := 0
	for _, role := range pgroles.Roles {
		var limit int
		var config []string
		if err := su.QueryRow(`SELECT rolconnlimit, coalesce(rolconfig, '{}') FROM pg_roles WHERE rolname = $1`, role).Scan(&limit, pq.Array(&config)); err != nil {
			t.Fatal(err)
		}
		if limit != pgroles.ConnLimit[role] || limit < 1 {
			t.Errorf("%s: CONNECTION LIMIT %d, want %d", role, limit, pgroles.ConnLimit[role])
		}
		if want := []string{"statement_timeout=" + pgroles.StatementTimeout[role]}; !slices.Equal(config, want) {
			t.Errorf("%s: rolconfig %q, want %q", role, config, want)
		}
		sum += limit

		db, err := sql.Open("postgres", roleURL(t, c, role))
		if err != nil {
			t.Fatal(err)
		}
		var timeout string
		err = db.QueryRow(`SHOW statement_timeout`).Scan(&timeout)
		db.Close()
		if err != nil || timeout != pgroles.StatementTimeout[role] {
			t.Errorf("SHOW statement_timeout as %s: %q (%v), want %s", role, timeout, err, pgroles.StatementTimeout[role])
		}
	}
	// Every role that may log in, besides the superuser, is one of ours.
	var others int
	if err := su.QueryRow(`SELECT count(*) FROM pg_roles WHERE rolcanlogin AND NOT rolsuper AND NOT rolname = ANY($1)`, pq.Array(pgroles.Roles)).Scan(&others); err != nil || others != 0 {
		t.Errorf("%d other login roles (%v), want none", others, err)
	}
	var maxConn, reserved int
	if err := su.QueryRow(`SELECT current_setting('max_connections')::int, current_setting('superuser_reserved_connections')::int`).Scan(&maxConn, &reserved); err != nil {
		t.Fatal(err)
	}
	if sum > maxConn-reserved {
		t.Errorf("the roles' connection limits add up to %d, more than max_connections %d - superuser_reserved_connections %d", sum, maxConn, reserved)
	}

	// The app's role: its limit's worth of connections, then a refusal.
	limit := pgroles.ConnLimit[pgroles.App]
	app, err := sql.Open("postgres", roleURL(t, c, pgroles.App))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	app.SetMaxOpenConns(limit + 1)
	var held []*sql.Conn
	defer func() {
		for _, conn := range held {
			conn.Close()
		}
	}()
	for i := 0; i < limit; i++ {
		conn, err := app.Conn(ctx)
		if err == nil {
			err = conn.PingContext(ctx)
		}
		if err != nil {
			t.Fatalf("connection %d of %d as %s: %v", i+1, limit, pgroles.App, err)
		}
		held = append(held, conn)
	}
	conn, err := app.Conn(ctx)
	if err == nil {
		err = conn.PingContext(ctx)
		held = append(held, conn)
	}
	var pe *pq.Error
	if !errors.As(err, &pe) || pe.Code != "53300" || !strings.Contains(pe.Message, "too many connections for role") {
		t.Errorf("connection %d as %s: %v, want %q (SQLSTATE 53300)", limit+1, pgroles.App, err, "too many connections for role")
	}
}

// newCluster creates and seeds a private cluster whose init scripts get env
// for the roles' passwords (pgcluster.Cluster.InitEnv), removed when the
// test ends; Create's error is returned, not fatal.
func newCluster(t *testing.T, env []string) (*pgcluster.Cluster, error) {
	t.Helper()
	bin := testenv.PostgresBinDir(t)
	dir, err := os.MkdirTemp("", "mbpg-") // under /tmp: a short socket path
	if err != nil {
		t.Fatal(err)
	}
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := &pgcluster.Cluster{Dir: dir, Port: port, BinDir: bin, Repo: testenv.RepoRoot(t), InitEnv: env}
	t.Cleanup(func() {
		if err := c.Destroy(); err != nil {
			t.Errorf("removing cluster: %v", err)
		}
	})
	return c, c.Create()
}

// passwordFiles writes one file per content, readable by the server's user
// (the init scripts run as it), and returns their paths.
func passwordFiles(t *testing.T, contents ...string) []string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mbpw-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i, s := range contents {
		p := filepath.Join(dir, fmt.Sprintf("pw%d", i))
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	return paths
}

// The init scripts take each role's password from the file its _FILE
// variable names (a Swarm secret), less one trailing newline; both forms for
// one role, neither, or an unreadable file stop them with a line naming the
// variable.
func TestRolesFromPasswordFiles(t *testing.T) {
	t.Run("files", func(t *testing.T) {
		t.Parallel()
		ctx := context.Background()
		want := map[string]string{pgroles.App: "app-from-file", pgroles.Exporter: "exporter-from-file", pgroles.Bench: "bench.from~file"}
		files := passwordFiles(t, want[pgroles.App]+"\n", want[pgroles.Exporter]+"\n", want[pgroles.Bench])
		var env []string
		for i, role := range pgroles.Roles {
			env = append(env, pgroles.PasswordVar[role]+"_FILE="+files[i])
		}
		c, err := newCluster(t, env)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.RestartWithRepoHBA(); err != nil { // passwords checked, as compose runs it
			t.Fatal(err)
		}
		repo, err := pgroles.Passwords(testenv.RepoRoot(t), os.Getenv)
		if err != nil {
			t.Fatal(err)
		}
		for _, role := range pgroles.Roles {
			db, err := sql.Open("postgres", pgroles.URL(role, want[role], c.Addr()))
			if err == nil {
				err = db.PingContext(ctx)
				db.Close()
			}
			if err != nil {
				t.Errorf("%s with its file's password %q: %v", role, want[role], err)
			}
			for _, bad := range []string{want[role] + "\n", repo[role]} {
				db, err := sql.Open("postgres", pgroles.URL(role, bad, c.Addr()))
				if err == nil {
					err = db.PingContext(ctx)
					db.Close()
				}
				if err == nil || !strings.Contains(err.Error(), "password authentication failed") {
					t.Errorf("%s with the password %q: %v, want password authentication failed", role, bad, err)
				}
			}
		}
	})
	files := passwordFiles(t, "a", "e", "b")
	fileEnv := []string{"POSTGRES_APP_PASSWORD_FILE=" + files[0], "POSTGRES_EXPORTER_PASSWORD_FILE=" + files[1], "POSTGRES_BENCH_PASSWORD_FILE=" + files[2]}
	for name, tc := range map[string]struct {
		env  []string
		want string
	}{
		"both": {append([]string{"POSTGRES_EXPORTER_PASSWORD=e"}, fileEnv...),
			"03-roles.sql: both POSTGRES_EXPORTER_PASSWORD and POSTGRES_EXPORTER_PASSWORD_FILE are set"},
		"neither": {fileEnv[1:],
			"03-roles.sql: POSTGRES_APP_PASSWORD is not set (compose takes it from .env), nor POSTGRES_APP_PASSWORD_FILE"},
		"unreadable": {append([]string{"POSTGRES_BENCH_PASSWORD_FILE=/nonexistent/macrobench-bench"}, fileEnv[:2]...),
			"03-roles.sql: the file POSTGRES_BENCH_PASSWORD_FILE names is empty or unreadable"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := newCluster(t, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("init scripts with %q: %v, want %q", tc.env, err, tc.want)
			}
		})
	}
}
