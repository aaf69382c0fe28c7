package benchrun

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/browser"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// A real run's index.html, in headless Chromium with the network off: a
// small bench of the real app and the real original on PostgreSQL, then
// the page as rendered: every endpoint × scenario × target cell's row
// with summary.json's figures and links to its raw files, every chart
// drawn (a bar per figure, a curve per spectrum, each point titled), no
// console message, no request, nothing that would load a file.
// MACROBENCH_PAGE_SCREENSHOT=FILE also writes a screenshot of it.
func TestRunPageInHeadlessChromium(t *testing.T) {
	chromium, err := browser.Find()
	if err != nil {
		testenv.Missing(t, "%v", err)
	}
	_, out, _ := benchBothTargets(t, 2, 1, "--scenarios", "saturation,rate10", "--duration", "1s")
	s, err := report.Load(out) // the figures as summary.json holds them
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Cells) != 12 {
		t.Fatalf("%d cells, want 3 endpoints × 2 scenarios × 2 targets", len(s.Cells))
	}
	pagePath := filepath.Join(out, report.PageFile)
	fi, err := os.Stat(pagePath)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("index.html: %d bytes", fi.Size())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	page, err := browser.Open(ctx, chromium, pagePath)
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Console) > 0 || len(page.Requests) > 0 {
		t.Errorf("the page wrote to the console %q and requested %q", page.Console, page.Requests)
	}
	if f := browser.Fetches(page.DOM); len(f) > 0 {
		t.Errorf("the rendered page would load: %q", f)
	}
	checkPageCells(t, page.DOM, s, out)
	checkPageCharts(t, page.DOM, s)

	if png := os.Getenv("MACROBENCH_PAGE_SCREENSHOT"); png != "" {
		if err := browser.Screenshot(ctx, chromium, pagePath, png, 1100, 1500); err != nil {
			t.Error(err)
		}
	}
}

// checkPageCells finds every cell's rows in the rendered DOM, with its
// figures as summary.json has them, its raw files linked (and present),
// and the headline's link to it.
func checkPageCells(t *testing.T, dom string, s *report.Summary, dir string) {
	t.Helper()
	row := func(id string) string {
		i := strings.Index(dom, `<tr id="`+id+`"`)
		if i < 0 {
			return ""
		}
		return dom[i : i+strings.Index(dom[i:], "</tr>")]
	}
	for _, c := range s.Cells {
		id := report.CellID(c.Target, c.Endpoint, c.Scenario)
		thr, lat := row(id), row(id+"-latency")
		if thr == "" || lat == "" {
			t.Errorf("%s: no rows in the page", id)
			continue
		}
		for _, want := range []string{">" + c.Endpoint + "<", ">" + c.Target + "<", report.FormatRate(c.AchievedRate), ">" + c.Status} {
			if !strings.Contains(thr, want) {
				t.Errorf("%s: throughput row lacks %q: %s", id, want, thr)
			}
		}
		for _, v := range []float64{c.Latency.Mean, c.Latency.P50, c.Latency.P90, c.Latency.P99, c.Latency.P99_9, c.Latency.Max} {
			if !strings.Contains(lat, ">"+report.FormatMS(v)) {
				t.Errorf("%s: latency row lacks %s ms: %s", id, report.FormatMS(v), lat)
			}
		}
		if c.Class != "" && !strings.Contains(thr, string(c.Class)) {
			t.Errorf("%s: class %s not beside its figure", id, c.Class)
		}
		for _, run := range c.Runs {
			for _, f := range []string{run.TextFile, run.JSONFile, run.HgrmFile} {
				if !strings.Contains(thr, `href="`+f+`"`) {
					t.Errorf("%s: no link to %s", id, f)
				}
				if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
					t.Errorf("%s: linked file %s: %v", id, f, err)
				}
			}
		}
		if !strings.Contains(dom, `href="#`+id+`"`) {
			t.Errorf("%s: the headline does not link to it", id)
		}
	}
}

// checkPageCharts counts each scenario's drawn bars and curves against
// summary.json: a bar per target figure that is not failed and per
// publication figure, a curve per cell with a spectrum, every point titled.
func checkPageCharts(t *testing.T, dom string, s *report.Summary) {
	t.Helper()
	flask := publication.Flask()
	svgs := regexp.MustCompile(`(?s)<svg class="chart (throughput|latency)".*?</svg>`)
	scenarios := map[string]bool{}
	for _, c := range s.Cells {
		scenarios[c.Scenario] = true
	}
	for sc := range scenarios {
		start := strings.Index(dom, `<h2 id="`+sc+`"`)
		if start < 0 {
			t.Errorf("no section %s", sc)
			continue
		}
		section := dom[start:]
		if end := strings.Index(section[4:], "<h2"); end >= 0 {
			section = section[:end+4]
		}
		charts := map[string]string{}
		for _, m := range svgs.FindAllStringSubmatch(section, -1) {
			charts[m[1]] = m[0]
		}
		wantBars, wantCurves := 0, 0
		pub := map[string]bool{}
		for _, c := range s.Cells {
			if c.Scenario != sc {
				continue
			}
			if c.Status != report.StatusNotRun && c.ErrorShare() <= report.FailedAbove {
				wantBars++
				if len(c.Runs) > 0 && len(c.Runs[0].Spectrum) > 2 {
					wantCurves++
				}
			}
			if o, ok := flask.Lookup(c.Endpoint, sc); ok && !pub[c.Endpoint] && o.ErrorShare() <= report.FailedAbove {
				pub[c.Endpoint] = true
				wantBars++
			}
		}
		bars := regexp.MustCompile(`<rect class="bar"[^>]*><title>[^<]+ req/s</title>`).FindAllString(charts["throughput"], -1)
		curves := strings.Count(charts["latency"], `<polyline class="curve"`)
		points := strings.Count(charts["latency"], `<circle class="pt"`)
		titled := len(regexp.MustCompile(`<circle class="pt"[^>]*><title>[^<]+ ms at [0-9.]+%</title>`).FindAllString(charts["latency"], -1))
		if len(bars) != wantBars || curves != wantCurves || points < 2*curves || titled != points {
			t.Errorf("%s: %d titled bars (want %d), %d curves (want %d), %d points, %d titled", sc, len(bars), wantBars, curves, wantCurves, points, titled)
		}
	}
}
