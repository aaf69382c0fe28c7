// Package testenv gives tests the real services that scripts/test.sh provides
// (a seeded PostgreSQL, tool binaries) and private PostgreSQL clusters for
// tests that must stop the database. A test whose service is missing fails
// with the variable to set; it never skips.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/pgcluster"
)

// DatabaseURL is the shared, seeded database of the test run
// ($MACROBENCH_TEST_DATABASE_URL). Other packages' tests use it at the same
// time: do not assert on server-wide counters through it.
func DatabaseURL(t testing.TB) string {
	return Env(t, "MACROBENCH_TEST_DATABASE_URL")
}

// Env returns the environment variable name, failing the test when it is unset.
func Env(t testing.TB, name string) string {
	t.Helper()
	v := os.Getenv(name)
	if v == "" {
		t.Fatalf("%s is not set: run the tests through scripts/test.sh", name)
	}
	return v
}

// RootModule is the module path of the repository's root go.mod.
const RootModule = "github.com/macrobench/macrobench"

// RepoRoot is the repository's root: the directory whose go.mod declares
// RootModule. Nested modules (internal/stackcheck) have a go.mod of their own;
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
	bin, err := pgcluster.FindBinDir()
	if err != nil {
		t.Fatal(err)
	}
	// Under /tmp, not t.TempDir: the Unix socket path must stay short.
	dir, err := os.MkdirTemp("", "mbpg-")
	if err != nil {
		t.Fatal(err)
	}
	port, err := pgcluster.FreePort()
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

// StartProcess starts cmd with its output in logPath and stops it when the
// test ends (SIGTERM, then SIGKILL after 15 s); when the test failed, the
// log's tail goes to the test output.
func StartProcess(t testing.TB, cmd *exec.Cmd, logPath string) {
	t.Helper()
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			t.Logf("%s log (tail):\n%s", filepath.Base(cmd.Path), out)
		}
	})
}
