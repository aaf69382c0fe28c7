// Package nodecpu reads each cluster node's CPU over a run's window from
// node-exporter's counters (node_cpu_seconds_total) in the stack's
// Prometheus, and picks the node whose figures the who-set-the-figure
// classes judge a run by (Busiest). The figures are report.Machine's, cut
// as the bench cuts /proc/stat's on one engine (internal/lab/cpuwindow);
// a node whose samples do not bracket the window is unknown, never guessed.
package nodecpu

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/prometheus/common/model"

	"github.com/macrobench/macrobench/internal/lab/cpuwindow"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// Job is node-exporter's scrape job in the stack's Prometheus
// (prometheus/prometheus.swarm.yml).
const Job = "node"

// Lookback is how far before the window Read looks for the sample that
// brackets its start: several scrape intervals (5 s in the stack).
var Lookback = 30 * time.Second

// ScrapeWait bounds Read's wait for a scrape of every node at or after the
// window's end (the sample that brackets it).
var ScrapeWait = 20 * time.Second

// pollEvery is how often Read looks again while it waits.
var pollEvery = 500 * time.Millisecond

// Read is each node's CPU over [from, to] (idle, steal, lowest idle over
// slices of at least a second, CPUs; report.Machine without Containers),
// by node name: node_uname_info's nodename, which swarm.yaml sets to the
// node's hostname. nodes are the nodes expected (their hostnames, as
// `docker node ls` shows them): each is in the answer, unknown (figures
// nil, Unknown saying why) when Prometheus has no samples of it bracketing
// the window; a node Prometheus has and nodes does not name is in it too.
// Read waits up to ScrapeWait for the scrapes that end the window. The
// error is for a Prometheus that could not be read.
func Read(ctx context.Context, prom *promapi.Client, nodes []string, from, to time.Time) (map[string]*report.Machine, error) {
	deadline := time.Now().Add(ScrapeWait)
	for {
		byNode, err := read(ctx, prom, from, to)
		if err != nil {
			return nil, err
		}
		waiting := false
		for _, ss := range byNode {
			if len(ss) > 0 && ss[len(ss)-1].At.Before(to) {
				waiting = true
			}
		}
		if !waiting || time.Now().After(deadline) {
			return windows(byNode, nodes, from, to), nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// read is every node's samples from Lookback before from to now (at most
// Lookback after to), in ascending time.
func read(ctx context.Context, prom *promapi.Client, from, to time.Time) (map[string][]cpuwindow.Sample, error) {
	start, end := from.Add(-Lookback), time.Now()
	if end.After(to.Add(Lookback)) {
		end = to.Add(Lookback)
	}
	cpu, err := prom.Samples(ctx, fmt.Sprintf(`node_cpu_seconds_total{job=%q}`, Job), start, end)
	if err != nil {
		return nil, err
	}
	uname, err := prom.Samples(ctx, fmt.Sprintf(`node_uname_info{job=%q}`, Job), start, end)
	if err != nil {
		return nil, err
	}
	return Samples(cpu, uname), nil
}

// Samples groups node_cpu_seconds_total's series (cpu) by node, summed
// over CPUs and modes at each scrape, into cpuwindow's samples: idle is
// modes idle and iowait, steal mode steal, total every mode (as /proc/stat's
// aggregate line; guest time is already in user and nice). uname
// (node_uname_info) names each scrape target (instance) by its nodename; a
// target without one is named "instance ADDRESS". A scrape missing some of
// its target's series is left out (a partial look is no look).
func Samples(cpu, uname model.Matrix) map[string][]cpuwindow.Sample {
	names := map[model.LabelValue]string{}
	for _, s := range uname {
		names[s.Metric["instance"]] = string(s.Metric["nodename"])
	}
	type look struct {
		idle, steal, total float64
		series             int
		cpus               map[model.LabelValue]bool
	}
	looks := map[string]map[model.Time]*look{} // node → scrape time → sums
	series := map[model.LabelValue]int{}       // instance → its series
	for _, s := range cpu {
		inst := s.Metric["instance"]
		series[inst]++
		node, ok := names[inst]
		if !ok || node == "" {
			node = "instance " + string(inst)
		}
		if looks[node] == nil {
			looks[node] = map[model.Time]*look{}
		}
		for _, p := range s.Values {
			l := looks[node][p.Timestamp]
			if l == nil {
				l = &look{cpus: map[model.LabelValue]bool{}}
				looks[node][p.Timestamp] = l
			}
			v := float64(p.Value)
			switch s.Metric["mode"] {
			case "idle", "iowait":
				l.idle += v
			case "steal":
				l.steal += v
			}
			l.total += v
			l.series++
			l.cpus[s.Metric["cpu"]] = true
		}
	}
	// A node's series all come from one target unless its task was
	// replaced; the scrape is whole when it has the most series seen.
	out := map[string][]cpuwindow.Sample{}
	for node, byTime := range looks {
		most := 0
		for _, l := range byTime {
			most = max(most, l.series)
		}
		var ss []cpuwindow.Sample
		for ts, l := range byTime {
			if l.series < most {
				continue
			}
			ss = append(ss, cpuwindow.Sample{At: ts.Time(), Idle: l.idle, Steal: l.steal, Total: l.total, CPUs: len(l.cpus)})
		}
		sort.Slice(ss, func(i, j int) bool { return ss[i].At.Before(ss[j].At) })
		out[node] = ss
	}
	return out
}

// windows cuts each node's window; an expected node with no samples is
// unknown.
func windows(byNode map[string][]cpuwindow.Sample, nodes []string, from, to time.Time) map[string]*report.Machine {
	out := map[string]*report.Machine{}
	for node, ss := range byNode {
		out[node] = cpuwindow.Window(ss, from, to, "node "+node, "node-exporter")
	}
	for _, node := range nodes {
		if m, ok := out[node]; !ok || (m.IdleFraction == nil && len(m.Unknown) == 0) {
			out[node] = &report.Machine{Unknown: []string{fmt.Sprintf(
				"node %s: Prometheus has no node-exporter samples of it (job %q) around the window", node, Job)}}
		}
	}
	return out
}

// Busiest is the machine figure that the who-set-the-figure classes judge
// a run by on a cluster: of the nodes that ran the target or a generator
// (ran: node names, as Read's keys), the one with the least idle CPU (the
// lowest MinIdleFraction, or IdleFraction where it has none), named in
// Node. It is unknown (IdleFraction nil, Unknown saying which node and
// why) when ran is empty or any node in it is unknown: an unread node
// might have been the saturated one. Containers are left to the caller.
func Busiest(nodes map[string]*report.Machine, ran []string) *report.Machine {
	ran = append([]string(nil), ran...)
	sort.Strings(ran)
	if len(ran) == 0 {
		return &report.Machine{Unknown: []string{"machine: no node is known to have run the target or a generator"}}
	}
	var best *report.Machine
	bestIdle := 0.0
	var unknown []string
	for _, name := range ran {
		m := nodes[name]
		if m == nil || m.IdleFraction == nil {
			why := []string{"node " + name + ": no CPU figures read"}
			if m != nil && len(m.Unknown) > 0 {
				why = m.Unknown
			}
			unknown = append(unknown, why...)
			continue
		}
		idle := *m.IdleFraction
		if m.MinIdleFraction != nil {
			idle = *m.MinIdleFraction
		}
		if best == nil || idle < bestIdle {
			c := *m
			c.Node = name
			best, bestIdle = &c, idle
		}
	}
	if len(unknown) > 0 {
		return &report.Machine{Unknown: unknown}
	}
	best.Unknown = nil
	return best
}
