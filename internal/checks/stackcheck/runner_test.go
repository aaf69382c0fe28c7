package stackcheck

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// The bench's runner container (scripts/runner/run.sh, for machines without
// Go) passes through every variable the lab's compose files and .env define
// and every one the bench reads, so that an override in the shell
// (APP_PORT=18000 scripts/bench.sh) reaches the bench as it does natively.
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
	read("compose.yaml", interpolated)
	read("scripts/e2e/compose.standins.yaml", interpolated)
	read(".env", regexp.MustCompile(`(?m)^([A-Z_][A-Z0-9_]*)=`))
	benchFiles, _ := filepath.Glob(filepath.Join(root, "internal", "bench", "*.go"))
	for _, f := range benchFiles {
		if !strings.HasSuffix(f, "_test.go") {
			rel, _ := filepath.Rel(root, f)
			read(rel, regexp.MustCompile(`(?:Getenv|envOr)\("([A-Z_][A-Z0-9_]*)"`))
		}
	}
	for _, name := range []string{"COMPOSE_PROJECT_NAME", "COMPOSE_PROFILES"} {
		want[name] = "docker compose"
	}
	// DOCKER names the host's docker binary; the runner has its own.
	// MACROBENCH_RUNNER is the image's (container).
	delete(want, "DOCKER")
	delete(want, "MACROBENCH_RUNNER")
	delete(want, "VARIABLES") // compose.yaml's comment: ${VARIABLES}
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
