package wrkreport

import (
	"fmt"
	"io"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// HealthJSON is r's health as the --json document keeps it; nil when the
// run has none (interrupted before its window).
func HealthJSON(r *loadgen.Result) (*runresult.Health, error) {
	h := r.Health
	if h == nil {
		return nil, nil
	}
	lag, err := EncodeSendLag(h.SendLag)
	if err != nil {
		return nil, err
	}
	limit, from := h.LimitCPUs()
	j := &runresult.Health{
		Generators:     1,
		SendLagMS:      LagSpread(h.SendLag),
		SchedLatencyMS: runresult.SchedSpread(h.SchedLatency),
		CPU: runresult.CPU{
			UsedS:      r.CPU.Seconds(),
			WallS:      r.Elapsed.Seconds(),
			LimitCPUs:  limit,
			LimitFrom:  from,
			QuotaCPUs:  h.QuotaCPUs,
			CPUSetCPUs: h.CPUSetCPUs,
			Throttling: h.Throttling,
		},
		Histograms: runresult.HealthHistograms{SendLag: lag, SchedLatency: h.SchedLatency},
	}
	if j.Histograms.SchedLatency == nil {
		j.Histograms.SchedLatency = []runresult.Bucket{}
	}
	if h.RunDelay != nil {
		s := h.RunDelay.Seconds()
		j.CPU.RunDelayS = &s
	}
	j.CPU.Derive()
	j.CPU.UsedOfLimitMax = j.CPU.UsedOfLimit
	return j, nil
}

// EncodeSendLag encodes a send lag histogram as the JSON keeps it.
func EncodeSendLag(h *hdrhistogram.Histogram) (string, error) {
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encoding the send lag histogram: %w", err)
	}
	return string(b), nil
}

// LagSpread is a send lag histogram's (µs) count, p50, p99 and max in ms.
func LagSpread(h *hdrhistogram.Histogram) runresult.Spread {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return runresult.Spread{N: h.TotalCount(), P50: ms(h.ValueAtPercentile(50)), P99: ms(h.ValueAtPercentile(99)), Max: ms(h.Max())}
}

// DecodeSendLag decodes a send lag histogram, of the generator's range and
// precision or an error.
func DecodeSendLag(enc string) (*hdrhistogram.Histogram, error) {
	if enc == "" {
		return nil, fmt.Errorf("no send lag histogram")
	}
	return decodeHistogram("send lag", enc)
}

// HealthLine writes the generator's health as one line, after the report:
//
//	Generator: send lag p50 0us p99 12us max 1.20ms; CPU 0.42s in 10.00s, 4.2% of 1 CPU (cpuset), throttled 0/0 periods 0.00s; sched latency p50 1us p99 40us max 2.05ms
//
// Nothing when there is no health (a merge of older results).
func HealthLine(w io.Writer, h *runresult.Health) {
	if h == nil {
		return
	}
	t := func(ms float64) string { return FormatTimeUS(ms * 1000) }
	c := h.CPU
	fmt.Fprintf(w, "Generator: send lag p50 %s p99 %s max %s; CPU %.2fs in %.2fs, %.1f%% of %g CPU (%s)",
		t(h.SendLagMS.P50), t(h.SendLagMS.P99), t(h.SendLagMS.Max), c.UsedS, c.WallS, 100*c.UsedOfLimit, c.LimitCPUs, c.LimitFrom)
	if h.Generators > 1 {
		fmt.Fprintf(w, " over %d generators, busiest %.1f%%", h.Generators, 100*c.UsedOfLimitMax)
	}
	if th := c.Throttling; th != nil {
		fmt.Fprintf(w, ", throttled %d/%d periods %.2fs", th.ThrottledPeriods, th.Periods, th.ThrottledS)
	}
	s := h.SchedLatencyMS
	fmt.Fprintf(w, "; sched latency p50 %s p99 %s max %s\n", t(s.P50), t(s.P99), t(s.Max))
}
