// Package pgroles names the lab's PostgreSQL roles (postgres/initdb/03-roles.sql,
// admitted over TCP by postgres/pg_hba.conf), finds their passwords where
// compose does (the environment, else the repository's .env), and checks on a
// live server that each role can do what its client needs and no more, and
// that the superuser cannot log in over TCP. The tests (on a throwaway
// cluster) and the end-to-end run (on the compose stack) use the same checks.
package pgroles

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lib/pq"
)

// The database, its superuser (compose's POSTGRES_USER) and the clients' roles.
const (
	Database  = "macrobench"
	Superuser = "postgres"
	App       = "macrobench_app"      // the app and the original: reads the agents query's columns
	Exporter  = "macrobench_exporter" // postgres-exporter: pg_monitor
	Bench     = "macrobench_bench"    // the bench: pg_read_all_stats, reads the agents query's columns
)

// Roles are the clients' roles, in a fixed order.
var Roles = []string{App, Exporter, Bench}

// PasswordVar is the variable (.env, compose's environment) holding a role's
// password. The init scripts also take PasswordVar+"_FILE", naming a file
// that holds it (a Swarm secret), instead.
var PasswordVar = map[string]string{
	App:      "POSTGRES_APP_PASSWORD",
	Exporter: "POSTGRES_EXPORTER_PASSWORD",
	Bench:    "POSTGRES_BENCH_PASSWORD",
}

// Tables are the tables the agents query reads: the app and the bench may
// read the query's columns of them (Columns), nothing else.
var Tables = []string{"agentfeatures", "agent_login_status"}

// Columns are the columns the agents query reads, by table: all the app and
// the bench may SELECT (postgres/initdb/03-roles.sql grants no more).
var Columns = map[string][]string{
	"agentfeatures":      {"id", "number"},
	"agent_login_status": {"agent_id", "extension", "context", "state_interface"},
}

// ConnLimit is each role's CONNECTION LIMIT (03-roles.sql says why each);
// together they stay within max_connections less
// superuser_reserved_connections (postgres/postgresql.conf: 200 - 3).
var ConnLimit = map[string]int{App: 128, Exporter: 5, Bench: 24}

// StatementTimeout is each role's statement_timeout, as SHOW prints it in a
// session that sets none of its own (03-roles.sql says why each).
var StatementTimeout = map[string]string{App: "10s", Exporter: "5s", Bench: "30s"}

// DotEnv reads a compose .env file: KEY=VALUE lines, blank lines and #
// comments skipped, one pair of surrounding quotes removed.
func DotEnv(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(line, "export "), "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		vars[strings.TrimSpace(k)] = v
	}
	return vars, sc.Err()
}

// Passwords are the roles' passwords as compose passes them: getenv's value
// when not empty, else repo/.env's.
func Passwords(repo string, getenv func(string) string) (map[string]string, error) {
	dotenv, err := DotEnv(filepath.Join(repo, ".env"))
	if err != nil {
		return nil, err
	}
	pw := map[string]string{}
	for _, role := range Roles {
		v := PasswordVar[role]
		if s := getenv(v); s != "" {
			pw[role] = s
		} else if s := dotenv[v]; s != "" {
			pw[role] = s
		} else {
			return nil, fmt.Errorf("%s: no %s (the password of %s)", filepath.Join(repo, ".env"), v, role)
		}
	}
	return pw, nil
}

// RepoPasswords is every password written in the repository: the values of
// .env's *PASSWORD* variables, and the well-known ones the lab used or could be
// guessed to use (the superuser's must work with none of them).
func RepoPasswords(repo string) ([]string, error) {
	dotenv, err := DotEnv(filepath.Join(repo, ".env"))
	if err != nil {
		return nil, err
	}
	set := map[string]bool{"": true, "macrobench": true, "postgres": true, "admin": true}
	for k, v := range dotenv {
		if strings.Contains(k, "PASSWORD") {
			set[v] = true
		}
	}
	out := make([]string, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	sort.Strings(out)
	return out, nil
}

// URL is a lib/pq URL for user at hostport (host:port), in the lab's database.
func URL(user, password, hostport string) string {
	u := url.URL{Scheme: "postgres", Host: hostport, Path: "/" + Database, RawQuery: "sslmode=disable&connect_timeout=5"}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// open connects (one connection) and checks that it works.
func open(ctx context.Context, dsn string) (*sql.DB, error) {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// errCode is the SQLSTATE of a PostgreSQL error ("" for any other error).
func errCode(err error) string {
	var pe *pq.Error
	if errors.As(err, &pe) {
		return string(pe.Code)
	}
	return ""
}

// insufficientPrivilege is SQLSTATE 42501.
const insufficientPrivilege = "42501"

// refused runs each statement in a transaction that is rolled back, and
// reports those PostgreSQL did not refuse for want of privilege.
func refused(ctx context.Context, db *sql.DB, who string, stmts []string) []error {
	var errs []error
	for _, s := range stmts {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		_, err = tx.ExecContext(ctx, s)
		_ = tx.Rollback()
		switch {
		case err == nil:
			errs = append(errs, fmt.Errorf("%s may run %q (rolled back), want permission denied", who, s))
		case errCode(err) != insufficientPrivilege:
			errs = append(errs, fmt.Errorf("%s: %q failed with %v, want permission denied (SQLSTATE 42501)", who, s, err))
		}
	}
	return errs
}

// privileged are the built-in roles that reach outside the database (files,
// programs) or write what others read.
var privileged = []string{"pg_execute_server_program", "pg_read_server_files", "pg_write_server_files",
	"pg_write_all_data", "pg_signal_backend", "pg_checkpoint"}

// checkNotPrivileged: the connected role is no superuser, cannot create
// roles or databases, and has none of the privileged built-in roles.
func checkNotPrivileged(ctx context.Context, db *sql.DB, who string) []error {
	var super, createRole, createDB, replication, bypassRLS bool
	err := db.QueryRowContext(ctx, `SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls
		FROM pg_roles WHERE rolname = current_user`).Scan(&super, &createRole, &createDB, &replication, &bypassRLS)
	if err != nil {
		return []error{fmt.Errorf("%s: reading its attributes: %v", who, err)}
	}
	var errs []error
	if super || createRole || createDB || replication || bypassRLS {
		errs = append(errs, fmt.Errorf("%s: superuser=%v createrole=%v createdb=%v replication=%v bypassrls=%v, want none",
			who, super, createRole, createDB, replication, bypassRLS))
	}
	for _, r := range privileged {
		var has bool
		if err := db.QueryRowContext(ctx, `SELECT pg_has_role(current_user, $1, 'USAGE')`, r).Scan(&has); err != nil {
			errs = append(errs, fmt.Errorf("%s: pg_has_role(%s): %v", who, r, err))
		} else if has {
			errs = append(errs, fmt.Errorf("%s has the privileges of %s", who, r))
		}
	}
	return errs
}

// writes are statements a read-only client must be refused: writes to the
// tables, new objects (tables, temporary ones, large objects), the sequence,
// and running a program on the server.
var writes = []string{
	`INSERT INTO agent_login_status (agent_id, agent_number, extension, context, interface, state_interface)
	 SELECT id, number, 'x', 'x', 'x', 'x' FROM agentfeatures LIMIT 1`,
	`UPDATE agentfeatures SET description = description`,
	`DELETE FROM agent_login_status`,
	`TRUNCATE agent_login_status`,
	`CREATE TABLE macrobench_probe (i int)`,
	`CREATE TEMP TABLE macrobench_probe (i int)`,
	`SELECT nextval('agentfeatures_id_seq')`,
	`SELECT lo_create(0)`,
	`COPY (SELECT 1) TO PROGRAM 'true'`,
}

// unreadable are reads of columns the agents query does not need, which the
// app and the bench must be refused: the agents' passwords first.
var unreadable = []string{
	`SELECT passwd FROM agentfeatures`,
	`SELECT * FROM agentfeatures`,
	`SELECT * FROM agent_login_status`,
}

// checkLimits: the connected role has its CONNECTION LIMIT (ConnLimit) and
// its statement_timeout (StatementTimeout) in this session.
func checkLimits(ctx context.Context, db *sql.DB, role string) []error {
	var errs []error
	var limit int
	if err := db.QueryRowContext(ctx, `SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user`).Scan(&limit); err != nil {
		errs = append(errs, fmt.Errorf("%s: reading its connection limit: %v", role, err))
	} else if limit != ConnLimit[role] {
		errs = append(errs, fmt.Errorf("%s: CONNECTION LIMIT %d, want %d", role, limit, ConnLimit[role]))
	}
	var timeout string
	if err := db.QueryRowContext(ctx, `SHOW statement_timeout`).Scan(&timeout); err != nil {
		errs = append(errs, fmt.Errorf("%s: SHOW statement_timeout: %v", role, err))
	} else if timeout != StatementTimeout[role] {
		errs = append(errs, fmt.Errorf("%s: statement_timeout %s, want %s", role, timeout, StatementTimeout[role]))
	}
	return errs
}

// readTables reads both tables and the agents query's shape.
func readTables(ctx context.Context, db *sql.DB, who string) []error {
	var errs []error
	for _, table := range Tables {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
			errs = append(errs, fmt.Errorf("%s cannot read %s: %v", who, table, err))
		}
	}
	return errs
}

// CheckApp checks the app's role at dsn: it reads the agents query's columns
// of the two tables (also through a prepared statement, as the app's pool
// does) and nothing else: agentfeatures.passwd, every other column, every
// write, new object and COPY TO PROGRAM are refused; it has its connection
// limit and statement_timeout.
func CheckApp(ctx context.Context, dsn string) error {
	db, err := open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("%s: %w", App, err)
	}
	defer db.Close()
	errs := readTables(ctx, db, App)
	if st, err := db.PrepareContext(ctx, `SELECT af.number FROM agentfeatures af LEFT JOIN agent_login_status als ON als.agent_id = af.id WHERE af.id > $1`); err != nil {
		errs = append(errs, fmt.Errorf("%s cannot prepare a query of the two tables: %v", App, err))
	} else {
		rows, err := st.QueryContext(ctx, 0)
		if err == nil {
			err = rows.Close()
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s cannot run a prepared query of the two tables: %v", App, err))
		}
		st.Close()
	}
	errs = append(errs, checkNotPrivileged(ctx, db, App)...)
	errs = append(errs, checkLimits(ctx, db, App)...)
	errs = append(errs, refused(ctx, db, App, append(append([]string{}, unreadable...), writes...))...)
	return errors.Join(errs...)
}

// statsVisible checks that the connected role reads pg_stat_statements with
// every role's query text (pg_read_all_stats): after a statement of another
// role has run, no row reads "<insufficient privilege>".
func statsVisible(ctx context.Context, db *sql.DB, who string) []error {
	var hidden, total int
	err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE query = '<insufficient privilege>'), count(*)
		FROM pg_stat_statements`).Scan(&hidden, &total)
	switch {
	case err != nil:
		return []error{fmt.Errorf("%s cannot read pg_stat_statements: %v", who, err)}
	case total == 0:
		return []error{fmt.Errorf("%s: pg_stat_statements is empty (nothing to tell whether it sees other roles' statements)", who)}
	case hidden > 0:
		return []error{fmt.Errorf("%s: %d of %d pg_stat_statements rows read <insufficient privilege> (want pg_read_all_stats)", who, hidden, total)}
	}
	var errs []error
	for _, q := range []string{
		`SELECT sessions FROM pg_stat_database WHERE datname = current_database()`,
		`SELECT count(*) FROM pg_stat_activity`,
		`SELECT current_setting('max_connections')`,
	} {
		var s sql.NullString
		if err := db.QueryRowContext(ctx, q).Scan(&s); err != nil {
			errs = append(errs, fmt.Errorf("%s: %s: %v", who, q, err))
		}
	}
	return errs
}

// CheckExporter checks the exporter's role at dsn: it has pg_monitor, reads
// pg_stat_statements with every role's query text and the server's
// statistics, cannot read the tables or write, and has its connection limit
// and statement_timeout.
func CheckExporter(ctx context.Context, dsn string) error {
	db, err := open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("%s: %w", Exporter, err)
	}
	defer db.Close()
	var errs []error
	var monitor bool
	if err := db.QueryRowContext(ctx, `SELECT pg_has_role(current_user, 'pg_monitor', 'USAGE')`).Scan(&monitor); err != nil || !monitor {
		errs = append(errs, fmt.Errorf("%s: not a member of pg_monitor (%v)", Exporter, err))
	}
	errs = append(errs, statsVisible(ctx, db, Exporter)...)
	// pg_monitor's own: settings only pg_read_all_settings may read.
	var s string
	if err := db.QueryRowContext(ctx, `SELECT current_setting('hba_file')`).Scan(&s); err != nil {
		errs = append(errs, fmt.Errorf("%s cannot read the server's settings (pg_read_all_settings): %v", Exporter, err))
	}
	errs = append(errs, checkNotPrivileged(ctx, db, Exporter)...)
	errs = append(errs, checkLimits(ctx, db, Exporter)...)
	errs = append(errs, refused(ctx, db, Exporter, append([]string{`SELECT count(*) FROM agentfeatures`}, writes...))...)
	return errors.Join(errs...)
}

// CheckBench checks the bench's role at dsn: it reads pg_stat_statements with
// every role's query text, pg_stat_database and settings (its evidence) and
// the agents query's columns (its pgbench ceilings), no other column, cannot
// write, and has its connection limit and statement_timeout.
func CheckBench(ctx context.Context, dsn string) error {
	db, err := open(ctx, dsn)
	if err != nil {
		return fmt.Errorf("%s: %w", Bench, err)
	}
	defer db.Close()
	errs := readTables(ctx, db, Bench)
	errs = append(errs, statsVisible(ctx, db, Bench)...)
	errs = append(errs, checkNotPrivileged(ctx, db, Bench)...)
	errs = append(errs, checkLimits(ctx, db, Bench)...)
	errs = append(errs, refused(ctx, db, Bench, append(append([]string{}, unreadable...), writes...))...)
	return errors.Join(errs...)
}

// CheckSuperuserRejected checks that user (the superuser) cannot log in over
// TCP at hostport with any of passwords: each attempt must be refused by
// pg_hba.conf or by authentication (SQLSTATE 28000 or 28P01), not fail for
// any other reason that would hide the answer.
func CheckSuperuserRejected(ctx context.Context, hostport, user string, passwords []string) error {
	var errs []error
	for _, pw := range passwords {
		db, err := open(ctx, URL(user, pw, hostport))
		if err == nil {
			db.Close()
			errs = append(errs, fmt.Errorf("%s logged in over TCP at %s with the password %q", user, hostport, pw))
			continue
		}
		if c := errCode(err); c != "28000" && c != "28P01" {
			errs = append(errs, fmt.Errorf("%s at %s with password %q: %v (want a refusal: SQLSTATE 28000 or 28P01)", user, hostport, pw, err))
		}
	}
	return errors.Join(errs...)
}
