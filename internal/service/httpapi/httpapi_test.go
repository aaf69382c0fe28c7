package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/service/agents"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// newServer serves the API on the shared test database (or dbURL); edit,
// if given, adjusts the dependencies.
func newServer(t *testing.T, dbURL string, edit ...func(*Deps)) (*httptest.Server, *prometheus.Registry) {
	t.Helper()
	conn, err := agents.NewConnector(dbURL, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	pool := agents.OpenPool(conn, 2)
	t.Cleanup(func() { pool.Close() })
	d := Deps{
		NewConn:        agents.NewNewConn(conn, 4, agents.NewMetrics(reg)),
		Pool:           pool,
		Ready:          conn.Ping,
		RequestTimeout: 2 * time.Second,
		Registry:       reg,
	}
	for _, f := range edit {
		f(&d)
	}
	e := New(d)
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return srv, reg
}

func get(t *testing.T, method, url string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// agentsBody is the seed's agents, as the endpoints must answer them.
func agentsBody() string { return string(agentscontract.Body()) }

func TestBodiesAndHeaders(t *testing.T) {
	srv, _ := newServer(t, testenv.DatabaseURL(t))
	for _, tc := range []struct{ path, body string }{
		{"/index", `{"hello":"world"}`},
		{"/agents", agentsBody()},
		{"/agents_with_pool", agentsBody()},
		{"/agents_with_pool", agentsBody()},
		{"/healthz", `{"status":"ok"}`},
		{"/readyz", `{"status":"ready"}`},
	} {
		resp, body := get(t, "GET", srv.URL+tc.path)
		if resp.StatusCode != 200 {
			t.Errorf("%s: %s %s", tc.path, resp.Status, body)
			continue
		}
		if body != tc.body {
			t.Errorf("%s: body\n%s\nwant\n%s", tc.path, body, tc.body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tc.path, ct)
		}
		if cl := resp.Header.Get("Content-Length"); cl != strconv.Itoa(len(tc.body)) || len(resp.TransferEncoding) != 0 {
			t.Errorf("%s: Content-Length %q, Transfer-Encoding %v", tc.path, cl, resp.TransferEncoding)
		}
	}
	// The agents body is the documented shape (approx. 6.4 KB, 50 objects).
	var v []map[string]*string
	if err := json.Unmarshal([]byte(agentsBody()), &v); err != nil || len(v) != 50 || v[0]["extension"] != nil {
		t.Errorf("agents body: %v, %d objects", err, len(v))
	}
}

func TestNotFoundAndMethodNotAllowedShareOneLabel(t *testing.T) {
	srv, reg := newServer(t, testenv.DatabaseURL(t))
	for i, p := range []string{"/nope", "/agents/123", "/index.php", "/agentsx", "/%2e%2e/etc"} {
		resp, body := get(t, "GET", srv.URL+p)
		if resp.StatusCode != 404 || body != `{"error":"Not Found"}` || resp.Header.Get("Content-Type") != "application/json" {
			t.Errorf("%d GET %s: %s %q %q", i, p, resp.Status, body, resp.Header.Get("Content-Type"))
		}
	}
	resp, body := get(t, "POST", srv.URL+"/agents")
	if resp.StatusCode != 405 || body != `{"error":"Method Not Allowed"}` || !strings.Contains(resp.Header.Get("Allow"), "GET") {
		t.Errorf("POST /agents: %s %q Allow=%q", resp.Status, body, resp.Header.Get("Allow"))
	}
	resp, _ = get(t, "BREW", srv.URL+"/index")
	if resp.StatusCode != 405 {
		t.Errorf("BREW /index: %s", resp.Status)
	}
	get(t, "GET", srv.URL+"/index")

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	routes := map[string]bool{}
	var unmatched float64
	for _, mf := range mfs {
		if mf.GetName() != "app_http_requests_total" {
			continue
		}
		for _, m := range mf.Metric {
			l := labels(m)
			routes[l["route"]] = true
			if l["route"] == Unmatched {
				unmatched += m.GetCounter().GetValue()
				if l["method"] != "GET" && l["method"] != "POST" && l["method"] != "OTHER" {
					t.Errorf("method label %q", l["method"])
				}
			}
		}
	}
	for r := range routes {
		switch r {
		case RouteIndex, RouteAgents, RouteAgentsWithPool, RouteHealthz, RouteReadyz, RouteMetrics, Unmatched:
		default:
			t.Errorf("route label %q: raw paths must not become labels", r)
		}
	}
	if unmatched != 7 {
		t.Errorf("route=%q counted %v requests, want 7", Unmatched, unmatched)
	}
}

func labels(m *dto.Metric) map[string]string {
	l := map[string]string{}
	for _, lp := range m.Label {
		l[lp.GetName()] = lp.GetValue()
	}
	return l
}

func TestMetricsNegotiatesProtobufWithNativeHistograms(t *testing.T) {
	srv, _ := newServer(t, testenv.DatabaseURL(t))
	get(t, "GET", srv.URL+"/index")
	get(t, "GET", srv.URL+"/agents")

	resp, err := http.NewRequest("GET", srv.URL+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Header.Set("Accept", `application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited`)
	r, err := http.DefaultClient.Do(resp)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Body.Close()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/vnd.google.protobuf") {
		t.Fatalf("Content-Type %q, want protobuf", ct)
	}
	dec := expfmt.NewDecoder(r.Body, expfmt.NewFormat(expfmt.TypeProtoDelim))
	found := map[string]bool{}
	for {
		var mf dto.MetricFamily
		if err := dec.Decode(&mf); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		switch mf.GetName() {
		case "app_http_request_duration_seconds", "app_agents_connect_duration_seconds":
			for _, m := range mf.Metric {
				h := m.GetHistogram()
				if h.GetSampleCount() == 0 {
					continue
				}
				if h.Schema == nil || len(h.PositiveSpan) == 0 {
					t.Errorf("%s %v: no native histogram (schema %v)", mf.GetName(), labels(m), h.Schema)
				}
				if len(h.Bucket) != 17 || h.Bucket[0].GetUpperBound() != 50e-6 || h.Bucket[16].GetUpperBound() != 10 {
					t.Errorf("%s: classic buckets %v", mf.GetName(), h.Bucket)
				}
				found[mf.GetName()] = true
			}
		}
	}
	if len(found) != 2 {
		t.Errorf("histograms with observations: %v", found)
	}

	// Text format still works for plain scrapers.
	res, body := get(t, "GET", srv.URL+"/metrics")
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/plain") ||
		!strings.Contains(body, `app_http_requests_total{code="200",method="GET",route="/index"}`) {
		t.Errorf("text exposition: %s\n%.400s", res.Header.Get("Content-Type"), body)
	}
}

func TestDatabaseDownAnswers503Quickly(t *testing.T) {
	port, err := pgcluster.FreePort() // nothing listens there
	if err != nil {
		t.Fatal(err)
	}
	srv, _ := newServer(t, "postgres://macrobench_app:unused@127.0.0.1:"+strconv.Itoa(port)+"/macrobench?sslmode=disable")
	for _, p := range []string{"/agents", "/agents_with_pool", "/readyz"} {
		start := time.Now()
		resp, body := get(t, "GET", srv.URL+p)
		if took := time.Since(start); took > 2500*time.Millisecond {
			t.Errorf("%s took %v", p, took)
		}
		var e struct{ Error string }
		if resp.StatusCode != 503 || json.Unmarshal([]byte(body), &e) != nil || e.Error == "" {
			t.Errorf("%s: %s %q", p, resp.Status, body)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", p, ct)
		}
	}
	if resp, _ := get(t, "GET", srv.URL+"/healthz"); resp.StatusCode != 200 {
		t.Errorf("/healthz with the database down: %s", resp.Status)
	}
}

// heldSource answers only when released: a request that stays in the handler.
type heldSource struct {
	entered chan struct{}
	release chan struct{}
}

func (h heldSource) Agents(ctx context.Context, buf []byte) ([]byte, error) {
	h.entered <- struct{}{}
	select {
	case <-h.release:
	case <-ctx.Done():
		return buf, ctx.Err()
	}
	return append(buf, "[]"...), nil
}

func inFlight(t *testing.T, reg *prometheus.Registry, route string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != InFlightMetric {
			continue
		}
		for _, m := range mf.Metric {
			if labels(m)["route"] == route {
				return m.GetGauge().GetValue(), true
			}
		}
	}
	return 0, false
}

// waitInFlight polls the gauge until it reads want; the bound only ends a
// test that would otherwise hang.
func waitInFlight(t *testing.T, reg *prometheus.Registry, route string, want float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, ok := inFlight(t, reg, route)
		if ok && v == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s{route=%q} = %v (present %v), want %v", InFlightMetric, route, v, ok, want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A slow request is in flight under its route while the handler runs, and
// no longer once it has been answered; the series exist at 0 from the start.
func TestInFlightGauge(t *testing.T) {
	held := heldSource{entered: make(chan struct{}, 1), release: make(chan struct{})}
	reg := prometheus.NewRegistry()
	srv := httptest.NewServer(New(Deps{NewConn: held, Pool: held, Ready: func(context.Context) error { return nil },
		RequestTimeout: time.Minute, Registry: reg}))
	t.Cleanup(srv.Close)

	for _, r := range []string{RouteIndex, RouteAgents, RouteMetrics, Unmatched} {
		if v, ok := inFlight(t, reg, r); !ok || v != 0 {
			t.Errorf("%s{route=%q} before any request: %v (present %v), want 0", InFlightMetric, r, v, ok)
		}
	}
	done := make(chan string, 1)
	go func() {
		resp, err := http.Get(srv.URL + RouteAgents)
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		done <- resp.Status + " " + string(b)
	}()
	<-held.entered
	if v, _ := inFlight(t, reg, RouteAgents); v != 1 {
		t.Errorf("while the handler runs: %v in flight on %s, want 1", v, RouteAgents)
	}
	// Other routes are not affected, and /metrics shows the gauge as text.
	if v, _ := inFlight(t, reg, RouteIndex); v != 0 {
		t.Errorf("%s: %v in flight, want 0", RouteIndex, v)
	}
	_, body := get(t, "GET", srv.URL+RouteMetrics)
	if !strings.Contains(body, InFlightMetric+`{route="/agents"} 1`) {
		t.Errorf("/metrics lacks the in-flight request:\n%.2000s", body)
	}
	close(held.release)
	if got := <-done; got != "200 OK []" {
		t.Fatalf("held request: %s", got)
	}
	waitInFlight(t, reg, RouteAgents, 0)
	get(t, "GET", srv.URL+"/nope")
	waitInFlight(t, reg, Unmatched, 0)
}
