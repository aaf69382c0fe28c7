package merge

import (
	"fmt"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/loadgen/wrkreport"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// mergeHealth adds the generators' health up exactly: the send lag
// histograms merged and the scheduler latency buckets added (their figures
// recomputed from them), CPU seconds, window seconds, CPU limits, capacity
// and throttling summed, the busiest generator's share of its limit kept.
// When any input has no health (a generator from before it), the merge has
// none: it could not be the whole's.
func mergeHealth(in []Input) (*runresult.Health, error) {
	for _, x := range in {
		if x.G.Health == nil {
			return nil, nil
		}
	}
	lag := loadgen.NewHistogram()
	var sched [][]runresult.Bucket
	m := &runresult.Health{}
	var th *runresult.Throttling
	for i, x := range in {
		h := x.G.Health
		l, err := wrkreport.DecodeSendLag(h.Histograms.SendLag)
		if err != nil {
			return nil, fmt.Errorf("%s: health: %v", x.Name, err)
		}
		if l.TotalCount() != h.SendLagMS.N {
			return nil, fmt.Errorf("%s: health: its send lag histogram holds %d values, not its %d", x.Name, l.TotalCount(), h.SendLagMS.N)
		}
		if lag.Merge(l) != 0 {
			return nil, fmt.Errorf("%s: health: send lag out of the generator's histogram range", x.Name)
		}
		sched = append(sched, h.Histograms.SchedLatency)
		m.Generators += h.Generators
		c := &m.CPU
		c.UsedS += h.CPU.UsedS
		c.WallS += h.CPU.WallS
		c.LimitCPUs += h.CPU.LimitCPUs
		c.QuotaCPUs += h.CPU.QuotaCPUs
		c.CPUSetCPUs += h.CPU.CPUSetCPUs
		c.UsedOfLimitMax = max(c.UsedOfLimitMax, h.CPU.UsedOfLimitMax)
		switch d := h.CPU.RunDelayS; {
		case i == 0 && d != nil:
			v := *d
			c.RunDelayS = &v
		case d == nil:
			c.RunDelayS = nil // unknown for one: unknown for all
		case c.RunDelayS != nil:
			*c.RunDelayS += *d
		}
		if i == 0 {
			c.LimitFrom = h.CPU.LimitFrom
		} else if c.LimitFrom != h.CPU.LimitFrom {
			c.LimitFrom = "mixed"
		}
		if t := h.CPU.Throttling; t != nil {
			if th == nil {
				th = &runresult.Throttling{}
			}
			th.Periods += t.Periods
			th.ThrottledPeriods += t.ThrottledPeriods
			th.ThrottledS += t.ThrottledS
		}
	}
	buckets, err := runresult.MergeBuckets(sched...)
	if err != nil {
		return nil, err
	}
	enc, err := wrkreport.EncodeSendLag(lag)
	if err != nil {
		return nil, err
	}
	m.SendLagMS = wrkreport.LagSpread(lag)
	m.SchedLatencyMS = runresult.SchedSpread(buckets)
	m.Histograms = runresult.HealthHistograms{SendLag: enc, SchedLatency: buckets}
	m.CPU.Throttling = th
	// Capacity is the sum of wall × limit (each generator's), not the
	// sums' product.
	for _, x := range in {
		m.CPU.CapacityS += x.G.Health.CPU.CapacityS
	}
	if m.CPU.CapacityS > 0 {
		m.CPU.UsedOfLimit = m.CPU.UsedS / m.CPU.CapacityS
	}
	return m, nil
}
