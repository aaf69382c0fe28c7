package httpapi

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/macrobench/macrobench/internal/latency"
)

// Unmatched is the route label of every request no route matched (404) or
// whose method the route does not accept (405): raw paths never become labels.
const Unmatched = "unmatched"

// httpMetrics counts and times requests by route template, method and code.
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	// Resolved children by label values: a lock-free lookup on the hot path
	// instead of WithLabelValues' hashing under a lock.
	children sync.Map // labelKey -> *child
}

type labelKey struct {
	route, method string
	code          int
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
		duration: prometheus.NewHistogramVec(latency.Opts(
			"app_http_request_duration_seconds",
			"Time from routing to the handler's return, by route template, method and status code."),
			[]string{"route", "method", "code"}),
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

func (m *httpMetrics) child(route, method string, code int) *child {
	k := labelKey{route, method, code}
	if c, ok := m.children.Load(k); ok {
		return c.(*child)
	}
	lv := []string{route, method, strconv.Itoa(code)}
	c, _ := m.children.LoadOrStore(k, &child{m.requests.WithLabelValues(lv...), m.duration.WithLabelValues(lv...)})
	return c.(*child)
}

// middleware records every request, errors included (it renders them first
// so that the status code is final).
func (m *httpMetrics) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			c.Error(err)
		}
		code := c.Response().Status
		route := c.Path()
		if code == http.StatusNotFound || code == http.StatusMethodNotAllowed || route == "" {
			route = Unmatched
		}
		ch := m.child(route, methodLabel(c.Request().Method), code)
		ch.requests.Inc()
		ch.duration.Observe(time.Since(start).Seconds())
		return nil
	}
}

// methodLabel keeps the label set bounded: a client may send any token as a method.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
