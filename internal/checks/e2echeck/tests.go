package e2echeck

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// TestRun is what CheckTestLog read in a `scripts/test.sh -v -count=1 ...`
// log: the path that ran, and the tests that passed.
type TestRun struct {
	Path   string // "native" or "container": the first line's word
	Passed int    // top-level and sub-tests, "--- PASS" lines
}

var (
	testPathLine = regexp.MustCompile(`^test\.sh: (native|container):`)
	okLine       = regexp.MustCompile(`^ok\s+(\S+)\s+(.*)$`)
)

// CheckTestLog checks the output (stdout and stderr together) of
// `scripts/test.sh -v -count=1 PACKAGES` for the path it should have taken
// (the first line says which, native or container): each of the packages
// ran (an "ok" line, not a cached one) with at least one test passing, and
// no test failed or skipped (under scripts/test.sh a missing service fails
// rather than skips; a skip here means a test did not run).
func CheckTestLog(r io.Reader, path string, pkgs []string) (TestRun, error) {
	var run TestRun
	var bad []string
	ok := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Text()
		if first {
			first = false
			m := testPathLine.FindStringSubmatch(line)
			if m == nil {
				bad = append(bad, fmt.Sprintf("first line %q does not say which path ran (test.sh: native|container: ...)", line))
			} else {
				run.Path = m[1]
			}
		}
		trimmed := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(trimmed, "--- PASS:"):
			run.Passed++
		case strings.HasPrefix(trimmed, "--- FAIL:"), strings.HasPrefix(trimmed, "--- SKIP:"):
			bad = append(bad, trimmed)
		case strings.HasPrefix(line, "FAIL"):
			bad = append(bad, line)
		}
		if m := okLine.FindStringSubmatch(line); m != nil {
			ok[m[1]] = m[2]
		}
	}
	if err := sc.Err(); err != nil {
		return run, err
	}
	if first {
		return run, fmt.Errorf("the log is empty")
	}
	if run.Path != "" && run.Path != path {
		bad = append(bad, fmt.Sprintf("the %s path ran, want %s", run.Path, path))
	}
	for _, p := range pkgs {
		rest, found := ok[p]
		switch {
		case !found:
			bad = append(bad, "no \"ok\" line for "+p)
		case strings.Contains(rest, "(cached)"):
			bad = append(bad, p+": a cached result, the tests did not run (-count=1)")
		}
	}
	if run.Passed == 0 {
		bad = append(bad, "no test passed (\"--- PASS\" lines: run with -v)")
	}
	if len(bad) > 0 {
		return run, fmt.Errorf("scripts/test.sh's log:\n  %s", strings.Join(bad, "\n  "))
	}
	return run, nil
}
