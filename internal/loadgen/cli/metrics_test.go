package cli

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"testing"
	"time"
)

// Every timeout of the metrics server is set, the idle one above
// Prometheus's scrape interval (prometheus.yml: 5 s) so that a scraper's
// connection lives from one scrape to the next.
func TestMetricsServerTimeouts(t *testing.T) {
	to := scrapeTimeouts
	if to.readHeader <= 0 || to.read <= 0 || to.write <= 0 || to.idle <= 0 {
		t.Errorf("a metrics server timeout is not set: %+v", to)
	}
	if to.idle <= 5*time.Second || to.write < 10*time.Second {
		t.Errorf("idle %s must exceed the 5 s scrape interval, write %s Prometheus's 10 s longest default scrape timeout", to.idle, to.write)
	}
}

// An idle keep-alive connection is closed by the server once its idle
// timeout passes: the client, after a whole response on a kept-alive
// connection, reads the end of the stream (not its own deadline, a
// fail-safe far beyond the timeout).
func TestMetricsServerClosesIdleConnections(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	// The others long: net/http falls back on ReadTimeout for an unset
	// IdleTimeout.
	to := metricsTimeouts{readHeader: time.Hour, read: time.Hour, write: time.Hour, idle: 100 * time.Millisecond}
	shutdown, err := serveMetricsWith(addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "up 1\n")
	}), to)
	if err != nil {
		t.Fatal(err)
	}
	defer shutdown()

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /metrics HTTP/1.1\r\nHost: loadtest\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(body) != "up 1\n" || resp.Close {
		t.Fatalf("scrape: %q, %v, close %v; want a kept-alive response", body, err, resp.Close)
	}
	conn.SetReadDeadline(time.Now().Add(time.Minute))
	n, err := br.Read(make([]byte, 1))
	if !errors.Is(err, io.EOF) {
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("the server kept the idle connection open for a minute (idle timeout %s)", to.idle)
		}
		t.Fatalf("after the response: %d bytes, %v; want the server's close (EOF)", n, err)
	}
}
