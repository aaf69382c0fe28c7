package e2echeck

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/lab/swarm"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// swarmMetadata is what the check reads of a swarm run's metadata.json.
type swarmMetadata struct {
	Executor string         `json:"executor"`
	AppNode  string         `json:"app_node"`
	Nodes    []swarm.Node   `json:"swarm_nodes"`
	Services []swarm.Placed `json:"swarm_services"`
	Jobs     []struct {
		Service string         `json:"service"`
		Purpose string         `json:"purpose"`
		Tasks   []swarm.Placed `json:"tasks"`
	} `json:"swarm_jobs"`
	Offsets []swarm.ClockOffset `json:"swarm_clock_offsets"`
}

// CheckSwarmBench checks the folder of a `bench run --swarm`: the run
// passed and every cell reconciled; every measured run had at least two
// parts whose counts add up to the merged ones; the app's own count for
// the window is the merged responses plus what was in flight at the end
// (exactly: no socket errors allowed here); PostgreSQL's counters were
// read (through postgres-exporter), and its settings recorded; each run's machine is a node's, read
// from node-exporter, and its class known; metadata.json names every node
// (hostname, id, labels) with a clock offset for each node that ran a
// task, where each stack service ran, and each generator job's tasks: over
// the network each on its own macrobench.loadgen node, "via localhost" on
// the app's node. With runner set (report.RunnerNative or RunnerContainer),
// the report must name it as the runner it ran in (summary.json and
// summary.md). It returns the figures as lines for the log.
func CheckSwarmBench(dir, runner string) (lines []string, err error) {
	s, err := report.Load(filepath.Join(dir, "summary.json"))
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(filepath.Join(dir, "metadata.json"))
	if err != nil {
		return nil, err
	}
	var md swarmMetadata
	if err := json.Unmarshal(b, &md); err != nil {
		return nil, fmt.Errorf("metadata.json: %v", err)
	}
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	if s.Executor != "swarm" || md.Executor != "swarm" {
		fail("executor %q (summary), %q (metadata), want swarm", s.Executor, md.Executor)
	}
	for _, f := range s.Failures {
		fail("the run failed: %s", f)
	}
	if runner != "" {
		problems, err := checkRunner(dir, s, runner)
		if err != nil {
			return nil, err
		}
		bad = append(bad, problems...)
		if len(problems) == 0 {
			lines = append(lines, "runner: "+runner)
		}
	}
	if len(s.Cells) == 0 {
		fail("no cells")
	}
	for _, c := range s.Cells {
		name := c.Endpoint + " " + c.Scenario
		if c.Reconciled == nil || !*c.Reconciled {
			fail("%s: not reconciled", name)
		}
		for _, r := range c.Runs {
			if r.Server == nil || r.Server.DB == nil {
				// Read through postgres-exporter: the cluster opens no database port.
				fail("%s: no PostgreSQL counters (postgres-exporter)", name)
			}
			// The class is judged on the nodes that ran the app and the
			// generator tasks, from node-exporter (internal/lab/nodecpu).
			if m := r.Machine; m == nil || m.Node == "" || m.IdleFraction == nil {
				fail("%s: no node's CPU for the run (machine %+v)", name, m)
			} else if r.Class == nil || r.Class.Class == report.ClassUnknown {
				fail("%s: class unknown with the node's CPU known", name)
			}
			l, err := checkSwarmRunParts(dir, r)
			if err != nil {
				fail("%s: %v", name, err)
				continue
			}
			lines = append(lines, name+": "+l)
		}
	}
	if err := checkRecordedSettings(b); err != nil {
		bad = append(bad, err.Error())
	}
	l, err := checkPlacement(md)
	lines = append(lines, l...)
	if err != nil {
		bad = append(bad, err.Error())
	}
	if len(bad) > 0 {
		return lines, errors.New(strings.Join(bad, "; "))
	}
	return lines, nil
}

// checkRecordedSettings: metadata.json holds each of PostgreSQL's recorded
// settings (postgres_<name>), read through postgres-exporter on swarm.
func checkRecordedSettings(metadata []byte) error {
	var md map[string]any
	if err := json.Unmarshal(metadata, &md); err != nil {
		return fmt.Errorf("metadata.json: %v", err)
	}
	var missing []string
	for _, name := range evidence.RecordedSettings {
		if v, ok := md["postgres_"+name].(string); !ok || v == "" {
			missing = append(missing, "postgres_"+name)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("metadata.json: no %s (PostgreSQL's settings through postgres-exporter)", strings.Join(missing, ", "))
	}
	return nil
}

// checkSwarmRunParts checks one measured run: its parts add up to the
// merged result, and the app counted the merged responses plus the
// requests in flight at the end.
func checkSwarmRunParts(dir string, r report.Run) (string, error) {
	if r.Generators < 2 || len(r.PartFiles) != r.Generators {
		return "", fmt.Errorf("%d generators, %d part files: want at least two parts", r.Generators, len(r.PartFiles))
	}
	var sum runresult.Generator
	for _, f := range r.PartFiles {
		g, err := runresult.ReadGenerator(filepath.Join(dir, f))
		if err != nil {
			return "", err
		}
		if g.Requests == 0 {
			return "", fmt.Errorf("%s: no responses", f)
		}
		sum.Requests += g.Requests
		sum.InFlightAtEnd += g.InFlightAtEnd
		sum.Errors.Add(g.Errors)
	}
	if sum.Requests != r.Requests || sum.InFlightAtEnd != r.InFlight {
		return "", fmt.Errorf("merged %d responses + %d in flight; the parts add up to %d + %d", r.Requests, r.InFlight, sum.Requests, sum.InFlightAtEnd)
	}
	if n := sum.Errors.Socket(); n > 0 {
		return "", fmt.Errorf("%d socket errors: the app's count cannot be exact", n)
	}
	if r.Server == nil || r.Server.AppRequests == nil {
		return "", errors.New("no app count")
	}
	var app int64
	for _, n := range r.Server.AppRequests {
		app += n
	}
	if sent := r.Requests + r.InFlight; app != sent {
		return "", fmt.Errorf("the app counted %d, the generators %d responses + %d in flight = %d", app, r.Requests, r.InFlight, sent)
	}
	return fmt.Sprintf("%d parts, merged %d responses + %d in flight = the app's %d", len(r.PartFiles), r.Requests, r.InFlight, app), nil
}

// checkPlacement checks the metadata's nodes, services, jobs and offsets.
func checkPlacement(md swarmMetadata) (lines []string, err error) {
	var bad []string
	fail := func(format string, a ...any) { bad = append(bad, fmt.Sprintf(format, a...)) }
	nodes := map[string]swarm.Node{}
	for _, n := range md.Nodes {
		if n.ID == "" || n.Hostname == "" || n.Labels == nil {
			fail("node %+v: want its id, hostname and labels", n)
		}
		nodes[n.ID] = n
	}
	host := func(id string) string { return nodes[id].Hostname }
	ran := map[string]bool{}
	for _, p := range md.Services {
		if _, ok := nodes[p.Node]; !ok {
			fail("service %s: on unknown node %q", p.Service, p.Node)
		}
		ran[p.Node] = true
		lines = append(lines, fmt.Sprintf("service %s on %s", p.Service, host(p.Node)))
	}
	if _, ok := nodes[md.AppNode]; !ok {
		fail("app node %q is not a listed node", md.AppNode)
	}
	spread := 0
	for _, j := range md.Jobs {
		seen := map[string]bool{}
		var on []string
		for _, t := range j.Tasks {
			ran[t.Node] = true
			on = append(on, host(t.Node))
			if t.State != "complete" {
				fail("job %s: task %s %s", j.Service, t.Task, t.State)
			}
			switch {
			case !strings.HasPrefix(j.Purpose, "generator"):
			case strings.HasSuffix(j.Purpose, "(localhost)"):
				if t.Node != md.AppNode {
					fail("job %s (%s): task on %s, not the app's node", j.Service, j.Purpose, host(t.Node))
				}
			default:
				if nodes[t.Node].Labels["macrobench.loadgen"] != "true" {
					fail("job %s (%s): task on %s, not a macrobench.loadgen node", j.Service, j.Purpose, host(t.Node))
				}
				if seen[t.Node] && len(j.Tasks) <= loadgenNodes(nodes) {
					fail("job %s (%s): two tasks on %s", j.Service, j.Purpose, host(t.Node))
				}
			}
			seen[t.Node] = true
		}
		if strings.HasPrefix(j.Purpose, "generator") && !strings.HasSuffix(j.Purpose, "(localhost)") && len(seen) > 1 {
			spread++
		}
		lines = append(lines, fmt.Sprintf("job %s (%s): tasks on %s", j.Service, j.Purpose, strings.Join(on, ", ")))
	}
	if spread == 0 {
		fail("no generator job over the network had its tasks on more than one node")
	}
	offsets := map[string]bool{}
	for _, o := range md.Offsets {
		offsets[o.Node] = true
		lines = append(lines, fmt.Sprintf("clock of %s − the manager's ≥ %+.3fs (%d tasks)", host(o.Node), o.AtLeastS, o.Tasks))
	}
	for id := range ran {
		if !offsets[id] {
			fail("no clock offset for %s, which ran tasks", host(id))
		}
	}
	if len(bad) > 0 {
		return lines, errors.New(strings.Join(bad, "; "))
	}
	return lines, nil
}

func loadgenNodes(nodes map[string]swarm.Node) int {
	n := 0
	for _, node := range nodes {
		if node.Labels["macrobench.loadgen"] == "true" {
			n++
		}
	}
	return n
}
