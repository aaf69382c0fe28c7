package compare

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// cell is a cell whose runs have these rates and p99s (p50 a tenth of
// the p99) and 5,000 responses each (enough for every percentile).
func cell(ep, sc string, target float64, status string, rates, p99s []float64) report.Cell {
	c := report.Cell{Endpoint: ep, Scenario: sc, TargetRate: target, Status: status}
	for i := range rates {
		c.Runs = append(c.Runs, report.Run{Index: i + 1, AchievedRate: rates[i], Requests: 5000, Latency: runresult.Latency{P50: p99s[i] / 10, P99: p99s[i]}})
	}
	c.AchievedRate, c.Latency.P99 = report.MedianInterval(rates).Median, report.MedianInterval(p99s).Median
	c.Latency.P50 = c.Latency.P99 / 10
	return c
}

func summary(cells ...report.Cell) *report.Summary {
	return &report.Summary{Schema: report.SchemaVersion, Cells: cells}
}

// folders writes two results folders, A and B, with these summaries and
// metadata.json.
func folders(t *testing.T, a, b *report.Summary, metaA, metaB string) (string, string) {
	t.Helper()
	dirA, dirB := t.TempDir(), t.TempDir()
	if err := a.WriteJSON(dirA); err != nil {
		t.Fatal(err)
	}
	if err := b.WriteJSON(dirB); err != nil {
		t.Fatal(err)
	}
	writeMeta(t, dirA, metaA)
	writeMeta(t, dirB, metaB)
	return dirA, dirB
}

var (
	rates5   = []float64{1000, 1010, 1020, 1030, 1040}
	slower5  = []float64{800, 810, 820, 830, 840}
	p99s5    = []float64{10, 10.2, 10.4, 10.6, 10.8}
	p99sB5   = []float64{10.1, 10.3, 10.5, 10.7, 10.9} // interleaved with p99s5: "~"
	metaApp2 = `{"git_commit": "aaaa111", "cpu_limits": {"app": "2"}, "app_pool_size": 16}`
)

// The command on two results folders built here: exit 0 when a cell was
// judged and none regressed, 1 when one regressed, 3 when none could be
// judged (one line why), 2 for a bad command line; the threshold set or
// off.
func TestMainOnFolders(t *testing.T) {
	slow := cell("/index", "saturation", 0, "closed-loop", slower5, p99sB5)
	base := cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)
	dirA, dirB := folders(t, summary(base), summary(slow), metaApp2,
		`{"git_commit": "bbbb222", "git_dirty": true, "cpu_limits": {"app": "2"}, "app_pool_size": 16}`)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{dirA, dirB}, &stdout, &stderr); code != 1 {
		t.Fatalf("req/s -19.6%%, p=0.024 after Holm over 3 tests: exit %d, want 1: %s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"1020.0 → 820.0: -19.61% (p=0.024, n=5)", "10.40ms → 10.50ms: ~ (p=",
		"worse REGRESSED (req/s -19.6%, p=0.024)", "FAILED: 1 cell(s) regressed significantly and by more than 10%",
		"commit aaaa111", "commit bbbb222 (uncommitted changes)", "corrected (Holm) over the 3 test(s)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, args := range [][]string{
		{"--max-regression", "off", dirA, dirB},
		{dirA, dirB, "--max-regression", "25%"}, // flags after the folders too
		{"--max-regression=0.25", dirA, dirB},
	} {
		stdout.Reset()
		if code := Main(args, &stdout, &stderr); code != 0 || strings.Contains(stdout.String(), "REGRESSED") {
			t.Errorf("%v: exit %d\n%s", args, code, stdout.String())
		}
	}

	// The same figures, B no different: judged, exit 0.
	dirA2, dirB2 := folders(t, summary(base), summary(cell("/index", "saturation", 0, "closed-loop", []float64{1005, 1015, 1025, 1035, 995}, p99sB5)), metaApp2, metaApp2)
	stdout.Reset()
	if code := Main([]string{dirA2, dirB2}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "1 cell(s) judged") {
		t.Errorf("no change: exit %d\n%s", code, stdout.String())
	}

	// Three repeats a side, and a rate10 cell with 10 responses a run: no
	// cell can be judged, exit 3 with one line why.
	few := func(rates []float64) *report.Summary {
		c := cell("/index", "saturation", 0, "closed-loop", rates[:3], p99s5[:3])
		r10 := cell("/index", "rate10", 10, "ok", []float64{10, 10, 10, 10, 10}, p99s5)
		for i := range r10.Runs {
			r10.Runs[i].Requests = 10 // p50 needs 20
		}
		return summary(c, r10)
	}
	dirA3, dirB3 := folders(t, few(rates5), few(slower5), metaApp2, metaApp2)
	stdout.Reset()
	code := Main([]string{dirA3, dirB3}, &stdout, &stderr)
	last := lastLine(stdout.String())
	if code != 3 || last != "NOT JUDGED: no cell could be judged: 1 cell(s) fewer than 4 repeats per side, 1 cell(s) too few samples; run bench with --repeat 6 or more on both sides (README: how many repeats)" {
		t.Errorf("nothing judgeable: exit %d, last line %q\n%s", code, last, stdout.String())
	}

	for _, args := range [][]string{{dirA}, {dirA, filepath.Join(dirB, "nope")}, {"--max-regression", "lots", dirA, dirB}, {"--bogus", dirA, dirB},
		{"--across", "cpu_shares", dirA, dirB}} {
		stderr.Reset()
		if code := Main(args, &stdout, &stderr); code != 2 || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	stdout.Reset()
	if code := Main([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "-max-regression") || !strings.Contains(stdout.String(), "-across") {
		t.Errorf("-h: exit %d: %s", code, stdout.String())
	}
}

func lastLine(s string) string {
	l := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return l[len(l)-1]
}

func writeMeta(t *testing.T, dir, js string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Cells run with other settings are flagged and never judged, however
// much they changed; run-wide differences (quick, CPU limits, the pool
// size) make every cell incomparable, unless --across names them: then the
// cells are judged and the output says across what.
func TestSettingsThatDifferAreFlaggedNotJudged(t *testing.T) {
	a := summary(
		cell("/index", "rate10", 10, "ok", []float64{10, 10, 10, 10, 10}, p99s5),
		cell("/agents", "rate4000", 4000, "saturated", rates5, p99s5),
		cell("/agents", "saturation", 0, "closed-loop", rates5, p99s5),
	)
	b := summary(
		cell("/index", "rate10", 10, "ok", []float64{10, 10, 10, 10, 10}, []float64{50, 51, 52, 53, 54}),
		cell("/agents", "rate4000", 100, "ok", []float64{100, 100, 100, 100, 100}, p99s5),
		cell("/agents", "saturation", 0, "closed-loop", slower5, []float64{40, 41, 42, 43, 44}),
	)
	b.Cells[0].Connections, b.Cells[0].Threads, b.Cells[0].DurationS = 4, 1, 3
	a.Cells[0].Connections, a.Cells[0].Threads, a.Cells[0].DurationS = 10, 2, 30
	ra, rb := &Run{Dir: "A", Summary: a}, &Run{Dir: "B", Summary: b}
	diffs := CompareRuns(ra, rb, nil)
	if n := Judge(diffs, 0.1); n != 1 {
		t.Errorf("%d regressions, want 1 (/agents saturation only)", n)
	}
	got := map[string]Diff{}
	for _, d := range diffs {
		got[d.Endpoint+" "+d.Scenario] = d
	}
	if d := got["/index rate10"]; d.Verdict != "not comparable" || len(d.Regressed) != 0 || d.Judged() ||
		strings.Join(d.Settings, ", ") != "connections 10 → 4, threads 2 → 1, duration 30s → 3s" {
		t.Errorf("/index rate10: %+v", d)
	}
	if d := got["/agents rate4000"]; d.Verdict != "not comparable" || strings.Join(d.Settings, ", ") != "rate 4000 → 100" {
		t.Errorf("/agents rate4000: %+v", d)
	}
	// Three tests made (rate, p50, p99 of /agents saturation), each
	// 2/252: Holm 3·2/252 = 0.024 for the smallest, the others raised to it.
	if d := got["/agents saturation"]; d.Verdict != "worse" || strings.Join(d.Regressed, ", ") != "req/s -19.6%, p=0.024, p50 +303.8%, p=0.024, p99 +303.8%, p=0.024" {
		t.Errorf("/agents saturation: %s %v", d.Verdict, d.Regressed)
	}
	var out bytes.Buffer
	Print(&out, Describe(ra), Describe(rb), diffs)
	for _, want := range []string{"SETTINGS DIFFER (not comparable, not judged; --across SETTING judges them anyway):", "/index rate10: connections 10 → 4", "commit unknown (no metadata.json)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// Other CPU limits, pool size or --quick on one side: nothing is comparable.
	ra.Meta = Meta{CPULimits: map[string]string{"app": "2", "postgres": "2"}, Raw: map[string]json.RawMessage{"app_pool_size": json.RawMessage("16")}}
	rb.Meta = Meta{CPULimits: map[string]string{"app": "0.5", "postgres": "2"}, Raw: map[string]json.RawMessage{"app_pool_size": json.RawMessage("1")}}
	b.Quick = true
	diffs = CompareRuns(ra, rb, nil)
	if n := Judge(diffs, 0.1); n != 0 {
		t.Errorf("%d regressions across other settings, want none judged", n)
	}
	for _, d := range diffs {
		if d.Verdict != "not comparable" || d.Judged() || !strings.Contains(strings.Join(d.Settings, ", "), "quick false → true, app cpus 2 → 0.5, app pool size 16 → 1") {
			t.Errorf("%s %s: %s %v", d.Endpoint, d.Scenario, d.Verdict, d.Settings)
		}
	}
	// --across every run-wide setting: /agents saturation is judged again
	// (the cells' own differences still are not), and the output says so.
	diffs = CompareRuns(ra, rb, map[string]bool{"quick": true, "cpu_limits": true, "app_pool_size": true})
	if n := Judge(diffs, 0.1); n != 1 {
		t.Errorf("--across: %d regressions, want 1", n)
	}
	out.Reset()
	Print(&out, "A", "B", diffs)
	for _, want := range []string{"JUDGED ACROSS DIFFERING SETTINGS", "/agents saturation: quick false → true (--across quick), app cpus 2 → 0.5 (--across cpu_limits), app pool size 16 → 1 (--across app_pool_size)",
		"/index rate10: connections 10 → 4"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("--across output lacks %q:\n%s", want, out.String())
		}
	}
	// Only some of them: still not comparable.
	for _, d := range CompareRuns(ra, rb, map[string]bool{"cpu_limits": true}) {
		if d.Judged() || strings.Join(d.Settings, ", ") == "" {
			t.Errorf("--across cpu_limits alone judged %s across quick and the pool size", d.Name())
		}
	}
}

// --across on folders: the CPU limit cut to a quarter in B's metadata.json
// makes the cell not comparable (exit 3: nothing judged); --across
// cpu_limits judges it (exit 1) and says so.
func TestAcrossCPULimitsOnFolders(t *testing.T) {
	dirA, dirB := folders(t, summary(cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)),
		summary(cell("/index", "saturation", 0, "closed-loop", []float64{250, 255, 260, 265, 270}, p99sB5)),
		metaApp2, `{"git_commit": "aaaa111", "cpu_limits": {"app": "0.5"}, "app_pool_size": 16}`)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{dirA, dirB}, &stdout, &stderr); code != 3 || !strings.Contains(stdout.String(), "/index saturation: app cpus 2 → 0.5") ||
		lastLine(stdout.String()) != "NOT JUDGED: no cell could be judged: 1 cell(s) not comparable (settings differ)" {
		t.Errorf("without --across: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
	stdout.Reset()
	if code := Main([]string{"--across", "cpu_limits", dirA, dirB}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stdout.String(), "JUDGED ACROSS DIFFERING SETTINGS") || !strings.Contains(stdout.String(), "app cpus 2 → 0.5 (--across cpu_limits)") ||
		!strings.Contains(stdout.String(), "REGRESSED (req/s -74.5%") {
		t.Errorf("--across cpu_limits: exit %d\n%s%s", code, stdout.String(), stderr.String())
	}
}

// A cell whose reconciliation failed on either side is not judged, however
// much it changed.
func TestUnreconciledCellsAreNotJudged(t *testing.T) {
	a := cell("/agents", "saturation", 0, "closed-loop", rates5, p99s5)
	b := cell("/agents", "saturation", 0, "closed-loop", slower5, p99sB5)
	no := false
	b.Reconciled = &no
	other := cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)
	diffs := Compare(summary(a, other), summary(b, other))
	if d := diffs[0]; d.Judged() || d.Unreconciled != "B" || d.Verdict != "not judged" || d.NotJudged != "reconciliation failed in B" || Judge(diffs, 0.1) != 0 {
		t.Errorf("%s: %s (%s) %v", d.Name(), d.Verdict, d.NotJudged, d.Regressed)
	}
}

// The app's cells are compared with the app's, the original's with the
// original's; an old summary (schema 2: no targets) is the app's.
func TestCompareLikeTargets(t *testing.T) {
	orig := func(c report.Cell) report.Cell { c.Target = report.TargetOriginal; return c }
	app := func(c report.Cell) report.Cell { c.Target = report.TargetApp; return c }
	a := summary(
		app(cell("/index", "saturation", 0, "closed-loop", []float64{9000}, []float64{10})),
		orig(cell("/index", "saturation", 0, "closed-loop", []float64{1500}, []float64{300})),
	)
	b := summary(
		orig(cell("/index", "saturation", 0, "closed-loop", []float64{1400}, []float64{320})),
		app(cell("/index", "saturation", 0, "closed-loop", []float64{9100}, []float64{10})),
	)
	diffs := Compare(a, b)
	if len(diffs) != 2 {
		t.Fatalf("%d diffs: %+v", len(diffs), diffs)
	}
	for _, d := range diffs {
		switch d.Target {
		case report.TargetApp:
			if d.Rate.MedA != 9000 || d.Rate.MedB != 9100 || d.Name() != "/index saturation" {
				t.Errorf("app: %+v %+v", d, d.Rate)
			}
		case report.TargetOriginal:
			if d.Rate.MedA != 1500 || d.Rate.MedB != 1400 || d.Name() != "/index saturation (original)" {
				t.Errorf("original: %+v %+v", d, d.Rate)
			}
		default:
			t.Errorf("diff of target %q", d.Target)
		}
	}

	// An old folder (schema 2, no target) against a new one: the app's cells
	// meet, the original's is in B only.
	dir := t.TempDir()
	old := `{"schema": 2, "cells": [{"endpoint": "/index", "scenario": "saturation", "status": "closed-loop", "achieved_rate": 8000,
	  "runs": [{"index": 1, "achieved_rate": 8000}], "original": {"measured": true, "requests_per_sec": 2644.71}}]}`
	if err := os.WriteFile(filepath.Join(dir, "summary.json"), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	newDir := t.TempDir()
	if err := b.WriteJSON(newDir); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := Main([]string{"--max-regression", "off", dir, newDir}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	text := out.String()
	if !strings.Contains(text, "/index saturation   ") || !strings.Contains(text, "8000.0 → 9100.0") ||
		!regexpLine(text, `/index saturation \(original\) .*only in B`) {
		t.Errorf("compare of an old folder with a two-target one:\n%s", text)
	}
}

// regexpLine reports whether a line of text matches expr.
func regexpLine(text, expr string) bool {
	re := regexp.MustCompile(expr)
	for _, l := range strings.Split(text, "\n") {
		if re.MatchString(l) {
			return true
		}
	}
	return false
}

// The original's CPU limit bears on the original's cells alone: a run that
// also measured it (its metadata records "original") compares with one that
// did not, cell by cell, the app's; a changed limit of the original's makes
// its own cells not comparable, not the app's.
func TestOriginalCPULimitsBearOnItsCellsOnly(t *testing.T) {
	app := cell("/index", "saturation", 0, "closed-loop", []float64{9000}, []float64{10})
	app.Target = report.TargetApp
	orig := cell("/index", "saturation", 0, "closed-loop", []float64{1500}, []float64{300})
	orig.Target = report.TargetOriginal
	ra := &Run{Dir: "A", Summary: summary(app), Meta: Meta{CPULimits: map[string]string{"app": "2", "postgres": "2"}}}
	rb := &Run{Dir: "B", Summary: summary(app, orig), Meta: Meta{CPULimits: map[string]string{"app": "2", "postgres": "2", "original": "2"}}}
	for _, d := range CompareRuns(ra, rb, nil) {
		if d.Target == report.TargetApp && (d.Verdict == "not comparable" || len(d.Settings) > 0) {
			t.Errorf("app cell: %s %v: the original's limit made it not comparable", d.Verdict, d.Settings)
		}
	}
	rc := &Run{Dir: "C", Summary: summary(app, orig), Meta: Meta{CPULimits: map[string]string{"app": "2", "postgres": "2", "original": "1"}}}
	for _, d := range CompareRuns(rb, rc, nil) {
		switch d.Target {
		case report.TargetApp:
			if len(d.Settings) > 0 {
				t.Errorf("app cell: %v", d.Settings)
			}
		case report.TargetOriginal:
			if d.Verdict != "not comparable" || strings.Join(d.Settings, ", ") != "original cpus 2 → 1" {
				t.Errorf("original cell: %s %v", d.Verdict, d.Settings)
			}
		}
	}
}
