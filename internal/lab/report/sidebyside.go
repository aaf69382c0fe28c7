package report

import (
	"fmt"

	"github.com/macrobench/macrobench/internal/lab/publication"
)

// FailedAbove is the error share above which a cell's requests per second
// are not throughput: more than half of its attempts got no successful
// response (an error status, or none at all), so the figure counts errors.
// Such a cell is marked failed ("failed: 99.4% errors") in the report and
// drawn as an empty bar in the charts, never as a figure of throughput.
const FailedAbove = 0.5

// ErrorShare is the share of the cell's attempts that got no successful
// response: its socket errors and non-2xx responses (503s shed under
// overload among them) over its attempts. Slow successes (timeouts) are
// not in it: they are served requests, which the latency shows.
func (c Cell) ErrorShare() float64 {
	if c.Attempts == 0 {
		return 0
	}
	return float64(c.Errors.Socket()+c.Errors.Status) / float64(c.Attempts)
}

// Figure is one target's (or the publication's) figures for one endpoint
// and scenario, as the headline table shows them.
type Figure struct {
	RequestsPerSec float64 `json:"requests_per_sec"`
	MeanMS         float64 `json:"mean_ms"`
	P99MS          float64 `json:"p99_ms,omitempty"` // the publication printed none
	MaxMS          float64 `json:"max_ms"`
	ErrorShare     float64 `json:"error_share"`
	// LateShare is the share of attempts answered after the generator's
	// --timeout, or still unanswered that long when the window closed:
	// served (or queued), not failed, but far from the service asked for.
	LateShare float64 `json:"late_share,omitempty"`
	// Failed: not run, or ErrorShare above FailedAbove; its figures are not
	// throughput or service latency.
	Failed bool   `json:"failed"`
	Status string `json:"status,omitempty"` // the cell's; "" for the publication
	// Untrusted: the cell's reconciliation failed (Cell.Untrusted); its
	// figures are shown marked, never divided by.
	Untrusted bool `json:"untrusted,omitempty"`
	// Class is who set the cell's figures (Cell.Class); "" for the publication.
	Class Class `json:"class,omitempty"`
}

// UntrustedMark follows a figure whose cell did not reconcile.
const UntrustedMark = " **(NOT TRUSTED: reconciliation mismatch)**"

// FailedLabel says why a failed figure is not one ("failed: 99.4% errors",
// "not run"); "" when it is valid.
func (f *Figure) FailedLabel() string {
	switch {
	case f == nil || !f.Failed:
		return ""
	case f.Status == StatusNotRun:
		return "not run"
	}
	return fmt.Sprintf("failed: %s errors", pct1(f.ErrorShare))
}

// valid is a figure that may be divided by.
func (f *Figure) valid() bool { return f != nil && !f.Failed && !f.Untrusted }

// SideBySide is one row of the headline: an endpoint and scenario, each
// target measured in this run, and the publication's figure.
type SideBySide struct {
	Endpoint string `json:"endpoint"`
	Scenario string `json:"scenario"`
	// App and Original: this run's figures (nil: not measured in this run).
	App      *Figure `json:"app,omitempty"`
	Original *Figure `json:"original,omitempty"`
	// Publication is the original benchmark's published figure, measured
	// on its own hardware (nil: it did not measure this cell).
	Publication *Figure `json:"publication,omitempty"`
	// RateRatio is the app's requests per second over the original's;
	// MeanLatencyRatio the original's mean latency over the app's. Both
	// "how many times the app's is better", 0 when either figure is missing
	// or failed.
	RateRatio        float64 `json:"rate_ratio,omitempty"`
	MeanLatencyRatio float64 `json:"mean_latency_ratio,omitempty"`
}

// SideBySideRows is the headline table: one row per endpoint and scenario
// measured, in the order the cells ran (endpoint-major, as the original's
// table).
func SideBySideRows(cells []Cell, flask publication.Set) []SideBySide {
	var rows []SideBySide
	index := map[string]int{}
	for _, c := range cells {
		key := c.Endpoint + " " + c.Scenario
		i, ok := index[key]
		if !ok {
			i = len(rows)
			index[key] = i
			row := SideBySide{Endpoint: c.Endpoint, Scenario: c.Scenario}
			if o, ok := flask.Lookup(c.Endpoint, c.Scenario); ok {
				row.Publication = &Figure{RequestsPerSec: o.RequestsPerSec, MeanMS: o.LatencyMS.Avg, MaxMS: o.LatencyMS.Max,
					ErrorShare: o.ErrorShare()}
				row.Publication.Failed = row.Publication.ErrorShare > FailedAbove
			}
			rows = append(rows, row)
		}
		f := figureOf(c)
		switch targetOf(c) {
		case TargetApp:
			rows[i].App = f
		case TargetOriginal:
			rows[i].Original = f
		}
	}
	for i := range rows {
		r := &rows[i]
		if r.App.valid() && r.Original.valid() {
			if r.Original.RequestsPerSec > 0 {
				r.RateRatio = r.App.RequestsPerSec / r.Original.RequestsPerSec
			}
			if r.App.MeanMS > 0 {
				r.MeanLatencyRatio = r.Original.MeanMS / r.App.MeanMS
			}
		}
	}
	return rows
}

func figureOf(c Cell) *Figure {
	f := &Figure{RequestsPerSec: c.AchievedRate, MeanMS: c.Latency.Mean, P99MS: c.Latency.P99, MaxMS: c.Latency.Max,
		ErrorShare: c.ErrorShare(), Status: c.Status, Untrusted: c.Untrusted != "", Class: c.Class}
	if c.Attempts > 0 {
		f.LateShare = float64(c.Errors.Timeout) / float64(c.Attempts)
	}
	f.Failed = c.Status == StatusNotRun || f.ErrorShare > FailedAbove
	return f
}

// targetOf is a cell's target; a cell without one is the app's (schema 2
// and before measured nothing else).
func targetOf(c Cell) string {
	if c.Target == "" {
		return TargetApp
	}
	return c.Target
}

// PublicationOf is the publication's figure for endpoint and scenario, with
// the ratio of achieved requests per second to it; Measured false when it
// did not measure that cell.
func PublicationOf(flask publication.Set, endpoint, scenario string, achieved float64) *Publication {
	o, ok := flask.Lookup(endpoint, scenario)
	if !ok {
		return &Publication{Measured: false}
	}
	// The publication's errors are wrk's counts as wrk printed them (its
	// own classes, summed for display), not this run's accounting.
	p := &Publication{Measured: true, Command: o.Command, RequestsPerSec: o.RequestsPerSec,
		LatencyAvg: o.Latency["avg"], LatencyMax: o.Latency["max"], LatencyAvgMS: o.LatencyMS.Avg, LatencyMaxMS: o.LatencyMS.Max,
		Errors: o.Errors.Socket() + o.Errors.Timeout + o.Errors.Status, Non2xx: o.Errors.Status, ErrorShare: o.ErrorShare()}
	if o.RequestsPerSec > 0 {
		p.Ratio = achieved / o.RequestsPerSec
	}
	return p
}
