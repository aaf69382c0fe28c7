package e2echeck

import (
	"strings"
	"testing"
)

const agentsPkg = "github.com/macrobench/macrobench/internal/service/agents"

func TestCheckTestLog(t *testing.T) {
	good := `test.sh: container: no Go 1.26.8 or newer here (GOTOOLCHAIN=local): the tests run in the tests image (scripts/runner/)
test.sh: starting PostgreSQL in /tmp/macrobench-pg.abc
=== RUN   TestAgents
--- PASS: TestAgents (0.20s)
=== RUN   TestPool
=== RUN   TestPool/reuse
    --- PASS: TestPool/reuse (0.01s)
--- PASS: TestPool (0.02s)
PASS
ok  	` + agentsPkg + `	3.123s
`
	run, err := CheckTestLog(strings.NewReader(good), "container", []string{agentsPkg})
	if err != nil {
		t.Fatal(err)
	}
	if run.Path != "container" || run.Passed != 3 {
		t.Errorf("got %+v, want the container path and 3 passed", run)
	}

	for _, tc := range []struct {
		name, log, path, wantInErr string
	}{
		{"the other path", strings.Replace(good, "test.sh: container:", "test.sh: native:", 1), "container", "the native path ran, want container"},
		{"no first line naming the path", "test.sh: starting PostgreSQL\n" + good, "container", "does not say which path ran"},
		{"a skipped test", strings.Replace(good, "--- PASS: TestAgents", "--- SKIP: TestAgents", 1), "container", "--- SKIP: TestAgents"},
		{"a failed test", strings.Replace(good, "    --- PASS: TestPool/reuse", "    --- FAIL: TestPool/reuse", 1) + "FAIL\n", "container", "--- FAIL: TestPool/reuse"},
		{"a cached result", strings.Replace(good, "3.123s", "(cached)", 1), "container", "a cached result"},
		{"the package did not run", strings.Replace(good, "ok  \t"+agentsPkg, "ok  \t"+agentsPkg+"/other", 1), "container", `no "ok" line for ` + agentsPkg},
		{"no -v", "test.sh: container: x\nok  \t" + agentsPkg + "\t1s\n", "container", "no test passed"},
		{"empty", "", "container", "empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CheckTestLog(strings.NewReader(tc.log), tc.path, []string{agentsPkg})
			if err == nil || !strings.Contains(err.Error(), tc.wantInErr) {
				t.Errorf("got %v, want an error with %q", err, tc.wantInErr)
			}
		})
	}
}
