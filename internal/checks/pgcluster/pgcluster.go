// Package pgcluster creates, seeds, starts and stops a throwaway PostgreSQL
// cluster from the machine's server binaries, configured with the repo's
// postgres/postgresql.conf and seeded from postgres/initdb/*.sql, roles
// included (their passwords from the environment, else the repo's .env, as
// compose passes them). The test harness (scripts/test.sh) and tests that need
// a database they may stop use it. Its own pg_hba.conf trusts every local
// connection (the superuser's URL needs no password); HBAFile swaps in another,
// e.g. the repo's postgres/pg_hba.conf.
package pgcluster

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"

	"github.com/macrobench/macrobench/internal/shared/pgroles"
	"github.com/macrobench/macrobench/internal/shared/proc"
)

// Superuser and database name of every cluster, as compose creates them. The
// superuser has no password (the cluster's own pg_hba.conf trusts local
// connections); the clients' roles are pgroles'.
const (
	User     = pgroles.Superuser
	Database = pgroles.Database
)

// Cluster is one PostgreSQL data directory and the port it listens on.
type Cluster struct {
	Dir    string // holds data/, the socket and the server log
	Port   int
	BinDir string // initdb, pg_ctl, postgres
	Repo   string // repository root (postgres/ SQL and settings)
	// HBAFile, when set, is the pg_hba.conf Start uses instead of the
	// cluster's own (which trusts every local connection).
	HBAFile string
	// InitEnv, when not nil, is what Create gives the init scripts for the
	// roles' passwords instead of the POSTGRES_*_PASSWORD variables it takes
	// from the environment or .env (e.g. POSTGRES_APP_PASSWORD_FILE=...);
	// the environment's POSTGRES_*_PASSWORD and *_PASSWORD_FILE variables
	// are then left out. RoleURL still gives the environment's or .env's.
	InitEnv []string
}

// FindBinDir returns the directory holding initdb and pg_ctl: $MACROBENCH_PG_BIN,
// else the newest /usr/lib/postgresql/*/bin, else the PATH.
func FindBinDir() (string, error) {
	if d := os.Getenv("MACROBENCH_PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err != nil {
			return "", fmt.Errorf("MACROBENCH_PG_BIN=%s: no initdb there", d)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("no PostgreSQL server binaries (initdb) found: install postgresql or set MACROBENCH_PG_BIN")
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// FreePort is proc.FreePort.
//
// Deprecated: call proc.FreePort; this stays until no branch calls it here.
func FreePort() (int, error) { return proc.FreePort() }

// URL is the lib/pq connection string of the cluster's database, as the
// superuser.
func (c *Cluster) URL() string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, c.Port, Database)
}

// Addr is the cluster's host:port.
func (c *Cluster) Addr() string { return fmt.Sprintf("127.0.0.1:%d", c.Port) }

// RoleURL is the lib/pq connection string of the cluster's database as one
// of pgroles.Roles, with its password (the environment's, else .env's).
func (c *Cluster) RoleURL(role string) (string, error) {
	pw, err := pgroles.Passwords(c.Repo, os.Getenv)
	if err != nil {
		return "", err
	}
	p, ok := pw[role]
	if !ok {
		return "", fmt.Errorf("unknown role %q", role)
	}
	return pgroles.URL(role, p, c.Addr()), nil
}

func (c *Cluster) dataDir() string  { return filepath.Join(c.Dir, "data") }
func (c *Cluster) logFile() string  { return filepath.Join(c.Dir, "server.log") }
func (c *Cluster) confFile() string { return filepath.Join(c.Dir, "postgresql.conf") }

// Create runs initdb, starts the server and loads the repo's schema and seed.
func (c *Cluster) Create() error {
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	if err := c.chownForServer(c.Dir); err != nil {
		return err
	}
	// The server gets its own copy of the settings: the checkout may sit in a
	// directory the server's user cannot read (a 0700 temporary clone).
	conf, err := os.ReadFile(filepath.Join(c.Repo, "postgres", "postgresql.conf"))
	if err != nil {
		return err
	}
	if err := os.WriteFile(c.confFile(), conf, 0o644); err != nil {
		return err
	}
	if err := c.run(filepath.Join(c.BinDir, "initdb"), "-D", c.dataDir(), "-U", User,
		"--auth=trust", "--encoding=UTF8", "--locale=C"); err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	if err := c.Start(); err != nil {
		return err
	}
	if err := c.run(filepath.Join(c.BinDir, "createdb"), "-h", c.Dir, "-p", strconv.Itoa(c.Port), "-U", User, Database); err != nil {
		return fmt.Errorf("createdb: %w", err)
	}
	files, _ := filepath.Glob(filepath.Join(c.Repo, "postgres", "initdb", "*.sql"))
	sort.Strings(files)
	if len(files) == 0 {
		return fmt.Errorf("no SQL files in %s", filepath.Join(c.Repo, "postgres", "initdb"))
	}
	// The roles' passwords, as compose passes them to the postgres service.
	env := c.InitEnv
	if env == nil {
		passwords, err := pgroles.Passwords(c.Repo, os.Getenv)
		if err != nil {
			return err
		}
		for role, pw := range passwords {
			env = append(env, pgroles.PasswordVar[role]+"="+pw)
		}
	}
	for _, f := range files {
		sql, err := os.ReadFile(f) // read here and piped: see the settings' copy above
		if err != nil {
			return err
		}
		cmd := c.command(psqlPath(c.BinDir), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", c.Dir,
			"-p", strconv.Itoa(c.Port), "-U", User, "-d", Database)
		if c.InitEnv != nil {
			cmd.Env = withoutPasswordVars(cmd.Env)
		}
		cmd.Env = append(cmd.Env, env...)
		cmd.Stdin = bytes.NewReader(sql)
		if err := runCommand(cmd); err != nil {
			return fmt.Errorf("loading %s: %w", filepath.Base(f), err)
		}
	}
	return nil
}

// withoutPasswordVars is env less the roles' password variables and their
// _FILE forms.
func withoutPasswordVars(env []string) []string {
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, v := range pgroles.PasswordVar {
			if k == v || k == v+"_FILE" {
				drop = true
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	return out
}

// Start starts the server on c.Port with the repo's settings and waits until
// it accepts connections.
func (c *Cluster) Start() error {
	hba := c.HBAFile
	if hba == "" {
		hba = filepath.Join(c.dataDir(), "pg_hba.conf")
	}
	opts := strings.Join([]string{
		"-c config_file=" + c.confFile(),
		"-c hba_file=" + hba,
		"-c ident_file=" + filepath.Join(c.dataDir(), "pg_ident.conf"),
		"-c listen_addresses=127.0.0.1",
		"-c port=" + strconv.Itoa(c.Port),
		"-c unix_socket_directories=" + c.Dir,
	}, " ")
	if err := c.run(filepath.Join(c.BinDir, "pg_ctl"), "start", "-w", "-t", "60",
		"-D", c.dataDir(), "-l", c.logFile(), "-o", opts); err != nil {
		log, _ := os.ReadFile(c.logFile())
		return fmt.Errorf("pg_ctl start: %w\n%s", err, log)
	}
	return nil
}

// UseRepoHBA makes the next Start use the repository's postgres/pg_hba.conf
// (as compose does) instead of the cluster's own: the roles with their
// passwords over TCP, nobody else. Copied into the cluster's directory, where
// the server's user can read it.
func (c *Cluster) UseRepoHBA() error {
	b, err := os.ReadFile(filepath.Join(c.Repo, "postgres", "pg_hba.conf"))
	if err != nil {
		return err
	}
	path := filepath.Join(c.Dir, "pg_hba.conf")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return err
	}
	c.HBAFile = path
	return nil
}

// RestartWithRepoHBA stops the server and starts it again with the
// repository's postgres/pg_hba.conf (UseRepoHBA), as compose runs it.
func (c *Cluster) RestartWithRepoHBA() error {
	if err := c.Stop(); err != nil {
		return err
	}
	if err := c.UseRepoHBA(); err != nil {
		return err
	}
	return c.Start()
}

// Stop stops the server (fast shutdown: open connections are closed).
func (c *Cluster) Stop() error {
	if err := c.run(filepath.Join(c.BinDir, "pg_ctl"), "stop", "-w", "-m", "fast", "-D", c.dataDir()); err != nil {
		return fmt.Errorf("pg_ctl stop: %w", err)
	}
	return nil
}

// PostmasterPID is the running server's main process (from postmaster.pid),
// for tests that freeze or signal it.
func (c *Cluster) PostmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dataDir(), "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

// Destroy stops the server if it runs (removes its container, for
// StartDocker's) and removes the cluster's directory.
func (c *Cluster) Destroy() error {
	if _, err := os.Stat(filepath.Join(c.dataDir(), "postmaster.pid")); err == nil {
		_ = c.Stop()
	}
	if err := removeContainer(c.Dir); err != nil {
		return err
	}
	return os.RemoveAll(c.Dir)
}

func psqlPath(binDir string) string {
	if p := filepath.Join(binDir, "psql"); fileExists(p) {
		return p
	}
	return "psql"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// PostgreSQL refuses to run as root; as root, run its tools as the "postgres"
// system user (created by Debian's packages) and hand it the directory.
func serverUser() (*user.User, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root and no 'postgres' user to run the server as")
	}
	return u, nil
}

func (c *Cluster) chownForServer(dir string) error {
	u, err := serverUser()
	if err != nil || u == nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	// The parents must be traversable by that user too (t.TempDir makes 0700 ones).
	for d := filepath.Dir(dir); d != "/" && d != "."; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			_ = os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
	return os.Chown(dir, uid, gid)
}

func (c *Cluster) run(name string, args ...string) error {
	return runCommand(c.command(name, args...))
}

// command prepares one of PostgreSQL's tools, as the server's user when root.
func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if u, _ := serverUser(); u != nil {
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}}
		cmd.Dir = c.Dir
	}
	return cmd
}

func runCommand(cmd *exec.Cmd) error {
	if _, err := serverUser(); err != nil {
		return err
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
