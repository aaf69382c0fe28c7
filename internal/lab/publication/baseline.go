// Package publication holds the original Flask + gunicorn benchmark's figures,
// transcribed from its results file into flask-gunicorn.json, so reports can
// put every cell of ours next to the original's.
package publication

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/macrobench/macrobench/internal/shared/formats"
)

//go:embed flask-gunicorn.json
var flaskJSON []byte

// Set is one transcribed benchmark run.
type Set struct {
	Name   string   `json:"name"`
	Source string   `json:"source"`
	Server string   `json:"server"`
	Notes  []string `json:"notes"`
	Cells  []Cell   `json:"cells"`
}

// Cell is one endpoint × scenario of the original, as wrk/wrk2 printed it.
// Latency holds the printed strings; LatencyMS the same values in ms.
type Cell struct {
	Endpoint       string            `json:"endpoint"`
	Scenario       string            `json:"scenario"`
	Command        string            `json:"command"`
	Threads        int               `json:"threads"`
	Connections    int               `json:"connections"`
	DurationS      float64           `json:"duration_s"`
	TargetRate     float64           `json:"target_rate"`
	Requests       int64             `json:"requests"`
	ElapsedS       float64           `json:"elapsed_s"`
	Read           string            `json:"read"`
	RequestsPerSec float64           `json:"requests_per_sec"`
	TransferPerSec string            `json:"transfer_per_sec"`
	Latency        map[string]string `json:"latency"`
	LatencyMS      struct {
		Avg   float64 `json:"avg"`
		Stdev float64 `json:"stdev"`
		Max   float64 `json:"max"`
	} `json:"latency_ms"`
	// Errors are wrk's counts as it printed them: its socket errors, and
	// its "Non-2xx or 3xx responses" as Status.
	Errors formats.WrkErrors `json:"errors"`
}

// Flask returns the original Flask + gunicorn figures.
func Flask() Set {
	var s Set
	if err := json.Unmarshal(flaskJSON, &s); err != nil {
		// The file is embedded and checked by the tests: a failure is a build defect.
		panic(fmt.Sprintf("baseline: flask-gunicorn.json: %v", err))
	}
	return s
}

// Lookup returns the original's cell for endpoint and scenario, if it measured it.
func (s Set) Lookup(endpoint, scenario string) (Cell, bool) {
	for _, c := range s.Cells {
		if c.Endpoint == endpoint && c.Scenario == scenario {
			return c, true
		}
	}
	return Cell{}, false
}

// ErrorShare is the share of the cell's attempts that got no successful
// response: its socket errors and non-2xx responses over its responses and
// socket errors. wrk's timeouts are not added: wrk counts a timeout on a
// request whose response it may still count, so they overlap the responses
// (the pooled endpoint's 75932 non-2xx of 76412 responses, with 261 socket
// errors, are 99.4%).
func (c Cell) ErrorShare() float64 {
	attempts := c.Requests + c.Errors.Socket()
	if attempts == 0 {
		return 0
	}
	return float64(c.Errors.Socket()+c.Errors.Status) / float64(attempts)
}
