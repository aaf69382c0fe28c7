package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/macrobench/macrobench/internal/service/buckets"
)

// Unmatched is the route label of every request no route matched (404) or
// whose method the route does not accept (405): raw paths never become labels.
const Unmatched = "unmatched"

// InFlightMetric is the gauge of requests inside the handler chain, by route:
// the bench waits for it to read 0 (its own /metrics scrape aside) before a
// run, so that no run starts while the previous one's requests are still
// being served.
const InFlightMetric = "app_http_requests_in_flight"

// httpMetrics counts and times requests by route template, method and code,
// and counts those in flight by route.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	inFlight *prometheus.GaugeVec
	// routes holds each route's resolved children; it is filled before
	// serving and only read afterwards, so lookups need no lock.
	routes map[string]*routeMetrics
}

// routeMetrics are one route's children: GET 200 resolved up front (the hot
// path: no hashing of label values, no lock), the rest on first use.
type routeMetrics struct {
	name     string
	inFlight prometheus.Gauge
	ok       *child
	other    sync.Map // methodIndex<<10 | code -> *child
}

type child struct {
	requests prometheus.Counter
	duration prometheus.Observer
}

func newHTTPMetrics(reg prometheus.Registerer) *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "app_http_requests_total",
			Help: "HTTP requests served, by route template, method and status code.",
		}, []string{"route", "method", "code"}),
		duration: prometheus.NewHistogramVec(buckets.Opts(
			"app_http_request_duration_seconds",
			"Time from routing to the handler's return, by route template, method and status code."),
			[]string{"route", "method", "code"}),
		inFlight: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: InFlightMetric,
			Help: "Requests inside the handler chain (routed, not yet answered), by route template.",
		}, []string{"route"}),
		routes: map[string]*routeMetrics{},
	}
	reg.MustRegister(m.requests, m.duration, m.inFlight)
	m.addRoute(Unmatched)
	return m
}

// addRoute prepares a route's children; call it before serving. The GET 200
// and in-flight series exist from the start, at zero, for dashboards.
func (m *httpMetrics) addRoute(route string) {
	m.routes[route] = &routeMetrics{name: route, inFlight: m.inFlight.WithLabelValues(route),
		ok: m.newChild(route, http.MethodGet, http.StatusOK)}
}

func (m *httpMetrics) newChild(route, method string, code int) *child {
	lv := []string{route, method, strconv.Itoa(code)}
	return &child{m.requests.WithLabelValues(lv...), m.duration.WithLabelValues(lv...)}
}

func (m *httpMetrics) child(route, method string, code int) *child {
	r := m.routes[route]
	if r == nil {
		r = m.routes[Unmatched]
	}
	mi := methodIndex(method)
	if mi == 0 && code == http.StatusOK {
		return r.ok
	}
	k := mi<<10 | code&1023
	if c, ok := r.other.Load(k); ok {
		return c.(*child)
	}
	c, _ := r.other.LoadOrStore(k, m.newChild(r.name, methods[mi], code))
	return c.(*child)
}

// middleware records every request, errors included (it renders them first
// so that the status code is final). It runs after routing: a request is in
// flight under its route template (or Unmatched) from here until it leaves.
func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		r := m.routes[c.Path()]
		if r == nil {
			r = m.routes[Unmatched]
		}
		r.inFlight.Inc()
		defer r.inFlight.Dec()
		if err := next(c); err != nil {
			c.Error(err)
		}
		code := c.Response().Status
		route := c.Path()
		if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
			route = Unmatched
		}
		ch := m.child(route, c.Request().Method, code)
		ch.requests.Inc()
		ch.duration.Observe(time.Since(start).Seconds())
		return nil
	}
}

// methods are the method label's values: a client may send any token as a
// method, so the rest share "OTHER" and the label set stays bounded.
var methods = [...]string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace, "OTHER"}

func methodIndex(m string) int {
	for i, v := range methods[:len(methods)-1] {
		if m == v {
			return i
		}
	}
	return len(methods) - 1
}
