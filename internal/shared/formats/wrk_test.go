package formats

import (
	"testing"
)

// wrk's own output (Debian's wrk 4), with every optional line.
const wrkOut = `Running 10s test @ http://127.0.0.1:8000/agents
  2 threads and 400 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   935.37ms  546.61ms   1.97s    55.00%
    Req/Sec   130.06     77.33   350.00     67.57%
  2061 requests in 10.11s, 13.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1590
  Non-2xx or 3xx responses: 15
Requests/sec:    203.77
Transfer/sec:      1.30MB
`

func TestParseWrk(t *testing.T) {
	s, err := ParseWrk(wrkOut)
	if err != nil {
		t.Fatal(err)
	}
	want := WrkSummary{RequestsPerSec: 203.77, Requests: 2061, Errors: WrkErrors{Read: 2, Timeout: 1590, Status: 15}}
	if s != want || s.Failed() != 1607 {
		t.Errorf("got %+v, want %+v", s, want)
	}
	clean, err := ParseWrk("  10 requests in 1.00s, 1KB read\nRequests/sec:  10.00\n")
	if err != nil || clean.Failed() != 0 || clean.RequestsPerSec != 10 || clean.Requests != 10 {
		t.Errorf("%+v %v", clean, err)
	}
	if _, err := ParseWrk("unable to connect to 127.0.0.1:1 Connection refused"); err == nil {
		t.Error("no Requests/sec: want an error")
	}
	if _, err := ParseWrk("Requests/sec: lots\n"); err == nil {
		t.Error("a bad Requests/sec: want an error")
	}
}

// The lab generator's line for requests in flight is not its responses.
func TestParseInFlight(t *testing.T) {
	s, err := ParseWrk("  0 requests in 1.00s, 0.00B read\n  2 requests in flight at the end of the window\n" +
		"  Socket errors: connect 0, read 0, write 0, timeout 2\nRequests/sec:      0.00\n")
	if err != nil || s.Requests != 0 || s.InFlight != 2 || s.Errors.Timeout != 2 {
		t.Errorf("%+v %v", s, err)
	}
}

func TestNumbers(t *testing.T) {
	for _, c := range []struct {
		s           string
		parse       func(string) (float64, float64, error)
		value, unit float64
	}{
		{"850.00us", WrkTime, 850, 1}, {"2.35ms", WrkTime, 2350, 1e3}, {"13.16s", WrkTime, 13.16e6, 1e6}, {"0.87m", WrkTime, 0.87 * 60e6, 60e6},
		{"13.51M", WrkBinary, 13.51 * (1 << 20), 1 << 20}, {"0.00", WrkBinary, 0, 1},
		{"2.96k", WrkMetric, 2960, 1e3}, {"222.56", WrkMetric, 222.56, 1},
	} {
		v, u, err := c.parse(c.s)
		if err != nil || u != c.unit || v-c.value > 1e-6 || c.value-v > 1e-6 {
			t.Errorf("%s: %v %v %v, want %v %v", c.s, v, u, err, c.value, c.unit)
		}
	}
	if _, _, err := WrkTime("3 parsecs"); err == nil {
		t.Error("want an error")
	}
}

func TestWrkErrorsAdd(t *testing.T) {
	var sum WrkErrors
	sum.Add(WrkErrors{1, 2, 3, 4, 5})
	sum.Add(WrkErrors{1, 1, 1, 1, 1})
	if sum != (WrkErrors{2, 3, 4, 5, 6}) || sum.Socket() != 9 {
		t.Errorf("sum %+v", sum)
	}
}
