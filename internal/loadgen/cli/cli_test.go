package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/loadgen/wrkreport"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

func TestParseWrk2CommandLines(t *testing.T) {
	o, err := Parse(strings.Fields("-t12 -c400 -d5m -R 4000 http://192.168.2.100:8000/index"))
	if err != nil {
		t.Fatal(err)
	}
	c := o.Config
	if c.Threads != 12 || c.Connections != 400 || c.Duration != 5*time.Minute || c.Rate != 4000 || c.URL != "http://192.168.2.100:8000/index" || c.Timeout != 2*time.Second {
		t.Fatalf("config = %+v", c)
	}
	o, err = Parse([]string{"http://h/", "--threads=3", "--connections", "6", "--duration", "2s", "-LU", "-H", "A: b", "--header=C: d",
		"--timeout", "500ms", "--rate=1k", "--json", "r.json", "--hgrm", "r.hgrm", "--warmup", "1s", "--metrics-addr", ":9102", "--run-id", "x"})
	if err != nil {
		t.Fatal(err)
	}
	c = o.Config
	if c.Threads != 3 || c.Connections != 6 || c.Duration != 2*time.Second || !o.Latency || !o.ULatency || len(c.Headers) != 2 ||
		c.Timeout != 500*time.Millisecond || c.Rate != 1000 || o.JSONFile != "r.json" || o.HgrmFile != "r.hgrm" ||
		c.Warmup != time.Second || o.MetricsAddr != ":9102" || o.RunID != "x" {
		t.Fatalf("options = %+v", o)
	}
	o, err = Parse([]string{"-d1h", "-c10", "-t10", "-R10", "http://h/"})
	if err != nil || o.Config.Duration != time.Hour || o.Config.Rate != 10 {
		t.Fatalf("%+v %v", o, err)
	}
	if o, err := Parse([]string{"-c1", "-t1", "http://h/"}); err != nil || o.Config.Rate != 0 {
		t.Fatalf("closed loop: %+v %v", o, err)
	}
	if o, err := Parse([]string{"-U", "http://h/"}); err != nil || !o.Latency || !o.ULatency {
		t.Fatalf("-U must imply -L, as in wrk2: %+v %v", o, err)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		args string
		want string
	}{
		{"-t4 -c2 http://h/", "-c/--connections (2) must be at least -t/--threads (4)"},
		{"-R 0.5 http://h/", "-R/--rate: must be at least 1"},
		{"-R -5 http://h/", "-R/--rate: must be at least 1"},
		{"-R abc http://h/", "-R/--rate: invalid number"},
		{"-d 10x http://h/", "-d/--duration: invalid time"},
		{"-d 0 http://h/", "-d/--duration must be positive"},
		{"-t 1.5 http://h/", "-t/--threads: invalid count"},
		{"-s script.lua http://h/", "Lua scripts are not supported"},
		{"--script=x.lua http://h/", "Lua scripts are not supported"},
		{"-B http://h/", "-B/--batch_latency is not supported"},
		{"-x http://h/", "unknown option -x"},
		{"--bogus http://h/", "unknown option --bogus"},
		{"-t", "option -t needs a value"},
		{"", "missing URL"},
		{"http://a/ http://b/", "one URL expected"},
		{"--latency=1 http://h/", "takes no value"},
		{"--timeout -1s http://h/", "--timeout must be positive"},
		{"--part 0/2 http://h/", "--part: invalid part \"0/2\""},
		{"--part 3/2 http://h/", "--part: invalid part"},
		{"--part 1 http://h/", "--part: invalid part"},
		{"--part a/b http://h/", "--part: invalid part"},
		{"-t1 -c1 --part 1/2 http://h/", "-c/--connections (1) must be at least the parts of --part (2)"},
		{"-t1 -c4 --part 2/2 http://h/", "-t/--threads (1) must be at least the parts of --part (2)"},
		{"--start-at 10:00 http://h/", "--start-at: invalid time"},
		{"--start-at 2026-11-30 http://h/", "--start-at: invalid time"},
	} {
		_, err := Parse(strings.Fields(c.args))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", c.args, err, c.want)
		}
	}
}

func TestParsePartAndStartAt(t *testing.T) {
	o, err := Parse(strings.Fields("-t2 -c10 -R100 --part 2/2 --start-at 2026-11-30T01:00:05.25Z http://h/"))
	if err != nil {
		t.Fatal(err)
	}
	if c := o.Config; c.Part != 2 || c.Parts != 2 || !c.StartAt.Equal(time.Date(2026, 11, 30, 1, 0, 5, 250e6, time.UTC)) {
		t.Errorf("config %+v", c)
	}
	if o, err := Parse(strings.Fields("--start-at 2026-11-30T02:00:05+01:00 http://h/")); err != nil || !o.Config.StartAt.Equal(time.Date(2026, 11, 30, 1, 0, 5, 0, time.UTC)) {
		t.Errorf("whole seconds with an offset: %v %v", o, err)
	}
}

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errw bytes.Buffer
	code = Main(args, &out, &errw)
	return code, out.String(), errw.String()
}

// Bad input ends with one line naming the problem and a non-zero status.
func TestMainBadInput(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-t4", "-c2", "http://127.0.0.1/"}, 2, "must be at least -t/--threads"},
		{[]string{"-R0", "http://127.0.0.1/"}, 2, "-R/--rate: must be at least 1"},
		{[]string{"http://[::1"}, 1, "invalid URL"},
		{[]string{"-d1s", "--timeout", "1s", refused}, 1, "connection refused"},
		{[]string{"-s", "a.lua", "http://127.0.0.1/"}, 2, "Lua"},
		{[]string{"-d1s", "--json", "/nonexistent/dir/r.json", "http://127.0.0.1/"}, 1, "--json"},
		{[]string{"-c3", "--part", "4/3", "http://127.0.0.1/"}, 2, "--part"},
	} {
		start := time.Now()
		code, _, stderr := runMain(t, c.args...)
		if code != c.code || !strings.Contains(stderr, c.want) || strings.Count(stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q; want exit %d and one line containing %q", c.args, code, stderr, c.code, c.want)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("%v took %v", c.args, time.Since(start))
		}
	}
	if code, out, _ := runMain(t, "--help"); code != 0 || !strings.Contains(out, "--rate") {
		t.Errorf("--help: exit %d, %q", code, out)
	}
}

var (
	statsRe    = regexp.MustCompile(`^    (Latency|Req/Sec)\s+(\S+)\s+(\S+)\s+(\S+)\s+([\d.]+)%$`)
	pctRe      = regexp.MustCompile(`^\s*([\d.]+)%\s+(\S+)$`)
	requestsRe = regexp.MustCompile(`^  (\d+) requests in (\S+), (\S+)B read$`)
	errorsRe   = regexp.MustCompile(`^  Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)$`)
	non2xxRe   = regexp.MustCompile(`^  Non-2xx or 3xx responses: (\d+)$`)
	rpsRe      = regexp.MustCompile(`^Requests/sec:\s+([\d.]+)$`)
	tpsRe      = regexp.MustCompile(`^Transfer/sec:\s+(\S+)B$`)
)

// value parses a wrk-formatted number into base units (µs for times, bytes,
// counts) and the largest error its rounding to two decimals allows.
func value(t *testing.T, s string, kind string) (v, tolerance float64) {
	t.Helper()
	parse := map[string]func(string) (float64, float64, error){"time": formats.WrkTime, "binary": formats.WrkBinary, "metric": formats.WrkMetric}[kind]
	v, unit, err := parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v, 0.005*unit + 1e-9
}

func near(t *testing.T, what string, text string, kind string, json float64) {
	t.Helper()
	v, tol := value(t, text, kind)
	if math.Abs(v-json) > tol {
		t.Errorf("%s: text %s (%g) vs JSON %g", what, text, v, json)
	}
}

// A real run through the command line: the text has wrk2's layout, the JSON
// carries the same numbers, the hgrm file is a percentile distribution.
func TestTextMatchesJSON(t *testing.T) {
	t.Parallel()
	var n int
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n++ // handlers of one connection run in sequence; the race detector would tell otherwise
		if n%10 == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		w.Write([]byte(`{"hello":"world"}`))
	}))
	defer s.Close()
	dir := t.TempDir()
	jsonPath, hgrmPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.hgrm")
	// -U alone: it implies -L, as in wrk2, so both blocks are printed.
	args := []string{"-t1", "-c1", "-d2s", "-R", "200", "-U", "--json", jsonPath, "--hgrm", hgrmPath, "--run-id", "t1", s.URL + "/index"}
	code, out, stderr := runMain(t, args...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	t.Log("\n" + out)
	var j runresult.Generator
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	if j.URL != s.URL+"/index" || j.Threads != 1 || j.Connections != 1 || j.TargetRate != 200 || j.DurationS != 2 ||
		strings.Join(j.Args, " ") != strings.Join(args, " ") || j.RunID != "t1" || j.Path != "/index" {
		t.Errorf("json header = %+v", j)
	}
	for _, key := range []string{`"args"`, `"url"`, `"threads"`, `"connections"`, `"duration_s"`, `"warmup_s"`, `"target_rate"`, `"start"`, `"end"`,
		`"elapsed_s"`, `"requests"`, `"bytes"`, `"in_flight_at_end"`, `"achieved_rate"`, `"transfer_per_s"`, `"connect"`, `"status"`, `"latency_ms"`, `"uncorrected_ms"`,
		`"p99_999"`, `"p100"`, `"req_per_sec_per_thread"`, `"within_stdev_pct"`,
		`"health"`, `"send_lag_ms"`, `"sched_latency_ms"`, `"used_of_limit"`, `"limit_cpus"`} {
		if !bytes.Contains(raw, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
	if !bytes.Contains(raw, []byte(`"start": "`+j.Start.Format(time.RFC3339Nano)+`"`)) || j.Start.Location() != time.UTC ||
		math.Abs(j.End.Sub(j.Start).Seconds()-j.ElapsedS) > 1e-6 {
		t.Errorf("start %q end %q elapsed %v", j.Start, j.End, j.ElapsedS)
	}

	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	// The generator's health: one line after wrk2's layout, its figures the JSON's.
	if h := j.Health; h == nil || len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], "Transfer/sec:") ||
		!strings.HasPrefix(lines[len(lines)-1], fmt.Sprintf("Generator: send lag p50 %s p99 %s max %s; CPU %.2fs in %.2fs",
			wrkreport.FormatTimeUS(h.SendLagMS.P50*1000), wrkreport.FormatTimeUS(h.SendLagMS.P99*1000), wrkreport.FormatTimeUS(h.SendLagMS.Max*1000),
			h.CPU.UsedS, h.CPU.WallS)) || h.SendLagMS.N < j.Requests || h.CPU.UsedS != j.CPUS || h.CPU.WallS != j.ElapsedS {
		t.Errorf("health %+v, last lines %q", j.Health, lines[max(0, len(lines)-2):])
	}
	wantPrefix := []string{
		"Running 2s test @ " + s.URL + "/index",
		"  1 threads and 1 connections",
		"  Thread Stats   Avg      Stdev     Max   +/- Stdev",
	}
	for i, w := range wantPrefix {
		if lines[i] != w {
			t.Errorf("line %d = %q, want %q", i, lines[i], w)
		}
	}
	pctBlock := 0
	pcts := [][]float64{
		{j.LatencyMS.P50, j.LatencyMS.P75, j.LatencyMS.P90, j.LatencyMS.P99, j.LatencyMS.P99_9, j.LatencyMS.P99_99, j.LatencyMS.P99_999, j.LatencyMS.P100},
		{j.UncorrectedMS.P50, j.UncorrectedMS.P75, j.UncorrectedMS.P90, j.UncorrectedMS.P99, j.UncorrectedMS.P99_9, j.UncorrectedMS.P99_99, j.UncorrectedMS.P99_999, j.UncorrectedMS.P100},
	}
	seen := map[string]bool{}
	pctIndex := 0
	for _, l := range lines {
		switch {
		case statsRe.MatchString(l):
			m := statsRe.FindStringSubmatch(l)
			within, _ := strconv.ParseFloat(m[5], 64)
			if m[1] == "Latency" {
				near(t, "latency avg", m[2], "time", j.LatencyMS.Mean*1000)
				near(t, "latency stdev", m[3], "time", j.LatencyMS.Stdev*1000)
				near(t, "latency max", m[4], "time", j.LatencyMS.Max*1000)
				if math.Abs(within-j.LatencyMS.WithinStdevPct) > 0.005 {
					t.Errorf("latency +/- stdev %v vs %v", within, j.LatencyMS.WithinStdevPct)
				}
			} else {
				near(t, "req/sec avg", m[2], "metric", j.ReqPerSecPerThread.Mean)
				near(t, "req/sec stdev", m[3], "metric", j.ReqPerSecPerThread.Stdev)
				near(t, "req/sec max", m[4], "metric", j.ReqPerSecPerThread.Max)
				if math.Abs(within-j.ReqPerSecPerThread.WithinStdevPct) > 0.005 {
					t.Errorf("req/sec +/- stdev %v vs %v", within, j.ReqPerSecPerThread.WithinStdevPct)
				}
			}
			seen[m[1]] = true
		case strings.HasPrefix(l, "  Latency Distribution (HdrHistogram - "):
			pctIndex = 0
			pctBlock++
			seen[l] = true
		case pctRe.MatchString(l) && pctBlock > 0 && pctIndex < 8:
			m := pctRe.FindStringSubmatch(l)
			near(t, "percentile "+m[1], m[2], "time", pcts[pctBlock-1][pctIndex]*1000)
			pctIndex++
		case requestsRe.MatchString(l):
			m := requestsRe.FindStringSubmatch(l)
			if m[1] != strconv.FormatInt(j.Requests, 10) {
				t.Errorf("requests %s vs %d", m[1], j.Requests)
			}
			near(t, "elapsed", m[2], "time", j.ElapsedS*1e6)
			near(t, "bytes", m[3], "binary", float64(j.Bytes))
			seen["requests"] = true
		case errorsRe.MatchString(l):
			t.Errorf("socket errors line without socket errors: %q", l)
		case non2xxRe.MatchString(l):
			if m := non2xxRe.FindStringSubmatch(l); m[1] != strconv.FormatInt(j.Errors.Status, 10) || j.Errors.Status == 0 {
				t.Errorf("non-2xx %s vs %d", m[1], j.Errors.Status)
			}
			seen["non2xx"] = true
		case rpsRe.MatchString(l):
			m := rpsRe.FindStringSubmatch(l)
			if m[1] != fmt.Sprintf("%.2f", j.AchievedRate) {
				t.Errorf("requests/sec %s vs %v", m[1], j.AchievedRate)
			}
			seen["rps"] = true
		case tpsRe.MatchString(l):
			near(t, "transfer/sec", tpsRe.FindStringSubmatch(l)[1], "binary", j.TransferPerS)
			seen["tps"] = true
		}
	}
	for _, k := range []string{"Latency", "Req/Sec", "requests", "non2xx", "rps", "tps",
		"  Latency Distribution (HdrHistogram - Recorded Latency)",
		"  Latency Distribution (HdrHistogram - Uncorrected Latency (measured without taking delayed starts into account))"} {
		if !seen[k] {
			t.Errorf("text lacks %q", k)
		}
	}
	if !strings.Contains(out, "  Detailed Percentile spectrum:\n       Value   Percentile   TotalCount 1/(1-Percentile)\n\n") ||
		strings.Count(out, "----------------------------------------------------------\n") != 2 {
		t.Errorf("percentile spectrum layout differs from wrk2's")
	}
	// 400 slots; far fewer on a machine busy enough to stall the run.
	if j.Requests < 20 || j.Errors.Status == 0 || j.Errors.Connect+j.Errors.Read+j.Errors.Write+j.Errors.Timeout != 0 {
		t.Errorf("requests %d errors %+v", j.Requests, j.Errors)
	}

	hgrm, err := os.ReadFile(hgrmPath)
	if err != nil {
		t.Fatal(err)
	}
	h := string(hgrm)
	if !strings.HasPrefix(h, "       Value   Percentile   TotalCount 1/(1-Percentile)\n\n") ||
		!strings.Contains(h, fmt.Sprintf("Total count    = %12d]", j.Requests)) ||
		!strings.Contains(h, "#[Buckets =           22, SubBuckets     =         2048]") ||
		!regexp.MustCompile(`\n\s+[\d.]+\s+1\.000000\s+\d+\s+inf\n#\[Mean`).MatchString(h) {
		t.Errorf("hgrm file:\n%s", h)
	}
}

// --metrics-addr serves the run's metrics while it lasts.
func TestMetricsEndpoint(t *testing.T) {
	t.Parallel()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer s.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	done := make(chan int)
	go func() {
		code, _, _ := runMain(t, "-t1", "-c2", "-d2s", "-R50", "--metrics-addr", addr, "--run-id", "live", s.URL+"/p")
		done <- code
	}()
	var body string
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		body = string(b)
		if strings.Contains(body, `loadtest_requests_total{path="/p",run_id="live"}`) && !strings.Contains(body, `loadtest_requests_total{path="/p",run_id="live"} 0`) {
			break
		}
	}
	for _, want := range []string{
		`loadtest_running{path="/p",run_id="live"} 1`,
		`loadtest_target_rate{path="/p",run_id="live"} 50`,
		`loadtest_errors_total{class="timeout",path="/p",run_id="live"} 0`,
		`loadtest_latency_seconds_bucket{measure="corrected",path="/p",run_id="live",le="5e-05"}`,
		`loadtest_latency_seconds_count{measure="uncorrected",path="/p",run_id="live"}`,
		"go_goroutines", "process_cpu_seconds_total",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code := <-done; code != 0 {
		t.Errorf("exit %d", code)
	}
}

// A server that accepts connections and reads requests but never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	var mu sync.Mutex
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go io.Copy(io.Discard, c)
		}
	}()
	return "http://" + ln.Addr().String() + "/"
}

// A run without a single response still prints its full report and writes
// its files (zeros, its timeouts, its requests in flight), then fails.
func TestZeroResponsesStillReport(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	jsonPath, hgrmPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.hgrm")
	code, out, stderr := runMain(t, "-t1", "-c2", "-d1s", "-R10", "--timeout", "200ms", "-L", "--json", jsonPath, "--hgrm", hgrmPath, silentServer(t))
	t.Log("\n" + out)
	if code != 1 || !strings.Contains(stderr, "no responses") || strings.Count(stderr, "\n") != 1 {
		t.Errorf("exit %d, stderr %q: want 1 and one line saying no responses", code, stderr)
	}
	for _, want := range []string{
		"  Thread Stats", "  Latency Distribution (HdrHistogram - Recorded Latency)", "  0 requests in 1.00s, 0.00B read\n",
		"  2 requests in flight at the end of the window\n", "  Socket errors: connect 0, read 0, write 0, timeout 2\n", "Requests/sec:      0.00\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(strings.ToLower(out), "nan") {
		t.Errorf("report prints NaN")
	}
	var j runresult.Generator
	raw, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &j); err != nil {
		t.Fatal(err)
	}
	if j.Requests != 0 || j.InFlightAtEnd != 2 || j.Errors.Timeout != 2 || j.AchievedRate != 0 {
		t.Errorf("JSON requests %d, in flight %d, errors %+v, rate %v", j.Requests, j.InFlightAtEnd, j.Errors, j.AchievedRate)
	}
	if hgrm, err := os.ReadFile(hgrmPath); err != nil || !strings.Contains(string(hgrm), "Total count    =            0]") {
		t.Errorf("hgrm %q, %v", hgrm, err)
	}
	if fi, err := os.Stat(jsonPath); err != nil || fi.Mode().Perm() != 0o644 {
		t.Errorf("JSON file mode %v, %v", fi.Mode(), err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 2 {
		t.Errorf("%d files in the output directory, want r.json and r.hgrm only", len(entries))
	}
}

// A run that fails before its report leaves earlier --json and --hgrm files
// as they were, and no temporary files.
func TestFailedRunKeepsEarlierOutputs(t *testing.T) {
	t.Parallel()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	refused := "http://" + ln.Addr().String() + "/"
	ln.Close()
	dir := t.TempDir()
	jsonPath, hgrmPath := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.hgrm")
	os.WriteFile(jsonPath, []byte(`{"requests": 42}`), 0o644)
	os.WriteFile(hgrmPath, []byte("earlier"), 0o644)
	code, _, stderr := runMain(t, "-d1s", "--timeout", "1s", "--json", jsonPath, "--hgrm", hgrmPath, refused)
	if code != 1 || !strings.Contains(stderr, "connection refused") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if b, _ := os.ReadFile(jsonPath); string(b) != `{"requests": 42}` {
		t.Errorf("r.json now %q", b)
	}
	if b, _ := os.ReadFile(hgrmPath); string(b) != "earlier" {
		t.Errorf("r.hgrm now %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d files in the output directory, want the 2 earlier ones", len(entries))
	}
}

// --start-at in the past: one line, exit 1, no results written (an earlier
// file is left as it was).
func TestStartAtMissedWritesNothing(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	defer srv.Close()
	dir := t.TempDir()
	js := filepath.Join(dir, "r.json")
	os.WriteFile(js, []byte("earlier"), 0o644)
	past := time.Now().Add(-2 * time.Second).UTC().Format(time.RFC3339Nano)
	code, stdout, stderr := runMain(t, "-d1s", "-c2", "-t2", "--part", "1/2", "--start-at", past, "--json", js, "--hgrm", filepath.Join(dir, "r.hgrm"), srv.URL)
	if code != 1 || !regexp.MustCompile(`^loadtest: cannot start on time: ready \d+ ms after --start-at\n$`).MatchString(stderr) || stdout != "" {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(js); string(b) != "earlier" {
		t.Errorf("the --json file was touched: %q", b)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("files left: %v", entries)
	}
}

// --json - writes the JSON document alone on stdout, the report on stderr.
func TestJSONToStdout(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok")) }))
	defer srv.Close()
	code, stdout, stderr := runMain(t, "-d1s", "-c2", "-t1", "-R20", "--json", "-", srv.URL+"/x")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var g runresult.Generator
	dec := json.NewDecoder(strings.NewReader(stdout))
	if err := dec.Decode(&g); err != nil || dec.More() || g.Requests == 0 || g.Path != "/x" || g.Histograms == nil {
		t.Errorf("stdout is not one generator JSON document (%v):\n%s", err, stdout)
	}
	if !strings.HasPrefix(stderr, "Running 1s test @ ") || !strings.Contains(stderr, "Requests/sec:") {
		t.Errorf("stderr lacks the report:\n%s", stderr)
	}
}
