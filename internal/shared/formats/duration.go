package formats

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Duration reads a duration as wrk does (a number with an optional unit s,
// m or h; seconds by default: 2s, 30s, 5m, 1h, 30) or as Go does (500ms, 1m30s).
func Duration(v string) (time.Duration, error) {
	num, unit := v, "s"
	if n := len(v); n > 0 && strings.ContainsRune("smh", rune(v[n-1])) && (n < 2 || v[n-2] >= '0' && v[n-2] <= '9' || v[n-2] == '.') {
		num, unit = v[:n-1], v[n-1:]
	}
	if f, err := strconv.ParseFloat(num, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
		scale := map[string]float64{"s": 1, "m": 60, "h": 3600}[unit]
		secs := f * scale
		if secs > 1e9 || secs < -1e9 {
			return 0, fmt.Errorf("invalid time %q: too large", v)
		}
		return time.Duration(secs * 1e9), nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("invalid time %q (want e.g. 2s, 30s, 5m, 1h, 500ms)", v)
	}
	return d, nil
}
