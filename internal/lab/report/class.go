package report

import (
	"fmt"
	"strings"

	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// Who set a figure: every run, and every cell over its runs, gets one
// class, in this precedence (docs/bench.md, "Who set the figure"):
//
//   - machine-saturated: the machine had no idle CPU in the window, so the
//     target and the generator competed for it;
//   - generator-limited: the generator's own lateness is a material part
//     of the measured latency, or it waited for a CPU much of the window,
//     or it ran at its CPU limit or was throttled;
//   - target-limited: the target could not keep the offered rate, or a
//     closed loop found its throughput, with room on the generator and
//     the machine;
//   - kept-up: a rate run that met its rate with room everywhere;
//   - unknown: a figure the class needs is missing (never guessed).
type Class string

const (
	ClassMachineSaturated Class = "machine-saturated"
	ClassGeneratorLimited Class = "generator-limited"
	ClassTargetLimited    Class = "target-limited"
	ClassKeptUp           Class = "kept-up"
	ClassUnknown          Class = "unknown"
)

// The thresholds, measured on this lab's 2-core machine (docs/bench.md):
const (
	// MachineIdleBelow: a window whose idle share of all the machine's CPU
	// time is below this (under 0.1 of a CPU idle on two) had no idle CPU.
	MachineIdleBelow = 0.05
	// GeneratorLateFloorMS and GeneratorLateShare: the generator's send
	// lag p99 or Go scheduler latency p99 is material when at least this
	// many ms and this share of the corrected p99.
	GeneratorLateFloorMS = 1.0
	GeneratorLateShare   = 0.10
	// GeneratorRunDelayShare: its threads waited, runnable, for a CPU at
	// least this share of the window (run delay s / wall s).
	GeneratorRunDelayShare = 0.25
	// GeneratorAtLimit: its CPU seconds over its limit's capacity (the
	// busiest generator's); GeneratorThrottledShare: the share of its
	// quota's periods that were throttled.
	GeneratorAtLimit        = 0.90
	GeneratorThrottledShare = 0.10
)

// ClassFigures are the figures a run's class is judged on (null:
// unknown).
type ClassFigures struct {
	TargetRate     float64 `json:"target_rate"` // 0: closed loop
	AchievedRate   float64 `json:"achieved_rate"`
	MetBelow       float64 `json:"met_below"` // a rate is met at or above this share of it
	CorrectedP99MS float64 `json:"corrected_p99_ms"`
	// The machine's (Run.Machine).
	IdleFraction    *float64 `json:"idle_fraction"`
	MinIdleFraction *float64 `json:"min_idle_fraction"`
	// The generator's (Run.Health).
	SendLagP99MS      *float64 `json:"send_lag_p99_ms"`
	SchedLatencyP99MS *float64 `json:"sched_latency_p99_ms"`
	RunDelayShare     *float64 `json:"run_delay_share"` // run_delay_s / wall_s
	UsedOfLimit       *float64 `json:"used_of_limit"`   // the busiest generator's
	ThrottledShare    *float64 `json:"throttled_share"` // throttled periods / periods; null without a quota
}

// Classification is a run's class, why, the class its figures give with
// the machine set aside (Beneath: set when the class is machine-saturated
// or the machine is unknown, so a reader sees whether the generator too
// was short), and the figures behind it.
type Classification struct {
	Class   Class        `json:"class"`
	Reason  string       `json:"reason"`
	Beneath Class        `json:"beneath,omitempty"`
	Figures ClassFigures `json:"figures"`
}

// RunFigures gathers a run's figures for Classify; targetRate 0 is a
// closed loop, metBelow the share of it that counts as met.
func RunFigures(r Run, targetRate, metBelow float64) ClassFigures {
	f := ClassFigures{TargetRate: targetRate, AchievedRate: r.AchievedRate, MetBelow: metBelow, CorrectedP99MS: r.Latency.P99}
	if m := r.Machine; m != nil {
		f.IdleFraction, f.MinIdleFraction = m.IdleFraction, m.MinIdleFraction
	}
	f.generator(r.Health)
	return f
}

// generator fills the generator's figures from its health (nil: unknown).
func (f *ClassFigures) generator(h *runresult.Health) {
	if h == nil {
		return
	}
	v := func(x float64) *float64 { return &x }
	if h.SendLagMS.N > 0 {
		f.SendLagP99MS = v(h.SendLagMS.P99)
	}
	if h.SchedLatencyMS.N > 0 {
		f.SchedLatencyP99MS = v(h.SchedLatencyMS.P99)
	}
	c := h.CPU
	if c.RunDelayS != nil && c.WallS > 0 {
		f.RunDelayShare = v(*c.RunDelayS / c.WallS)
	}
	if c.CapacityS > 0 {
		f.UsedOfLimit = v(max(c.UsedOfLimit, c.UsedOfLimitMax))
	}
	if t := c.Throttling; t != nil && t.Periods > 0 {
		f.ThrottledShare = v(float64(t.ThrottledPeriods) / float64(t.Periods))
	}
}

// Classify is a run's class from its figures: a pure function.
func Classify(f ClassFigures) Classification {
	c := Classification{Figures: f}
	beneath, why := classBeneath(f)
	switch {
	case f.IdleFraction == nil:
		c.Class, c.Beneath = ClassUnknown, beneath
		c.Reason = "the machine's idle time is unknown; without it: " + string(beneath) + " (" + why + ")"
	case *f.IdleFraction < MachineIdleBelow:
		c.Class, c.Beneath = ClassMachineSaturated, beneath
		c.Reason = fmt.Sprintf("machine %.1f%% idle (< %g%%); beneath: %s (%s)", 100**f.IdleFraction, 100*MachineIdleBelow, beneath, why)
	default:
		c.Class, c.Reason = beneath, fmt.Sprintf("machine %.1f%% idle; %s", 100**f.IdleFraction, why)
	}
	return c
}

// classBeneath is the class with the machine set aside, and why.
func classBeneath(f ClassFigures) (Class, string) {
	if limited, why, known := GeneratorShort(f); limited {
		return ClassGeneratorLimited, why
	} else if !known {
		return ClassUnknown, why
	}
	switch {
	case f.TargetRate <= 0:
		return ClassTargetLimited, fmt.Sprintf("closed loop: %.1f req/s, the generator with room", f.AchievedRate)
	case f.AchievedRate < f.MetBelow*f.TargetRate:
		return ClassTargetLimited, fmt.Sprintf("%.1f of %g req/s (%.0f%%), the generator with room", f.AchievedRate, f.TargetRate, 100*f.AchievedRate/f.TargetRate)
	}
	return ClassKeptUp, fmt.Sprintf("%.1f of %g req/s, the generator with room", f.AchievedRate, f.TargetRate)
}

// GeneratorShort says whether the generator's own figures show it set the
// figure (limited, and which signals), or that they are missing (known
// false). Used alone where the machine was not sampled (a sweep's steps).
func GeneratorShort(f ClassFigures) (limited bool, why string, known bool) {
	var signs []string
	late := func(name string, ms *float64) {
		if ms != nil && *ms >= GeneratorLateFloorMS && *ms >= GeneratorLateShare*f.CorrectedP99MS {
			signs = append(signs, fmt.Sprintf("%s p99 %.2f ms of a corrected p99 of %.2f ms", name, *ms, f.CorrectedP99MS))
		}
	}
	late("send lag", f.SendLagP99MS)
	late("scheduler latency", f.SchedLatencyP99MS)
	if d := f.RunDelayShare; d != nil && *d >= GeneratorRunDelayShare {
		signs = append(signs, fmt.Sprintf("its threads waited for a CPU %.0f%% of the window", 100**d))
	}
	if u := f.UsedOfLimit; u != nil && *u >= GeneratorAtLimit {
		signs = append(signs, fmt.Sprintf("it used %.0f%% of its CPU limit", 100**u))
	}
	if t := f.ThrottledShare; t != nil && *t >= GeneratorThrottledShare {
		signs = append(signs, fmt.Sprintf("throttled in %.0f%% of its quota's periods", 100**t))
	}
	if len(signs) > 0 {
		return true, "generator: " + strings.Join(signs, "; "), true
	}
	if f.SendLagP99MS == nil || f.UsedOfLimit == nil || f.RunDelayShare == nil {
		return false, "the generator's health is missing (send lag, CPU or run delay)", false
	}
	return false, "", true
}

// classOrder is how a cell combines its runs' classes: the first that any
// run has. A run whose class is unknown makes the cell unknown unless
// another was machine-saturated (the top class): an unknown run might have
// been anything.
var classOrder = []Class{ClassMachineSaturated, ClassUnknown, ClassGeneratorLimited, ClassTargetLimited, ClassKeptUp}

// CellClass combines runs' classes: the first of classOrder any run has
// (the worst by precedence), and a reason counting each class.
func CellClass(runs []Classification) (Class, string) {
	if len(runs) == 0 {
		return ClassUnknown, "no runs"
	}
	n := map[Class]int{}
	for _, r := range runs {
		n[r.Class]++
	}
	var class Class
	var parts []string
	for _, c := range classOrder {
		if n[c] == 0 {
			continue
		}
		if class == "" {
			class = c
		}
		parts = append(parts, fmt.Sprintf("%d %s", n[c], c))
	}
	if len(runs) == 1 {
		return class, runs[0].Reason
	}
	return class, fmt.Sprintf("worst of %d runs by precedence: %s", len(runs), strings.Join(parts, ", "))
}

// ClassLegend is the line under each table that says what the classes
// mean.
const ClassLegend = "Who set the figure: **machine-saturated** the machine had no idle CPU (target and generator competed; on a 2-core machine via localhost, the usual truth), " +
	"**generator-limited** the generator's lateness, CPU wait or limit is a material part of it, " +
	"**target-limited** the target's own (rate not kept, or a closed loop's throughput) with room on the generator and machine, " +
	"**kept-up** the rate was met with room everywhere, **unknown** a figure behind it is missing; a cell is the worst of its runs (docs/bench.md)."

// ClassTag follows a figure in summary.md: " · class", "" when the cell
// has none (an older summary).
func ClassTag(c Class) string {
	if c == "" {
		return ""
	}
	return " · " + string(c)
}
