package sweep

import (
	"context"
	"encoding/json"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The palette is Okabe and Ito's, value for value.
func TestPalette(t *testing.T) {
	want := []struct {
		c       Color
		r, g, b uint8
	}{
		{Black, 0, 0, 0}, {Orange, 230, 159, 0}, {SkyBlue, 86, 180, 233}, {BluishGreen, 0, 158, 115},
		{Yellow, 240, 228, 66}, {Blue, 0, 114, 178}, {Vermillion, 213, 94, 0}, {ReddishPurple, 204, 121, 167},
	}
	for _, w := range want {
		got := color.RGBAModel.Convert(w.c).(color.RGBA)
		if got != (color.RGBA{R: w.r, G: w.g, B: w.b, A: 255}) {
			t.Errorf("%06X is %v, want %d,%d,%d", uint32(w.c), got, w.r, w.g, w.b)
		}
	}
	// Each percentile has its own palette colour, none of them the
	// objective's black.
	seen := map[Color]string{Black: "objective"}
	for _, p := range percentiles {
		if other, ok := seen[p.color]; ok {
			t.Errorf("%s and %s share %06X", p.name, other, uint32(p.color))
		}
		inPalette := false
		for _, w := range want {
			inPalette = inPalette || w.c == p.color
		}
		if !inPalette {
			t.Errorf("%s: %06X is not an Okabe–Ito colour", p.name, uint32(p.color))
		}
		seen[p.color] = p.name
	}
}

// A chart of two targets (one with a knee, one cut short) is a PNG of the
// chart's size, written atomically (nothing else left in its directory).
func TestWriteChart(t *testing.T) {
	var series []Series
	for i, c := range []struct {
		name   string
		n      float64
		budget time.Duration
	}{{"macrobench", 800, time.Hour}, {"original", 300, 11 * time.Second}} {
		m := newModel(c.n, 2*time.Second)
		p := plan(100, 2, 0.05)
		p.Budget = c.budget
		r, err := run(context.Background(), p, DefaultObjective(), m.step, m.clock.now)
		if err != nil {
			t.Fatal(err)
		}
		if want := []Outcome{OutcomeKnee, OutcomeLowerBound}[i]; r.Outcome != want {
			t.Fatalf("%s: %s, want %s", c.name, r.Outcome, want)
		}
		series = append(series, Series{Endpoint: "GET /agents", Target: c.name, Result: r})
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "sweep-agents.png")
	if dst := os.Getenv("SWEEP_CHART_MODEL"); dst != "" {
		path = dst
	}
	for range 2 { // the second write replaces the first
		if err := WriteChart(path, series, DefaultObjective()); err != nil {
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
	if err := WriteChart(filepath.Join(dir, "empty.png"), nil, DefaultObjective()); err == nil {
		t.Fatal("a chart of nothing: no error")
	}
	if err := WriteChart(filepath.Join(dir, "no", "such", "dir.png"), series, DefaultObjective()); err == nil {
		t.Fatal("no directory: no error")
	}
}

// SWEEP_FROM_JSON=a.json[,b.json] SWEEP_CHART=out.png redraws saved
// sweeps (to look at a chart without sweeping again).
func TestChartFromJSON(t *testing.T) {
	src, dst := os.Getenv("SWEEP_FROM_JSON"), os.Getenv("SWEEP_CHART")
	if src == "" || dst == "" {
		t.Skip("SWEEP_FROM_JSON and SWEEP_CHART not set")
	}
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if err := WriteChart(dst, []Series{{Endpoint: "GET /", Target: "saved", Result: &r}}, r.Objective); err != nil {
		t.Fatal(err)
	}
}
