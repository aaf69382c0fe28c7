package formats

// The quantities the lab's command lines take: a
// fraction, as a percentage ("1%", "10%") or a plain number ("0.01", "0.1"),
// read by the bench's --error-threshold and compare's --max-regression; and a
// time as wrk takes it ("30s", "5m", "30"), read by the generator's and
// bench swarm's options.

import (
	"fmt"
	"strconv"
	"strings"
)

// Fraction reads "1%" or "0.01" as 0.01; at most max (as a fraction: 1 is
// 100%), never negative.
func Fraction(s string, max float64) (float64, error) {
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil {
		return 0, fmt.Errorf("not a number or percentage: %q", s)
	}
	if pct {
		v /= 100
	}
	switch {
	case v < 0:
		return 0, fmt.Errorf("%q is negative", s)
	case v > max:
		return 0, fmt.Errorf("%q is outside 0..%g%%", s, max*100)
	}
	return v, nil
}
