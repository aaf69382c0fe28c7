// Package cpuwindow turns a machine's cumulative CPU counters, sampled over
// time, into one window's figures (report.Machine's idle, steal and lowest
// idle share): the one arithmetic behind /proc/stat sampled by the bench
// (internal/lab/benchrun) and node-exporter's counters read from Prometheus
// (internal/lab/nodecpu). Pure, no I/O.
package cpuwindow

import (
	"fmt"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// Sample is one look at a machine's CPU counters, all CPUs together, in
// any one unit (clock ticks, seconds): Idle is idle plus iowait, Total every
// mode (user, nice, system, idle, iowait, irq, softirq, steal).
type Sample struct {
	At                 time.Time
	Idle, Steal, Total float64
	CPUs               int
}

// Bracket is the indexes of the last time at or before from and the first
// at or after to in ascending times; ok false when the samples do not
// cover the window.
func Bracket(n int, at func(int) time.Time, from, to time.Time) (i, j int, ok bool) {
	i, j = -1, -1
	for k := 0; k < n; k++ {
		if !at(k).After(from) {
			i = k
		}
		if j < 0 && !at(k).Before(to) {
			j = k
		}
	}
	return i, j, i >= 0 && j > i
}

// Window is the figures between the samples (ascending times) bracketing
// [from, to]: the idle and steal shares of all CPU time in the window, and
// the lowest idle share over consecutive slices of at least a second (a
// last slice shorter than a second is left to the whole window's figure).
// who names the machine in Unknown's lines ("machine", "node X"), source
// the samples ("/proc/stat"). A figure that cannot be read is nil with a
// line in Unknown: no samples bracketing the window, no CPU time passed,
// or a counter that went back (a reboot).
func Window(samples []Sample, from, to time.Time, who, source string) *report.Machine {
	m := &report.Machine{}
	i, j, ok := Bracket(len(samples), func(k int) time.Time { return samples[k].At }, from, to)
	if !ok {
		if len(samples) > 0 {
			m.Unknown = append(m.Unknown, fmt.Sprintf("%s: no %s samples bracket the window (%d samples)", who, source, len(samples)))
		}
		return m
	}
	a, b := samples[i], samples[j]
	m.From, m.To = a.At.UTC().Format(time.RFC3339Nano), b.At.UTC().Format(time.RFC3339Nano)
	m.WindowS = b.At.Sub(a.At).Seconds()
	m.CPUs = b.CPUs
	for k := i; k < j; k++ {
		n, p := samples[k+1], samples[k]
		if n.Total < p.Total || n.Idle < p.Idle || n.Steal < p.Steal {
			m.Unknown = append(m.Unknown, fmt.Sprintf("%s: %s counters went back in the window (a restart)", who, source))
			return m
		}
	}
	total := b.Total - a.Total
	if total <= 0 {
		m.Unknown = append(m.Unknown, who+": no CPU time passed between the samples")
		return m
	}
	idle := (b.Idle - a.Idle) / total
	steal := (b.Steal - a.Steal) / total
	m.IdleFraction, m.StealFraction = &idle, &steal
	minIdle := idle
	for k := i; k < j; {
		e := k + 1
		for e < j && samples[e].At.Sub(samples[k].At) < time.Second {
			e++
		}
		if samples[e].At.Sub(samples[k].At) >= time.Second {
			if t := samples[e].Total - samples[k].Total; t > 0 {
				minIdle = min(minIdle, (samples[e].Idle-samples[k].Idle)/t)
			}
		}
		k = e
	}
	m.MinIdleFraction = &minIdle
	return m
}
