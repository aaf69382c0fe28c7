package report

import (
	"strings"
	"testing"
)

func p(x float64) *float64 { return &x }

// roomy is a rate run that met its rate with room everywhere.
func roomy() ClassFigures {
	return ClassFigures{TargetRate: 1000, AchievedRate: 1000, MetBelow: 0.9, CorrectedP99MS: 4,
		IdleFraction: p(0.6), MinIdleFraction: p(0.5),
		SendLagP99MS: p(0.05), SchedLatencyP99MS: p(0.1), RunDelayShare: p(0.01), UsedOfLimit: p(0.1)}
}

func TestClassifyEachClassAndPrecedence(t *testing.T) {
	for _, tc := range []struct {
		name    string
		edit    func(*ClassFigures)
		want    Class
		beneath Class
	}{
		{"kept up", func(f *ClassFigures) {}, ClassKeptUp, ""},
		{"rate missed: target", func(f *ClassFigures) { f.AchievedRate = 850; f.CorrectedP99MS = 2000 }, ClassTargetLimited, ""},
		{"closed loop: target", func(f *ClassFigures) { f.TargetRate = 0; f.AchievedRate = 20000 }, ClassTargetLimited, ""},
		{"send lag material", func(f *ClassFigures) { f.SendLagP99MS = p(1.2) }, ClassGeneratorLimited, ""},
		{"send lag under the floor", func(f *ClassFigures) { f.SendLagP99MS = p(0.9); f.CorrectedP99MS = 1 }, ClassKeptUp, ""},
		{"send lag a small share", func(f *ClassFigures) { f.SendLagP99MS = p(5); f.CorrectedP99MS = 100 }, ClassKeptUp, ""},
		{"scheduler latency material", func(f *ClassFigures) { f.SchedLatencyP99MS = p(2) }, ClassGeneratorLimited, ""},
		{"run delay", func(f *ClassFigures) { f.RunDelayShare = p(0.3); f.AchievedRate = 500 }, ClassGeneratorLimited, ""},
		{"at its CPU limit", func(f *ClassFigures) { f.UsedOfLimit = p(0.95); f.TargetRate = 0 }, ClassGeneratorLimited, ""},
		{"throttled", func(f *ClassFigures) { f.ThrottledShare = p(0.2) }, ClassGeneratorLimited, ""},
		{"machine over generator", func(f *ClassFigures) { f.IdleFraction = p(0.01); f.RunDelayShare = p(0.5) }, ClassMachineSaturated, ClassGeneratorLimited},
		{"machine over target", func(f *ClassFigures) { f.IdleFraction = p(0.049); f.TargetRate = 0 }, ClassMachineSaturated, ClassTargetLimited},
		{"machine at the edge has room", func(f *ClassFigures) { f.IdleFraction = p(0.05) }, ClassKeptUp, ""},
		{"machine unknown", func(f *ClassFigures) { f.IdleFraction = nil }, ClassUnknown, ClassKeptUp},
		{"generator unknown", func(f *ClassFigures) { f.SendLagP99MS, f.UsedOfLimit = nil, nil }, ClassUnknown, ""},
		{"generator unknown, machine saturated", func(f *ClassFigures) { f.RunDelayShare = nil; f.IdleFraction = p(0) }, ClassMachineSaturated, ClassUnknown},
		{"generator short despite one missing figure", func(f *ClassFigures) { f.RunDelayShare = nil; f.SendLagP99MS = p(3) }, ClassGeneratorLimited, ""},
	} {
		f := roomy()
		tc.edit(&f)
		c := Classify(f)
		if c.Class != tc.want || c.Beneath != tc.beneath {
			t.Errorf("%s: %s beneath %q (%s), want %s beneath %q", tc.name, c.Class, c.Beneath, c.Reason, tc.want, tc.beneath)
		}
		if c.Reason == "" {
			t.Errorf("%s: no reason", tc.name)
		}
	}
}

func TestRunFigures(t *testing.T) {
	var r Run
	if f := RunFigures(r, 10, 0.9); f.IdleFraction != nil || f.SendLagP99MS != nil {
		t.Fatalf("figures from nothing: %+v", f)
	}
	if c := Classify(RunFigures(r, 10, 0.9)); c.Class != ClassUnknown {
		t.Errorf("a run without machine or health: %s", c.Class)
	}
}

func TestCellClassWorstByPrecedence(t *testing.T) {
	c := func(cl ...Class) []Classification {
		var out []Classification
		for _, x := range cl {
			out = append(out, Classification{Class: x, Reason: "r"})
		}
		return out
	}
	for _, tc := range []struct {
		runs []Classification
		want Class
	}{
		{c(ClassKeptUp, ClassKeptUp), ClassKeptUp},
		{c(ClassKeptUp, ClassTargetLimited), ClassTargetLimited},
		{c(ClassTargetLimited, ClassGeneratorLimited, ClassKeptUp), ClassGeneratorLimited},
		{c(ClassGeneratorLimited, ClassUnknown), ClassUnknown},
		{c(ClassUnknown, ClassMachineSaturated), ClassMachineSaturated},
		{nil, ClassUnknown},
	} {
		got, why := CellClass(tc.runs)
		if got != tc.want {
			t.Errorf("%v: %s, want %s", tc.runs, got, tc.want)
		}
		if len(tc.runs) > 1 && !strings.Contains(why, "worst of") {
			t.Errorf("reason %q", why)
		}
	}
}
