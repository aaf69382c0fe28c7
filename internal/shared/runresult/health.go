package runresult

import (
	"fmt"
	"math"
	"sort"
)

// Health is the generator's own health over the measured window (JSON
// "health"): whether it sent its requests when it meant to, how much CPU it
// had and used, and how long its goroutines waited for a thread. It says
// whether a figure of the run was set by the generator rather than the
// target. Merged results (bench merge) add their generators' health up
// exactly: histograms merged, seconds and counts summed.
type Health struct {
	// Generators is how many generators' health this is: 1, or the number
	// of results merged.
	Generators int `json:"generators"`
	// SendLagMS: per request sent in the window, max(0, sent − max(due,
	// free)) in ms, where due is its time in the -R schedule (none in a
	// closed loop) and free is when its connection became free (its
	// previous response read, or its dial done; connect back-off is not
	// lag). In a closed loop this is the turnaround from a response to the
	// connection's next request. Time the generator held a request back
	// that it could have sent: not the target's.
	SendLagMS Spread `json:"send_lag_ms"`
	// SchedLatencyMS is the Go scheduler's latency over the window
	// (runtime/metrics /sched/latencies:seconds): how long goroutines
	// waited, runnable, for a thread. A starved generator also reads
	// responses late; that delay is in the latency, and shows here.
	// Figures are the upper bounds of the runtime's buckets.
	SchedLatencyMS Spread `json:"sched_latency_ms"`
	CPU            CPU    `json:"cpu"`
	// Histograms hold what merging needs: the send lag as an HdrHistogram
	// (µs, the generator's range, V2 compressed, base64) and the scheduler
	// latency's non-empty runtime buckets.
	Histograms HealthHistograms `json:"histograms"`
}

// Spread is a distribution's count and figures in ms.
type Spread struct {
	N   int64   `json:"n"`
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// HealthHistograms are Health's distributions in full.
type HealthHistograms struct {
	SendLag      string   `json:"send_lag"`
	SchedLatency []Bucket `json:"sched_latency"`
}

// Bucket is one bucket of a runtime/metrics time histogram: N values in
// [LoS, HiS) seconds. A bucket without an upper bound (the runtime's last)
// has HiS = LoS.
type Bucket struct {
	LoS float64 `json:"lo_s"`
	HiS float64 `json:"hi_s"`
	N   uint64  `json:"n"`
}

// CPU is the generator's CPU time against what it could have had.
type CPU struct {
	// UsedS is its process's user+system CPU seconds over the window (the
	// top-level cpu_s); WallS the window's seconds (merged: summed over the
	// generators, generator-seconds).
	UsedS float64 `json:"used_s"`
	WallS float64 `json:"wall_s"`
	// LimitCPUs is the CPUs it could use: the smaller of its cgroup's CPU
	// quota (QuotaCPUs, 0 when none) and the CPUs of its CPU set
	// (CPUSetCPUs, sched_getaffinity); LimitFrom says which ("quota",
	// "cpuset"; merged from both: "mixed"). Merged: summed.
	LimitCPUs  float64 `json:"limit_cpus"`
	LimitFrom  string  `json:"limit_from"`
	QuotaCPUs  float64 `json:"quota_cpus"`
	CPUSetCPUs int     `json:"cpuset_cpus"`
	// CapacityS is WallS × LimitCPUs (merged: summed), UsedOfLimit UsedS /
	// CapacityS: 1 is a generator that ran at its limit all the window.
	// UsedOfLimitMax is the busiest generator's UsedOfLimit.
	CapacityS      float64 `json:"capacity_s"`
	UsedOfLimit    float64 `json:"used_of_limit"`
	UsedOfLimitMax float64 `json:"used_of_limit_max"`
	// Throttling is the CFS bandwidth throttling over the window of the
	// cgroup whose quota is the limit (cpu.stat; in a container, the
	// container's), when there is a quota; nil otherwise.
	Throttling *Throttling `json:"throttling,omitempty"`
	// RunDelayS is how long its threads were runnable but waited for a
	// CPU over the window (the kernel's schedstat, summed over its
	// threads; merged: summed): a starved generator reads its responses
	// late, and this is where that shows. Absent when unreadable.
	RunDelayS *float64 `json:"run_delay_s,omitempty"`
}

// Throttling is the change of a cgroup's cpu.stat over the window: the
// quota periods that ran, those in which the cgroup was throttled, and the
// time it spent throttled. Merged: summed.
type Throttling struct {
	Periods          int64   `json:"periods"`
	ThrottledPeriods int64   `json:"throttled_periods"`
	ThrottledS       float64 `json:"throttled_s"`
}

// Derive sets c's derived figures (CapacityS, UsedOfLimit) from the others.
func (c *CPU) Derive() {
	c.CapacityS = c.WallS * c.LimitCPUs
	c.UsedOfLimit = 0
	if c.CapacityS > 0 {
		c.UsedOfLimit = c.UsedS / c.CapacityS
	}
}

// SchedSpread is the figures of runtime buckets: each the upper bound of
// the bucket that holds it, in ms.
func SchedSpread(buckets []Bucket) Spread {
	var s Spread
	for _, b := range buckets {
		s.N += int64(b.N)
	}
	if s.N == 0 {
		return s
	}
	ms := func(s float64) float64 { return math.Round(s*1e9) / 1e6 } // the runtime's bounds are whole ns
	at := func(p float64) float64 {
		rank := max(uint64(math.Ceil(p/100*float64(s.N))), 1)
		// rank ≤ s.N: the last bucket holding a value reaches it.
		i, seen := 0, buckets[0].N
		for seen < rank {
			i++
			seen += buckets[i].N
		}
		return ms(buckets[i].HiS)
	}
	s.P50, s.P99, s.Max = at(50), at(99), at(100)
	return s
}

// MergeBuckets adds runtime buckets up, bucket by bucket (the runtime's
// boundaries are fixed), in order. Buckets that overlap without being the
// same (another Go's boundaries) cannot be added exactly: an error.
func MergeBuckets(sets ...[]Bucket) ([]Bucket, error) {
	type key struct{ lo, hi float64 }
	sum := map[key]uint64{}
	for _, set := range sets {
		for _, b := range set {
			sum[key{b.LoS, b.HiS}] += b.N
		}
	}
	out := make([]Bucket, 0, len(sum))
	for k, n := range sum {
		out = append(out, Bucket{k.lo, k.hi, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LoS < out[j].LoS })
	for i := 1; i < len(out); i++ {
		if out[i].LoS < out[i-1].HiS {
			return nil, fmt.Errorf("scheduler latency buckets [%g, %g) and [%g, %g) overlap: histograms of different Go runtimes",
				out[i-1].LoS, out[i-1].HiS, out[i].LoS, out[i].HiS)
		}
	}
	return out, nil
}
