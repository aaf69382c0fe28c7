package swarm

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// Node is what a run records of a swarm node (docker node inspect).
type Node struct {
	ID       string            `json:"id"`
	Hostname string            `json:"hostname"`
	Role     string            `json:"role"`
	Addr     string            `json:"addr"`
	State    string            `json:"state"`
	Labels   map[string]string `json:"labels"`
	CPUs     int               `json:"cpus"`
	Engine   string            `json:"engine"`
}

// ParseNodes reads `docker node inspect`'s output.
func ParseNodes(out []byte) ([]Node, error) {
	var raw []struct {
		ID   string
		Spec struct {
			Role   string
			Labels map[string]string
		}
		Description struct {
			Hostname  string
			Resources struct{ NanoCPUs int64 }
			Engine    struct{ EngineVersion string }
		}
		Status        struct{ State, Addr string }
		ManagerStatus *struct{ Addr string }
	}
	if err := json.Unmarshal(out, &raw); err != nil {
		return nil, fmt.Errorf("docker node inspect output: %v", err)
	}
	var ns []Node
	for _, r := range raw {
		mgr := ""
		if r.ManagerStatus != nil {
			mgr = r.ManagerStatus.Addr
		}
		ns = append(ns, Node{ID: r.ID, Hostname: r.Description.Hostname, Role: r.Spec.Role,
			Addr: nodeAddr(r.Status.Addr + " " + mgr), State: r.Status.State, Labels: r.Spec.Labels,
			CPUs: int(r.Description.Resources.NanoCPUs / 1e9), Engine: r.Description.Engine.EngineVersion})
	}
	sort.Slice(ns, func(i, j int) bool { return ns[i].Hostname < ns[j].Hostname })
	return ns, nil
}

// Nodes inspects every node of the swarm (the CLI must talk to a manager).
func (s *Stack) Nodes(ctx context.Context) ([]Node, error) {
	out, err := s.Docker.Run(ctx, "node", "ls", "-q")
	if err != nil {
		return nil, err
	}
	out, err = s.Docker.Run(ctx, append([]string{"node", "inspect"}, strings.Fields(out)...)...)
	if err != nil {
		return nil, err
	}
	return ParseNodes([]byte(out))
}

// Placed is a task of a service and the node it ran on.
type Placed struct {
	Service string `json:"service"`
	Task    string `json:"task"`
	Node    string `json:"node"` // its id
	State   string `json:"state"`
}

// StackTasks lists the current tasks of the stack's services (those
// desired to run, or a job's finished ones) and their nodes.
func (s *Stack) StackTasks(ctx context.Context) ([]Placed, []Task, error) {
	ss, err := s.services(ctx)
	if err != nil {
		return nil, nil, err
	}
	var ps []Placed
	var all []Task
	for _, svc := range ss {
		ts, err := s.serviceTasks(ctx, svc.Spec.Name)
		if err != nil {
			return nil, nil, err
		}
		for _, t := range ts {
			if t.DesiredState != "running" && t.DesiredState != "complete" {
				continue
			}
			ps = append(ps, Placed{Service: svc.Spec.Name, Task: t.ID, Node: t.NodeID, State: t.Status.State})
			all = append(all, t)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Service+ps[i].Task < ps[j].Service+ps[j].Task })
	return ps, all, nil
}

// ClockOffset is a node's clock against the manager's, as seen in the
// tasks' records: a task's state is stamped by the node that ran it
// (Status.Timestamp, for the states its engine reports: running, complete,
// failed) and stored by the manager at its own time (UpdatedAt), after
// the report's transport. So node − manager ≥ Timestamp − UpdatedAt for
// every such task: AtLeastS is the largest of those lower bounds (a
// tight one when the report travelled fast); Tasks how many gave one.
type ClockOffset struct {
	Node     string  `json:"node"`
	AtLeastS float64 `json:"at_least_s"`
	Tasks    int     `json:"tasks"`
}

// OffsetMethod says how ClockOffsets measures.
const OffsetMethod = "max over the node's tasks of (Status.Timestamp, stamped by the node's engine, − UpdatedAt, stamped by the manager on storing it): a lower bound of node − manager; the report's transport delay (dispatcher batching, ~ms to 100s of ms) is the rest"

// ClockOffsets is each node's ClockOffset from tasks in a state its engine
// reported; nodes without one are missing (unknown).
func ClockOffsets(ts []Task) []ClockOffset {
	by := map[string]*ClockOffset{}
	for _, t := range ts {
		switch t.Status.State {
		case "running", "complete", "failed":
		default:
			continue
		}
		if t.Status.Timestamp.IsZero() || t.UpdatedAt.IsZero() || t.NodeID == "" {
			continue
		}
		d := t.Status.Timestamp.Sub(t.UpdatedAt).Seconds()
		o := by[t.NodeID]
		if o == nil {
			o = &ClockOffset{Node: t.NodeID, AtLeastS: d}
			by[t.NodeID] = o
		}
		o.AtLeastS = max(o.AtLeastS, d)
		o.Tasks++
	}
	var out []ClockOffset
	for _, o := range by {
		out = append(out, *o)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out
}

// nodeAddr picks a node's address from "STATUS_ADDR [MANAGER_ADDR:PORT]":
// the status's, else (0.0.0.0 or none) the manager's, else 127.0.0.1.
func nodeAddr(out string) string {
	f := strings.Fields(out)
	addr := ""
	if len(f) > 0 {
		addr = f[0]
	}
	if (addr == "" || addr == "0.0.0.0") && len(f) > 1 {
		addr, _, _ = strings.Cut(f[1], ":")
	}
	if addr == "" || addr == "0.0.0.0" {
		addr = "127.0.0.1"
	}
	return addr
}
