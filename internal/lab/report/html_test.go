package report

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/publication"
)

// The page is one file: no script, nothing fetched (no src, no stylesheet
// link, no url() but the charts' own patterns, no address but the SVG
// namespace), every cell's row with its figures and raw files, the marks.
func TestHTMLPageIsSelfContained(t *testing.T) {
	s := twoTargets()
	s.Cells[3].Untrusted = "app counted 10, the generator 12"
	for i := range s.Cells {
		c := &s.Cells[i]
		c.Runs[0].JSONFile = strings.Trim(c.Endpoint, "/") + "-" + c.Scenario + "-" + c.Target + ".json"
	}
	dir := t.TempDir()
	if err := WriteHTML(s, publication.Flask(), dir); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, PageFile))
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if out := os.Getenv("MACROBENCH_PAGE_OUT"); out != "" {
		os.WriteFile(out, b, 0o644)
	}
	for _, bad := range []string{"<script", " src=", "<link", "@import", "@font-face", "<img", "<iframe"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q", bad)
		}
	}
	for _, u := range regexp.MustCompile(`(href|xmlns)="[a-z]+:[^"]*"`).FindAllString(page, -1) {
		if u != `xmlns="http://www.w3.org/2000/svg"` {
			t.Errorf("page links outside its folder: %s", u)
		}
	}
	for _, u := range regexp.MustCompile(`url\(([^)]*)\)`).FindAllStringSubmatch(page, -1) {
		if !strings.HasPrefix(u[1], "#") {
			t.Errorf("page fetches %s", u[0])
		}
	}
	md := Markdown(s, publication.Flask())
	for _, c := range s.Cells {
		id := CellID(c.Target, c.Endpoint, c.Scenario)
		i := strings.Index(page, `id="`+id+`"`)
		if i < 0 {
			t.Errorf("no row %s", id)
			continue
		}
		row := page[i : i+strings.Index(page[i:], "</tr>")]
		rate := rateS(c.AchievedRate)
		if !strings.Contains(row, rate) || !strings.Contains(md, rate) {
			t.Errorf("%s: %s not in its row and summary.md: %s", id, rate, row)
		}
		for _, r := range c.Runs {
			if !strings.Contains(row, `href="`+r.JSONFile+`"`) {
				t.Errorf("%s: no link to %s", id, r.JSONFile)
			}
		}
	}
	for _, mark := range []string{MarkFailed, MarkUntrusted, MarkFewSample} {
		if !strings.Contains(page, `data-mark="`+mark+`"><span class="mark">`+MarkLabel[mark]) {
			t.Errorf("no cell marked %s", mark)
		}
	}
	if n := strings.Count(page, `<svg class="chart throughput"`); n != 3 {
		t.Errorf("%d throughput charts, want 3", n)
	}
	if n := strings.Count(page, `<svg class="chart latency"`); n != 3 {
		t.Errorf("%d latency charts, want 3", n)
	}
}

func TestSweepHTML(t *testing.T) {
	s := sweepSample()
	b, err := SweepHTML(s)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	if !strings.Contains(page, "<h2>Capacity at the objective</h2>") || !strings.Contains(page, `<svg class="chart sweep"`) ||
		strings.Count(page, `<circle class="pt"`) == 0 {
		t.Errorf("sweep page lacks its section or chart:\n%s", page)
	}
}
