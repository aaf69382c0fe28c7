package e2echeck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
)

const placementMD = `{"executor":"swarm","app_node":"A",
 "swarm_nodes":[{"id":"M","hostname":"mgr","labels":{"macrobench.db":"true"}},{"id":"A","hostname":"app","labels":{"macrobench.app":"true"}},
   {"id":"G1","hostname":"gen1","labels":{"macrobench.loadgen":"true"}},{"id":"G2","hostname":"gen2","labels":{"macrobench.loadgen":"true"}}],
 "swarm_services":[{"service":"mb_app","task":"t0","node":"A","state":"running"},{"service":"mb_postgres","task":"t1","node":"M","state":"running"}],
 "swarm_jobs":[{"service":"mb_gen-1","purpose":"generator index-rate4000 (network)","tasks":[{"task":"t2","node":"G1","state":"complete"},{"task":"t3","node":"G2","state":"complete"}]},
   {"service":"mb_gen-2","purpose":"generator index-saturation (localhost)","tasks":[{"task":"t4","node":"A","state":"complete"},{"task":"t5","node":"A","state":"complete"}]}],
 "swarm_clock_offsets":[{"node":"M","at_least_s":-0.01,"tasks":1},{"node":"A","at_least_s":-0.02,"tasks":3},{"node":"G1","at_least_s":0,"tasks":1},{"node":"G2","at_least_s":0,"tasks":1}]}`

func TestCheckPlacement(t *testing.T) {
	parse := func(s string) swarmMetadata {
		var md swarmMetadata
		if err := json.Unmarshal([]byte(s), &md); err != nil {
			t.Fatal(err)
		}
		return md
	}
	if lines, err := checkPlacement(parse(placementMD)); err != nil {
		t.Fatalf("a good layout failed: %v\n%s", err, strings.Join(lines, "\n"))
	}
	for _, c := range []struct{ name, from, to, want string }{
		{"two network tasks on one node", `{"task":"t3","node":"G2"`, `{"task":"t3","node":"G1"`, "two tasks on gen1"},
		{"a localhost task elsewhere", `{"task":"t5","node":"A"`, `{"task":"t5","node":"G1"`, "not the app's node"},
		{"a network task off the loadgen nodes", `{"task":"t2","node":"G1"`, `{"task":"t2","node":"M"`, "not a macrobench.loadgen node"},
		{"a node without its offset", `{"node":"G2","at_least_s":0,"tasks":1}`, `{"node":"X","at_least_s":0,"tasks":1}`, "no clock offset for gen2"},
		{"a failed task", `"node":"G2","state":"complete"`, `"node":"G2","state":"failed"`, "t3 failed"},
	} {
		_, err := checkPlacement(parse(strings.Replace(placementMD, c.from, c.to, 1)))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want it to say %q", c.name, err, c.want)
		}
	}
}

func TestCheckRecordedSettings(t *testing.T) {
	full := `{"postgres_max_connections":"100","postgres_server_version":"15.18","postgres_shared_buffers":"128MB"}`
	if err := checkRecordedSettings([]byte(full)); err != nil {
		t.Errorf("all three recorded: %v", err)
	}
	for _, md := range []string{
		`{"postgres_max_connections":"100","postgres_server_version":"15.18"}`,
		`{"postgres_max_connections":"100","postgres_server_version":"15.18","postgres_shared_buffers":""}`,
	} {
		if err := checkRecordedSettings([]byte(md)); err == nil || !strings.Contains(err.Error(), "postgres_shared_buffers") {
			t.Errorf("%s: %v, want an error naming postgres_shared_buffers", md, err)
		}
	}
}

// goodSwarmReport is goodReport made a passing `bench run --swarm` folder
// (each run's two parts add up to the app's count, the nodes' CPU read,
// placementMD's metadata with PostgreSQL's settings), run by runner, then
// edited.
func goodSwarmReport(t *testing.T, runner string, edit func(*report.Summary)) string {
	t.Helper()
	dir := goodReport(t, func(s *report.Summary) {
		s.Executor, s.Runner = "swarm", runner
		for i := range s.Cells {
			c := &s.Cells[i]
			c.Reconciled = new(true)
			for j := range c.Runs {
				r := &c.Runs[j]
				// writeParts: 4 + 6 responses, 0 + 1 in flight.
				r.InFlight = 1
				r.Server.AppRequests = map[string]int64{"200": 11}
				r.Machine = &report.Machine{CPUs: 2, Node: "gen1", IdleFraction: new(0.5)}
			}
		}
		if edit != nil {
			edit(s)
		}
	})
	md := strings.Replace(placementMD, "{", `{"postgres_max_connections":"100","postgres_server_version":"15.18","postgres_shared_buffers":"128MB",`, 1)
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(md), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// swarm-bench with a runner: the report must name it (the e2e's cluster
// bench runs in the runner container); without one, any runner passes.
func TestCheckSwarmBenchRunner(t *testing.T) {
	good := goodSwarmReport(t, report.RunnerContainer, nil)
	if lines, err := CheckSwarmBench(good, report.RunnerContainer); err != nil {
		t.Fatalf("a good container run failed: %v\n%s", err, strings.Join(lines, "\n"))
	} else if !slices.Contains(lines, "runner: container") {
		t.Errorf("no runner line in %q", lines)
	}
	native := goodSwarmReport(t, report.RunnerNative, nil)
	if _, err := CheckSwarmBench(native, ""); err != nil {
		t.Errorf("a native run, no runner asked: %v", err)
	}
	for name, c := range map[string]struct {
		dir, want string
	}{
		"a native run":     {native, `summary.json runner "native", want "container"`},
		"no runner at all": {goodSwarmReport(t, "", nil), `summary.json runner "", want "container"`},
	} {
		_, err := CheckSwarmBench(c.dir, report.RunnerContainer)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v, want it to say %q", name, err, c.want)
		}
	}
	// summary.md that does not say so.
	md := filepath.Join(good, "summary.md")
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(md, []byte(strings.ReplaceAll(string(b), "runner: container;", "runner: ?;")), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckSwarmBench(good, report.RunnerContainer); err == nil || !strings.Contains(err.Error(), `summary.md does not say "runner: container"`) {
		t.Errorf("summary.md without the runner: err %v", err)
	}
}
