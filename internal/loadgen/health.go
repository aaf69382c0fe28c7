package loadgen

import (
	"math"
	"runtime/metrics"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Health is the generator's own health over the measured window: whether
// it sent its requests when it meant to (send lag), the CPU it was allowed
// (its CPU time is Result.CPU, the window Result.Elapsed), its cgroup's
// throttling, and the Go scheduler's latency. It tells a figure set by the
// generator from one set by the target.
type Health struct {
	// SendLag holds, per request sent in the window, max(0, sent −
	// max(due, free)) in µs: due is its time in the -R schedule (none in a
	// closed loop), free when its connection became free (the previous
	// response read, or the dial done; connect back-off excluded).
	SendLag *hdrhistogram.Histogram
	// SchedLatency is runtime/metrics' /sched/latencies:seconds over the
	// window: its non-empty buckets.
	SchedLatency []runresult.Bucket
	QuotaCPUs    float64 // the cgroup CPU quota, 0 when none
	CPUSetCPUs   int     // CPUs this process may run on (sched_getaffinity)
	// Throttling is the quota's cgroup's throttling over the window; nil
	// without a quota.
	Throttling *runresult.Throttling
	// RunDelay is its threads' wait for a CPU over the window
	// (rundelay.go); nil when the kernel keeps no schedstat.
	RunDelay *time.Duration
}

// LimitCPUs is the CPUs the generator could use: the smaller of its quota
// and its CPU set, and which it was.
func (h *Health) LimitCPUs() (cpus float64, from string) {
	cpus, from = float64(h.CPUSetCPUs), "cpuset"
	if h.QuotaCPUs > 0 && h.QuotaCPUs < cpus {
		cpus, from = h.QuotaCPUs, "quota"
	}
	return cpus, from
}

// healthProbe is what is read at the window's start and end.
type healthProbe struct {
	quota      cpuQuota
	throttle   throttleStat
	sched      *metrics.Float64Histogram
	runDelay   time.Duration
	runDelayOK bool
}

const schedMetric = "/sched/latencies:seconds"

func probeHealth(q cpuQuota) healthProbe {
	s := []metrics.Sample{{Name: schedMetric}}
	metrics.Read(s)
	p := healthProbe{quota: q, throttle: readThrottle(realFS, q)}
	p.runDelay, p.runDelayOK = readRunDelay()
	if s[0].Value.Kind() == metrics.KindFloat64Histogram {
		p.sched = s[0].Value.Float64Histogram()
	}
	return p
}

// healthBetween is the health over the window from start to end; sendLag
// the workers' send lag, merged.
func healthBetween(start, end healthProbe, sendLag *hdrhistogram.Histogram) *Health {
	h := &Health{SendLag: sendLag, QuotaCPUs: start.quota.cpus, CPUSetCPUs: cpuSetSize()}
	if start.sched != nil && end.sched != nil && len(start.sched.Counts) == len(end.sched.Counts) {
		b := end.sched.Buckets
		for i, n := range end.sched.Counts {
			if d := n - start.sched.Counts[i]; d > 0 {
				lo, hi := max(b[i], 0), b[i+1]
				if math.IsInf(hi, 1) {
					hi = lo
				}
				h.SchedLatency = append(h.SchedLatency, runresult.Bucket{LoS: lo, HiS: hi, N: d})
			}
		}
	}
	if a, z := start.throttle, end.throttle; a.ok && z.ok {
		h.Throttling = &runresult.Throttling{
			Periods:          z.periods - a.periods,
			ThrottledPeriods: z.throttled - a.throttled,
			ThrottledS:       time.Duration(z.throttledNs - a.throttledNs).Seconds(),
		}
	}
	if start.runDelayOK && end.runDelayOK {
		d := max(0, end.runDelay-start.runDelay)
		h.RunDelay = &d
	}
	return h
}

// sendLag is the time a request was held back by the generator itself
// (ns): from when it could have gone, the later of its due time (open loop;
// due < 0: none) and when its connection became free, to when it went.
func sendLag(sent, due, free int64) int64 {
	return max(0, sent-max(due, free))
}

// recordSendLag records a request's send lag (ns) in the worker's
// histogram, in µs (0 stays 0).
func (w *worker) recordSendLag(ns int64) {
	us := min(micros(ns), histMax)
	w.mu.Lock()
	_ = w.sendLag.RecordValue(us)
	w.mu.Unlock()
}
