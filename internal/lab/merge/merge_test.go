package merge

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/loadgen"
	"github.com/macrobench/macrobench/internal/loadgen/cli"
	"github.com/macrobench/macrobench/internal/loadgen/wrkreport"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

var (
	t0   = time.Date(2026, 11, 30, 1, 0, 0, 123456789, time.UTC)
	span = 10 * time.Second
	args = []string{"-t4", "-c8", "-d10s", "-R", "4000", "-U", "http://h:8000/index"}
)

// run is a synthetic run's raw data: every response's latencies, its
// counters and its workers' Req/Sec samples, as the engine records them.
type run struct {
	corrected, uncorrected *hdrhistogram.Histogram
	requests, bytes, inFl  int64
	errors                 [5]int64
	samples                []float64
	health                 loadgen.Health // its send lag and scheduler latency, CPU limits, throttling
}

func newRun() *run {
	return &run{corrected: loadgen.NewHistogram(), uncorrected: loadgen.NewHistogram(),
		health: loadgen.Health{SendLag: loadgen.NewHistogram(), CPUSetCPUs: 2}}
}

func (r *run) result(start time.Time) *loadgen.Result {
	res := &loadgen.Result{
		Config:      loadgen.Config{URL: "http://h:8000/index", Threads: 4, Connections: 8, Duration: span, Rate: 4000, Timeout: 2 * time.Second},
		Start:       start,
		End:         start.Add(span),
		Elapsed:     span,
		Requests:    r.requests,
		Bytes:       r.bytes,
		InFlight:    r.inFl,
		Corrected:   r.corrected,
		Uncorrected: r.uncorrected,
		ThreadRates: r.samples,
		CPU:         1500 * time.Millisecond,
		Health:      &r.health,
	}
	copy(res.Errors[:], r.errors[:])
	return res
}

// write saves r as the generator's --json file would, part of parts.
func (r *run) write(t *testing.T, dir, name string, part, parts int) string {
	t.Helper()
	g, err := wrkreport.ToJSON(wrkreport.Summarize(r.result(t0)), args, "runid")
	if err != nil {
		t.Fatal(err)
	}
	g.Part, g.Parts = part, parts
	p := filepath.Join(dir, name)
	var b bytes.Buffer
	if err := wrkreport.WriteJSON(&b, g); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// halves builds a run of 200k responses with a long-tailed latency (50 µs
// to minutes), split response by response between two parts at random, the
// way two generators would have recorded them, and the whole as one
// generator would have.
func halves() (whole *run, parts [2]*run) {
	rng := rand.New(rand.NewSource(16))
	whole, parts = newRun(), [2]*run{newRun(), newRun()}
	for i := 0; i < 200_000; i++ {
		u := int64(50 + rng.ExpFloat64()*800)
		if rng.Intn(1000) == 0 {
			u += int64(rng.Float64() * 90e6) // a stall: up to 90 s
		}
		c := u + int64(rng.ExpFloat64()*300)
		lag := int64(rng.ExpFloat64() * 3) // µs; now and then a stall of the generator
		if rng.Intn(500) == 0 {
			lag += int64(rng.Float64() * 50e3)
		}
		p := parts[rng.Intn(2)]
		for _, r := range []*run{whole, p} {
			r.corrected.RecordValue(c)
			r.uncorrected.RecordValue(u)
			r.health.SendLag.RecordValue(lag)
			r.requests++
			r.bytes += 146
		}
	}
	// Scheduler latency: runtime-like buckets (64 ns to ~4 ms, 4 per power
	// of two), counts split between the parts.
	for lo := 64e-9; lo < 4e-3; lo *= 2 {
		for s := range 4 {
			b := runresult.Bucket{LoS: lo * (1 + float64(s)/4), HiS: lo * (1 + float64(s+1)/4)}
			var n [2]uint64
			n[0], n[1] = uint64(rng.Intn(1000)), uint64(rng.Intn(3))
			for k, p := range parts {
				if n[k] > 0 {
					p.health.SchedLatency = append(p.health.SchedLatency, runresult.Bucket{LoS: b.LoS, HiS: b.HiS, N: n[k]})
				}
			}
			if b.N = n[0] + n[1]; b.N > 0 {
				whole.health.SchedLatency = append(whole.health.SchedLatency, b)
			}
		}
	}
	// One generator under a 0.5 CPU quota and throttled, the other on one CPU.
	parts[0].health.QuotaCPUs = 0.5
	parts[0].health.Throttling = &runresult.Throttling{Periods: 100, ThrottledPeriods: 7, ThrottledS: 0.125}
	parts[1].health.CPUSetCPUs = 1
	for k, p := range parts {
		p.inFl = int64(3 + k)
		p.errors = [5]int64{1 + int64(k), 2, 3 * int64(k), 4, 5 + int64(k)}
		for w := 0; w < 2; w++ { // two workers each, 100 samples
			for s := 0; s < 100; s++ {
				p.samples = append(p.samples, float64(900+rng.Intn(200)))
			}
		}
		whole.inFl += p.inFl
		for i := range whole.errors {
			whole.errors[i] += p.errors[i]
		}
		whole.samples = append(whole.samples, p.samples...)
	}
	return whole, parts
}

// Merging the halves of a run gives the whole: every figure of the text
// report and the JSON, and every percentile of both histograms as
// hdrhistogram-go computes it on the whole.
func TestMergeHalvesEqualsWhole(t *testing.T) {
	whole, parts := halves()
	dir := t.TempDir()
	files := []string{parts[1].write(t, dir, "b.json", 2, 2), parts[0].write(t, dir, "a.json", 1, 2)}
	m, err := Files(files)
	if err != nil {
		t.Fatal(err)
	}

	ws := wrkreport.Summarize(whole.result(t0))
	var want, got bytes.Buffer
	wrkreport.Header(&want, ws.Result.Config)
	if err := wrkreport.Text(&want, ws, wrkreport.Options{Latency: true, ULatency: true}); err != nil {
		t.Fatal(err)
	}
	if err := m.Text(&got); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.String(), want.String()) {
		t.Errorf("merged text differs from the whole's:\n--- merged\n%s\n--- whole\n%s", got.String(), want.String())
	}
	if !strings.Contains(got.String(), "Uncorrected Latency") || !strings.Contains(got.String(), "Requests/sec:  20000.00") {
		t.Errorf("merged text lacks the -U block or the rate:\n%s", got.String())
	}

	for _, h := range []struct {
		name        string
		merged, all *hdrhistogram.Histogram
	}{{"corrected", m.Summary.Result.Corrected, whole.corrected}, {"uncorrected", m.Summary.Result.Uncorrected, whole.uncorrected}} {
		if h.merged.TotalCount() != h.all.TotalCount() || h.merged.Min() != h.all.Min() || h.merged.Max() != h.all.Max() ||
			h.merged.Mean() != h.all.Mean() || h.merged.StdDev() != h.all.StdDev() {
			t.Errorf("%s: count/min/max/mean/stdev %d %d %d %v %v, whole %d %d %d %v %v", h.name,
				h.merged.TotalCount(), h.merged.Min(), h.merged.Max(), h.merged.Mean(), h.merged.StdDev(),
				h.all.TotalCount(), h.all.Min(), h.all.Max(), h.all.Mean(), h.all.StdDev())
		}
		for i := 0; i <= 100_000; i++ {
			p := 100 * float64(i) / 100_000
			if a, b := h.merged.ValueAtPercentile(p), h.all.ValueAtPercentile(p); a != b {
				t.Fatalf("%s p%v: merged %d µs, whole %d µs", h.name, p, a, b)
			}
		}
		for _, p := range append(wrkreport.Percentiles[:], 99.9999, 99.99999) {
			if a, b := h.merged.ValueAtPercentile(p), h.all.ValueAtPercentile(p); a != b {
				t.Errorf("%s p%v: merged %d µs, whole %d µs", h.name, p, a, b)
			}
		}
	}

	wj, err := wrkreport.ToJSON(ws, args, "runid")
	if err != nil {
		t.Fatal(err)
	}
	mj := m.JSON
	if mj.Requests != wj.Requests || mj.Bytes != wj.Bytes || mj.InFlightAtEnd != wj.InFlightAtEnd || mj.Errors != wj.Errors ||
		mj.AchievedRate != wj.AchievedRate || mj.TransferPerS != wj.TransferPerS || mj.ElapsedS != wj.ElapsedS ||
		mj.LatencyMS != wj.LatencyMS || mj.UncorrectedMS != wj.UncorrectedMS || mj.ReqPerSecPerThread != wj.ReqPerSecPerThread ||
		mj.Threads != 4 || mj.Connections != 8 || mj.TargetRate != 4000 || mj.CPUS != 3 || mj.Parts != 2 || mj.Part != 0 {
		t.Errorf("merged JSON differs from the whole's:\nmerged %+v\nwhole  %+v", mj, wj)
	}
	if !reflect.DeepEqual(mj.Histograms, wj.Histograms) {
		t.Error("merged histograms' encodings differ from the whole's")
	}
	if !reflect.DeepEqual(mj.MergedFrom, []string{files[1], files[0]}) { // in the parts' order
		t.Errorf("merged_from %v", mj.MergedFrom)
	}

	// The generators' health: the send lag and scheduler latency are the
	// whole's exactly; CPU seconds, windows, limits and throttling add up.
	mh, wh := mj.Health, wj.Health
	if mh == nil || wh == nil {
		t.Fatalf("health: merged %v, whole %v", mh, wh)
	}
	if mh.SendLagMS != wh.SendLagMS || mh.Histograms.SendLag != wh.Histograms.SendLag || mh.SendLagMS.N != 200_000 {
		t.Errorf("merged send lag %+v, whole %+v (or their histograms' encodings differ)", mh.SendLagMS, wh.SendLagMS)
	}
	ml, err := wrkreport.DecodeSendLag(mh.Histograms.SendLag)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i <= 10_000; i++ {
		p := 100 * float64(i) / 10_000
		if a, b := ml.ValueAtPercentile(p), whole.health.SendLag.ValueAtPercentile(p); a != b {
			t.Fatalf("send lag p%v: merged %d µs, whole %d µs", p, a, b)
		}
	}
	if mh.SchedLatencyMS != wh.SchedLatencyMS || !reflect.DeepEqual(mh.Histograms.SchedLatency, wh.Histograms.SchedLatency) {
		t.Errorf("merged scheduler latency %+v, whole %+v (or their buckets differ)", mh.SchedLatencyMS, wh.SchedLatencyMS)
	}
	wantCPU := runresult.CPU{UsedS: 3, WallS: 20, LimitCPUs: 1.5, LimitFrom: "mixed", QuotaCPUs: 0.5, CPUSetCPUs: 3,
		CapacityS: 15, UsedOfLimit: 0.2, UsedOfLimitMax: 0.3,
		Throttling: &runresult.Throttling{Periods: 100, ThrottledPeriods: 7, ThrottledS: 0.125}}
	if mh.Generators != 2 || !reflect.DeepEqual(mh.CPU, wantCPU) {
		t.Errorf("merged health of %d generators, CPU %+v (throttling %+v), want 2 and %+v", mh.Generators, mh.CPU, mh.CPU.Throttling, wantCPU)
	}
	// The text: the whole's report, then one line of health with the
	// whole's send lag and scheduler latency.
	line, ok := strings.CutPrefix(got.String(), want.String())
	ms := func(v float64) string { return wrkreport.FormatTimeUS(v * 1000) }
	if !ok || strings.Count(line, "\n") != 1 ||
		!strings.HasPrefix(line, "Generator: send lag p50 "+ms(wh.SendLagMS.P50)+" p99 "+ms(wh.SendLagMS.P99)+" max "+ms(wh.SendLagMS.Max)+"; CPU 3.00s in 20.00s, 20.0% of 1.5 CPU (mixed) over 2 generators, busiest 30.0%, throttled 7/100 periods 0.12s") ||
		!strings.HasSuffix(line, "; sched latency p50 "+ms(wh.SchedLatencyMS.P50)+" p99 "+ms(wh.SchedLatencyMS.P99)+" max "+ms(wh.SchedLatencyMS.Max)+"\n") {
		t.Errorf("merged text's health line: %q", line)
	}
}

// Requests/sec is all responses over the union of the windows: two
// overlapping windows count their overlap once, a gap not at all.
func TestRateOverTheUnionOfWindows(t *testing.T) {
	s, e, d := union([]window{{t0.Add(2 * time.Second), t0.Add(12 * time.Second)}, {t0, t0.Add(10 * time.Second)}, {t0.Add(20 * time.Second), t0.Add(25 * time.Second)}})
	if !s.Equal(t0) || !e.Equal(t0.Add(25*time.Second)) || d != 17*time.Second {
		t.Errorf("union %v %v %v, want %v %v 17s", s, e, d, t0, t0.Add(25*time.Second))
	}
}

// Two real generators (the command line, the engine, the JSON) at 200
// req/s each against a real server, merged: the sums, the histograms'
// counts and the rate over the union of their windows.
func TestMergeRealGenerators(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"hello":"world"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "g1.json"), filepath.Join(dir, "g2.json")}
	var wg sync.WaitGroup
	codes := make([]int, 2)
	outs := make([]bytes.Buffer, 2)
	for i := range files {
		wg.Go(func() {
			var stderr bytes.Buffer
			codes[i] = cli.Main([]string{"-t2", "-c4", "-d2s", "-R200", "-L", "--json", files[i], srv.URL + "/index"}, &outs[i], &stderr)
			if codes[i] != 0 {
				t.Errorf("generator %d: exit %d: %s", i+1, codes[i], stderr.String())
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var stdout, stderr bytes.Buffer
	out := filepath.Join(dir, "merged.json")
	hg := filepath.Join(dir, "merged.hgrm")
	if code := Main(append([]string{"--json", out, "--hgrm", hg}, files...), &stdout, &stderr); code != 0 {
		t.Fatalf("merge: exit %d: %s", code, stderr.String())
	}
	m, err := runresult.ReadGenerator(out)
	if err != nil {
		t.Fatal(err)
	}
	var parts []*runresult.Generator
	for _, f := range files {
		g, err := runresult.ReadGenerator(f)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, g)
	}
	a, b := parts[0], parts[1]
	sumErr := a.Errors
	sumErr.Add(b.Errors)
	if m.Requests != a.Requests+b.Requests || m.Bytes != a.Bytes+b.Bytes || m.InFlightAtEnd != a.InFlightAtEnd+b.InFlightAtEnd || m.Errors != sumErr {
		t.Errorf("merged counts %d %d %d %+v, parts %+v and %+v", m.Requests, m.Bytes, m.InFlightAtEnd, m.Errors, a, b)
	}
	if m.Requests < 600 { // 2 × 2 s × 200 req/s = 800, on a loaded machine fewer
		t.Errorf("merged %d responses: the generators did not run", m.Requests)
	}
	if h := m.Health; h == nil || a.Health == nil || b.Health == nil || h.Generators != 2 ||
		h.SendLagMS.N != a.Health.SendLagMS.N+b.Health.SendLagMS.N || h.SendLagMS.N < m.Requests ||
		h.SchedLatencyMS.N != a.Health.SchedLatencyMS.N+b.Health.SchedLatencyMS.N ||
		math.Abs(h.CPU.UsedS-(a.Health.CPU.UsedS+b.Health.CPU.UsedS)) > 1e-12 || math.Abs(h.CPU.UsedS-m.CPUS) > 1e-6 {
		t.Errorf("merged health (%d requests, cpu_s %v) %+v of %+v and %+v", m.Requests, m.CPUS, h, a.Health, b.Health)
	}
	// The union of two windows: both lengths less their overlap, if any.
	later, earlier := b, a
	if b.Start.Before(a.Start) {
		later, earlier = a, b
	}
	overlap := earlier.End.Sub(later.Start)
	if later.End.Before(earlier.End) {
		overlap = later.End.Sub(later.Start)
	}
	covered := a.End.Sub(a.Start) + b.End.Sub(b.Start) - max(0, overlap)
	if want := float64(m.Requests) / covered.Seconds(); math.Abs(m.AchievedRate-want) > 1e-9*want {
		t.Errorf("merged rate %v, want %v (responses over the union of the windows)", m.AchievedRate, want)
	}
	if m.Threads != 4 || m.Connections != 8 || m.TargetRate != 400 || len(m.ReqPerSecSamples) != len(a.ReqPerSecSamples)+len(b.ReqPerSecSamples) {
		t.Errorf("merged settings %d threads %d connections %g req/s, %d samples", m.Threads, m.Connections, m.TargetRate, len(m.ReqPerSecSamples))
	}
	c, _, err := wrkreport.DecodeHistograms(m.Histograms)
	if err != nil || c.TotalCount() != m.Requests {
		t.Errorf("merged histogram: %v, %d values for %d responses", err, c.TotalCount(), m.Requests)
	}
	if !strings.Contains(stdout.String(), "Running 2s test @ "+srv.URL+"/index\n  4 threads and 8 connections\n") ||
		!strings.Contains(stdout.String(), "Detailed Percentile spectrum") {
		t.Errorf("merged text:\n%s", stdout.String())
	}
	if hb, err := os.ReadFile(hg); err != nil || !strings.Contains(string(hb), "#[Max") {
		t.Errorf("merged .hgrm: %v\n%s", err, hb)
	}
	// Results are never overwritten: a second merge into the same files is refused.
	before, _ := os.ReadFile(out)
	stderr.Reset()
	if code := Main(append([]string{"--json", out}, files...), &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), "never overwritten") {
		t.Errorf("merge over an existing --json: exit %d, %q", code, stderr.String())
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Error("the existing --json file was changed")
	}
}

// Inputs that are not one run are refused with one line naming the
// difference; a bad command line exits 2.
func TestRefusesMismatchedInputs(t *testing.T) {
	_, parts := halves()
	dir := t.TempDir()
	a := parts[0].write(t, dir, "a.json", 1, 2)
	b := parts[1].write(t, dir, "b.json", 2, 2)
	edit := func(name string, f func(g map[string]any)) string {
		t.Helper()
		g := readMap(t, b)
		f(g)
		return writeMap(t, dir, name, g)
	}
	otherURL := edit("url.json", func(g map[string]any) { g["url"] = "http://h:8000/agents" })
	otherRate := edit("rate.json", func(g map[string]any) { g["target_rate"] = 2000.0 })
	otherConns := edit("conns.json", func(g map[string]any) { g["connections"] = 16 })
	noHist := edit("nohist.json", func(g map[string]any) { delete(g, "histograms") })
	badHist := edit("badhist.json", func(g map[string]any) { g["histograms"].(map[string]any)["corrected"] = "bm90IGEgaGlzdG9ncmFt" })
	whole := edit("whole.json", func(g map[string]any) { delete(g, "part"); delete(g, "parts") })
	three := edit("three.json", func(g map[string]any) { g["parts"] = 3 })
	part1 := edit("part1.json", func(g map[string]any) { g["part"] = 1 })
	for _, c := range []struct {
		files []string
		want  string
	}{
		{[]string{a, otherURL}, "URL differs: http://h:8000/agents here, http://h:8000/index in"},
		{[]string{a, otherRate}, "-R/--rate differs: 2000 here, 4000 in"},
		{[]string{a, otherConns}, "-c/--connections differs"},
		{[]string{a, noHist}, "no histograms"},
		{[]string{a, badHist}, "corrected histogram"},
		{[]string{a, whole}, "parts (--part I/N) differs: 0 here, 2 in"},
		{[]string{a, three}, "parts (--part I/N) differs: 3 here, 2 in"},
		{[]string{a, part1}, "part 1/2 twice"},
		{[]string{a}, "part 2/2 missing"},
		{[]string{whole, whole}, "the same result as"},
		{[]string{filepath.Join(dir, "none.json")}, "no such file"},
	} {
		var stdout, stderr bytes.Buffer
		code := Main(c.files, &stdout, &stderr)
		line := stderr.String()
		if code != 1 || !strings.Contains(line, c.want) || strings.Count(line, "\n") != 1 || stdout.Len() != 0 {
			t.Errorf("merge %v: exit %d, stderr %q, stdout %d bytes; want exit 1 and one line with %q", c.files, code, line, stdout.Len(), c.want)
		}
	}
	for _, bad := range [][]string{{}, {"--nope", a}, {"--json"}} {
		var stdout, stderr bytes.Buffer
		if code := Main(bad, &stdout, &stderr); code != 2 || strings.Count(stderr.String(), "\n") != 1 {
			t.Errorf("merge %q: exit %d, %q; want 2 and one line", bad, code, stderr.String())
		}
	}
	// The two parts alone merge.
	var stdout, stderr bytes.Buffer
	if code := Main([]string{a, b}, &stdout, &stderr); code != 0 {
		t.Errorf("merge of both parts: exit %d: %s", code, stderr.String())
	}
}

func readMap(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g map[string]any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func writeMap(t *testing.T, dir, name string, g map[string]any) string {
	t.Helper()
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// The parts of one run (--part, --start-at), as bench --generators runs
// them, merge into that run: its settings, a window that is exactly -d
// (both parts' windows start at --start-at), the sums.
func TestMergeParts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte(`{"hello":"world"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	startAt := time.Now().Add(1500 * time.Millisecond).UTC()
	files := []string{filepath.Join(dir, "p1.json"), filepath.Join(dir, "p2.json")}
	var wg sync.WaitGroup
	for i := range files {
		wg.Go(func() {
			var stdout, stderr bytes.Buffer
			code := cli.Main([]string{"-t2", "-c8", "-d2s", "-R400", "--part", fmt.Sprintf("%d/2", i+1), "--start-at", startAt.Format(time.RFC3339Nano),
				"--json", files[i], srv.URL + "/index"}, &stdout, &stderr)
			if code != 0 {
				t.Errorf("part %d: exit %d: %s", i+1, code, stderr.String())
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	m, err := Files(files)
	if err != nil {
		t.Fatal(err)
	}
	var sum int64
	for i, f := range files {
		g, err := runresult.ReadGenerator(f)
		if err != nil {
			t.Fatal(err)
		}
		if g.Part != i+1 || g.Parts != 2 || !g.Start.Equal(startAt) || g.StartAt == nil || !g.StartAt.Equal(startAt) || g.StartSlackS <= 0 || g.StartSlackS > 1.5 {
			t.Errorf("%s: part %d/%d, window from %v (start_at %v), want part %d/2 from %v", f, g.Part, g.Parts, g.Start, g.StartAt, i+1, startAt)
		}
		sum += g.Requests
	}
	j := m.JSON
	if j.Requests != sum || j.ElapsedS != 2 || j.AchievedRate != float64(sum)/2 || j.Threads != 2 || j.Connections != 8 || j.TargetRate != 400 || j.Parts != 2 || j.Part != 0 {
		t.Errorf("merged: %d responses (parts: %d) in %vs at %v req/s, -t%d -c%d -R%g, parts %d part %d",
			j.Requests, sum, j.ElapsedS, j.AchievedRate, j.Threads, j.Connections, j.TargetRate, j.Parts, j.Part)
	}
	if j.Requests < 600 {
		t.Errorf("%d responses of 800 slots", j.Requests)
	}
}

// Whole results merge in the order given: merged_from lists the files so,
// and the run id (as the args) is the first's.
func TestMergeKeepsTheOrderOfWholeResults(t *testing.T) {
	var in []Input
	for i, name := range []string{"b.json", "a.json", "c.json"} {
		r := newRun()
		r.samples = []float64{float64(i)}
		g, err := wrkreport.ToJSON(wrkreport.Summarize(r.result(t0.Add(time.Duration(i)*time.Second))), args, "run-"+name)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, Input{Name: name, G: g})
	}
	m, err := Merge(in)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(m.JSON.MergedFrom, " "); got != "b.json a.json c.json" || m.JSON.RunID != "run-b.json" {
		t.Errorf("merged from %q, run id %q: want the order given and the first's", got, m.JSON.RunID)
	}
}
