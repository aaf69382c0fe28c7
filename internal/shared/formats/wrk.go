package formats

// The text wrk and wrk2 print after a run, and that
// the lab's generator prints in their layout (internal/loadgen/wrkreport):
// the summary lines (requests, socket errors, non-2xx responses,
// Requests/sec) and wrk's printed numbers with their units ("2.35ms",
// "13.51MB", "2.96k"). scripts/perf.sh's wrk runs, scripts/loadtest-perf.sh's
// comparison and the tests of the generator's layout read through it.

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// WrkSummary is what the end of a wrk report says about the run.
type WrkSummary struct {
	RequestsPerSec float64 // "Requests/sec:"
	Requests       int64   // "N requests in 10.00s, 1.23MB read": responses received
	// InFlight is the lab generator's "N requests in flight at the end of
	// the window" (wrk prints no such line: 0).
	InFlight int64
	// Errors are "Socket errors: connect, read, write, timeout" and, as
	// Status, "Non-2xx or 3xx responses".
	Errors WrkErrors
}

// Failed is every failed request wrk counted: its socket errors, timeouts
// and non-2xx responses, summed as wrk users read them.
func (s WrkSummary) Failed() int64 { return s.Errors.Socket() + s.Errors.Timeout + s.Errors.Status }

var (
	requestsLine = regexp.MustCompile(`^(\d+) requests in \S+, \S+ read$`)
	inFlightLine = regexp.MustCompile(`^(\d+) requests in flight at the end of the window$`)
	socketLine   = regexp.MustCompile(`^Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)$`)
	non2xxLine   = regexp.MustCompile(`^Non-2xx or 3xx responses: (\d+)$`)
)

// ParseWrk reads a wrk report. The "Requests/sec:" line is required (without
// it wrk did not finish a run: its output is then an error message); the
// others are optional (wrk leaves out the error lines when there were none).
func ParseWrk(text string) (WrkSummary, error) {
	var s WrkSummary
	found := false
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	atoi := func(v string) int64 { n, _ := strconv.ParseInt(v, 10, 64); return n }
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "Requests/sec:"); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return s, fmt.Errorf("bad Requests/sec line %q", line)
			}
			s.RequestsPerSec, found = v, true
		} else if m := requestsLine.FindStringSubmatch(line); m != nil {
			s.Requests = atoi(m[1])
		} else if m := inFlightLine.FindStringSubmatch(line); m != nil {
			s.InFlight = atoi(m[1])
		} else if m := socketLine.FindStringSubmatch(line); m != nil {
			s.Errors.Connect, s.Errors.Read, s.Errors.Write, s.Errors.Timeout = atoi(m[1]), atoi(m[2]), atoi(m[3]), atoi(m[4])
		} else if m := non2xxLine.FindStringSubmatch(line); m != nil {
			s.Errors.Status = atoi(m[1])
		}
	}
	if err := sc.Err(); err != nil {
		return s, err
	}
	if !found {
		return s, fmt.Errorf("no Requests/sec line in wrk's output:\n%s", clip(text, 500))
	}
	return s, nil
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// Kinds of printed numbers, as wrk's units.c scales them.
var (
	timeUnits   = map[string]float64{"us": 1, "ms": 1e3, "s": 1e6, "m": 60e6, "h": 3600e6}
	binaryUnits = map[string]float64{"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40, "P": 1 << 50}
	metricUnits = map[string]float64{"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15}
)

// WrkTime reads a printed time ("850.00us", "2.35ms", "13.16s", "0.87m") in
// µs. unit is the size of the printed unit in µs (1000 for "ms"): the
// figure was rounded to two decimals of it.
func WrkTime(s string) (us, unit float64, err error) { return number(s, timeUnits, "time") }

// WrkBinary reads a printed byte count ("13.51M", "0.98K", "0.00": the "B" of
// "13.51MB" left out) in bytes; unit as for WrkTime.
func WrkBinary(s string) (bytes, unit float64, err error) {
	return number(s, binaryUnits, "byte count")
}

// WrkMetric reads a printed count ("2.96k", "222.56") in units; unit as for WrkTime.
func WrkMetric(s string) (n, unit float64, err error) { return number(s, metricUnits, "count") }

func number(s string, units map[string]float64, kind string) (float64, float64, error) {
	i := strings.LastIndexAny(s, "0123456789") + 1
	num, suffix := s[:i], s[i:]
	v, err := strconv.ParseFloat(num, 64)
	scale, ok := units[suffix]
	if err != nil || !ok {
		return 0, 0, fmt.Errorf("wrk output: %q is not a %s", s, kind)
	}
	return v * scale, scale, nil
}

// WrkErrors counts each error class, as wrk names them ("Socket errors:
// connect, read, write, timeout" and "Non-2xx or 3xx responses"). Connect, Read and
// Write are outcomes: requests that ended in that error, without a
// response. Status (non-2xx/3xx responses) and Timeout (requests that took
// the generator's --timeout or longer: responses, or in flight that long
// when the window closed) are flags on requests counted elsewhere (see
// runresult.Accounting).
type WrkErrors struct {
	Connect int64 `json:"connect"`
	Read    int64 `json:"read"`
	Write   int64 `json:"write"`
	Timeout int64 `json:"timeout"`
	Status  int64 `json:"status"`
}

// Socket is the requests that ended in a connect, read or write error.
func (e WrkErrors) Socket() int64 { return e.Connect + e.Read + e.Write }

// Add adds o's counts to e's, class by class.
func (e *WrkErrors) Add(o WrkErrors) {
	e.Connect += o.Connect
	e.Read += o.Read
	e.Write += o.Write
	e.Timeout += o.Timeout
	e.Status += o.Status
}
