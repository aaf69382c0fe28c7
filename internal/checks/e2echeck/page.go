package e2echeck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/checks/browser"
	"github.com/macrobench/macrobench/internal/lab/report"
)

// MaxPageBytes is the most a results page may weigh (the e2e's two-target
// --quick run's, issue 23).
const MaxPageBytes = 1 << 20

// PageScreenshot is the screenshot the e2e keeps beside a run's page.
const PageScreenshot = "index.png"

// CheckPage opens dir's index.html in headless Chromium with the network
// off: under MaxPageBytes, no console message, no request, nothing that
// would load a file, every cell's row there; and keeps a screenshot of it
// beside it (PageScreenshot). It returns the page's size.
func CheckPage(ctx context.Context, dir string) (int64, error) {
	path := filepath.Join(dir, report.PageFile)
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if fi.Size() > MaxPageBytes {
		return fi.Size(), fmt.Errorf("%s: %d bytes, over %d", path, fi.Size(), MaxPageBytes)
	}
	bin, err := browser.Find()
	if err != nil {
		return fi.Size(), err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	p, err := browser.Open(ctx, bin, path)
	if err != nil {
		return fi.Size(), err
	}
	var bad []string
	if len(p.Console) > 0 || len(p.Requests) > 0 {
		bad = append(bad, fmt.Sprintf("console %q, requests %q", p.Console, p.Requests))
	}
	if f := browser.Fetches(p.DOM); len(f) > 0 {
		bad = append(bad, fmt.Sprintf("would load %q", f))
	}
	if s, err := report.Load(dir); err == nil {
		for _, c := range s.Cells {
			if id := report.CellID(c.Target, c.Endpoint, c.Scenario); !strings.Contains(p.DOM, `id="`+id+`"`) {
				bad = append(bad, "no row "+id)
			}
		}
	}
	if err := browser.Screenshot(ctx, bin, path, filepath.Join(dir, PageScreenshot), 1280, 2400); err != nil {
		bad = append(bad, err.Error())
	}
	if len(bad) > 0 {
		return fi.Size(), fmt.Errorf("%s: %s", path, strings.Join(bad, "; "))
	}
	return fi.Size(), nil
}
