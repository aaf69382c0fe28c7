package compare

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
)

// judged is a figure tested with p-value p (before the correction), its
// medians a → b.
func judged(fig string, a, b, p float64, higherIsBetter bool) *Test {
	return &Test{Figure: fig, MedA: a, MedB: b, Change: (b - a) / a, P: p, HigherIsBetter: higherIsBetter, N1: 5, N2: 5}
}

// Holm's correction over every test of the compare, and each verdict, on
// p-values and medians set by hand: significant at ≤ 0.05 after the
// correction (two tests of 0.025: both 0.05, significant), a higher rate
// better, a higher latency worse, equal medians the same whatever p; a
// figure not judged gets no verdict; a cell is better, worse, mixed or the
// same by its figures, not judged with its first figure's reason, not
// comparable when its settings differ.
func TestCorrectByHand(t *testing.T) {
	notJudged := func(fig, why string) *Test {
		return &Test{Figure: fig, NotJudged: why, Verdict: "stale", Significant: true, PHolm: 0.5}
	}
	diffs := []Diff{
		{Endpoint: "/index", Rate: judged(FigRate, 100, 120, 0.025, true), P50: judged(FigP50, 10, 10, 0.0001, false),
			P99: notJudged(FigP99, "too few samples: …")},
		{Endpoint: "/agents", Rate: judged(FigRate, 100, 90, 0.025, true), P50: judged(FigP50, 10, 8, 0.0001, false),
			P99: judged(FigP99, 20, 30, 0.0001, false)},
		{Endpoint: "/agents_with_pool", Rate: notJudged(FigRate, "n=3: needs ≥4 repeats per side"), P50: notJudged(FigP50, "second reason"),
			P99: notJudged(FigP99, "third")},
		{Endpoint: "/x", Settings: []string{"rate 10 → 20"}, Rate: notJudged(FigRate, "not comparable")},
		{Endpoint: "/y", OnlyIn: "B", Verdict: "kept"},
	}
	if n := Correct(diffs); n != 5 {
		t.Fatalf("%d tests, want 5", n)
	}
	// Sorted: three of 0.0001 (× 5, 4, 3: each raised to 0.0005), then
	// the two of 0.025 × 2 and × 1 (raised to 0.05).
	for _, c := range []struct {
		t       *Test
		pHolm   float64
		verdict string
	}{
		{diffs[0].Rate, 0.05, "better"}, {diffs[0].P50, 0.0005, "same"}, {diffs[0].P99, 0, ""},
		{diffs[1].Rate, 0.05, "worse"}, {diffs[1].P50, 0.0005, "better"}, {diffs[1].P99, 0.0005, "worse"},
		{diffs[2].Rate, 0, ""},
	} {
		if math.Abs(c.t.PHolm-c.pHolm) > 1e-12 || c.t.Verdict != c.verdict || c.t.Significant != (c.verdict != "") {
			t.Errorf("%s: p %g, verdict %q, significant %v; want p %g, %q", c.t.Figure, c.t.PHolm, c.t.Verdict, c.t.Significant, c.pHolm, c.verdict)
		}
	}
	for i, want := range []string{"better", "mixed", "not judged", "not comparable", "kept"} {
		if diffs[i].Verdict != want {
			t.Errorf("%s: verdict %q, want %q", diffs[i].Endpoint, diffs[i].Verdict, want)
		}
	}
	if diffs[2].NotJudged != "n=3: needs ≥4 repeats per side" || diffs[3].NotJudged != "" {
		t.Errorf("reasons: %q, %q", diffs[2].NotJudged, diffs[3].NotJudged)
	}

	// One test just over 0.05 is not significant: "~", the cell the same.
	one := []Diff{{Endpoint: "/index", Rate: judged(FigRate, 100, 50, 0.0501, true)}}
	Correct(one)
	if one[0].Rate.Significant || one[0].Rate.Verdict != "same" || one[0].Verdict != "same" {
		t.Errorf("p 0.0501: %+v, cell %s", one[0].Rate, one[0].Verdict)
	}
	// Significant with a lower rate and a lower latency: worse, better.
	two := []Diff{{Endpoint: "/index", Rate: judged(FigRate, 100, 50, 0.01, true), P50: judged(FigP50, 10, 5, 0.01, false)}}
	Correct(two)
	if two[0].Rate.Verdict != "worse" || two[0].P50.Verdict != "better" || two[0].Verdict != "mixed" {
		t.Errorf("lower rate, lower p50: %s, %s, cell %s", two[0].Rate.Verdict, two[0].P50.Verdict, two[0].Verdict)
	}
	better := []Diff{{Endpoint: "/index", P50: judged(FigP50, 10, 5, 0.01, false)}}
	Correct(better)
	if better[0].Verdict != "better" {
		t.Errorf("a lower p50 alone: cell %s", better[0].Verdict)
	}
}

// Judge: a significant change worse by more than the threshold (exactly the
// threshold is not more), or a cell that now fails its error threshold;
// never a cell on one side only, not comparable or not reconciled.
func TestJudgeByHand(t *testing.T) {
	worse := func(change float64) *Test {
		return &Test{Figure: FigRate, Change: change, Significant: true, Verdict: "worse", PHolm: 0.01}
	}
	diffs := []Diff{
		{Endpoint: "/a", Rate: worse(-0.2)},
		{Endpoint: "/b", Rate: worse(-0.2), StatusA: report.StatusOK, StatusB: report.StatusErrors},
		{Endpoint: "/c", StatusA: report.StatusErrors, StatusB: report.StatusErrors},
		{Endpoint: "/d", StatusA: report.StatusErrors, StatusB: report.StatusOK},
		{Endpoint: "/e", OnlyIn: "B", StatusB: report.StatusErrors},
		{Endpoint: "/f", Settings: []string{"threads 2 → 1"}, Rate: worse(-0.5), StatusB: report.StatusErrors},
		{Endpoint: "/g", Unreconciled: "B", Rate: worse(-0.5), StatusB: report.StatusErrors},
		{Endpoint: "/h", Rate: &Test{Figure: FigRate, Change: -0.5, Significant: false, Verdict: "same"}},
	}
	if n := Judge(diffs, 0.2); n != 1 {
		t.Errorf("%d regressed at 20%%, want 1 (/b, over its threshold now)", n)
	}
	if strings.Join(diffs[1].Regressed, "; ") != "now over its error threshold" {
		t.Errorf("/b: %v", diffs[1].Regressed)
	}
	if n := Judge(diffs, 0.19); n != 2 || strings.Join(diffs[0].Regressed, "; ") != "req/s -20.0%, p=0.010" ||
		strings.Join(diffs[1].Regressed, "; ") != "req/s -20.0%, p=0.010; now over its error threshold" {
		t.Errorf("at 19%%: %d regressed: %v, %v", n, diffs[0].Regressed, diffs[1].Regressed)
	}
}

// A figure's tests on cells of fewer responses: the rate needs none (5 a
// run), p50 needs 20 a run (10 beyond it), p99 1,000.
func TestSamplesNeededPerFigure(t *testing.T) {
	base5, slower5 := []float64{1000, 1010, 1020, 1030, 1040}, []float64{800, 810, 820, 830, 840}
	p50s := []float64{10, 12, 14, 16, 18}
	d := Compare(summary(sample("/index", 5, base5, p50s)), summary(sample("/index", 5, slower5, p50s)))[0]
	if !d.Rate.Judged() || d.Rate.TooFewSamples || d.P50.Judged() {
		t.Errorf("5 responses a run: rate %+v, p50 %+v", d.Rate, d.P50)
	}
	d = Compare(summary(sample("/index", 20, base5, p50s)), summary(sample("/index", 20, slower5, p50s)))[0]
	if !d.P50.Judged() || d.P99.Judged() {
		t.Errorf("20 responses a run: p50 %+v, p99 %+v", d.P50, d.P99)
	}
	d = Compare(summary(sample("/index", 19, base5, p50s)), summary(sample("/index", 19, slower5, []float64{20, 22, 24, 26, 28})))[0]
	if d.P50.Judged() || d.P50.NotJudged != "too few samples: a run held 19 responses, p50 needs ≥20 (10 beyond it)" ||
		d.P50.Format("%.2fms") != "14.00ms → 24.00ms (+71.4%) too few samples" {
		t.Errorf("19 responses a run: p50 %+v: %s", d.P50, d.P50.Format("%.2fms"))
	}
	// 4 repeats against 5: judged, "n=4+5".
	d = Compare(summary(sample("/index", 20, base5[:4], p50s[:4])), summary(sample("/index", 20, slower5, p50s)))[0]
	if !d.Rate.Judged() || !strings.Contains(d.Rate.Format("%.1f"), "n=4+5)") {
		t.Errorf("4 against 5: %+v: %s", d.Rate, d.Rate.Format("%.1f"))
	}
	d = Compare(summary(sample("/index", 20, base5, p50s)), summary(sample("/index", 20, slower5[:4], p50s[:4])))[0]
	if !d.Rate.Judged() {
		t.Errorf("5 against 4: %+v", d.Rate)
	}
	// Three repeats: the figure's line says why it was not judged.
	d = Compare(summary(sample("/index", 20, base5[:3], p50s[:3])), summary(sample("/index", 20, slower5[:3], p50s[:3])))[0]
	if got := d.Rate.Format("%.1f"); got != "1010.0 → 810.0 (-19.8%, not judged: n=3: needs ≥4 repeats per side)" {
		t.Errorf("3 against 3: %q", got)
	}
}

// A cell without runs (a summary from before runs were kept) is compared
// on its own figures, never tested; a median of 0 has no change.
func TestCellsWithoutRuns(t *testing.T) {
	a := report.Cell{Endpoint: "/index", Scenario: "saturation", Status: report.StatusClosedLoop, AchievedRate: 1000}
	a.Latency.P50, a.Latency.P99 = 2, 9
	b := a
	b.AchievedRate, b.Latency.P50, b.Latency.P99 = 1100, 3, 12
	d := Compare(summary(a), summary(b))[0]
	if d.Rate.MedA != 1000 || d.Rate.MedB != 1100 || d.P50.MedA != 2 || d.P50.MedB != 3 || d.P99.MedA != 9 || d.P99.MedB != 12 ||
		math.Abs(d.Rate.Change-0.1) > 1e-12 || d.Judged() {
		t.Errorf("cells without runs: rate %+v, p50 %+v, p99 %+v", d.Rate, d.P50, d.P99)
	}
	a.AchievedRate = 0
	if d := Compare(summary(a), summary(b))[0]; d.Rate.Change != 0 {
		t.Errorf("from 0 req/s: change %v", d.Rate.Change)
	}
}

// A rate cell that kept its target on both sides is not judged on its
// rate (its latency still is); saturated on either side, it is.
func TestRateAtTargetOnBothSides(t *testing.T) {
	a := cell("/index", "rate10", 10, report.StatusOK, rates5, p99s5)
	b := cell("/index", "rate10", 10, report.StatusOK, slower5, p99sB5)
	if d := Compare(summary(a), summary(b))[0]; d.Rate.NotJudged != "at its target rate on both sides" || !d.P50.Judged() {
		t.Errorf("ok on both sides: rate %+v", d.Rate)
	}
	for _, st := range [][2]string{{report.StatusSaturated, report.StatusOK}, {report.StatusOK, report.StatusSaturated}} {
		a.Status, b.Status = st[0], st[1]
		if d := Compare(summary(a), summary(b))[0]; !d.Rate.Judged() {
			t.Errorf("%s → %s: rate not judged: %+v", st[0], st[1], d.Rate)
		}
	}
}

// Which side failed its reconciliation, named; such a cell is not judged.
func TestUnreconciledSides(t *testing.T) {
	no := false
	for _, c := range []struct {
		a, b bool // unreconciled
		want string
	}{{true, false, "A"}, {true, true, "A and B"}, {false, false, ""}} {
		a := cell("/agents", "saturation", 0, "closed-loop", rates5, p99s5)
		b := cell("/agents", "saturation", 0, "closed-loop", slower5, p99sB5)
		if c.a {
			a.Reconciled = &no
		}
		if c.b {
			b.Reconciled = &no
		}
		d := Compare(summary(a), summary(b))[0]
		if d.Unreconciled != c.want || d.Judged() != (c.want == "") || (c.want != "" && d.NotJudged != "reconciliation failed in "+c.want) {
			t.Errorf("unreconciled %v/%v: %q, judged %v, %q", c.a, c.b, d.Unreconciled, d.Judged(), d.NotJudged)
		}
	}
}

// LoadRun reads a folder or its summary.json, with metadata.json beside it;
// a metadata.json it cannot read is an error naming it, a missing one is not.
func TestLoadRun(t *testing.T) {
	dirA, _ := folders(t, summary(cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)), summary(), metaApp2, "{}")
	for _, p := range []string{dirA, filepath.Join(dirA, "summary.json")} {
		r, err := LoadRun(p)
		if err != nil || r.Meta.GitCommit != "aaaa111" || r.Meta.CPULimits["app"] != "2" || string(r.Meta.Raw["app_pool_size"]) != "16" || len(r.Summary.Cells) != 1 {
			t.Errorf("%s: %v %+v", p, err, r)
		}
	}
	writeMeta(t, dirA, `{"cpu_limits": 2}`)
	if _, err := LoadRun(dirA); err == nil || !strings.Contains(err.Error(), filepath.Join(dirA, "metadata.json")) {
		t.Errorf("bad metadata.json: %v", err)
	}
	os.Remove(filepath.Join(dirA, "metadata.json"))
	if r, err := LoadRun(dirA); err != nil || r.Meta.GitCommit != "" {
		t.Errorf("no metadata.json: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dirA, "metadata.json"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadRun(dirA); err == nil {
		t.Error("a metadata.json that is a folder: no error")
	}
}

// A run's one line: folder, commit (dirty or unknown), start, quick, interrupted.
func TestDescribe(t *testing.T) {
	r := &Run{Dir: "results/x", Summary: &report.Summary{Started: time.Date(2026, 12, 7, 5, 0, 1, 0, time.UTC), Quick: true, Interrupted: true},
		Meta: Meta{GitCommit: "abc", GitDirty: true}}
	if got := Describe(r); got != "results/x, commit abc (uncommitted changes), started 2026-12-07 05:00:01 UTC, quick, INTERRUPTED" {
		t.Errorf("%q", got)
	}
	if got := Describe(&Run{Dir: "y", Summary: &report.Summary{}}); got != "y, commit unknown (no metadata.json)" {
		t.Errorf("%q", got)
	}
}

// A setting absent from one side's metadata.json is not a difference (an
// older run); present on both and different, it is. A cell present on one
// side only gets none.
func TestSettingAbsentOnOneSide(t *testing.T) {
	c := cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)
	only := cell("/agents", "saturation", 0, "closed-loop", rates5, p99s5)
	raw := func(js string) map[string]json.RawMessage {
		var m map[string]json.RawMessage
		json.Unmarshal([]byte(js), &m)
		return m
	}
	a := &Run{Summary: summary(c), Meta: Meta{Raw: raw(`{"app_pool_size": 16}`)}}
	b := &Run{Summary: summary(c, only), Meta: Meta{Raw: raw(`{"original_pool_size": 4}`)}}
	b.Summary.Quick = true
	for _, d := range CompareRuns(a, b, nil) {
		switch d.Endpoint {
		case "/index":
			if strings.Join(d.Settings, ", ") != "quick false → true" {
				t.Errorf("/index: %v", d.Settings)
			}
		case "/agents":
			if d.OnlyIn != "B" || len(d.Settings) > 0 || d.Verdict != "" {
				t.Errorf("/agents, in B only: %+v", d)
			}
		}
	}
	b.Meta.Raw = raw(`{"app_pool_size": 1}`)
	b.Summary.Quick = false
	if d := CompareRuns(a, b, nil)[0]; strings.Join(d.Settings, ", ") != "app pool size 16 → 1" {
		t.Errorf("pool 16 → 1: %v", d.Settings)
	}
}

// The command's edges: --max-regression 0 fails on any significant drop;
// off reports only, counting what it judged; two folders of no cells are
// not judged ("no cells"); cells on one side only or unreconciled are
// counted as such; an --html it cannot write is exit 2.
func TestMainEdges(t *testing.T) {
	slow := cell("/index", "saturation", 0, "closed-loop", slower5, p99sB5)
	base := cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)
	dirA, dirB := folders(t, summary(base), summary(slow), metaApp2, metaApp2)
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"--max-regression", "0%", dirA, dirB}, &stdout, &stderr); code != 1 ||
		!strings.Contains(stdout.String(), "FAILED: 1 cell(s) regressed significantly and by more than 0%") {
		t.Errorf("--max-regression 0%%: exit %d\n%s", code, stdout.String())
	}
	same1, same2 := folders(t, summary(base), summary(base), metaApp2, metaApp2)
	stdout.Reset()
	if code := Main([]string{"--max-regression", "12.5%", same1, same2}, &stdout, &stderr); code != 0 ||
		lastLine(stdout.String()) != "No judged cell regressed by more than 12.5% (--max-regression): 1 cell(s) judged." {
		t.Errorf("no change: exit %d, %q", code, lastLine(stdout.String()))
	}
	stdout.Reset()
	if code := Main([]string{"--max-regression", "off", dirA, dirB}, &stdout, &stderr); code != 0 ||
		lastLine(stdout.String()) != "--max-regression off: report only (1 cell(s) judged)." {
		t.Errorf("off: exit %d\n%s", code, stdout.String())
	}
	// No cells on either side.
	e1, e2 := folders(t, summary(), summary(), "{}", "{}")
	stdout.Reset()
	if code := Main([]string{e1, e2}, &stdout, &stderr); code != 3 || lastLine(stdout.String()) != "NOT JUDGED: no cell could be judged: no cells" {
		t.Errorf("no cells: exit %d, %q", code, lastLine(stdout.String()))
	}
	// A cell on one side only, one unreconciled.
	no := false
	unrec := slow
	unrec.Endpoint, unrec.Reconciled = "/agents", &no
	unrecA := base
	unrecA.Endpoint = "/agents"
	o1, o2 := folders(t, summary(base, unrecA), summary(unrec, cell("/x", "saturation", 0, "closed-loop", rates5, p99s5)), metaApp2, metaApp2)
	stdout.Reset()
	code := Main([]string{o1, o2}, &stdout, &stderr)
	if want := "NOT JUDGED: no cell could be judged: 2 cell(s) on one side only, 1 cell(s) reconciliation failed"; code != 3 || lastLine(stdout.String()) != want {
		t.Errorf("one side only, unreconciled: exit %d, %q, want %q", code, lastLine(stdout.String()), want)
	}
	stderr.Reset()
	if code := Main([]string{"--html", filepath.Join(t.TempDir(), "no", "such", "x.html"), dirA, dirB}, &stdout, &stderr); code != 2 ||
		!strings.HasPrefix(stderr.String(), "compare: --html: cannot write") {
		t.Errorf("--html unwritable: exit %d, %q", code, stderr.String())
	}
}

// The table and page: a cell not judged says why in its verdict, a cell
// not comparable does not repeat it; the count of figures with too few
// samples; the across section only when something was judged across; the
// page marks an unreconciled cell and carries the settings and across
// sections.
func TestViewAndPage(t *testing.T) {
	no := false
	few := cell("/index", "rate10", 10, report.StatusSaturated, rates5[:3], p99s5[:3])
	unrec := cell("/agents", "saturation", 0, "closed-loop", slower5, p99sB5)
	unrec.Reconciled = &no
	tooFew := cell("/index", "saturation", 0, "closed-loop", rates5, p99s5)
	for i := range tooFew.Runs {
		tooFew.Runs[i].Requests = 100 // p50 judged, p99 too few
	}
	errorsA, errorsB := tooFew, tooFew
	errorsA.ErrorRatio, errorsB.ErrorRatio = 0.0123, 0.005
	diffs := Compare(summary(few, cell("/agents", "saturation", 0, "closed-loop", rates5, p99s5), errorsA), summary(few, unrec, errorsB))
	var out bytes.Buffer
	Print(&out, "A", "B", diffs)
	text := out.String()
	for _, want := range []string{"not judged (n=3: needs ≥4 repeats per side)", "not judged (reconciliation failed in B)",
		`("too few samples": 1 figure(s) here)`, "over the 2 test(s) of this comparison", "1.23% → 0.50%"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, acrossHeading) || strings.Contains(text, settingsHeading) {
		t.Errorf("sections without their cells:\n%s", text)
	}
	page := filepath.Join(t.TempDir(), "c.html")
	if err := WriteHTML(page, "A", "B", diffs, "verdict", false); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(page)
	if bytes.Count(b, []byte(`data-mark="untrusted"`)) != 1 || bytes.Contains(b, []byte(settingsHeading)) || bytes.Contains(b, []byte("JUDGED ACROSS")) {
		t.Errorf("page: want the one unreconciled cell marked, no settings or across section without cells")
	}

	// Settings that differ, one of them judged across.
	a, bb := &Run{Dir: "A", Summary: summary(cell("/index", "saturation", 0, "closed-loop", rates5, p99s5))},
		&Run{Dir: "B", Summary: summary(cell("/index", "saturation", 0, "closed-loop", slower5, p99sB5))}
	bb.Summary.Quick = true
	across := CompareRuns(a, bb, map[string]bool{"quick": true})
	notComparable := CompareRuns(a, bb, nil)
	out.Reset()
	Print(&out, "A", "B", notComparable)
	if !regexpLine(out.String(), `^/index saturation .* not comparable$`) {
		t.Errorf("a cell not comparable: its verdict alone:\n%s", out.String())
	}
	if err := WriteHTML(page, "A", "B", append(across, notComparable...), "verdict", true); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(page)
	for _, want := range []string{"SETTINGS DIFFER (not comparable", "JUDGED ACROSS DIFFERING SETTINGS", "quick false → true (--across quick)"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("page lacks %q", want)
		}
	}
}
