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

func TestGeneratorLinksNoPlottingDatabaseOrPrometheusAPI(t *testing.T) {
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
	for pkg := range imports {
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f+"/") {
				t.Errorf("./loadtest links %s (forbidden: %s) via %s", pkg, f, strings.Join(chain(imports, root, pkg), " -> "))
			}
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
