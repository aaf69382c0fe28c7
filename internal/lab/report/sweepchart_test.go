package report

import (
	"encoding/json"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/sweep"
)

// The palette every chart draws with (the matrix charts and the sweep
// charts) is Okabe and Ito's, asserted here once, value for value.
func TestPalette(t *testing.T) {
	for name, w := range map[string]struct {
		got  color.RGBA
		want uint32
	}{
		"black": {OkabeItoBlack, 0x000000}, "orange": {OkabeItoOrange, 0xE69F00},
		"sky blue": {OkabeItoSkyBlue, 0x56B4E9}, "bluish green": {OkabeItoBluishGreen, 0x009E73},
		"yellow": {OkabeItoYellow, 0xF0E442}, "blue": {OkabeItoBlue, 0x0072B2},
		"vermillion": {OkabeItoVermillion, 0xD55E00}, "reddish purple": {OkabeItoReddishPurple, 0xCC79A7},
	} {
		if want := (color.RGBA{R: uint8(w.want >> 16), G: uint8(w.want >> 8), B: uint8(w.want), A: 0xff}); w.got != want {
			t.Errorf("%s is %v, want #%06X", name, w.got, w.want)
		}
	}
	// Each percentile of a sweep chart has its own palette colour, none of
	// them the objective's black.
	seen := map[color.RGBA]string{OkabeItoBlack: "objective"}
	for _, p := range sweepPercentiles {
		if other, ok := seen[p.color]; ok {
			t.Errorf("%s and %s share %v", p.name, other, p.color)
		}
		seen[p.color] = p.name
	}
}

// sweepResults are two targets' sweeps of an endpoint: one with a knee,
// one cut short (a lower bound).
func sweepResults() []SweepSeries {
	step := func(rate, p99 float64, pass bool) sweep.Step {
		return sweep.Step{Offered: rate, Achieved: rate, P50: p99 / 4, P90: p99 / 2, P99: p99, P999: p99 * 1.5, Pass: pass}
	}
	knee := &sweep.Result{Outcome: sweep.OutcomeKnee,
		Steps: []sweep.Step{step(100, 2, true), step(400, 3, true), step(800, 40, true), step(900, 900, false)}}
	knee.Knee = &sweep.Knee{Rate: 800}
	short := &sweep.Result{Outcome: sweep.OutcomeLowerBound, LowerBound: 200, Reason: sweep.ReasonBudget,
		Steps: []sweep.Step{step(100, 5, true), step(200, 9, true)}}
	return []SweepSeries{{Endpoint: "GET /agents", Target: "macrobench", Result: knee}, {Endpoint: "GET /agents", Target: "original", Result: short}}
}

// A chart of two targets (one with a knee, one cut short) is a PNG of the
// chart's size, written atomically (nothing else left in its directory).
func TestWriteSweepChart(t *testing.T) {
	series := sweepResults()
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep-agents.png")
	if dst := os.Getenv("SWEEP_CHART_MODEL"); dst != "" {
		path = dst
	}
	for range 2 { // the second write replaces the first
		if err := WriteSweepChart(path, series, sweep.DefaultObjective()); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() < 600 || b.Dy() < 300 {
		t.Fatalf("a %v image", b)
	}
	if os.Getenv("SWEEP_CHART_MODEL") == "" {
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Fatalf("left in the directory: %v", entries)
		}
	}
	if err := WriteSweepChart(filepath.Join(dir, "empty.png"), nil, sweep.DefaultObjective()); err == nil {
		t.Fatal("a chart of nothing: no error")
	}
	if err := WriteSweepChart(filepath.Join(dir, "no", "such", "dir.png"), series, sweep.DefaultObjective()); err == nil {
		t.Fatal("no directory: no error")
	}
}

// A saved sweep (a Result as JSON, what internal/lab/sweep's
// TestKneeOfKnownCapacity keeps with SWEEP_JSON) redraws as a chart:
// SWEEP_FROM_JSON=a.json SWEEP_CHART=out.png redraws one to look at; without
// them, the model sweep here goes through JSON and is drawn.
func TestSweepChartFromJSON(t *testing.T) {
	src, dst := os.Getenv("SWEEP_FROM_JSON"), os.Getenv("SWEEP_CHART")
	if src == "" || dst == "" {
		src, dst = filepath.Join(t.TempDir(), "sweep.json"), filepath.Join(t.TempDir(), "sweep.png")
		model := *sweepResults()[0].Result
		model.Objective = sweep.DefaultObjective()
		b, err := json.Marshal(model)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(src, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var r sweep.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(r.Steps) == 0 {
		t.Fatalf("%s holds no steps", src)
	}
	if err := WriteSweepChart(dst, []SweepSeries{{Endpoint: "GET /", Target: "saved", Result: &r}}, r.Objective); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.Decode(f); err != nil {
		t.Fatalf("%s: %v", dst, err)
	}
}
