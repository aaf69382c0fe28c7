// Package testenv gives tests the real services that scripts/test.sh provides
// and private PostgreSQL clusters for tests that must stop the database.
//
// The services, and what provides them:
//
//   - the shared, seeded database: MACROBENCH_TEST_DATABASE_URL (DatabaseURL);
//     scripts/test.sh starts a throwaway cluster and exports it;
//   - PostgreSQL's server binaries (StartPostgres, PostgresBinDir):
//     MACROBENCH_PG_BIN, /usr/lib/postgresql/*/bin or the PATH;
//   - tool binaries (Env): MACROBENCH_PROMETHEUS_BIN,
//     MACROBENCH_POSTGRES_EXPORTER_BIN and MACROBENCH_NODE_EXPORTER_BIN, from
//     scripts/build-tools.sh.
//
// When one is missing, the test
//
//   - skips with one line naming scripts/test.sh, under a plain
//     `go test ./...`, so the tests that need nothing still give an answer;
//   - fails, when services are required: under CI (CI set, e.g. CI=true) or
//     with MACROBENCH_REQUIRE_SERVICES=1, which scripts/test.sh sets. A CI run
//     can never pass by skipping. ("", "0" and "false" mean not set.)
//
// One kind of service is the exception: a service that only the official
// images provide (Grafana: it has no registry-free stand-in, so CI never
// has one). OfficialEnv skips for want of it, under CI too, saying that the
// test did not run and where the gap is written down (docs/dashboards.md);
// with MACROBENCH_REQUIRE_OFFICIAL=1 (a machine that runs the official
// images) it fails instead.
//
// Tests reach those services only through this package, so that the policy
// holds everywhere. The servers a test starts itself go through
// StartProcess or StartServer (internal/shared/proc: stopped when the test ends,
// their log shown when it failed), on an address from FreeAddr; WaitHTTP
// waits for one to answer (internal/shared/proc.WaitHTTPOK).
package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/shared/proc"
)

// RequireVar, when set, turns a missing service into a failure (as CI does).
const RequireVar = "MACROBENCH_REQUIRE_SERVICES"

// Required reports whether a missing service fails the test rather than
// skipping it: $CI or $MACROBENCH_REQUIRE_SERVICES is set.
func Required() bool {
	return isSet("CI") || isSet(RequireVar)
}

func isSet(name string) bool {
	switch strings.ToLower(strings.TrimSpace(os.Getenv(name))) {
	case "", "0", "false", "no", "off":
		return false
	}
	return true
}

// Missing ends the test for want of a service described by format: a skip,
// or a failure when services are Required.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	what := fmt.Sprintf(format, args...)
	if Required() {
		t.Fatalf("%s (services are required: CI or %s is set; scripts/test.sh provides them)", what, RequireVar)
	}
	t.Skipf("skipped: %s; run the tests through scripts/test.sh", what)
}

// OfficialVar, when set, turns a missing official-image-only service
// (OfficialEnv) into a failure.
const OfficialVar = "MACROBENCH_REQUIRE_OFFICIAL"

// OfficialEnv returns the value of the environment variable name, which
// points the test at a service that only the official images provide (what
// describes it).
// Unset, the test skips, under CI too (CI cannot have the service), with a
// line saying that it did not run and what is therefore unproven; with
// OfficialVar set, it fails.
func OfficialEnv(t testing.TB, name, what string) string {
	t.Helper()
	v := os.Getenv(name)
	if v != "" {
		return v
	}
	msg := fmt.Sprintf("%s is not set: %s not checked; it runs only where the official images do "+
		"(never in CI; what is unproven without it: docs/dashboards.md)", name, what)
	if isSet(OfficialVar) {
		t.Fatalf("%s (%s is set)", msg, OfficialVar)
	}
	t.Skipf("NOT RUN: %s", msg)
	return ""
}

// DatabaseURL is the shared, seeded database of the test run
// ($MACROBENCH_TEST_DATABASE_URL). Other packages' tests use it at the same
// time: do not assert on server-wide counters through it.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return Env(t, "MACROBENCH_TEST_DATABASE_URL")
}

// Env returns the environment variable name; when it is unset the service is
// Missing.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		Missing(t, "%s is not set", name)
	}
	return v
}

// PostgresBinDir is the directory of PostgreSQL's server binaries (initdb,
// pg_ctl); when there is none the service is Missing.
func PostgresBinDir(t testing.TB) string {
	t.Helper()
	bin, err := pgcluster.FindBinDir()
	if err != nil {
		Missing(t, "%v", err)
	}
	return bin
}

// RootModule is the module path of the repository's root go.mod.
const RootModule = "github.com/macrobench/macrobench"

// RepoRoot is the repository's root: the directory whose go.mod declares
// RootModule. Nested modules (internal/checks/stackcheck) have a go.mod of their own;
// the search goes past them.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && declaresModule(b, RootModule) {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod of module %s above the test's directory", RootModule)
		}
		dir = parent
	}
}

// declaresModule reports whether the go.mod text gomod has `module path`.
func declaresModule(gomod []byte, path string) bool {
	for _, line := range strings.Split(string(gomod), "\n") {
		if f := strings.Fields(line); len(f) == 2 && f[0] == "module" && strings.Trim(f[1], `"`) == path {
			return true
		}
	}
	return false
}

// StartPostgres creates, seeds and starts a private cluster that only this
// test uses (so it may stop it, or count its backends), and removes it when
// the test ends.
func StartPostgres(t testing.TB) *pgcluster.Cluster {
	t.Helper()
	bin := PostgresBinDir(t)
	// Under /tmp, not t.TempDir: the Unix socket path must stay short.
	dir, err := os.MkdirTemp("", "mbpg-")
	if err != nil {
		t.Fatal(err)
	}
	port, err := proc.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	c := &pgcluster.Cluster{Dir: dir, Port: port, BinDir: bin, Repo: RepoRoot(t)}
	t.Cleanup(func() {
		if err := c.Destroy(); err != nil {
			t.Errorf("removing cluster: %v", err)
		}
	})
	if err := c.Create(); err != nil {
		t.Fatalf("private PostgreSQL: %v", err)
	}
	return c
}

// PostmasterPID is c's main server process.
func PostmasterPID(t testing.TB, c *pgcluster.Cluster) int {
	t.Helper()
	pid, err := c.PostmasterPID()
	if err != nil {
		t.Fatalf("postmaster pid: %v", err)
	}
	return pid
}

// StartProcess starts cmd (internal/shared/proc) with its output in logPath and
// stops it when the test ends (SIGTERM, then SIGKILL after 15 s); when the
// test failed, the log's tail goes to the test output.
func StartProcess(t testing.TB, cmd *exec.Cmd, logPath string) *proc.Process {
	t.Helper()
	p, err := proc.Start(cmd, logPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = p.Stop(15 * time.Second)
		if t.Failed() {
			t.Logf("%s log (tail):\n%s", p.Name(), p.LogTail(4000))
		}
	})
	return p
}

// StartServer is StartProcess, then a wait (proc.WaitHTTP) until url
// answers 200: the test fails when it does not within timeout.
func StartServer(t testing.TB, cmd *exec.Cmd, logPath, url string, timeout time.Duration) *proc.Process {
	t.Helper()
	p := StartProcess(t, cmd, logPath)
	if err := p.WaitHTTP(context.Background(), url, timeout); err != nil {
		t.Fatal(err)
	}
	return p
}

// FreeAddr is a free address on 127.0.0.1 for a server the test starts
// (proc.FreeAddr).
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := proc.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// WaitHTTP waits until url answers 200 (proc.WaitHTTPOK); the test fails when
// it does not within timeout.
func WaitHTTP(t testing.TB, url string, timeout time.Duration) {
	t.Helper()
	if err := proc.WaitHTTPOK(context.Background(), url, timeout); err != nil {
		t.Fatal(err)
	}
}
