package e2echeck

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/lab/swarm"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// swarmRun writes a `bench swarm run` folder: two parts, the merged
// result (mergedReq responses) and the record (the app's count appCount).
func swarmRun(t *testing.T, mergedReq, appCount int64, instances int) string {
	t.Helper()
	dir := t.TempDir()
	start := time.Date(2026, 11, 30, 1, 0, 5, 0, time.UTC)
	write := func(name string, v any) {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	part := func(req, inFlight int64) runresult.Generator {
		return runresult.Generator{URL: "http://app:8000/index", Path: "/index", RunID: "swarm-1", Start: start, End: start.Add(5 * time.Second),
			Requests: req, InFlightAtEnd: inFlight, Bytes: req * 100}
	}
	write("part-1.json", part(500, 1))
	write("part-2.json", part(499, 0))
	m := part(mergedReq, 1)
	m.Bytes = 99900
	write(swarm.MergedJSON, m)
	write(swarm.RecordFile, swarm.Record{Stack: "s", RunID: "swarm-1", StartAt: start, Replicas: 2,
		Parts:  []swarm.Part{{Task: "t1", File: "part-1.json"}, {Task: "t2", File: "part-2.json"}},
		Merged: swarm.MergedJSON, PrometheusInstances: instances,
		App: swarm.AppCount{Route: "/index", ByCode: map[string]int64{"200": appCount}, Total: appCount}})
	return dir
}

func TestCheckSwarmRun(t *testing.T) {
	if lines, err := CheckSwarmRun(swarmRun(t, 999, 1000, 2)); err != nil {
		t.Fatalf("a consistent run failed: %v (%s)", err, strings.Join(lines, "; "))
	}
	for name, c := range map[string]struct {
		dir, want string
	}{
		"merged is not the sum":     {swarmRun(t, 998, 999, 2), "the parts add up to 999"},
		"the app counted one more":  {swarmRun(t, 999, 1001, 2), "the app counted 1001"},
		"one generator not scraped": {swarmRun(t, 999, 1000, 1), "Prometheus scraped 1"},
	} {
		if _, err := CheckSwarmRun(c.dir); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error with %q", name, err, c.want)
		}
	}
}
