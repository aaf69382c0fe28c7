package compare

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

func cell(ep, sc string, target float64, status string, rates, p99s []float64) report.Cell {
	c := report.Cell{Endpoint: ep, Scenario: sc, TargetRate: target, Status: status}
	for i := range rates {
		c.Runs = append(c.Runs, report.Run{Index: i + 1, AchievedRate: rates[i], Latency: runresult.Latency{P99: p99s[i]}})
	}
	lo, hi := rates[0], rates[0]
	plo, phi := p99s[0], p99s[0]
	for i := range rates {
		lo, hi = min(lo, rates[i]), max(hi, rates[i])
		plo, phi = min(plo, p99s[i]), max(phi, p99s[i])
	}
	c.AchievedRate, c.RateSpread = (lo+hi)/2, report.Spread{Min: lo, Max: hi}
	c.Latency.P99, c.P99Spread = (plo+phi)/2, report.Spread{Min: plo, Max: phi}
	return c
}

func summary(cells ...report.Cell) *report.Summary {
	return &report.Summary{Schema: report.SchemaVersion, Cells: cells}
}

func TestCompareJudgesAgainstTheSpread(t *testing.T) {
	a := summary(
		cell("/index", "saturation", 0, "closed-loop", []float64{1000, 1100, 1050}, []float64{10, 12, 11}),
		cell("/agents", "saturation", 0, "closed-loop", []float64{300, 320, 310}, []float64{50, 60, 55}),
		cell("/agents", "rate10", 10, "ok", []float64{10, 10, 10}, []float64{5, 6, 5.5}),
		cell("/agents", "rate4000", 4000, "saturated", []float64{300, 310, 305}, []float64{900, 950, 920}),
		cell("/index", "rate10", 10, "ok", []float64{10, 10, 10}, []float64{1, 1.1, 1.05}),
	)
	b := summary(
		cell("/index", "saturation", 0, "closed-loop", []float64{1500, 1600, 1550}, []float64{5, 6, 5.5}),  // better on both, beyond spread
		cell("/agents", "saturation", 0, "closed-loop", []float64{310, 330, 315}, []float64{52, 58, 57}),   // within spread
		cell("/agents", "rate10", 10, "ok", []float64{10, 10, 10}, []float64{9, 10, 9.5}),                  // p99 worse beyond spread
		cell("/agents", "rate4000", 4000, "saturated", []float64{200, 210, 205}, []float64{500, 520, 510}), // mixed
		cell("/agents_with_pool", "saturation", 0, "closed-loop", []float64{9000, 9100, 9050}, []float64{3, 4, 3.5}),
	)
	diffs := Compare(a, b)
	got := map[string]Diff{}
	for _, d := range diffs {
		got[d.Endpoint+" "+d.Scenario] = d
	}
	expect := []struct {
		key, verdict     string
		rateBeyond, p99B bool
	}{
		{"/index saturation", "better", true, true},
		{"/agents saturation", "same", false, false},
		{"/agents rate10", "worse", false, true},
		{"/agents rate4000", "mixed", true, true},
	}
	for _, e := range expect {
		d, ok := got[e.key]
		if !ok {
			t.Fatalf("%s missing", e.key)
		}
		if d.Verdict != e.verdict || d.Rate.BeyondSpread != e.rateBeyond || d.P99.BeyondSpread != e.p99B {
			t.Errorf("%s: verdict %s (rate beyond %v, p99 beyond %v), want %s (%v, %v)",
				e.key, d.Verdict, d.Rate.BeyondSpread, d.P99.BeyondSpread, e.verdict, e.rateBeyond, e.p99B)
		}
	}
	if got["/index rate10"].OnlyIn != "A" || got["/agents_with_pool saturation"].OnlyIn != "B" {
		t.Errorf("cells present on one side only: %+v %+v", got["/index rate10"], got["/agents_with_pool saturation"])
	}

	var out bytes.Buffer
	Print(&out, "A", "B", diffs)
	text := out.String()
	for _, want := range []string{
		"/index saturation", "1050.0 → 1550.0 (+47.6%) !", "11.00ms → 5.50ms (-50.0%) !", "better",
		"only in A", "only in B", "! marks a difference larger than the spread",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestSingleRunsAreNotFlagged(t *testing.T) {
	a := summary(cell("/index", "saturation", 0, "closed-loop", []float64{1000}, []float64{10}))
	b := summary(cell("/index", "saturation", 0, "closed-loop", []float64{900}, []float64{10.05}))
	d := Compare(a, b)[0]
	if d.Rate.Verdict != "worse" || d.Rate.BeyondSpread || d.P99.Verdict != "same" || d.Verdict != "worse" {
		t.Errorf("%+v rate %+v p99 %+v", d, d.Rate, d.P99)
	}
	var out bytes.Buffer
	Print(&out, "A", "B", []Diff{d})
	if !strings.Contains(out.String(), "there is no spread to judge noise by") || strings.Contains(out.String(), " !") {
		t.Errorf("output:\n%s", out.String())
	}
}

// The command on two results folders: the commits, the default 10%
// threshold failing a doubled p99, the threshold set or off, and refusals.
func TestMainOnFolders(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	if err := summary(cell("/index", "rate10", 10, "ok", []float64{10}, []float64{1})).WriteJSON(dirA); err != nil {
		t.Fatal(err)
	}
	if err := summary(cell("/index", "rate10", 10, "ok", []float64{10}, []float64{2})).WriteJSON(dirB); err != nil {
		t.Fatal(err)
	}
	writeMeta(t, dirA, `{"git_commit": "aaaa111", "cpu_limits": {"app": "2"}}`)
	writeMeta(t, dirB, `{"git_commit": "bbbb222", "git_dirty": true, "cpu_limits": {"app": "2"}}`)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{dirA, dirB}, &stdout, &stderr); code != 1 {
		t.Fatalf("p99 doubled, default threshold: exit %d, want 1: %s%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"1.00ms → 2.00ms (+100.0%)", "worse REGRESSED (p99 +100.0%)", "FAILED: 1 cell(s) regressed by more than 10%",
		"commit aaaa111", "commit bbbb222 (uncommitted changes)"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
	for _, args := range [][]string{
		{"--max-regression", "off", dirA, dirB},
		{dirA, dirB, "--max-regression", "150%"}, // flags after the folders too
		{"--max-regression=1.5", dirA, dirB},
	} {
		stdout.Reset()
		if code := Main(args, &stdout, &stderr); code != 0 || strings.Contains(stdout.String(), "REGRESSED") {
			t.Errorf("%v: exit %d\n%s", args, code, stdout.String())
		}
	}
	for _, args := range [][]string{{dirA}, {dirA, filepath.Join(dirB, "nope")}, {"--max-regression", "lots", dirA, dirB}, {"--bogus", dirA, dirB}} {
		stderr.Reset()
		if code := Main(args, &stdout, &stderr); code != 2 || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	stdout.Reset()
	if code := Main([]string{"-h"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "-max-regression") {
		t.Errorf("-h: exit %d: %s", code, stdout.String())
	}
}

func writeMeta(t *testing.T, dir, js string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "metadata.json"), []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Cells run with other settings are flagged and never judged, however
// much they changed; run-wide differences (quick, CPU limits) make every
// cell incomparable.
func TestSettingsThatDifferAreFlaggedNotJudged(t *testing.T) {
	a := summary(
		cell("/index", "rate10", 10, "ok", []float64{10}, []float64{1}),
		cell("/agents", "rate4000", 4000, "saturated", []float64{300}, []float64{900}),
		cell("/agents", "saturation", 0, "closed-loop", []float64{300}, []float64{100}),
	)
	b := summary(
		cell("/index", "rate10", 10, "ok", []float64{10}, []float64{5}),
		cell("/agents", "rate4000", 100, "ok", []float64{100}, []float64{20}),
		cell("/agents", "saturation", 0, "closed-loop", []float64{100}, []float64{400}),
	)
	b.Cells[0].Connections, b.Cells[0].Threads, b.Cells[0].DurationS = 4, 1, 3
	a.Cells[0].Connections, a.Cells[0].Threads, a.Cells[0].DurationS = 10, 2, 30
	ra, rb := &Run{Dir: "A", Summary: a}, &Run{Dir: "B", Summary: b}
	diffs := CompareRuns(ra, rb)
	if n := Judge(diffs, 0.1); n != 1 {
		t.Errorf("%d regressions, want 1 (/agents saturation only)", n)
	}
	got := map[string]Diff{}
	for _, d := range diffs {
		got[d.Endpoint+" "+d.Scenario] = d
	}
	if d := got["/index rate10"]; d.Verdict != "not comparable" || len(d.Regressed) != 0 ||
		strings.Join(d.Settings, ", ") != "connections 10 → 4, threads 2 → 1, duration 30s → 3s" {
		t.Errorf("/index rate10: %+v", d)
	}
	if d := got["/agents rate4000"]; d.Verdict != "not comparable" || strings.Join(d.Settings, ", ") != "rate 4000 → 100" {
		t.Errorf("/agents rate4000: %+v", d)
	}
	if d := got["/agents saturation"]; d.Verdict != "worse" || strings.Join(d.Regressed, ", ") != "req/s -66.7%, p99 +300.0%" {
		t.Errorf("/agents saturation: %+v", d)
	}
	var out bytes.Buffer
	Print(&out, Describe(ra), Describe(rb), diffs)
	for _, want := range []string{"SETTINGS DIFFER (not comparable, not judged):", "/index rate10: connections 10 → 4", "commit unknown (no metadata.json)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}

	// Other CPU limits or --quick on one side: nothing is comparable.
	ra.Meta.CPULimits = map[string]string{"app": "2", "postgres": "2"}
	rb.Meta.CPULimits = map[string]string{"app": "1", "postgres": "2"}
	b.Quick = true
	diffs = CompareRuns(ra, rb)
	if n := Judge(diffs, 0.1); n != 0 {
		t.Errorf("%d regressions across other CPU limits, want none judged", n)
	}
	for _, d := range diffs {
		if d.Verdict != "not comparable" || !strings.Contains(strings.Join(d.Settings, ", "), "quick false → true, app cpus 2 → 1") {
			t.Errorf("%s %s: %s %v", d.Endpoint, d.Scenario, d.Verdict, d.Settings)
		}
	}
}

// With repeats, a change beyond the threshold but within the spread of the
// repeats is noise, not a regression; an error status is one.
func TestJudgeWithRepeats(t *testing.T) {
	a := summary(
		cell("/index", "saturation", 0, "closed-loop", []float64{1000, 1500, 1400}, []float64{10, 14, 12}),
		cell("/agents", "rate10", 10, "ok", []float64{10, 10, 10}, []float64{5, 5, 5}),
	)
	b := summary(
		cell("/index", "saturation", 0, "closed-loop", []float64{900, 1300, 1000}, []float64{11, 15, 14}), // -12% req/s, within spread
		cell("/agents", "rate10", 10, "errors", []float64{10, 10, 10}, []float64{5, 5, 5}),
	)
	diffs := Compare(a, b)
	if c := diffs[0].Rate.Change; c > -0.11 || diffs[0].Rate.BeyondSpread {
		t.Fatalf("test data: req/s change %v, beyond spread %v", c, diffs[0].Rate.BeyondSpread)
	}
	if n := Judge(diffs, 0.1); n != 1 || len(diffs[0].Regressed) != 0 || strings.Join(diffs[1].Regressed, "") != "now over its error threshold" {
		t.Errorf("%d regressions: %v / %v", n, diffs[0].Regressed, diffs[1].Regressed)
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
			if d.Rate.A != 9000 || d.Rate.B != 9100 || d.Name() != "/index saturation" {
				t.Errorf("app: %+v %+v", d, d.Rate)
			}
		case report.TargetOriginal:
			if d.Rate.A != 1500 || d.Rate.B != 1400 || d.Name() != "/index saturation (original)" {
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
	for _, d := range CompareRuns(ra, rb) {
		if d.Target == report.TargetApp && (d.Verdict == "not comparable" || len(d.Settings) > 0) {
			t.Errorf("app cell: %s %v: the original's limit made it not comparable", d.Verdict, d.Settings)
		}
	}
	rc := &Run{Dir: "C", Summary: summary(app, orig), Meta: Meta{CPULimits: map[string]string{"app": "2", "postgres": "2", "original": "1"}}}
	for _, d := range CompareRuns(rb, rc) {
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
