package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/service/agents"
	"github.com/macrobench/macrobench/internal/service/config"
	"github.com/macrobench/macrobench/internal/shared/proc"
)

// serve runs Serve on a free port until the test ends; Serve must return nil.
func serve(t *testing.T, cfg config.App, lim Limits) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, cfg, lim, io.Discard) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func testConfig(t *testing.T, dbURL string) config.App {
	cfg := config.Default()
	cfg.DatabaseURL = dbURL
	return cfg
}

func TestTrickledHeadersAreCutOff(t *testing.T) {
	lim := DefaultLimits
	lim.ReadHeaderTimeout = 500 * time.Millisecond
	addr := serve(t, testConfig(t, testenv.DatabaseURL(t)), lim)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	closed := make(chan time.Time, 1)
	go func() {
		io.Copy(io.Discard, c) // returns when the server closes the connection
		closed <- time.Now()
	}()
	start := time.Now()
	req := "GET /index HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 100)
	for i := 0; i < len(req); i++ {
		if _, err := c.Write([]byte{req[i]}); err != nil {
			break // cut off
		}
		select {
		case at := <-closed:
			if took := at.Sub(start); took > 3*time.Second {
				t.Errorf("cut off after %v, want about the 500ms header timeout", took)
			}
			return
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("a client trickling headers for %v was not cut off", time.Since(start))
}

func TestHugeHeadersAreRejected(t *testing.T) {
	addr := serve(t, testConfig(t, testenv.DatabaseURL(t)), DefaultLimits)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		fmt.Fprintf(c, "GET /index HTTP/1.1\r\nHost: x\r\n")
		for i := 0; i < 1024; i++ { // 1 MB of headers
			if _, err := fmt.Fprintf(c, "X-H%d: %s\r\n", i, strings.Repeat("a", 1000)); err != nil {
				return
			}
		}
		fmt.Fprintf(c, "\r\n")
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("want a 431 response: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("1 MB of headers: %s, want 431", resp.Status)
	}
}

func TestServeExposesPoolRuntimeAndProcessMetrics(t *testing.T) {
	addr := serve(t, testConfig(t, testenv.DatabaseURL(t)), DefaultLimits)
	if _, err := http.Get("http://" + addr + "/agents_with_pool"); err != nil {
		t.Fatal(err)
	}
	// The middleware counts a request once its handler has returned, which
	// may be just after the client has the response: wait for the count.
	const counted = `app_http_requests_total{code="200",method="GET",route="/agents_with_pool"} 1`
	var b []byte
	_ = proc.WaitHTTPUntil(context.Background(), "http://"+addr+"/metrics", 5*time.Second, func(_ int, body []byte) bool {
		b = body
		return strings.Contains(string(body), counted)
	})
	for _, want := range []string{
		`go_sql_open_connections{db_name="agents_pool"}`,
		`go_sql_max_open_connections{db_name="agents_pool"} 16`,
		"go_goroutines ", "process_cpu_seconds_total ",
		"app_agents_connections_opened_total 0", "app_agents_connect_errors_total 0", "app_agents_newconn_waiting 0",
		"app_agents_connect_duration_seconds_bucket", counted,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// 400 concurrent clients on /agents against the lab's max_connections (200):
// the new-connection cap queues them in the app, none fails.
func TestFourHundredConcurrentClientsOnAgents(t *testing.T) {
	pg := testenv.StartPostgres(t)
	cfg := testConfig(t, pg.URL())
	// This test is about connection limits, not speed: under -race on a
	// shared 2-core machine the queue may take longer than the 2s default.
	cfg.RequestTimeout = 60 * time.Second
	cfg.DBTimeout = 30 * time.Second
	addr := serve(t, cfg, DefaultLimits)

	const clients, each = 400, 2
	var wg sync.WaitGroup
	var mu sync.Mutex
	failures := map[string]int{}
	start := make(chan struct{})
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// One TCP connection per client, as wrk -c400 has.
			cl := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}, Timeout: 120 * time.Second}
			defer cl.CloseIdleConnections()
			<-start
			for j := 0; j < each; j++ {
				resp, err := cl.Get("http://" + addr + "/agents")
				var what string
				if err != nil {
					what = err.Error()
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						what = resp.Status + " " + string(b)
					}
				}
				if what != "" {
					mu.Lock()
					failures[what]++
					mu.Unlock()
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	for what, n := range failures {
		t.Errorf("%d× %s", n, what)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("app_agents_connections_opened_total %d", clients*each); !strings.Contains(string(b), want) {
		t.Errorf("/metrics lacks %q", want)
	}
}

// The database goes away and comes back: 503 with a JSON error within the
// default 2s bound while it is down, 200 again afterwards, same process.
func TestOutageAnswers503ThenRecovers(t *testing.T) {
	pg := testenv.StartPostgres(t)
	addr := serve(t, testConfig(t, pg.URL()), DefaultLimits)
	status := func(path string) (int, string, time.Duration) {
		start := time.Now()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(b), time.Since(start)
	}
	paths := []string{"/agents", "/agents_with_pool", "/readyz"}
	for _, p := range paths {
		if code, body, _ := status(p); code != 200 {
			t.Fatalf("%s before the outage: %d %s", p, code, body)
		}
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	// /readyz reuses a success for agents.ProbeOKFor.
	for deadline := time.Now().Add(agents.ProbeOKFor + 2500*time.Millisecond); ; {
		if code, _, _ := status("/readyz"); code != 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range paths {
		for i := 0; i < 2; i++ {
			code, body, took := status(p)
			if code != 503 || !strings.HasPrefix(body, `{"error":"`) {
				t.Errorf("%s with the database down: %d %s", p, code, body)
			}
			if took > 2500*time.Millisecond {
				t.Errorf("%s took %v, want ≤ 2s", p, took)
			}
		}
	}
	if code, _, _ := status("/healthz"); code != 200 {
		t.Errorf("/healthz with the database down: %d", code)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	for _, p := range paths {
		if err := proc.WaitHTTPOK(context.Background(), "http://"+addr+p, 10*time.Second); err != nil {
			t.Fatalf("%s did not recover: %v", p, err)
		}
	}
}
