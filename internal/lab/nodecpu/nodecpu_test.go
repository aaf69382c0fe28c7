package nodecpu

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/model"

	"github.com/macrobench/macrobench/internal/lab/report"
)

func series(inst, cpu, mode string, vals ...float64) *model.SampleStream {
	s := &model.SampleStream{Metric: model.Metric{"__name__": "node_cpu_seconds_total", "instance": model.LabelValue(inst),
		"job": Job, "cpu": model.LabelValue(cpu), "mode": model.LabelValue(mode)}}
	for k, v := range vals {
		s.Values = append(s.Values, model.SamplePair{Timestamp: model.Time(int64(k) * 5000), Value: model.SampleValue(v)})
	}
	return s
}

// Fixed scrapes of two nodes, the sums worked by hand: node a (2 CPUs)
// over 0–10 s: idle+iowait 10+2 → 15+3 → 16+4, steal 1 → 2 → 2, user
// 5 → 10 → 20; total 18 → 30 → 42: idle 8/24, steal 1/24, its busiest
// slice (5–10 s) 2/12 idle. Node b has one scrape missing a series (left
// out) and no uname: named by its address.
func TestSamplesAndWindows(t *testing.T) {
	cpu := model.Matrix{
		series("10.0.0.2:9100", "0", "idle", 6, 8, 8),
		series("10.0.0.2:9100", "1", "idle", 4, 7, 8),
		series("10.0.0.2:9100", "0", "iowait", 2, 3, 4),
		series("10.0.0.2:9100", "0", "steal", 1, 2, 2),
		series("10.0.0.2:9100", "1", "user", 5, 10, 20),
		series("10.0.0.3:9100", "0", "idle", 1, 2, 3),
		series("10.0.0.3:9100", "0", "user", 1, 2),
	}
	uname := model.Matrix{{Metric: model.Metric{"instance": "10.0.0.2:9100", "nodename": "a"}}}
	byNode := Samples(cpu, uname)
	a := byNode["a"]
	if len(a) != 3 || a[0].Total != 18 || a[1].Idle != 18 || a[2].Steal != 2 || a[2].Total != 42 || a[0].CPUs != 2 {
		t.Fatalf("node a: %+v", a)
	}
	if b := byNode["instance 10.0.0.3:9100"]; len(b) != 2 {
		t.Fatalf("node b: %+v (want its two whole scrapes)", byNode)
	}
	t0 := time.UnixMilli(0)
	ws := windows(byNode, []string{"a", "ghost"}, t0.Add(time.Second), t0.Add(9*time.Second))
	m := ws["a"]
	if m.IdleFraction == nil || *m.IdleFraction != 8.0/24 || *m.StealFraction != 1.0/24 || *m.MinIdleFraction != 2.0/12 || m.CPUs != 2 || m.WindowS != 10 {
		t.Errorf("node a: %+v", m)
	}
	if g := ws["ghost"]; g == nil || g.IdleFraction != nil || !strings.Contains(strings.Join(g.Unknown, ""), "node ghost: Prometheus has no node-exporter samples") {
		t.Errorf("a node with no samples: %+v, want unknown", g)
	}
}

func f(v float64) *float64 { return &v }

// The busiest node of those that ran something judges the run; one unread
// node makes it unknown.
func TestBusiest(t *testing.T) {
	nodes := map[string]*report.Machine{
		"app":  {CPUs: 4, IdleFraction: f(0.3), MinIdleFraction: f(0.02)},
		"gen":  {CPUs: 2, IdleFraction: f(0.1), MinIdleFraction: f(0.08)},
		"db":   {CPUs: 8, IdleFraction: f(0), MinIdleFraction: f(0)},
		"lost": {Unknown: []string{"node lost: no node-exporter samples bracket the window (1 samples)"}},
	}
	m := Busiest(nodes, []string{"gen", "app"})
	if m.Node != "app" || m.CPUs != 4 || *m.MinIdleFraction != 0.02 {
		t.Errorf("busiest of app and gen: %+v, want app (its busiest second)", m)
	}
	if sat, known := m.Saturated(0.05, true); !sat || !known {
		t.Errorf("saturated %v known %v", sat, known)
	}
	if m := Busiest(nodes, []string{"gen"}); m.Node != "gen" {
		t.Errorf("gen alone: %+v (db, which ran neither, does not count)", m)
	}
	for _, ran := range [][]string{{"app", "lost"}, {"app", "nowhere"}, nil} {
		m := Busiest(nodes, ran)
		if _, known := m.Saturated(0.05, true); known || len(m.Unknown) == 0 {
			t.Errorf("ran %v: %+v, want unknown with a reason", ran, m)
		}
	}
}
