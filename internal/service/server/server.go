// Package server wires the app together (database connections, metrics
// registry, HTTP handler), serves it with timeouts and size limits, and shuts
// it down gracefully when its context ends.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/macrobench/macrobench/internal/service/agents"
	"github.com/macrobench/macrobench/internal/service/config"
	"github.com/macrobench/macrobench/internal/service/httpapi"
	"github.com/macrobench/macrobench/internal/service/onewrite"
)

// Limits cut off slow and oversized requests. Writing a response is bounded
// by cfg.WriteTimeout (APP_WRITE_TIMEOUT), on the connection itself: see
// onewrite.Conn for why not http.Server's WriteTimeout.
type Limits struct {
	ReadHeaderTimeout time.Duration // a client trickling its headers
	ReadTimeout       time.Duration // headers and body
	IdleTimeout       time.Duration // keep-alive connections between requests
	MaxHeaderBytes    int
}

// DefaultLimits are generous for the benchmark's clients and strict for
// abusive ones.
var DefaultLimits = Limits{
	ReadHeaderTimeout: 5 * time.Second,
	ReadTimeout:       10 * time.Second,
	IdleTimeout:       120 * time.Second,
	MaxHeaderBytes:    64 << 10,
}

// Run listens on cfg.ListenAddr and serves until ctx ends.
func Run(ctx context.Context, cfg config.App, log io.Writer) error {
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("APP_LISTEN_ADDR=%s: %w", cfg.ListenAddr, err)
	}
	return Serve(ctx, ln, cfg, DefaultLimits, log)
}

// Serve serves on ln until ctx ends, then stops accepting, lets in-flight
// requests finish (up to cfg.ShutdownTimeout), closes the pool and returns
// nil. Every request is bounded (cfg.RequestTimeout to answer,
// cfg.WriteTimeout to write, which config holds below the shutdown
// timeout), so shutdown finishes in time; should a connection still be busy
// at the timeout (a client trickling a request body), it is closed, logged,
// and Serve still returns nil: the app stopped as asked. It closes ln.
func Serve(ctx context.Context, ln net.Listener, cfg config.App, lim Limits, log io.Writer) error {
	connector, err := agents.NewConnectorWithPassword(cfg.DatabaseURL, string(cfg.DatabasePassword), cfg.DBTimeout)
	if err != nil {
		ln.Close()
		return fmt.Errorf("APP_DATABASE_URL: %w", err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	pool := agents.OpenPool(connector, cfg.PoolSize)
	defer pool.Close()
	reg.MustRegister(collectors.NewDBStatsCollector(pool.DB(), "agents_pool"),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "app_agents_pool_connections_opened_total",
			Help: "PostgreSQL connections opened by /agents_with_pool's pool: its size once warm, plus every replacement.",
		}, func() float64 { return float64(pool.Opened()) }))
	newConn := agents.NewNewConn(connector, cfg.NewConnLimit, agents.NewMetrics(reg))

	h := httpapi.New(httpapi.Deps{
		NewConn: newConn,
		Pool:    pool,
		// One readiness check at a time, reused for a second: probes stay
		// within the connection budget (one connection beyond the pool and
		// the new-connection limit).
		Ready:          agents.NewProbe(connector.Ping, cfg.RequestTimeout).Ready,
		RequestTimeout: cfg.RequestTimeout,
		Registry:       reg,
		Log:            log,
	})
	srv := NewHTTPServer(h, lim)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(onewrite.Listener{Listener: ln, WriteTimeout: cfg.WriteTimeout}) }()
	fmt.Fprintf(log, "app: listening on %s (pool %d, new-connection limit %d)\n", ln.Addr(), cfg.PoolSize, cfg.NewConnLimit)

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	start := time.Now()
	fmt.Fprintf(log, "app: shutting down (waiting up to %s for in-flight requests)\n", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		fmt.Fprintf(log, "app: shutdown: connections still busy after %s closed (%v)\n", cfg.ShutdownTimeout, err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintf(log, "app: stopped (shutdown took %s)\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// NewHTTPServer applies lim to h.
func NewHTTPServer(h http.Handler, lim Limits) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		IdleTimeout:       lim.IdleTimeout,
		MaxHeaderBytes:    lim.MaxHeaderBytes,
		ConnContext:       onewrite.ConnContext,
		ErrorLog:          nil,
	}
}

// Healthcheck asks the app listening on listenAddr for /healthz (the image
// has no shell or curl, so compose runs `app healthcheck`).
func Healthcheck(listenAddr string, timeout time.Duration) error {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return fmt.Errorf("APP_LISTEN_ADDR=%s: %w", listenAddr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	c := &http.Client{Timeout: timeout}
	resp, err := c.Get("http://" + net.JoinHostPort(host, port) + httpapi.RouteHealthz)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", httpapi.RouteHealthz, resp.Status)
	}
	return nil
}
