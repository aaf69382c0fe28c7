package compare

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/browser"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// `compare --html OUT` writes the comparison as a page: the table's rows
// as the terminal prints them, a regression and a percentile over too few
// samples marked, rendered in headless Chromium with nothing fetched.
func TestMainWritesHTML(t *testing.T) {
	slow := cell("/index", "saturation", 0, "closed-loop", slower5, p99sB5)
	base := cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)
	r10 := func() report.Cell {
		c := cell("/index", "rate10", 10, "ok", []float64{10, 10, 10, 10, 10}, p99s5)
		for i := range c.Runs {
			c.Runs[i].Requests = 300 // p99 needs 1,000
		}
		return c
	}
	dirA, dirB := folders(t, summary(base, r10()), summary(slow, r10()), metaApp2, metaApp2)
	out := filepath.Join(t.TempDir(), "compare.html")
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--html", out, dirA, dirB}, &stdout, &stderr); code != 1 {
		t.Fatalf("exit %d: %s%s", code, stdout.String(), stderr.String())
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, want := range []string{"1020.0 → 820.0: -19.61% (p=", "REGRESSED (req/s -19.6%", `data-mark="failed"`, `data-mark="few"`,
		"✗ FAILED</span> FAILED: 1 cell(s) regressed", "commit aaaa111", "corrected (Holm) over the"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	chromium, err := browser.Find()
	if err != nil {
		testenv.Missing(t, "%v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := browser.Open(ctx, chromium, out)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Console) > 0 || len(p.Requests) > 0 || len(browser.Fetches(p.DOM)) > 0 || strings.Count(p.DOM, "<tr>") != 3 {
		t.Errorf("rendered: console %q, requests %q, fetches %q, %d rows", p.Console, p.Requests, browser.Fetches(p.DOM), strings.Count(p.DOM, "<tr>"))
	}
}
