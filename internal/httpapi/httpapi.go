// Package httpapi is the app's HTTP interface: Echo routes for the benchmark
// endpoints, health, readiness and metrics, a JSON error handler and the
// request metrics middleware.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/macrobench/macrobench/internal/agents"
	"github.com/macrobench/macrobench/internal/onewrite"
)

// Deps are what the handlers use.
type Deps struct {
	NewConn        agents.Source               // /agents
	Pool           agents.Source               // /agents_with_pool
	Ready          func(context.Context) error // /readyz: is the database reachable?
	RequestTimeout time.Duration               // bound on each database-backed request
	Registry       *prometheus.Registry        // request metrics go here; /metrics serves it
}

// Routes, in the order they are registered.
const (
	RouteIndex          = "/index"
	RouteAgents         = "/agents"
	RouteAgentsWithPool = "/agents_with_pool"
	RouteHealthz        = "/healthz"
	RouteReadyz         = "/readyz"
	RouteMetrics        = "/metrics"
)

// New builds the Echo handler.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler
	m := newHTTPMetrics(d.Registry)
	e.Use(m.middleware)

	a := &api{d: d}
	e.GET(RouteIndex, index)
	e.GET(RouteAgents, a.agents(d.NewConn))
	e.GET(RouteAgentsWithPool, a.agents(d.Pool))
	e.GET(RouteHealthz, healthz)
	e.GET(RouteReadyz, a.readyz)
	e.GET(RouteMetrics, echo.WrapHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{
		Registry:          d.Registry, // promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	})))
	for _, r := range e.Routes() {
		m.addRoute(r.Path)
	}
	return e
}

type api struct{ d Deps }

type hello struct {
	Hello string `json:"hello"`
}

// index serializes the object on every request: this endpoint measures JSON
// encoding, so the bytes are not precomputed.
func index(c echo.Context) error {
	b, err := json.Marshal(hello{Hello: "world"})
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, b)
}

// bufs recycles response buffers (the agents body is about 6.4 KB).
var bufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func (a *api) agents(src agents.Source) echo.HandlerFunc {
	return func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), a.d.RequestTimeout)
		defer cancel()
		bp := bufs.Get().(*[]byte)
		defer bufs.Put(bp)
		b, err := src.Agents(ctx, (*bp)[:0])
		*bp = b[:0]
		if err != nil {
			return unavailable("database unavailable", err)
		}
		return writeJSON(c, http.StatusOK, b)
	}
}

func healthz(c echo.Context) error {
	return writeJSON(c, http.StatusOK, []byte(`{"status":"ok"}`))
}

func (a *api) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), a.d.RequestTimeout)
	defer cancel()
	if err := a.d.Ready(ctx); err != nil {
		return unavailable("database unreachable", err)
	}
	return writeJSON(c, http.StatusOK, []byte(`{"status":"ready"}`))
}

func unavailable(what string, err error) error {
	return echo.NewHTTPError(http.StatusServiceUnavailable, what+": "+err.Error())
}

// chunkingThreshold is net/http's buffer before it switches to chunked
// encoding; below it net/http computes Content-Length itself, for free.
const chunkingThreshold = 2048

// bigBodyWriteTimeout bounds writing a large body (net/http clears it after
// the response).
const bigBodyWriteTimeout = 10 * time.Second

// writeJSON sends b whole: with Content-Length, so that bodies above
// net/http's buffer (the agents list) are not sent chunked.
func writeJSON(c echo.Context, code int, b []byte) error {
	h := c.Response().Header()
	h["Content-Type"] = contentTypeJSON
	if len(b) <= chunkingThreshold {
		c.Response().WriteHeader(code)
		_, err := c.Response().Write(b)
		return err
	}
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	rc := http.NewResponseController(c.Response().Writer)
	// A client that stops reading cannot hold this goroutine forever
	// (small bodies always fit in the socket buffer).
	_ = rc.SetWriteDeadline(time.Now().Add(bigBodyWriteTimeout))
	// net/http would send a body past its 4 KB buffer in two writes, waking
	// the client twice; held, the response leaves in one.
	oc := onewrite.From(c.Request().Context())
	oc.Hold()
	c.Response().WriteHeader(code)
	_, err := c.Response().Write(b)
	if err == nil {
		err = rc.Flush()
	}
	if rerr := oc.Release(); err == nil {
		err = rerr
	}
	return err
}

var contentTypeJSON = []string{echo.MIMEApplicationJSON}

type errorBody struct {
	Error string `json:"error"`
}

// errorHandler renders every error as {"error": "..."} with its status.
func errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError)
	var he *echo.HTTPError
	if errors.As(err, &he) {
		code = he.Code
		if s, ok := he.Message.(string); ok {
			msg = s
		} else {
			msg = http.StatusText(code)
		}
	}
	b, _ := json.Marshal(errorBody{Error: msg})
	if c.Request().Method == http.MethodHead {
		b = nil
	}
	_ = writeJSON(c, code, b)
}
