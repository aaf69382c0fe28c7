// Package wrkreport writes a finished run the way wrk2 prints it (same layout,
// units and rounding, so results read like the original's), as JSON for
// machines, and as an HdrHistogram percentile distribution for plotters.
package wrkreport

import (
	"fmt"
	"math"
)

// units mirrors wrk's units.c: a value is scaled while it is at least 85% of
// the next unit; the last unit of a table is never reached (wrk's loop stops
// one short), which is why minutes are the largest time unit.
type units struct {
	scale float64
	base  string
	names []string
}

var (
	timeUnitsUS = units{1000, "us", []string{"ms", "s"}}
	timeUnitsS  = units{60, "s", []string{"m", "h"}}
	binaryUnits = units{1024, "", []string{"K", "M", "G", "T", "P"}}
	metricUnits = units{1000, "", []string{"k", "M", "G", "T", "P"}}
)

func formatUnits(n float64, u units, precision int) string {
	amt, unit := n, u.base
	scale := u.scale * 0.85
	for i := 0; i+1 < len(u.names) && amt >= scale; i++ {
		amt /= u.scale
		unit = u.names[i]
	}
	return fmt.Sprintf("%.*f%s", precision, amt, unit)
}

// FormatTimeUS formats microseconds as wrk does: 850us, 1.23ms, 4.47m.
func FormatTimeUS(us float64) string {
	if us >= 1e6 {
		return formatUnits(us/1e6, timeUnitsS, 2)
	}
	return formatUnits(us, timeUnitsUS, 2)
}

// FormatTimeS formats whole seconds (the "Running 30s test" header).
func FormatTimeS(s float64) string { return formatUnits(s, timeUnitsS, 0) }

// FormatBinary formats bytes in powers of 1024: 13.51M.
func FormatBinary(n float64) string { return formatUnits(n, binaryUnits, 2) }

// FormatMetric formats counts in powers of 1000: 2.96k.
func FormatMetric(n float64) string { return formatUnits(n, metricUnits, 2) }

// units pads a formatted value as wrk's print_units: right-aligned in width,
// minus one column per trailing unit letter.
func padUnits(msg string, width int) string {
	pad := 2
	if l := len(msg); l >= 1 && isAlpha(msg[l-1]) {
		pad--
	}
	if l := len(msg); l >= 2 && isAlpha(msg[l-2]) {
		pad--
	}
	width -= pad
	if len(msg) > width {
		msg = msg[:width] // printf's %*.*s truncates too
	}
	return fmt.Sprintf("%*s%s", width, msg, "  "[:pad])
}

func isAlpha(c byte) bool { return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// stats is the mean, standard deviation (n-1, as wrk), max and the share of
// samples within one standard deviation of the mean.
type stats struct {
	mean, stdev, max, withinStdev float64
}

func sampleStats(xs []float64) stats {
	var s stats
	if len(xs) == 0 {
		return stats{withinStdev: 100}
	}
	for _, x := range xs {
		s.mean += x
		s.max = math.Max(s.max, x)
	}
	s.mean /= float64(len(xs))
	if len(xs) > 1 {
		var sum float64
		for _, x := range xs {
			sum += (x - s.mean) * (x - s.mean)
		}
		s.stdev = math.Sqrt(sum / float64(len(xs)-1))
	}
	in := 0
	for _, x := range xs {
		if x >= s.mean-s.stdev && x <= s.mean+s.stdev {
			in++
		}
	}
	s.withinStdev = 100 * float64(in) / float64(len(xs))
	return s
}
