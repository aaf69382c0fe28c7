package layout

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// MapFile is the package map this test holds to the code.
const MapFile = "docs/layout.md"

// maxInternalEntries is how many entries internal/ may show: the products
// and the shared parts, not every package side by side.
const maxInternalEntries = 8

// mapRow is a table row of the package map: "| `dir` | what it holds |".
var mapRow = regexp.MustCompile("^\\| `([^`]+)` \\|")

// documented is the package folders docs/layout.md lists, relative to the
// repository's root, in the page's order.
func documented(page []byte) []string {
	var dirs []string
	sc := bufio.NewScanner(bytes.NewReader(page))
	for sc.Scan() {
		if m := mapRow.FindStringSubmatch(sc.Text()); m != nil {
			dirs = append(dirs, m[1])
		}
	}
	return dirs
}

// modules is the folder of every Go module in the repository: the root and
// each nested go.mod (under internal/).
func modules(t *testing.T, root string) []string {
	mods := []string{root}
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "go.mod" {
			mods = append(mods, filepath.Dir(p))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return mods
}

// packages is every package folder of the modules (go list ./... in each),
// relative to root, mains and test-only packages included.
func packages(t *testing.T, root string) []string {
	goBin, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "no go command on the PATH: %v", err)
	}
	var dirs []string
	for _, mod := range modules(t, root) {
		cmd := exec.Command(goBin, "list", "-f", "{{.Dir}}", "./...")
		cmd.Dir = mod
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list ./... in %s: %v\n%s", mod, err, stderr.Bytes())
		}
		for _, dir := range strings.Fields(string(out)) {
			rel, err := filepath.Rel(root, dir)
			if err != nil {
				t.Fatal(err)
			}
			dirs = append(dirs, filepath.ToSlash(rel))
		}
	}
	return dirs
}

// check compares the page's rows with the packages and returns what is
// wrong, one line each.
func check(listed, pkgs []string) []string {
	var problems []string
	have := map[string]bool{}
	for _, p := range pkgs {
		have[p] = true
	}
	rows := map[string]bool{}
	for _, d := range listed {
		if rows[d] {
			problems = append(problems, fmt.Sprintf("%s has two lines", d))
		}
		rows[d] = true
		if !have[d] {
			problems = append(problems, fmt.Sprintf("%s is listed but is no package of either module", d))
		}
	}
	folders := map[string][]string{}
	for _, p := range pkgs {
		if !rows[p] {
			problems = append(problems, fmt.Sprintf("%s is a package without a line", p))
		}
		folders[path.Base(p)] = append(folders[path.Base(p)], p)
	}
	for name, ps := range folders {
		if len(ps) > 1 {
			slices.Sort(ps)
			problems = append(problems, fmt.Sprintf("folder name %q is used by %d packages: %s", name, len(ps), strings.Join(ps, ", ")))
		}
	}
	slices.Sort(problems)
	return problems
}

// docs/layout.md lists every package of both modules, mains included, and
// nothing else; no two packages share a folder name.
func TestPackageMapIsTheCode(t *testing.T) {
	root := testenv.RepoRoot(t)
	page, err := os.ReadFile(filepath.Join(root, MapFile))
	if err != nil {
		t.Fatal(err)
	}
	listed := documented(page)
	if len(listed) == 0 {
		t.Fatalf("%s: no package rows (| `dir` | ... |)", MapFile)
	}
	for _, p := range check(listed, packages(t, root)) {
		t.Errorf("%s: %s", MapFile, p)
	}
}

// internal/ shows the products and the shared parts, a few entries.
func TestInternalIsGroupedByProduct(t *testing.T) {
	entries, err := os.ReadDir(filepath.Join(testenv.RepoRoot(t), "internal"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) > maxInternalEntries {
		t.Errorf("internal/ has %d entries, at most %d: %s", len(names), maxInternalEntries, strings.Join(names, " "))
	}
}

// The check finds each kind of drift: a package without a line, a line
// without a package, a line twice, two packages of one folder name.
func TestCheckFindsDrift(t *testing.T) {
	pkgs := []string{"app", "internal/lab/report", "internal/shared/formats"}
	if p := check(pkgs, pkgs); len(p) != 0 {
		t.Errorf("a page that is the code: %q", p)
	}
	for _, c := range []struct {
		listed, pkgs []string
		want         string
	}{
		{pkgs[:2], pkgs, "internal/shared/formats is a package without a line"},
		{append(slices.Clone(pkgs), "internal/gone"), pkgs, "internal/gone is listed but is no package of either module"},
		{append(slices.Clone(pkgs), "app"), pkgs, "app has two lines"},
		{append(slices.Clone(pkgs), "internal/cmd/report"), append(slices.Clone(pkgs), "internal/cmd/report"),
			`folder name "report" is used by 2 packages: internal/cmd/report, internal/lab/report`},
	} {
		if got := check(c.listed, c.pkgs); !slices.Contains(got, c.want) {
			t.Errorf("listed %v, packages %v: %q, want %q among them", c.listed, c.pkgs, got, c.want)
		}
	}
	page := []byte("| package | what |\n|---|---|\n| `app` | the main |\n| `internal/x` | x |\ntext `internal/y`\n")
	if got := documented(page); !slices.Equal(got, []string{"app", "internal/x"}) {
		t.Errorf("documented: %q", got)
	}
}
