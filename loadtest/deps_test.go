package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbidden are the packages (and everything under them) the generator must
// never link: its measurements must not share the binary with the bench
// runner's charts, database access or Prometheus queries (internal/cmd/bench).
var forbidden = []string{
	"gonum.org/v1/plot",                       // charts
	"github.com/lib/pq",                       // PostgreSQL
	"database/sql",                            // any database
	"github.com/prometheus/client_golang/api", // Prometheus's HTTP API client
	"github.com/prometheus/prometheus",        // Prometheus itself
	"golang.org/x/perf",                       // the bench's statistics (benchmath)
}

// module is the project's module path: its packages are the allowlist's
// business.
const module = "github.com/macrobench/macrobench"

// allowed are the project's packages the generator may link (a folder
// ending in "/..." allows everything under it): its own, and from the
// shared layer only what it needs. A lab, service or checks package, or a
// shared package not listed here, fails the test even when it links
// nothing forbidden: moving a lab helper into the shared layer does not
// slip past it.
var allowed = []string{
	module + "/loadtest",
	module + "/internal/loadgen/...",
	module + "/internal/shared/formats",   // .hgrm, wrk's time arguments and error classes
	module + "/internal/shared/runresult", // the --json vocabulary, result files written whole
	module + "/internal/shared/netpipe",   // pipe and gateway: the bench's tunnel into a Swarm stack
}

// generatorGraph is ./loadtest's dependency graph (package -> its imports)
// and its root.
func generatorGraph(t *testing.T) (map[string][]string, string) {
	cmd := exec.Command("go", "list", "-deps", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, ".")
	out, err := cmd.Output()
	if err != nil {
		stderr := ""
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	imports := map[string][]string{} // package -> its imports
	var root string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		imports[f[0]] = f[1:]
		root = f[0] // -deps lists the named package last
	}
	if len(imports) < 10 || !strings.HasSuffix(root, "/loadtest") {
		t.Fatalf("go list -deps gave %d packages ending with %q: not the generator's graph", len(imports), root)
	}
	return imports, root
}

func TestGeneratorLinksNoPlottingDatabaseOrPrometheusAPI(t *testing.T) {
	imports, root := generatorGraph(t)
	for pkg := range imports {
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				t.Errorf("./loadtest links %s (forbidden: %s) via %s", pkg, f, strings.Join(chain(imports, root, pkg), " -> "))
			}
		}
	}
}

// The generator links only its own packages and the allowed shared ones.
func TestGeneratorLinksOnlyAllowedProjectPackages(t *testing.T) {
	imports, root := generatorGraph(t)
	for pkg := range imports {
		if (pkg == module || strings.HasPrefix(pkg, module+"/")) && !isAllowed(pkg) {
			t.Errorf("./loadtest links %s, not in deps_test.go's allowlist, via %s", pkg, strings.Join(chain(imports, root, pkg), " -> "))
		}
	}
}

func isAllowed(pkg string) bool {
	for _, a := range allowed {
		if dir, ok := strings.CutSuffix(a, "/..."); ok && (pkg == dir || strings.HasPrefix(pkg, dir+"/")) || pkg == a {
			return true
		}
	}
	return false
}

func TestAllowlistMatching(t *testing.T) {
	for pkg, want := range map[string]bool{
		module + "/internal/loadgen":           true,
		module + "/internal/loadgen/cli":       true,
		module + "/internal/loadgenx":          false,
		module + "/internal/shared/formats":    true,
		module + "/internal/shared/proc":       false,
		module + "/internal/lab/report":        false,
		module + "/internal/service/httpapi":   false,
		module + "/internal/shared/runresult":  true,
		module + "/internal/shared/runresultx": false,
	} {
		if got := isAllowed(pkg); got != want {
			t.Errorf("isAllowed(%s) = %v, want %v", pkg, got, want)
		}
	}
}

// chain is one import path from root to pkg (breadth first: a shortest one).
func chain(imports map[string][]string, root, pkg string) []string {
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == pkg {
			var path []string
			for ; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, q := range imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return []string{root, "?", pkg}
}
