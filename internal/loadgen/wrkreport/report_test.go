package wrkreport

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/loadgen"
)

// Lines of the original wrk/wrk2 outputs (the Flask benchmark), rebuilt from
// their numbers: same units, rounding and column widths.
func TestWrkLayout(t *testing.T) {
	line := func(name string, mean, stdev, max, within float64, f func(float64) string) string {
		var b bytes.Buffer
		statsLine(&b, name, mean, stdev, max, within, f)
		return b.String()
	}
	cases := []struct{ got, want string }{
		{line("Latency", 13.16e6, 10.67e6, 26.31e6, 35.30, FormatTimeUS), "    Latency    13.16s    10.67s   26.31s    35.30%\n"},
		{line("Req/Sec", 222.56, 483.37, 2960, 88.31, FormatMetric), "    Req/Sec   222.56    483.37     2.96k    88.31%\n"},
		{line("Latency", 0.87*60e6, 0.86*60e6, 4.47*60e6, 70.40, FormatTimeUS), "    Latency     0.87m     0.86m    4.47m    70.40%\n"},
		{line("Req/Sec", 228.00, 63.76, 487.00, 74.73, FormatMetric), "    Req/Sec   228.00     63.76   487.00     74.73%\n"},
		{line("Latency", 2350, 940, 6500, 72.11, FormatTimeUS), "    Latency     2.35ms    0.94ms   6.50ms   72.11%\n"},
		{line("Req/Sec", 1.00, 10.13, 111.00, 99.03, FormatMetric), "    Req/Sec     1.00     10.13   111.00     99.03%\n"},
		{line("Latency", 619.86e3, 2.17e6, 13.31e6, 96.53, FormatTimeUS), "    Latency   619.86ms    2.17s   13.31s    96.53%\n"},
		{line("Latency", 18.74e3, 4.81e3, 47.78e3, 70.00, FormatTimeUS), "    Latency    18.74ms    4.81ms  47.78ms   70.00%\n"},
		{fmt.Sprintf("Transfer/sec: %10sB", FormatBinary(459.73*1024)), "Transfer/sec:    459.73KB"},
		{fmt.Sprintf("Transfer/sec: %10sB", FormatBinary(4.39*1024*1024)), "Transfer/sec:      4.39MB"},
		{fmt.Sprintf("  %d requests in %s, %sB read", 79598, FormatTimeUS(30.10e6), FormatBinary(13.51*1024*1024)), "  79598 requests in 30.10s, 13.51MB read"},
		{fmt.Sprintf("  %d requests in %s, %sB read", 814328, FormatTimeUS(300e6), FormatBinary(138.24*1024*1024)), "  814328 requests in 5.00m, 138.24MB read"},
		{fmt.Sprintf("  %d requests in %s, %sB read", 310, FormatTimeUS(30e6), FormatBinary(53.89*1024)), "  310 requests in 30.00s, 53.89KB read"},
		{"Running " + FormatTimeS(300) + " test", "Running 5m test"},
		{"Running " + FormatTimeS(30) + " test", "Running 30s test"},
		{FormatTimeUS(850), "0.85ms"},
		{FormatTimeUS(849), "849.00us"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got  %q\nwant %q", c.got, c.want)
		}
	}
}

func TestSampleStats(t *testing.T) {
	s := sampleStats([]float64{1, 2, 3, 4, 100})
	if s.mean != 22 || s.max != 100 || fmt.Sprintf("%.3f", s.stdev) != "43.618" || s.withinStdev != 80 {
		t.Errorf("stats = %+v", s)
	}
	if s := sampleStats(nil); s.withinStdev != 100 || s.mean != 0 {
		t.Errorf("empty stats = %+v", s)
	}
}

func TestPaddingTruncatesLikePrintf(t *testing.T) {
	if got := padUnits("1234567.89", 8); got != "123456  " {
		t.Errorf("padUnits = %q", got)
	}
}

func TestErrorLinesOnlyWhenNonZero(t *testing.T) {
	res := &loadgen.Result{
		Config:      loadgen.Config{URL: "http://h/", Threads: 1, Connections: 1, Duration: time.Second},
		Elapsed:     time.Second,
		Requests:    10,
		Bytes:       1000,
		Corrected:   hdrhistogram.New(1, 3600e6, 3),
		Uncorrected: hdrhistogram.New(1, 3600e6, 3),
	}
	var b bytes.Buffer
	if err := Text(&b, Summarize(res), Options{}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "Socket errors") || strings.Contains(b.String(), "Non-2xx") || strings.Contains(b.String(), "in flight") {
		t.Errorf("error lines without errors:\n%s", b.String())
	}
	res.Errors[loadgen.ErrConnect], res.Errors[loadgen.ErrTimeout], res.Errors[loadgen.ErrStatus] = 3, 4, 5
	res.InFlight = 2
	b.Reset()
	Text(&b, Summarize(res), Options{})
	for _, want := range []string{"  Socket errors: connect 3, read 0, write 0, timeout 4\n", "  Non-2xx or 3xx responses: 5\n",
		"  10 requests in 1.00s, 0.98KB read\n  2 requests in flight at the end of the window\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, b.String())
		}
	}
	var h bytes.Buffer
	Header(&h, loadgen.Config{URL: "http://h/", Threads: 12, Connections: 400, Duration: 5 * time.Minute, Warmup: 10 * time.Second})
	if want := "Running 5m test @ http://h/\n  12 threads and 400 connections\n  10.00s warm-up before the test, excluded from the results\n"; h.String() != want {
		t.Errorf("header %q, want %q", h.String(), want)
	}
}

// No responses at all: a full report of zeros, no NaN, valid JSON.
func TestZeroResponses(t *testing.T) {
	res := &loadgen.Result{
		Config:      loadgen.Config{URL: "http://h/", Threads: 1, Connections: 1, Duration: time.Second},
		Elapsed:     time.Second,
		InFlight:    1,
		Corrected:   hdrhistogram.New(1, 3600e6, 3),
		Uncorrected: hdrhistogram.New(1, 3600e6, 3),
		ThreadRates: []float64{0, 0},
	}
	res.Errors[loadgen.ErrTimeout] = 1
	s := Summarize(res)
	var b bytes.Buffer
	if err := Text(&b, s, Options{Latency: true, ULatency: true}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(b.String()), "nan") || !strings.Contains(b.String(), "  0 requests in 1.00s, 0.00B read\n  1 requests in flight") {
		t.Errorf("text:\n%s", b.String())
	}
	var j bytes.Buffer
	g, err := ToJSON(s, nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&j, g); err != nil || !strings.Contains(j.String(), `"in_flight_at_end": 1`) {
		t.Errorf("JSON %v:\n%s", err, j.String())
	}
}
