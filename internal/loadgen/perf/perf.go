// Package perf compares the generator's throughput with wrk's from their
// text outputs (the same "Requests/sec:" line), over interleaved rounds, so
// one noisy round on a shared machine does not decide the result.
package perf

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// RequestsPerSec reads the "Requests/sec:" line of a wrk-style report.
func RequestsPerSec(r io.Reader) (float64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "Requests/sec:"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return 0, fmt.Errorf("bad Requests/sec line %q", sc.Text())
			}
			return v, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no Requests/sec line")
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
