// Package httpapi is the app's HTTP interface: Echo routes for the benchmark
// endpoints, health, readiness and metrics (GET and HEAD each), a JSON error
// handler, panic recovery and the request metrics middleware.
//
// What a client sees of an error is short and stable (errorBody's values);
// the detail (a driver's error, a panic's stack) goes to the log.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"runtime/debug"
	"strconv"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/macrobench/macrobench/internal/service/agents"
	"github.com/macrobench/macrobench/internal/service/onewrite"
)

// Deps are what the handlers use.
type Deps struct {
	NewConn        agents.Source               // /agents
	Pool           agents.Source               // /agents_with_pool
	Ready          func(context.Context) error // /readyz: is the database reachable? (agents.Probe.Ready)
	RequestTimeout time.Duration               // bound on each database-backed request
	Registry       *prometheus.Registry        // request metrics go here; /metrics serves it
	Log            io.Writer                   // error details (nil: discarded)
	// ExtraRoutes are more GET routes, with metrics like the others (tests).
	ExtraRoutes map[string]echo.HandlerFunc
}

// What clients see of errors ({"error": "..."}); 404 and 405 say
// "Not Found" and "Method Not Allowed".
const (
	ErrDatabase = "database unavailable" // 503: the database failed or refused
	ErrTimeout  = "timeout"              // 503: the database or a wait for it ran out of time
	ErrInternal = "internal error"       // 500: a bug (a handler panicked)
)

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
	a := &api{d: d, log: &errLog{w: d.Log}}
	if a.log.w == nil {
		a.log.w = io.Discard
	}
	m := newHTTPMetrics(d.Registry)
	e.Use(m.middleware) // outermost: it counts what recovery answers
	e.Use(a.recoverPanics)

	// RFC 9110: HEAD wherever GET; net/http sends the same headers and
	// drops the body.
	get := func(path string, h echo.HandlerFunc) {
		e.GET(path, h)
		e.HEAD(path, h)
		m.addRoute(path)
	}
	get(RouteIndex, index)
	get(RouteAgents, a.agents(d.NewConn))
	get(RouteAgentsWithPool, a.agents(d.Pool))
	get(RouteHealthz, healthz)
	get(RouteReadyz, a.readyz)
	get(RouteMetrics, echo.WrapHandler(promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{
		Registry:          d.Registry, // promhttp_metric_handler_errors_total
		EnableOpenMetrics: true,
	})))
	for path, h := range d.ExtraRoutes {
		get(path, h)
	}
	return e
}

type api struct {
	d   Deps
	log *errLog
}

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
			return a.unavailable(c, err)
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
		return a.unavailable(c, err)
	}
	return writeJSON(c, http.StatusOK, []byte(`{"status":"ready"}`))
}

// unavailable logs a database error and answers 503 with its kind only.
func (a *api) unavailable(c echo.Context, err error) error {
	msg := ErrDatabase
	if agents.IsTimeout(err) {
		msg = ErrTimeout
	}
	a.log.printf("%s %s: 503 %s: %v", c.Request().Method, c.Path(), msg, err)
	return echo.NewHTTPError(http.StatusServiceUnavailable, msg)
}

// panicError is a recovered panic.
type panicError struct{}

func (panicError) Error() string { return ErrInternal }

// recoverPanics turns a handler's panic into a 500 {"error":"internal
// error"} (the metrics middleware counts it), with the panic and its stack in
// the log. If part of the response had already gone out, it cuts the
// connection instead: the client must not take half a response for a whole
// one (still counted as a 500). http.ErrAbortHandler passes through: it asks
// net/http to cut the connection.
func (a *api) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.printf("%s %s: panic: %v\n%s", c.Request().Method, c.Path(), v, debug.Stack())
			if c.Response().Committed {
				conn, _, herr := http.NewResponseController(c.Response().Writer).Hijack()
				if herr != nil {
					panic(http.ErrAbortHandler) // (HTTP/2) let net/http cut the stream; not counted
				}
				conn.Close()
				c.Response().Status = http.StatusInternalServerError
			}
			err = panicError{}
		}()
		return next(c)
	}
}

// errLog writes request errors to the log, at most errLogPerSecond lines a
// second: an outage under load would otherwise write one per request. The
// lines left out are counted in the next second's first line.
type errLog struct {
	w       io.Writer
	mu      sync.Mutex
	second  int64
	lines   int
	dropped int
}

const errLogPerSecond = 20

func (l *errLog) printf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now().Unix(); now != l.second {
		if l.dropped > 0 {
			fmt.Fprintf(l.w, "app: %d more request errors in the last second, not logged\n", l.dropped)
		}
		l.second, l.lines, l.dropped = now, 0, 0
	}
	if l.lines >= errLogPerSecond {
		l.dropped++
		return
	}
	l.lines++
	fmt.Fprintf(l.w, "app: "+format+"\n", args...)
}

// chunkingThreshold is net/http's buffer before it switches to chunked
// encoding; below it net/http computes Content-Length itself, for free.
const chunkingThreshold = 2048

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
	// (The server's connections carry the write deadline: see onewrite.)
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

// errorHandler renders every error as {"error": "..."} with its status; an
// error that is not an echo.HTTPError is a 500 "internal error". A HEAD
// request gets the same headers (Content-Length included), net/http drops
// the body.
func errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, msg := http.StatusInternalServerError, ErrInternal
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
	_ = writeJSON(c, code, b)
}
