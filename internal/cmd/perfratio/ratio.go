package main

// The generator's throughput against wrk's, from their text outputs (the
// same "Requests/sec:" line, read by internal/shared/formats), over interleaved
// rounds, so one noisy round on a shared machine does not decide the result.

import (
	"bufio"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/macrobench/macrobench/internal/shared/formats"
)

// Run is what a wrk-style report says about one run.
type Run struct {
	RequestsPerSec float64
	Requests       int64
	CPU            float64 // seconds, from a "cpu USER+SYS" line (GNU time -f "cpu %U+%S"); 0 if absent
}

// CPUPerRequest is the CPU time per request in µs (0 when unknown).
func (r Run) CPUPerRequest() float64 {
	if r.Requests == 0 {
		return 0
	}
	return r.CPU / float64(r.Requests) * 1e6
}

// Parse reads a wrk-style report (formats.ParseWrk: the "Requests/sec:" line is
// required) and the "cpu U+S" line scripts/loadtest-perf.sh appends to it.
func Parse(r io.Reader) (Run, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Run{}, err
	}
	s, err := formats.ParseWrk(string(b))
	run := Run{RequestsPerSec: s.RequestsPerSec, Requests: s.Requests, CPU: cpuLine(string(b))}
	return run, err
}

// cpuLine is the "cpu U+S" line's seconds (0 without one).
func cpuLine(text string) float64 {
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "cpu "); ok {
			u, s, _ := strings.Cut(strings.TrimSpace(rest), "+")
			uf, err1 := strconv.ParseFloat(u, 64)
			sf, err2 := strconv.ParseFloat(s, 64)
			if err1 == nil && err2 == nil {
				return uf + sf
			}
		}
	}
	return 0
}

// Round is one wrk run and the generator's run right after it.
type Round struct{ Wrk, Ours float64 }

// Ratio is ours/wrk of one round.
func (r Round) Ratio() float64 { return r.Ours / r.Wrk }

// Median is the median of the rounds' ratios.
func Median(rounds []Round) float64 {
	if len(rounds) == 0 {
		return 0
	}
	rs := make([]float64, len(rounds))
	for i, r := range rounds {
		rs[i] = r.Ratio()
	}
	sort.Float64s(rs)
	if n := len(rs); n%2 == 1 {
		return rs[n/2]
	} else {
		return (rs[n/2-1] + rs[n/2]) / 2
	}
}
