package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/macrobench/macrobench/internal/benchreport"
	"github.com/macrobench/macrobench/internal/loadgen/wrkreport"
)

// GenResult is the load generator's --json output: loadgen's own type, plus
// in_flight_at_end declared here as well, so that the bench reads it whether
// or not that type has it yet (the outer field wins, in Go and in JSON).
type GenResult struct {
	wrkreport.JSON
	// InFlightAtEnd is the requests sent in the window whose response had
	// not arrived when the window closed (see report.Accounting).
	InFlightAtEnd int64 `json:"in_flight_at_end"`
}

// ReadGenResult parses a --json file.
//
// A generator from before in_flight_at_end counted a request that timed
// out as an outcome of its own, never among the responses: a request sent
// whose response it did not count, which is what in_flight_at_end now
// means. Such a file (no in_flight_at_end) is read with its timeouts as the
// requests in flight, so that one accounting (report.Attempts) serves both.
func ReadGenResult(path string) (*GenResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g GenResult
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("generator JSON %s: %w", path, err)
	}
	var has struct {
		InFlight *int64 `json:"in_flight_at_end"`
	}
	_ = json.Unmarshal(b, &has)
	if has.InFlight == nil {
		g.InFlightAtEnd = g.Errors.Timeout
	}
	if g.Start.IsZero() || g.End.IsZero() {
		return nil, fmt.Errorf("generator JSON %s: no start or end time", path)
	}
	return &g, nil
}

// attempts is every request the run sent (report.Attempts).
func (g *GenResult) attempts() int64 {
	return benchreport.Attempts(g.Requests, g.InFlightAtEnd, genErrors(g))
}

func genErrors(g *GenResult) benchreport.Errors {
	e := g.Errors
	return benchreport.Errors{Connect: e.Connect, Read: e.Read, Write: e.Write, Timeout: e.Timeout, Status: e.Status}
}

func genLatency(g *GenResult) benchreport.Latency {
	l := g.LatencyMS
	return benchreport.Latency{Mean: l.Mean, Stdev: l.Stdev, P50: l.P50, P75: l.P75, P90: l.P90,
		P99: l.P99, P999: l.P99_9, P9999: l.P99_99, Max: l.Max}
}

// successes is the responses with a 2xx/3xx status.
func successes(g *GenResult) int64 { return g.Requests - g.Errors.Status }

// spectrumFromJSON is the percentile spectrum from the JSON's few
// percentiles, for when the text output has no detailed spectrum.
func spectrumFromJSON(g *GenResult) []benchreport.Point {
	l := g.LatencyMS
	return []benchreport.Point{{Percentile: 0, ValueMS: l.Min}, {Percentile: .5, ValueMS: l.P50}, {Percentile: .75, ValueMS: l.P75},
		{Percentile: .9, ValueMS: l.P90}, {Percentile: .99, ValueMS: l.P99}, {Percentile: .999, ValueMS: l.P99_9},
		{Percentile: .9999, ValueMS: l.P99_99}, {Percentile: .99999, ValueMS: l.P99_999}, {Percentile: 1, ValueMS: l.P100}}
}

// ExtractHgrm finds wrk2's "Detailed Percentile spectrum" (HdrHistogram's
// .hgrm layout, values in ms) in the generator's text output. It returns the
// .hgrm text and its points; ok is false when the output has none.
func ExtractHgrm(text string) (hgrm string, pts []benchreport.Point, ok bool) {
	var b strings.Builder
	in := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		if !in {
			if strings.HasPrefix(trimmed, "Value") && strings.Contains(trimmed, "Percentile") && strings.Contains(trimmed, "TotalCount") {
				in = true
				b.WriteString(line + "\n")
			}
			continue
		}
		if strings.HasPrefix(trimmed, "----") || (trimmed == "" && len(pts) > 0 && strings.Contains(b.String(), "#[Buckets")) {
			break
		}
		b.WriteString(line + "\n")
		f := strings.Fields(trimmed)
		if len(f) >= 3 && !strings.HasPrefix(trimmed, "#") {
			v, err1 := strconv.ParseFloat(f[0], 64)
			p, err2 := strconv.ParseFloat(f[1], 64)
			if err1 == nil && err2 == nil {
				pts = append(pts, benchreport.Point{Percentile: p, ValueMS: v})
			}
		}
		if strings.HasPrefix(trimmed, "#[Buckets") {
			break
		}
	}
	return b.String(), pts, in && len(pts) > 0
}
