package stackcheck

import (
	"fmt"
	"github.com/macrobench/macrobench/internal/lab/swarm"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// The bench's runner container (scripts/runner/run.sh, for machines without
// Go) passes through every variable the lab's compose and stack files and
// .env define and every one the bench reads, so that an override in the
// shell (APP_PORT=18000 scripts/bench.sh, POSTGRES_EXPORTER_PORT on a swarm)
// reaches the bench as it does natively. DOCKER_HOST, which the bench reads
// too, is runner_engine's: a tcp:// engine is passed in by value, a unix://
// socket is mounted at the default path instead.
func TestRunnerPassesTheLabsVariables(t *testing.T) {
	root := testenv.RepoRoot(t)
	script, err := os.ReadFile(filepath.Join(root, "scripts", "runner", "run.sh"))
	if err != nil {
		t.Fatal(err)
	}
	list := regexp.MustCompile(`(?s)\nrunner_env=\(([^)]*)\)`).FindSubmatch(script)
	if list == nil {
		t.Fatal("scripts/runner/run.sh: no runner_env=(...) list")
	}
	passed := strings.Fields(string(list[1]))

	want := map[string]string{}
	read := func(rel string, re *regexp.Regexp) {
		b, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			want[m[1]] = rel
		}
	}
	interpolated := regexp.MustCompile(`\$\{([A-Z_][A-Z0-9_]*)`)
	for _, f := range []string{"compose.yaml", "scripts/e2e/compose.standins.yaml", "swarm.yaml", "scripts/e2e/swarm.standins.yaml"} {
		read(f, interpolated)
	}
	read(".env", regexp.MustCompile(`(?m)^([A-Z_][A-Z0-9_]*)=`))
	// The bench's own reads: its command and the lab's and shared packages
	// it is built from (not the generator's: internal/loadgen's knobs are
	// its own process's).
	getenv := regexp.MustCompile(`(?:Getenv|LookupEnv|envOr|\.env)\("([A-Z_][A-Z0-9_]*)"`)
	goFiles := 0
	for _, dir := range []string{"internal/cmd/bench", "internal/lab", "internal/shared"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			read(rel, getenv)
			goFiles++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// The bench's sources moved once and this check read nothing for a
	// while: a variable it must find proves it reads them.
	if goFiles == 0 || want["MACROBENCH_PROMETHEUS_URL"] == "" {
		t.Fatalf("read %d Go files of the bench, MACROBENCH_PROMETHEUS_URL not among their variables", goFiles)
	}
	for _, name := range []string{"COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES"} {
		want[name] = "docker compose"
	}
	// DOCKER names the host's docker binary; the runner has its own.
	// MACROBENCH_RUNNER is the image's (container).
	delete(want, "DOCKER")
	delete(want, "MACROBENCH_RUNNER")
	delete(want, "VARIABLES") // compose.yaml's comment: ${VARIABLES}
	delete(want, "VAR")       // swarm.yaml's comment: ${VAR:+...}
	for _, name := range swarm.DeployVars() {
		delete(want, name) // bench swarm sets them itself, in the container too
	}
	// DOCKER_HOST: runner_engine's, not the list's (a host's socket path
	// means nothing in the container); a tcp:// one goes in by value.
	if want["DOCKER_HOST"] == "" {
		t.Error("the bench no longer reads DOCKER_HOST: review runner_engine in scripts/runner/run.sh")
	}
	delete(want, "DOCKER_HOST")
	if slices.Contains(passed, "DOCKER_HOST") {
		t.Error("scripts/runner/run.sh: runner_env passes DOCKER_HOST as it is; runner_engine decides what the container gets")
	}
	if !regexp.MustCompile(`(?m)^runner_engine\(\) \{$`).Match(script) || !strings.Contains(string(script), `-e "DOCKER_HOST=$runner_remote"`) {
		t.Error(`scripts/runner/run.sh: no runner_engine, or it does not pass a tcp:// DOCKER_HOST (-e "DOCKER_HOST=$runner_remote")`)
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if !slices.Contains(passed, name) {
			t.Errorf("scripts/runner/run.sh: runner_env: %s (read by %s) is not passed through", name, want[name])
		}
	}
}

// runnerDockerRun runs scripts/runner/run.sh's run_bench with ARGS as
// scripts/bench.sh and compare.sh do, in the container path, against a
// stand-in docker that records its arguments (a NUL after each, a line
// after each call), and returns those of its `docker run`.
func runnerDockerRun(t *testing.T, root string, args ...string) []string {
	t.Helper()
	bin, tmp := t.TempDir(), t.TempDir()
	calls := filepath.Join(tmp, "calls")
	stub := "#!/bin/sh\nfor a; do printf '%s\\0' \"$a\"; done >>" + calls + "\necho >>" + calls + "\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(tmp, "docker.sock") // a file: its group is all run.sh reads
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	script := `set -euo pipefail; . scripts/runner/run.sh; run_bench "$@"`
	cmd := exec.Command("bash", append([]string{"-c", script, "bench.sh"}, args...)...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "MACROBENCH_RUNNER=container", "DOCKER_HOST=unix://"+sock)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run_bench %q: %v\n%s", args, err, out)
	}
	b, err := os.ReadFile(calls)
	if err != nil {
		t.Fatal(err)
	}
	for _, call := range strings.Split(string(b), "\n") {
		a := strings.Split(strings.TrimSuffix(call, "\x00"), "\x00")
		if len(a) > 0 && a[0] == "run" {
			return a
		}
	}
	t.Fatalf("run_bench %q: no docker run among %q", args, b)
	return nil
}

// The runner container trusts this checkout alone to git (safe.directory
// is the repository's path, never '*'), and gets compare's folders
// read-only, outside the repository and inside it alike (over the
// repository's own mount), and no writable mount of them.
func TestRunnerGitSafeDirectoryAndReadOnlyCompareFolders(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		testenv.Missing(t, "bash: %v", err)
	}
	root, err := filepath.EvalSymlinks(testenv.RepoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	outside, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	inside := filepath.Join(root, "docs") // a folder of the checkout
	run := runnerDockerRun(t, root, "compare", outside, "docs")

	mounts, env := map[string]bool{}, map[string]string{}
	for i := 0; i+1 < len(run); i++ {
		switch run[i] {
		case "-v":
			mounts[run[i+1]] = true
		case "-e":
			if k, v, ok := strings.Cut(run[i+1], "="); ok {
				env[k] = v
			}
		}
	}
	for _, dir := range []string{outside, inside} {
		if !mounts[dir+":"+dir+":ro"] {
			t.Errorf("compare's folder %s is not mounted read-only (%s:%s:ro); mounts: %v", dir, dir, dir, mounts)
		}
		for m := range mounts {
			if strings.HasPrefix(m, dir+":") && !strings.HasSuffix(m, ":ro") {
				t.Errorf("compare's folder %s has a writable mount: -v %s", dir, m)
			}
		}
	}
	if !mounts[root+":"+root] {
		t.Errorf("the repository is not mounted at its path (%s:%s): %v", root, root, mounts)
	}
	n, err := strconv.Atoi(env["GIT_CONFIG_COUNT"])
	if err != nil {
		t.Fatalf("GIT_CONFIG_COUNT: %v (the container's variables: %v)", err, env)
	}
	safe := 0
	for i := range n {
		if env[fmt.Sprintf("GIT_CONFIG_KEY_%d", i)] != "safe.directory" {
			continue
		}
		safe++
		if v := env[fmt.Sprintf("GIT_CONFIG_VALUE_%d", i)]; v != root {
			t.Errorf("git's safe.directory is %q, want the repository's path %s alone", v, root)
		}
	}
	if safe == 0 {
		t.Errorf("no safe.directory given to git (GIT_CONFIG_KEY_n): the report's commit would be unreadable")
	}
}
