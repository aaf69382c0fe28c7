// Package genperf compares the generator's throughput with wrk's from their
// text outputs (the same "Requests/sec:" line), over interleaved rounds, so
// one noisy round on a shared machine does not decide the result.
package genperf

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
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

// Parse reads a wrk-style report: the "Requests/sec:" line (required), "N
// requests in" and the optional "cpu U+S" line.
func Parse(r io.Reader) (Run, error) {
	var run Run
	found := false
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "Requests/sec:"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return run, fmt.Errorf("bad Requests/sec line %q", line)
			}
			run.RequestsPerSec, found = v, true
		} else if n, _, ok := strings.Cut(strings.TrimSpace(line), " requests in "); ok {
			run.Requests, _ = strconv.ParseInt(n, 10, 64)
		} else if rest, ok := strings.CutPrefix(line, "cpu "); ok {
			u, s, _ := strings.Cut(strings.TrimSpace(rest), "+")
			uf, err1 := strconv.ParseFloat(u, 64)
			sf, err2 := strconv.ParseFloat(s, 64)
			if err1 == nil && err2 == nil {
				run.CPU = uf + sf
			}
		}
	}
	if err := sc.Err(); err != nil {
		return run, err
	}
	if !found {
		return run, fmt.Errorf("no Requests/sec line")
	}
	return run, nil
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
