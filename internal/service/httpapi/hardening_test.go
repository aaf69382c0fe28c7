package httpapi

import (
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// RFC 9110: HEAD wherever GET, with the same status and headers and no body.
func TestHEADAnswersEveryGETRoute(t *testing.T) {
	srv, _ := newServer(t, testenv.DatabaseURL(t))
	for _, p := range []string{RouteIndex, RouteAgents, RouteAgentsWithPool, RouteHealthz, RouteReadyz, RouteMetrics, "/nope"} {
		g, gbody := get(t, "GET", srv.URL+p)
		h, hbody := get(t, "HEAD", srv.URL+p)
		if h.StatusCode != g.StatusCode || hbody != "" {
			t.Errorf("HEAD %s: %s with a %d-byte body; GET: %s", p, h.Status, len(hbody), g.Status)
		}
		if h.Header.Get("Content-Type") != g.Header.Get("Content-Type") {
			t.Errorf("HEAD %s: Content-Type %q, GET %q", p, h.Header.Get("Content-Type"), g.Header.Get("Content-Type"))
		}
		// /metrics streams (chunked under GET): no length to compare.
		if p != RouteMetrics && h.Header.Get("Content-Length") != strconv.Itoa(len(gbody)) {
			t.Errorf("HEAD %s: Content-Length %q, the GET body has %d bytes", p, h.Header.Get("Content-Length"), len(gbody))
		}
	}
}

// A panic becomes a JSON 500 that the metrics count for its route; the
// panic and its stack go to the log, and the server goes on serving. A
// panic after part of the response went out cuts the connection (counted as
// a 500 too).
func TestPanicAnswersA500ThatTheMetricsCount(t *testing.T) {
	var log testenv.SyncBuffer
	srv, reg := newServer(t, testenv.DatabaseURL(t), func(d *Deps) {
		d.Log = &log
		d.ExtraRoutes = map[string]echo.HandlerFunc{
			"/boom": func(echo.Context) error { panic("boom in a handler") },
			"/boom-late": func(c echo.Context) error {
				c.Response().Header().Set("Content-Length", "100")
				c.Response().WriteHeader(http.StatusOK)
				c.Response().Write([]byte("partial"))
				c.Response().Flush()
				panic("boom after the headers")
			},
		}
	})
	resp, body := get(t, "GET", srv.URL+"/boom")
	if resp.StatusCode != 500 || body != `{"error":"internal error"}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("GET /boom: %s %q %q", resp.Status, body, resp.Header.Get("Content-Type"))
	}
	if resp, _ := get(t, "HEAD", srv.URL+"/boom"); resp.StatusCode != 500 {
		t.Errorf("HEAD /boom: %s", resp.Status)
	}
	// The late panic: the client must not get a complete-looking response.
	r, err := http.Get(srv.URL + "/boom-late")
	if err == nil {
		_, err = io.ReadAll(r.Body)
		r.Body.Close()
	}
	if err == nil {
		t.Errorf("GET /boom-late: a complete response, want the connection cut")
	}
	if resp, body := get(t, "GET", srv.URL+"/index"); resp.StatusCode != 200 || body != `{"hello":"world"}` {
		t.Errorf("/index after the panics: %s %q", resp.Status, body)
	}
	for _, c := range []struct {
		route, method string
		want          float64
	}{{"/boom", "GET", 1}, {"/boom", "HEAD", 1}, {"/boom-late", "GET", 1}} {
		// The middleware counts after the handler returns, which may be just
		// after the client has its answer.
		var got float64
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			got = requestCount(t, reg, c.route, c.method, "500")
			if got == c.want || time.Now().After(deadline) {
				break
			}
		}
		if got != c.want {
			t.Errorf(`app_http_requests_total{route=%q,method=%q,code="500"} = %v, want %v`, c.route, c.method, got, c.want)
		}
	}
	if l := log.String(); !strings.Contains(l, "GET /boom: panic: boom in a handler") || !strings.Contains(l, "goroutine ") ||
		!strings.Contains(l, "panic: boom after the headers") {
		t.Errorf("log lacks the panics and their stacks:\n%s", l)
	}
}

// requestCount is app_http_requests_total for the labels (0 if absent).
func requestCount(t *testing.T, reg *prometheus.Registry, route, method, code string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "app_http_requests_total" {
			continue
		}
		for _, m := range mf.Metric {
			if l := labels(m); l["route"] == route && l["method"] == method && l["code"] == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// Clients get short, stable error bodies; the driver's detail goes to the
// log. A database that refuses: "database unavailable"; one that accepts
// and never answers: "timeout", within the request timeout.
func TestErrorBodiesAreShortAndTheDetailIsLogged(t *testing.T) {
	port, err := pgcluster.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	var log testenv.SyncBuffer
	srv, _ := newServer(t, "postgres://macrobench_app:unused@127.0.0.1:"+strconv.Itoa(port)+"/macrobench?sslmode=disable",
		func(d *Deps) { d.Log = &log })
	for _, p := range []string{RouteAgents, RouteAgentsWithPool, RouteReadyz} {
		resp, body := get(t, "GET", srv.URL+p)
		if resp.StatusCode != 503 || body != `{"error":"database unavailable"}` {
			t.Errorf("%s, database refusing: %s %q", p, resp.Status, body)
		}
	}
	if l := log.String(); !strings.Contains(l, "GET /agents: 503 database unavailable: ") || !strings.Contains(l, "connection refused") {
		t.Errorf("log lacks the driver's error:\n%s", l)
	}

	// A server that accepts connections and never says a word.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	var held []net.Conn
	var mu sync.Mutex
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	defer func() {
		mu.Lock()
		for _, c := range held {
			c.Close()
		}
		mu.Unlock()
	}()
	const requestTimeout = 700 * time.Millisecond
	srv, _ = newServer(t, "postgres://macrobench_app:unused@"+silent.Addr().String()+"/macrobench?sslmode=disable",
		func(d *Deps) { d.RequestTimeout = requestTimeout })
	for _, p := range []string{RouteAgents, RouteAgentsWithPool, RouteReadyz} {
		start := time.Now()
		resp, body := get(t, "GET", srv.URL+p)
		took := time.Since(start)
		t.Logf("%s against a silent server: %s %s after %v", p, resp.Status, body, took.Round(time.Millisecond))
		if resp.StatusCode != 503 || body != `{"error":"timeout"}` {
			t.Errorf("%s, database silent: %s %q", p, resp.Status, body)
		}
		if took > requestTimeout+2*time.Second {
			t.Errorf("%s took %v, want about the %v request timeout", p, took, requestTimeout)
		}
	}
}

// An outage under load must not write a log line per request.
func TestErrorLogIsRateLimited(t *testing.T) {
	var b testenv.SyncBuffer
	l := &errLog{w: &b}
	for i := 0; i < 1000; i++ {
		l.printf("error %d", i)
	}
	if n := strings.Count(b.String(), "\n"); n > 2*errLogPerSecond { // the calls may straddle a second
		t.Errorf("1000 errors wrote %d lines", n)
	}
	l.second-- // the next error falls in a later second
	l.printf("later")
	if !strings.Contains(b.String(), "more request errors in the last second, not logged") {
		t.Errorf("no count of the errors left out:\n%s", b.String())
	}
}
