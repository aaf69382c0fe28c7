package loadgen

import (
	"fmt"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"sync"
	"testing"
	"time"
)

// These tests judge the accounting under slow responses and overload by what
// the server saw (recServer), not by the generator's own bookkeeping. Every
// request sent in the window is a response, an error or in flight at the end,
// so, without errors, responses plus in flight are the server's arrivals over
// the same window; edge tolerance covers a request sent just before an edge
// and read by the server just after it.

// identity checks responses + in flight (+ errors) against the server's
// arrivals in the window.
func identity(t *testing.T, res *Result, arrived, tolerance int64) {
	t.Helper()
	sent := res.Requests + res.InFlight + res.Errors[ErrConnect] + res.Errors[ErrRead] + res.Errors[ErrWrite]
	if d := sent - arrived; d < -tolerance || d > tolerance {
		t.Errorf("responses %d + in flight %d + errors = %d, but the server saw %d requests arrive in the window (tolerance %d)",
			res.Requests, res.InFlight, sent, arrived, tolerance)
	}
}

// A response slower than the timeout is a timeout, once, and still a
// response: recorded with its real latency, on the connection it was sent on.
func TestSlowResponseRecordedAndTimedOut(t *testing.T) {
	t.Parallel()
	srv := recordingServer(t, okResponse, func(n int) bool {
		if n == 5 {
			time.Sleep(2500 * time.Millisecond)
		}
		return false
	})
	m := NewMetrics("slow", "/")
	res := mustRun(t, Config{URL: srv.URL, Threads: 1, Connections: 2, Duration: 4 * time.Second, Rate: 20, Timeout: time.Second, Metrics: m})
	arrived, _, maxActive, conns := srv.seen(res.Start, res.End)
	if res.Errors[ErrTimeout] != 1 || res.Errors[ErrConnect]+res.Errors[ErrRead]+res.Errors[ErrWrite] != 0 {
		t.Errorf("errors %v, want exactly one timeout", res.Errors)
	}
	// The live count (loadtest_errors_total, what a dashboard shows while
	// the request is still out) has it once too: not once per monitor tick,
	// and not the connection that sat idle between its requests.
	if got := testutil.ToFloat64(m.errors[ErrTimeout]); got != 1 {
		t.Errorf("loadtest_errors_total{class=timeout} = %v, want 1", got)
	}
	if u, c := res.Uncorrected.Max(), res.Corrected.Max(); u < 2_500_000 || c < 2_500_000 {
		t.Errorf("max latency uncorrected %dus corrected %dus, want the slow response's 2.5 s in both", u, c)
	}
	if conns != 2 || maxActive > 2 {
		t.Errorf("the server saw %d connections and %d requests at once, want 2 and at most 2", conns, maxActive)
	}
	identity(t, res, arrived, 2)
}

// However slow the server, it never sees more than -c requests at once, and
// no connection is replaced while its request is still being worked on.
func TestInFlightBoundUnderTimeouts(t *testing.T) {
	t.Parallel()
	srv := recordingServer(t, okResponse, func(int) bool {
		time.Sleep(300 * time.Millisecond)
		return false
	})
	res := mustRun(t, Config{URL: srv.URL, Threads: 2, Connections: 4, Duration: 3 * time.Second, Rate: 100, Timeout: 100 * time.Millisecond})
	arrived, _, maxActive, conns := srv.seen(res.Start, res.End)
	if maxActive > 4 || conns != 4 {
		t.Errorf("the server saw %d requests at once on %d connections, want at most 4 on 4", maxActive, conns)
	}
	if res.Requests < 12 || res.Errors[ErrConnect]+res.Errors[ErrRead]+res.Errors[ErrWrite] != 0 {
		t.Errorf("%d responses, errors %v: want ~36 responses and no socket errors besides timeouts", res.Requests, res.Errors)
	}
	// Every response took longer than the timeout: each is a timeout, once;
	// so is a request in flight at the end if it was out that long by then
	// (one sent in the window's last 100 ms was not).
	if n := res.Errors[ErrTimeout]; n < res.Requests || n > res.Requests+res.InFlight {
		t.Errorf("timeouts %d, want responses %d, and up to the %d in flight", n, res.Requests, res.InFlight)
	}
	if min := res.Uncorrected.Min(); min < 300_000 {
		t.Errorf("uncorrected min %dus, want every response's 300 ms", min)
	}
	identity(t, res, arrived, 2)
}

// A server that serves one request at a time (at most ~200/s) asked for
// 1000/s: our requests/s is what it served, not what we asked, and our
// responses plus in flight are its arrivals over the window. With a warm-up
// the rule is the same: a request belongs to the window it was sent in, so
// the responses to the warm-up's requests, served early in the window, are
// not counted.
func TestCappedServerCountsMatch(t *testing.T) {
	for _, warmup := range []time.Duration{0, time.Second} {
		t.Run(fmt.Sprintf("warmup %v", warmup), func(t *testing.T) {
			t.Parallel()
			var worker sync.Mutex
			srv := recordingServer(t, okResponse, func(int) bool {
				worker.Lock()
				time.Sleep(5 * time.Millisecond)
				worker.Unlock()
				return false
			})
			res := mustRun(t, Config{URL: srv.URL, Threads: 2, Connections: 60, Duration: 3 * time.Second, Warmup: warmup, Rate: 1000, Timeout: 5 * time.Second})
			arrived, answered, maxActive, conns := srv.seen(res.Start, res.End)
			t.Logf("server: %d arrived, %d answered in the window; generator: %d responses, %d in flight", arrived, answered, res.Requests, res.InFlight)
			if res.SocketErrors() != 0 || maxActive > 60 || conns != 60 {
				t.Errorf("errors %v, server peak %d on %d connections", res.Errors, maxActive, conns)
			}
			// Sixty requests are queued at the server at any time: counting
			// in-flight or warm-up requests as responses would be off by sixty.
			tolerance := 3 + arrived/50
			identity(t, res, arrived, tolerance)
			if res.Requests > answered+tolerance {
				t.Errorf("%d responses, but the server answered %d in the window", res.Requests, answered)
			}
			if res.InFlight < 30 {
				t.Errorf("%d requests in flight at the end, want the ~60 the server had queued", res.InFlight)
			}
		})
	}
}

// A request that fails keeps its due time: its retry's corrected latency
// carries the time the failure cost. The server holds request 3 (due at 1 s)
// for 400 ms, then hangs up; the next slot is not due before 1.5 s.
func TestFailedRequestDelayIsCorrected(t *testing.T) {
	t.Parallel()
	// The first request is due at the start itself (0 ns): a due time of 0
	// is still a due time.
	for _, failing := range []int{1, 3} {
		t.Run(fmt.Sprintf("request %d", failing), func(t *testing.T) {
			t.Parallel()
			failedRequestDelayIsCorrected(t, failing)
		})
	}
}

func failedRequestDelayIsCorrected(t *testing.T, failing int) {
	srv := recordingServer(t, okResponse, func(n int) bool {
		if n == failing {
			time.Sleep(400 * time.Millisecond)
			return true
		}
		return false
	})
	res := mustRun(t, Config{URL: srv.URL, Threads: 1, Connections: 1, Duration: 3 * time.Second, Rate: 2})
	arrived, _, _, conns := srv.seen(res.Start, res.End)
	if res.Errors[ErrRead] != 1 || conns != 2 {
		t.Errorf("errors %v on %d connections, want one read error and one reconnect", res.Errors, conns)
	}
	// The failed request may have left up to 2 ms before its due time (see
	// wakeGrid), so its 400 ms may end up to 2 ms after the due time + 398 ms.
	if c, want := res.Corrected.Max(), (int64(400*time.Millisecond)-2*wakeGrid)/1000; c < want {
		t.Errorf("corrected max %dus, want the failed request's 400 ms in its retry (at least %dus)", c, want)
	}
	if u := res.Uncorrected.Max(); u >= 390_000 {
		t.Errorf("uncorrected max %dus: the retry itself should be fast", u)
	}
	if res.Requests < 5 {
		t.Errorf("%d responses, want 6 (one per slot)", res.Requests)
	}
	// Nor is it the generator's: the retry's send lag runs from the new
	// connection's dial, not from the due time (health.go).
	if _, maxLag := lagMS(t, res); maxLag > lagAllowanceMS(t, res) {
		t.Errorf("send lag max %.3fms (%.3fms allowed): the retry's lag counted from its due time, not from the new connection", maxLag, lagAllowanceMS(t, res))
	}
	identity(t, res, arrived, 1)
}

// Interim 1xx responses are read past: one final response per request.
func TestInterimResponses(t *testing.T) {
	t.Parallel()
	resp := "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n" + okResponse
	srv := recordingServer(t, resp, nil)
	res := mustRun(t, Config{URL: srv.URL, Threads: 1, Connections: 2, Duration: time.Second, Rate: 50})
	arrived, _, _, _ := srv.seen(res.Start, res.End)
	if res.Requests < 40 || res.SocketErrors() != 0 || res.Errors[ErrStatus] != 0 || res.Bytes != res.Requests*int64(len(resp)) {
		t.Errorf("%d responses, %d bytes, errors %v: want every response a 200 of %d bytes", res.Requests, res.Bytes, res.Errors, len(resp))
	}
	identity(t, res, arrived, 1)
}

// A server that never answers: nothing recorded, every request in flight at
// the end and a timeout, once.
func TestNoResponseInFlightAtEnd(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	srv := recordingServer(t, okResponse, func(int) bool { <-release; return true })
	res := mustRun(t, Config{URL: srv.URL, Threads: 1, Connections: 3, Duration: time.Second, Rate: 100, Timeout: 200 * time.Millisecond})
	arrived, _, maxActive, conns := srv.seen(res.Start, res.End)
	if res.Requests != 0 || res.InFlight != 3 || res.Errors[ErrTimeout] != 3 || res.Corrected.TotalCount() != 0 {
		t.Errorf("responses %d, in flight %d, errors %v: want 0, 3 and 3 timeouts", res.Requests, res.InFlight, res.Errors)
	}
	if maxActive != 3 || conns != 3 {
		t.Errorf("the server saw %d at once on %d connections, want 3 on 3", maxActive, conns)
	}
	identity(t, res, arrived, 0)
}
