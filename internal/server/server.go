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

	"github.com/macrobench/macrobench/internal/agents"
	"github.com/macrobench/macrobench/internal/config"
	"github.com/macrobench/macrobench/internal/httpapi"
	"github.com/macrobench/macrobench/internal/onewrite"
)

// Limits cut off slow and oversized requests.
type Limits struct {
	ReadHeaderTimeout time.Duration // a client trickling its headers
	ReadTimeout       time.Duration // headers and body
	WriteTimeout      time.Duration // from the end of the headers to the end of the response (0: none)
	IdleTimeout       time.Duration // keep-alive connections between requests
	MaxHeaderBytes    int
}

// DefaultLimits are generous for the benchmark's clients and strict for
// abusive ones. There is no server-wide WriteTimeout: it costs two timer
// updates on every request (measurable on /index, a few per cent), while
// only large bodies can block on a client that does not read; httpapi puts
// a write deadline on those alone.
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
// nil. It closes ln.
func Serve(ctx context.Context, ln net.Listener, cfg config.App, lim Limits, log io.Writer) error {
	connector, err := agents.NewConnector(cfg.DatabaseURL, cfg.DBTimeout)
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
	reg.MustRegister(collectors.NewDBStatsCollector(pool.DB(), "agents_pool"))
	newConn := agents.NewNewConn(connector, cfg.NewConnLimit, agents.NewMetrics(reg))

	h := httpapi.New(httpapi.Deps{
		NewConn:        newConn,
		Pool:           pool,
		Ready:          connector.Ping,
		RequestTimeout: cfg.RequestTimeout,
		Registry:       reg,
	})
	srv := NewHTTPServer(h, lim, cfg.RequestTimeout)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(onewrite.Listener{Listener: ln}) }()
	fmt.Fprintf(log, "app: listening on %s (pool %d, new-connection limit %d)\n", ln.Addr(), cfg.PoolSize, cfg.NewConnLimit)

	select {
	case err := <-errc:
		return fmt.Errorf("serving: %w", err)
	case <-ctx.Done():
	}
	fmt.Fprintf(log, "app: shutting down (waiting up to %s for in-flight requests)\n", cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serving: %w", err)
	}
	fmt.Fprintln(log, "app: stopped")
	return nil
}

// NewHTTPServer applies lim to h; a write timeout, if any, outlasts
// requestTimeout so a database-backed request can always deliver its answer.
func NewHTTPServer(h http.Handler, lim Limits, requestTimeout time.Duration) *http.Server {
	if min := requestTimeout + 5*time.Second; lim.WriteTimeout > 0 && lim.WriteTimeout < min {
		lim.WriteTimeout = min
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		WriteTimeout:      lim.WriteTimeout,
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
