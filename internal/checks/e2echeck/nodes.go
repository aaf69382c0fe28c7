package e2echeck

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/macrobench/macrobench/internal/lab/nodecpu"
	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// CheckSwarmNodes checks swarm.yaml's global node-exporter through the
// stack's Prometheus at promURL: within wait, one target of job
// nodecpu.Job up for each node (by hostname, as `docker node ls` shows
// them), then every node's CPU over a second just past (nodecpu.Read)
// known, with its CPUs. It returns each node's figures as lines for the
// log.
func CheckSwarmNodes(ctx context.Context, promURL string, nodes []string, wait time.Duration) (lines []string, err error) {
	if len(nodes) == 0 {
		return nil, fmt.Errorf("no nodes named")
	}
	prom, err := promapi.New(promURL)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for up := 0; up < len(nodes); {
		ts, err := prom.ActiveTargets(ctx)
		if err != nil {
			return nil, err
		}
		up = 0
		var states []string
		for _, t := range ts {
			if string(t.Labels["job"]) == nodecpu.Job {
				states = append(states, fmt.Sprintf("%s %s %s", t.ScrapeURL, t.Health, t.LastError))
				if t.Health == v1.HealthGood {
					up++
				}
			}
		}
		if up >= len(nodes) {
			break
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("after %s, %d of %d nodes' node-exporter targets up (job %q): %v", wait, up, len(nodes), nodecpu.Job, states)
		}
		time.Sleep(time.Second)
	}
	from := time.Now()
	time.Sleep(time.Second)
	to := time.Now()
	got, err := nodecpu.Read(ctx, prom, nodes, from, to)
	if err != nil {
		return nil, err
	}
	var bad []string
	names := make([]string, 0, len(got))
	for n := range got {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		m := got[n]
		if m.IdleFraction == nil || m.CPUs < 1 {
			bad = append(bad, fmt.Sprintf("node %s: unknown: %s", n, strings.Join(m.Unknown, "; ")))
			continue
		}
		lines = append(lines, fmt.Sprintf("node %s: %d CPUs, idle %.3f, steal %.3f, busiest slice idle %.3f over %.1fs (%s–%s)",
			n, m.CPUs, *m.IdleFraction, *m.StealFraction, *m.MinIdleFraction, m.WindowS, m.From, m.To))
	}
	if len(got) != len(nodes) {
		bad = append(bad, fmt.Sprintf("Prometheus has %d nodes %v, the swarm %d %v", len(got), names, len(nodes), nodes))
	}
	if len(bad) > 0 {
		return lines, fmt.Errorf("%s", strings.Join(bad, "; "))
	}
	return lines, nil
}
