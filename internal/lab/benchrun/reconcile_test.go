package benchrun

import (
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// At capacity only timeouts and the 503s the app itself counted (up to the
// generator's own non-2xx) are excused; a 500 always counts.
func TestOverloadExcusesOnlyTimeoutsAndCounted503s(t *testing.T) {
	cfg := Settings{ErrorThreshold: 0.01, SaturatedBelow: 0.9}
	cell := func(app map[string]int64, e runresult.Errors, inFlight int64) report.Cell {
		r := report.Run{Index: 1, Requests: 100, InFlight: inFlight, Errors: e, AchievedRate: 10,
			Server: &report.Server{AppRequests: app}}
		c := report.Cell{Endpoint: "/agents", Scenario: "saturation", Runs: []report.Run{r}}
		aggregate(&c, cfg, publication.Flask(), nil)
		return c
	}
	// 30 non-2xx the generator saw, the app answered 30 503s; 10 timeouts
	// among the 20 in flight at the end.
	c := cell(map[string]int64{"200": 70, "503": 30}, runresult.Errors{Status: 30, Timeout: 10}, 20)
	if c.Overload != 40 || c.CountedErrorRatio != 0 || c.Status != report.StatusClosedLoop || c.Attempts != 120 ||
		!strings.Contains(c.Note, "33.3% of attempts shed under overload") {
		t.Errorf("503s and timeouts: overload %d, counted %v, %s, attempts %d, %q", c.Overload, c.CountedErrorRatio, c.Status, c.Attempts, c.Note)
	}
	// The app answered 500s: not shedding, whatever the generator saw.
	c = cell(map[string]int64{"200": 70, "500": 30}, runresult.Errors{Status: 30}, 0)
	if c.Overload != 0 || c.Status != report.StatusErrors {
		t.Errorf("500s: overload %d, %s", c.Overload, c.Status)
	}
	// More 503s in the app's window than non-2xx the generator counted (the
	// tail of a run it gave up on): only the generator's own are excused.
	c = cell(map[string]int64{"200": 95, "503": 40}, runresult.Errors{Status: 5, Read: 2}, 0)
	if c.Overload != 5 || c.CountedErrorRatio != 2.0/102 || c.Status != report.StatusErrors {
		t.Errorf("capped 503s: overload %d, counted %v, %s", c.Overload, c.CountedErrorRatio, c.Status)
	}
	// A cell that kept its rate excuses nothing.
	r := report.Run{Index: 1, Requests: 100, Errors: runresult.Errors{Timeout: 5}, AchievedRate: 10,
		Server: &report.Server{AppRequests: map[string]int64{"200": 100}}}
	kept := report.Cell{Endpoint: "/agents", Scenario: "rate10", TargetRate: 10, Runs: []report.Run{r}}
	aggregate(&kept, cfg, publication.Flask(), nil)
	if kept.Overload != 0 || kept.Status != report.StatusErrors {
		t.Errorf("rate kept: overload %d, %s", kept.Overload, kept.Status)
	}
}

// The server answers at least what the generator received and at most what
// reached it: responses, requests in flight at the end, read and write
// errors (a connect error never reached it).
func TestReconcileBounds(t *testing.T) {
	g := &runresult.Generator{InFlightAtEnd: 4}
	g.Requests, g.Errors.Connect, g.Errors.Read = 100, 50, 1
	check := func(app int64) bool {
		for _, c := range Reconcile("/index", g, &report.Server{AppRequests: map[string]int64{"200": app}}, 0) {
			if !c.OK {
				return false
			}
		}
		return true
	}
	if !check(100) || !check(105) || check(99) || check(106) {
		t.Errorf("bounds 100..105: 99 %v, 100 %v, 105 %v, 106 %v", check(99), check(100), check(105), check(106))
	}
}
