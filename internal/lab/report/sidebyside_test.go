package report

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/publication"
)

// chartDir is where a test writes charts: MACROBENCH_CHART_DIR to keep them
// for a look (e.g. /tmp/charts), else a temporary folder.
func chartDir(t *testing.T) string {
	if d := os.Getenv("MACROBENCH_CHART_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		return d
	}
	return t.TempDir()
}

func TestWriteChartsTwoTargets(t *testing.T) {
	dir := chartDir(t)
	s := twoTargets()
	if err := WriteCharts(s, publication.Flask(), dir); err != nil {
		t.Fatal(err)
	}
	if err := WriteMarkdown(s, publication.Flask(), dir); err != nil {
		t.Fatal(err)
	}
	for _, sc := range []string{"saturation", "rate4000", "rate10"} {
		for _, f := range []string{"latency-" + sc + ".png", "throughput-" + sc + ".png"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil || !bytes.HasPrefix(b, []byte("\x89PNG")) {
				t.Errorf("%s: not a PNG (%v)", f, err)
			}
		}
	}
}

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// countColor is the pixels of img exactly c.
func countColor(img image.Image, c color.RGBA) int {
	n := 0
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r, g, b, a := img.At(x, y).RGBA()
			if uint8(r>>8) == c.R && uint8(g>>8) == c.G && uint8(b>>8) == c.B && uint8(a>>8) == c.A {
				n++
			}
		}
	}
	return n
}

// The headline: the original's table reproduced from a two-target
// summary, first in the report, every figure in its unit, the ratio of the
// targets, the publication in a column of its own named as another
// machine's, and failed cells (ours and the publication's) marked, never
// shown as throughput.
func TestSideBySideTable(t *testing.T) {
	md := Markdown(twoTargets(), publication.Flask())
	head := strings.Index(md, SideBySideHeading)
	if head < 0 || head > strings.Index(md, "## This run") || head > strings.Index(md, "## saturation") {
		t.Fatalf("the side-by-side section does not lead the report:\n%s", md)
	}
	section := md[head:strings.Index(md, "## This run")]
	for _, want := range []string{
		"### Throughput (req/s)",
		"| endpoint | scenario | app | original | app ÷ original | publication (other hardware) |",
		"| /index | saturation | 9,000.0 | 1,500.0 | 6.00× | 2,644.7 |",
		"| /agents | saturation | 700.0 | 350.0 (8.6% late) | 2.00× | 634.0 |",
		// Ours failed: no ratio; theirs failed: marked with its share.
		"| /agents | rate4000 | 650.0 (15.4% errors, 10.3% late) | failed: 75.6% errors | — | 304.1 |",
		"| /agents_with_pool | saturation | 4,100.0 | 1,200.0 | 3.42× | failed: 99.4% errors |",
		"| /agents_with_pool | rate4000 | 3,990.0 | 1,190.0 (78.4% late) | 3.35× | not measured |",
		"### Mean latency (ms)",
		"| endpoint | scenario | app | original | original ÷ app | publication (other hardware) |",
		// wrk's 13.16s and 0.87m in ms.
		"| /index | saturation | 45.6 | 288 | 6.32× | 13,160 |",
		"| /index | rate4000 | 1.08 | 25,200 | 23,333× | 52,200 |",
		"| /agents | rate4000 | 2,160 | failed: 75.6% errors | — | 136,800 |",
		"measured on another machine",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("side-by-side section lacks %q\n%s", want, section)
		}
	}
	// Nothing in the headline reads as a publication's throughput that failed.
	if strings.Contains(section, "2,535") {
		t.Error("the publication's failed /agents_with_pool figure is shown as throughput")
	}
	// Narrow enough for a laptop: no table line of the headline over 100 columns.
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "|") && len([]rune(line)) > 100 {
			t.Errorf("%d columns: %s", len([]rune(line)), line)
		}
	}
	// The per-scenario tables are split: no table of the report has more than 10 columns.
	for _, line := range strings.Split(md, "\n") {
		if strings.HasPrefix(line, "|---") && strings.Count(line, "|")-1 > 10 {
			t.Errorf("a table of %d columns: %s", strings.Count(line, "|")-1, line)
		}
	}
	if strings.Contains(md, "| /index | original | 1 | n/a") {
		t.Error("the app's evidence table has rows for the original")
	}
	for _, want := range []string{
		"| /agents | original | errors, **failed: 75.6% errors** | 290.0 | 4,000 | — |",
		"| /index | original | 25,200 | 21,000 |",
		"The app's own counts and Prometheus's (the original has no /metrics):",
		"| /index | original | 1 | 0 | 0 | ok (1 checks) | n/a / n/a |",
		"| original | Flask under gunicorn | PostgreSQL |",
		"| original | /index | ok | headers; parsed JSON equal |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary.md lacks %q", want)
		}
	}
}

func TestSideBySideRows(t *testing.T) {
	s := twoTargets()
	rows := SideBySideRows(s.Cells, publication.Flask())
	if len(rows) != 9 || rows[0].Endpoint != "/index" || rows[0].Scenario != "saturation" || rows[3].Endpoint != "/agents" {
		t.Fatalf("rows: %+v", rows)
	}
	idx := rows[0]
	if idx.RateRatio != 6 || idx.App.RequestsPerSec != 9000 || idx.Original.RequestsPerSec != 1500 ||
		idx.Publication.RequestsPerSec != 2644.71 || idx.Publication.MeanMS != 13160 || idx.Publication.Failed {
		t.Errorf("/index saturation: %+v app %+v original %+v publication %+v", idx, idx.App, idx.Original, idx.Publication)
	}
	agents4000 := rows[4]
	if !agents4000.Original.Failed || agents4000.RateRatio != 0 || agents4000.MeanLatencyRatio != 0 || agents4000.App.Failed {
		t.Errorf("/agents rate4000: %+v original %+v", agents4000, agents4000.Original)
	}
	pool := rows[6]
	if pool.Publication == nil || !pool.Publication.Failed || pool.Publication.FailedLabel() != "failed: 99.4% errors" || pool.RateRatio == 0 {
		t.Errorf("/agents_with_pool saturation: publication %+v", pool.Publication)
	}
	if rows[7].Publication != nil || rows[8].Publication != nil {
		t.Error("the publication did not measure /agents_with_pool at 4000 or 10 req/s")
	}
	// Kept in summary.json.
	dir := t.TempDir()
	if err := s.WriteJSON(dir); err != nil {
		t.Fatal(err)
	}
	back, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.SideBySide) != 9 || back.SideBySide[0].RateRatio != 6 || back.Cells[1].Target != TargetOriginal || back.Targets[1].Name != TargetOriginal {
		t.Errorf("round trip: %+v", back.SideBySide)
	}
}

// Every chart draws with the named Okabe–Ito colours: the app blue, the
// original vermillion, the publication black and hatched, a rate target
// reddish purple; failed figures are no bars.
func TestChartPalette(t *testing.T) {
	want := map[string]color.RGBA{TargetApp: OkabeItoBlue, TargetOriginal: OkabeItoVermillion,
		SeriesPublication: OkabeItoBlack, SeriesTargetRate: OkabeItoReddishPurple}
	for name, c := range want {
		if SeriesColor[name] != c {
			t.Errorf("%s is drawn in %v, want %v", name, SeriesColor[name], c)
		}
	}
	s := twoTargets()
	flask := publication.Flask()
	cells := cellsOf(s.Cells, "saturation")
	endpoints, series := ThroughputSeries(cells, flask, []string{TargetApp, TargetOriginal})
	if strings.Join(endpoints, " ") != "/index /agents /agents_with_pool" || len(series) != 3 {
		t.Fatalf("endpoints %v, %d series", endpoints, len(series))
	}
	for i, w := range []struct {
		name    string
		color   color.RGBA
		hatched bool
	}{{TargetApp, OkabeItoBlue, false}, {TargetOriginal, OkabeItoVermillion, false}, {PublicationLabel, OkabeItoBlack, true}} {
		if series[i].Name != w.name || series[i].Color != w.color || series[i].Hatched != w.hatched {
			t.Errorf("series %d: %s %v hatched %v, want %s %v %v", i, series[i].Name, series[i].Color, series[i].Hatched, w.name, w.color, w.hatched)
		}
	}
	if series[2].Failed[2] != "99.4% errors" || series[2].Failed[0] != "" {
		t.Errorf("the publication's failed pool: %q", series[2].Failed)
	}
	_, series4000 := ThroughputSeries(cellsOf(s.Cells, "rate4000"), flask, []string{TargetApp, TargetOriginal})
	if series4000[1].Failed[1] != "75.6% errors" {
		t.Errorf("the original's failed /agents at 4000 req/s: %q", series4000[1].Failed)
	}
	for _, p := range SpectrumPanels(cellsOf(s.Cells, "rate4000"), []string{TargetApp, TargetOriginal}) {
		for _, l := range p.Lines {
			if l.Color != SeriesColor[l.Target] {
				t.Errorf("%s %s curve in %v", p.Endpoint, l.Target, l.Color)
			}
		}
		if p.Endpoint == "/agents" && (len(p.Lines) != 1 || len(p.Failed) != 1 || p.Failed[0] != "original: 75.6% errors") {
			t.Errorf("/agents at 4000 req/s: lines %d, failed %q: the original's failed cell is not drawn", len(p.Lines), p.Failed)
		}
	}
	// The colours are the ones in the pictures.
	b, err := ThroughputChart("saturation", cells, flask, []string{TargetApp, TargetOriginal})
	if err != nil {
		t.Fatal(err)
	}
	img := decode(t, b)
	for name, c := range map[string]color.RGBA{"app": OkabeItoBlue, "original": OkabeItoVermillion} {
		if n := countColor(img, c); n < 1000 {
			t.Errorf("throughput chart: %d pixels of %s's %v, want its bars", n, name, c)
		}
	}
	b, err = SpectrumChart("saturation", cells, []string{TargetApp, TargetOriginal})
	if err != nil {
		t.Fatal(err)
	}
	img = decode(t, b)
	for name, c := range map[string]color.RGBA{"app": OkabeItoBlue, "original": OkabeItoVermillion} {
		if n := countColor(img, c); n < 100 {
			t.Errorf("latency chart: %d pixels of %s's %v, want its curves", n, name, c)
		}
	}
}

// Axis ticks are round: 1, 2 or 5 × 10^k.
func TestRoundTicks(t *testing.T) {
	for raw, want := range map[float64]float64{1800: 2000, 2070: 5000, 0.3: 0.5, 1: 1, 11: 20, 4900: 5000} {
		if got := niceStep(raw); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceStep(%g) = %g, want %g", raw, got, want)
		}
	}
	var labels []string
	for _, tk := range linearTicks.Ticks(0, 10000) {
		labels = append(labels, tk.Label)
	}
	if got := strings.Join(labels, " "); got != "0 2,000 4,000 6,000 8,000 10,000" {
		t.Errorf("linear ticks: %s", got)
	}
	labels = nil
	for _, tk := range latencyTicks.Ticks(0.5, 200) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got := strings.Join(labels, " "); got != "0.5 1 2 5 10 20 50 100 200" {
		t.Errorf("latency ticks: %s", got)
	}
}
