package swarm

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseNodesNamesEachNode(t *testing.T) {
	out := `[{"ID":"m1","Spec":{"Role":"manager","Labels":{"macrobench.db":"true"}},
	  "Description":{"Hostname":"mgr","Resources":{"NanoCPUs":2000000000},"Engine":{"EngineVersion":"20.10"}},
	  "Status":{"State":"ready","Addr":"0.0.0.0"},"ManagerStatus":{"Addr":"10.0.0.2:2377"}},
	 {"ID":"w1","Spec":{"Role":"worker","Labels":{"macrobench.app":"true"}},
	  "Description":{"Hostname":"app","Resources":{"NanoCPUs":4000000000}},
	  "Status":{"State":"ready","Addr":"10.0.0.3"}}]`
	ns, err := ParseNodes([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 || ns[0].Hostname != "app" || ns[1].Hostname != "mgr" {
		t.Fatalf("nodes %+v: want app then mgr (by hostname)", ns)
	}
	if ns[1].Addr != "10.0.0.2" || ns[0].Addr != "10.0.0.3" {
		t.Errorf("addresses %q %q: a manager's 0.0.0.0 is its advertised address", ns[1].Addr, ns[0].Addr)
	}
	if ns[0].CPUs != 4 || ns[0].Labels["macrobench.app"] != "true" || ns[1].Role != "manager" {
		t.Errorf("fields lost: %+v", ns)
	}
	if _, err := ParseNodes([]byte("not json")); err == nil {
		t.Error("bad output parsed")
	}
}

func TestClockOffsetsTakeTheTightestLowerBound(t *testing.T) {
	base := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	task := func(node, state string, nodeClock, stored time.Duration) Task {
		var tk Task
		tk.NodeID, tk.Status.State = node, state
		tk.Status.Timestamp, tk.UpdatedAt = base.Add(nodeClock), base.Add(stored)
		return tk
	}
	got := ClockOffsets([]Task{
		task("a", "complete", 0, 50*time.Millisecond),              // ≥ -0.05
		task("a", "running", 0, 10*time.Millisecond),               // ≥ -0.01: tighter
		task("b", "running", 2*time.Second, 2100*time.Millisecond), // ≥ -0.1
		task("b", "complete", 3*time.Second, time.Second),          // ≥ +2: node b runs 2 s ahead
		task("c", "pending", 0, time.Second),                       // stamped by the manager: no evidence
	})
	if len(got) != 2 {
		t.Fatalf("offsets %+v: want a and b only", got)
	}
	if got[0].Node != "a" || got[0].Tasks != 2 || got[0].AtLeastS != -0.01 {
		t.Errorf("a: %+v, want at least -0.01 s from 2 tasks", got[0])
	}
	if got[1].Node != "b" || got[1].AtLeastS != 2 {
		t.Errorf("b: %+v, want at least +2 s", got[1])
	}
}

func TestCreateArgsPlaceAndLabelTheJob(t *testing.T) {
	s := &Stack{Name: "mb"}
	args := s.CreateArgs(OneShot{Name: "mb_gen-1", Image: "img:dev", Replicas: 2,
		Constraints: []string{"node.id==X"}, Env: map[string]string{"B": "2", "A": "1"},
		Secrets: []string{"pw"}, Entrypoint: "sh", Args: []string{"-c", "true"}, Alias: "loadtest", CPUs: "2"})
	line := strings.Join(args, " ")
	for _, want := range []string{"--mode replicated-job --replicas 2", "--restart-condition none",
		"--network name=mb_encrypted,alias=loadtest", "--label " + Label + "=mb", "--constraint node.id==X",
		"--env A=1 --env B=2", "--secret pw", "--entrypoint sh", "--limit-cpu 2", "img:dev -c true"} {
		if !strings.Contains(line, want) {
			t.Errorf("missing %q in: docker %s", want, line)
		}
	}
	if args[len(args)-3] != "img:dev" || !slices.Contains(args, "mb_gen-1") {
		t.Errorf("image and name: %v", args)
	}
}
