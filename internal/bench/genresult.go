package bench

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/report"
)

// GenResult is the load generator's --json output (field names fixed by the
// generator's contract).
type GenResult struct {
	Args         []string  `json:"args"`
	URL          string    `json:"url"`
	Threads      int       `json:"threads"`
	Connections  int       `json:"connections"`
	DurationS    float64   `json:"duration_s"`
	WarmupS      float64   `json:"warmup_s"`
	TargetRate   float64   `json:"target_rate"`
	Start        time.Time `json:"start"`
	End          time.Time `json:"end"`
	ElapsedS     float64   `json:"elapsed_s"`
	Requests     int64     `json:"requests"`
	Bytes        int64     `json:"bytes"`
	AchievedRate float64   `json:"achieved_rate"`
	TransferPerS float64   `json:"transfer_per_s"`
	Errors       struct {
		Connect int64 `json:"connect"`
		Read    int64 `json:"read"`
		Write   int64 `json:"write"`
		Timeout int64 `json:"timeout"`
		Status  int64 `json:"status"`
	} `json:"errors"`
	LatencyMS     map[string]float64 `json:"latency_ms"`
	UncorrectedMS map[string]float64 `json:"uncorrected_ms"`
}

// ReadGenResult parses a --json file.
func ReadGenResult(path string) (*GenResult, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var g GenResult
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, fmt.Errorf("generator JSON %s: %w", path, err)
	}
	if g.LatencyMS == nil {
		return nil, fmt.Errorf("generator JSON %s: no latency_ms", path)
	}
	return &g, nil
}

func (g *GenResult) errors() report.Errors {
	return report.Errors{Connect: g.Errors.Connect, Read: g.Errors.Read, Write: g.Errors.Write, Timeout: g.Errors.Timeout, Status: g.Errors.Status}
}

func (g *GenResult) latency() report.Latency {
	l := g.LatencyMS
	return report.Latency{Mean: l["mean"], Stdev: l["stdev"], P50: l["p50"], P75: l["p75"], P90: l["p90"],
		P99: l["p99"], P999: l["p99_9"], P9999: l["p99_99"], Max: l["max"]}
}

// Successes is the responses with a 2xx/3xx status.
func (g *GenResult) Successes() int64 { return g.Requests - g.Errors.Status }

// ErrorRatio is failed attempts over all attempts: non-2xx responses and
// socket errors (a socket error is an attempt without a response).
func ErrorRatio(requests int64, e report.Errors) float64 {
	attempts := requests + e.Connect + e.Read + e.Write + e.Timeout
	if attempts == 0 {
		return 0
	}
	return float64(e.Total()) / float64(attempts)
}

// spectrumFromJSON is the percentile spectrum from the JSON's few
// percentiles, for when the text output has no detailed spectrum.
func spectrumFromJSON(g *GenResult) []report.Point {
	keys := []struct {
		k string
		p float64
	}{{"min", 0}, {"p50", .5}, {"p75", .75}, {"p90", .9}, {"p99", .99}, {"p99_9", .999}, {"p99_99", .9999}, {"p99_999", .99999}, {"p100", 1}}
	var pts []report.Point
	for _, k := range keys {
		if v, ok := g.LatencyMS[k.k]; ok {
			pts = append(pts, report.Point{Percentile: k.p, ValueMS: v})
		}
	}
	return pts
}

// ExtractHgrm finds wrk2's "Detailed Percentile spectrum" (HdrHistogram's
// .hgrm layout, values in ms) in the generator's text output. It returns the
// .hgrm text and its points; ok is false when the output has none.
func ExtractHgrm(text string) (hgrm string, pts []report.Point, ok bool) {
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
				pts = append(pts, report.Point{Percentile: p, ValueMS: v})
			}
		}
		if strings.HasPrefix(trimmed, "#[Buckets") {
			break
		}
	}
	return b.String(), pts, in && len(pts) > 0
}
