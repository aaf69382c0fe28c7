package server

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/checks/pgcluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/service/agents"
	"github.com/macrobench/macrobench/internal/service/config"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// serveLogged is serve with the server's log kept (shown if the test fails).
func serveLogged(t *testing.T, cfg config.App) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var log testenv.SyncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, cfg, DefaultLimits, &log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	return ln.Addr().String()
}

// db opens a database/sql handle on url, closed when the test ends.
func db(t *testing.T, url string) *sql.DB {
	t.Helper()
	d, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

type answer struct {
	code int
	body string
	err  error
	took time.Duration
	end  time.Time
}

// fetch GETs url with client (nil: a fresh one), reading the whole body.
func fetch(client *http.Client, url string) answer {
	if client == nil {
		client = &http.Client{Timeout: 30 * time.Second}
	}
	start := time.Now()
	resp, err := client.Get(url)
	if err != nil {
		return answer{err: err, took: time.Since(start), end: time.Now()}
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	return answer{code: resp.StatusCode, body: string(b), err: err, took: time.Since(start), end: time.Now()}
}

var dbPaths = []string{"/agents", "/agents_with_pool", "/readyz"}

// waitAll200 polls every path until it answers 200 and returns how long
// that took.
func waitAll200(t *testing.T, addr string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for _, p := range dbPaths {
		for {
			a := fetch(nil, "http://"+addr+p)
			if a.code == 200 {
				break
			}
			if time.Since(start) > within {
				t.Fatalf("%s not 200 within %v: %d %q %v", p, within, a.code, a.body, a.err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return time.Since(start)
}

// Readiness stays within the connection budget: 200 concurrent probes (four
// waves) open a handful of backends, not one each.
func TestConcurrentReadinessProbesShareOneConnection(t *testing.T) {
	pg := testenv.StartPostgres(t)
	mon := db(t, pg.URL())
	mon.SetMaxOpenConns(1)
	addr := serveLogged(t, testConfig(t, pg.URL()))
	sessions := func() (n int64) {
		if err := mon.QueryRow(`SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := sessions()

	var peak int
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() { // the most backends open at once, besides the monitor's
		defer close(sampled)
		for {
			var n int
			mon.QueryRow(`SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&n)
			peak = max(peak, n)
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	const probes, waves = 200, 4
	start := time.Now()
	codes := map[int]int{}
	var mu sync.Mutex
	for w := 0; w < waves; w++ {
		var wg sync.WaitGroup
		for i := 0; i < probes; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
				a := fetch(cl, "http://"+addr+"/readyz")
				cl.CloseIdleConnections()
				mu.Lock()
				codes[a.code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		time.Sleep(300 * time.Millisecond)
	}
	elapsed := time.Since(start)
	close(stop)
	<-sampled
	opened := sessions() - before
	t.Logf("%d probes in %d waves over %v: answers %v; %d backends opened, at most %d at once",
		probes*waves, waves, elapsed.Round(time.Millisecond), codes, opened, peak)
	if codes[200] != probes*waves {
		t.Errorf("answers %v, want all 200", codes)
	}
	// One check at a time, reused for a second: about one per second, plus one.
	if limit := int64(elapsed/agents.ProbeOKFor) + 2; opened > limit {
		t.Errorf("%d backends opened for readiness in %v, want at most %d", opened, elapsed, limit)
	}
	if peak > 1 {
		t.Errorf("%d backends open at once for readiness, want at most 1", peak)
	}
}

// HEAD, pipelined requests and HTTP/1.0 on the real server, over raw TCP.
func TestHEADPipeliningAndHTTP10(t *testing.T) {
	addr := serveLogged(t, testConfig(t, testenv.DatabaseURL(t)))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	agentsBody := string(agentscontract.Body())
	// Six requests in one write; the answers must come back in order.
	reqs := []struct{ method, path, body string }{
		{"GET", "/index", `{"hello":"world"}`},
		{"HEAD", "/index", ""},
		{"GET", "/agents_with_pool", agentsBody},
		{"HEAD", "/agents", ""},
		{"GET", "/healthz", `{"status":"ok"}`},
		{"HEAD", "/metrics", ""},
	}
	var all strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&all, "%s %s HTTP/1.1\r\nHost: x\r\n\r\n", r.method, r.path)
	}
	if _, err := io.WriteString(c, all.String()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	lengths := map[string]string{}
	for i, r := range reqs {
		req, _ := http.NewRequest(r.method, "http://"+addr+r.path, nil)
		resp, err := http.ReadResponse(br, req)
		if err != nil {
			t.Fatalf("pipelined response %d (%s %s): %v", i, r.method, r.path, err)
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 || string(b) != r.body {
			t.Errorf("pipelined %s %s: %v %s %.60q", r.method, r.path, err, resp.Status, b)
		}
		if r.method == "GET" {
			lengths[r.path] = resp.Header.Get("Content-Length")
		} else if r.path == "/index" && resp.Header.Get("Content-Length") != lengths["/index"] {
			t.Errorf("HEAD /index: Content-Length %q, GET had %q", resp.Header.Get("Content-Length"), lengths["/index"])
		} else if r.path == "/agents" && resp.Header.Get("Content-Length") != strconv.Itoa(len(agentsBody)) {
			t.Errorf("HEAD /agents: Content-Length %q, want %d", resp.Header.Get("Content-Length"), len(agentsBody))
		}
	}

	// HTTP/1.0: an HTTP/1.0 answer, the whole body, then the server closes.
	for _, p := range []string{"/index", "/agents"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(c, "GET %s HTTP/1.0\r\n\r\n", p)
		raw, err := io.ReadAll(c) // to EOF: the server must close
		c.Close()
		if err != nil {
			t.Fatalf("HTTP/1.0 %s: %v", p, err)
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
		if err != nil {
			t.Fatalf("HTTP/1.0 %s: %v in %.200q", p, err, raw)
		}
		b, _ := io.ReadAll(resp.Body)
		want := map[string]string{"/index": `{"hello":"world"}`, "/agents": agentsBody}[p]
		if resp.Proto != "HTTP/1.0" || resp.StatusCode != 200 || string(b) != want {
			t.Errorf("HTTP/1.0 %s: %s %s %.60q", p, resp.Proto, resp.Status, b)
		}
	}
}

// pause stops the cluster's postmaster and every process under it (SIGSTOP):
// it accepts TCP connections (the kernel does) and answers nothing. The
// returned function resumes it.
func pause(t *testing.T, pg *pgcluster.Cluster) func() {
	t.Helper()
	pm := testenv.PostmasterPID(t, pg)
	pids := append([]int{pm}, children(pm)...)
	for _, p := range pids {
		if err := syscall.Kill(p, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	resume := func() {
		once.Do(func() {
			for _, p := range pids {
				syscall.Kill(p, syscall.SIGCONT)
			}
		})
	}
	t.Cleanup(resume)
	return resume
}

// children lists the processes whose parent is pid (from /proc).
func children(pid int) []int {
	var out []int
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, f := range stats {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces and parentheses.
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) > 1 {
			if ppid, _ := strconv.Atoi(f[1]); ppid == pid {
				child, _ := strconv.Atoi(strings.Fields(s)[0])
				out = append(out, child)
			}
		}
	}
	return out
}

// A paused database (every process stopped: connections open, nothing
// answers) gets a 503 {"error":"timeout"} within the request timeout plus
// 0.5 s on each database endpoint; when it resumes, they recover.
func TestPausedDatabaseAnswers503WithinTheRequestTimeout(t *testing.T) {
	pg := testenv.StartPostgres(t)
	cfg := testConfig(t, pg.URL())
	cfg.RequestTimeout = time.Second // the bound under test (the database timeout stays 2s)
	addr := serveLogged(t, cfg)
	waitAll200(t, addr, 20*time.Second)
	resume := pause(t, pg)
	time.Sleep(agents.ProbeOKFor) // /readyz's last success has expired

	var wg sync.WaitGroup
	got := make([]answer, len(dbPaths))
	for i, p := range dbPaths {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = fetch(nil, "http://"+addr+p)
		}()
	}
	wg.Wait()
	for i, p := range dbPaths {
		a := got[i]
		t.Logf("%s, database paused: %d %s after %v", p, a.code, a.body, a.took.Round(time.Millisecond))
		if a.err != nil || a.code != 503 || a.body != `{"error":"timeout"}` {
			t.Errorf("%s, database paused: %d %q %v", p, a.code, a.body, a.err)
		}
		if limit := cfg.RequestTimeout + 500*time.Millisecond; a.took > limit {
			t.Errorf("%s took %v, want ≤ %v", p, a.took, limit)
		}
	}
	resume()
	t.Logf("recovered %v after the database resumed", waitAll200(t, addr, 20*time.Second).Round(time.Millisecond))
}

// The database restarts while clients keep asking: once it accepts
// connections again, no request fails later than 1 s after.
func TestDatabaseRestartUnderSteadyLoad(t *testing.T) {
	pg := testenv.StartPostgres(t)
	addr := serveLogged(t, testConfig(t, pg.URL()))
	waitAll200(t, addr, 20*time.Second)

	var mu sync.Mutex
	var results []answer
	var paths []string
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range dbPaths {
		for w := 0; w < 3; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				cl := &http.Client{Transport: &http.Transport{}, Timeout: 30 * time.Second}
				defer cl.CloseIdleConnections()
				for {
					select {
					case <-stop:
						return
					default:
					}
					a := fetch(cl, "http://"+addr+p)
					mu.Lock()
					results = append(results, a)
					paths = append(paths, p)
					mu.Unlock()
					if a.code != 200 {
						time.Sleep(20 * time.Millisecond) // an outage: do not spin
					}
				}
			}()
		}
	}
	time.Sleep(time.Second)
	stopAt := time.Now()
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	ready := time.Now() // pg_ctl start -w returns once it accepts connections
	time.Sleep(3 * time.Second)
	close(stop)
	wg.Wait()

	var errs, late, after int
	var lastErr time.Time
	byPath := map[string]int{}
	var lateOnes []string
	for i, a := range results {
		if a.end.After(ready) {
			after++
		}
		if a.err == nil && a.code == 200 {
			continue
		}
		errs++
		byPath[paths[i]]++
		if a.end.After(lastErr) {
			lastErr = a.end
		}
		if a.end.After(ready.Add(time.Second)) {
			late++
			lateOnes = append(lateOnes, fmt.Sprintf("%s at ready%+v: %d %s %v", paths[i], a.end.Sub(ready).Round(time.Millisecond), a.code, a.body, a.err))
		}
	}
	last := "none"
	if errs > 0 {
		last = fmt.Sprintf("ready%+v", lastErr.Sub(ready).Round(time.Millisecond))
	}
	t.Logf("%d requests; %d failed (%v) while the database restarted (down for %v); last failure at %s; %d requests after it was ready, %d failed later than 1s",
		len(results), errs, byPath, ready.Sub(stopAt).Round(time.Millisecond), last, after, late)
	sort.Strings(lateOnes)
	for _, s := range lateOnes {
		t.Errorf("failed later than 1s after the database was ready: %s", s)
	}
	if after == 0 {
		t.Error("no request completed after the database was ready")
	}
}

// PostgreSQL's max_connections reached by other sessions: the app answers
// 503 {"error":"database unavailable"} within the request timeout, no hang,
// and recovers when the sessions go.
func TestMaxConnectionsReachedAnswers503(t *testing.T) {
	pg := testenv.StartPostgres(t)
	admin := db(t, pg.URL())
	if _, err := admin.Exec(`ALTER SYSTEM SET max_connections = 8`); err != nil {
		t.Fatal(err)
	}
	admin.Close()
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t, pg.URL())
	addr := serveLogged(t, cfg) // no connection opened yet: the pool is empty

	// Other sessions take every slot (the role is a superuser: reserved
	// slots included).
	var holders []*sql.Conn
	hold := db(t, pg.URL())
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, err := hold.Conn(ctx)
		if err == nil {
			err = c.PingContext(ctx)
		}
		cancel()
		if err != nil {
			if !strings.Contains(err.Error(), "too many clients") {
				t.Fatalf("filling max_connections: %v", err)
			}
			if c != nil {
				c.Close()
			}
			break
		}
		holders = append(holders, c)
	}
	t.Logf("%d other sessions hold every connection slot", len(holders))
	for _, p := range dbPaths {
		a := fetch(nil, "http://"+addr+p)
		t.Logf("%s with max_connections reached: %d %s after %v", p, a.code, a.body, a.took.Round(time.Millisecond))
		if a.err != nil || a.code != 503 || a.body != `{"error":"database unavailable"}` {
			t.Errorf("%s with max_connections reached: %d %q %v", p, a.code, a.body, a.err)
		}
		if limit := cfg.RequestTimeout + 500*time.Millisecond; a.took > limit {
			t.Errorf("%s took %v, want ≤ %v", p, a.took, limit)
		}
	}
	for _, c := range holders {
		c.Close()
	}
	hold.Close()
	t.Logf("recovered %v after the sessions closed", waitAll200(t, addr, 20*time.Second).Round(time.Millisecond))
}

// A client that disconnects while its query is blocked in PostgreSQL (the
// table locked by another session) leaves no backend busy after the
// database timeout: the session's statement_timeout ends the query even
// though the lock is still held.
func TestClientGoneMidQueryLeavesNoBusyBackend(t *testing.T) {
	pg := testenv.StartPostgres(t)
	cfg := testConfig(t, pg.URL())
	cfg.DBTimeout = time.Second // shorter than the 2s request timeout
	addr := serveLogged(t, cfg)
	waitAll200(t, addr, 20*time.Second)

	mon := db(t, pg.URL())
	mon.SetMaxOpenConns(1)
	locker, err := db(t, pg.URL()).Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Rollback()
	if _, err := locker.Exec(`LOCK TABLE agentfeatures IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	busy := func() (n int) {
		// Backends running something, besides the monitor and the locker
		// (idle in transaction).
		if err := mon.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() AND state = 'active'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	var clients []net.Conn
	for _, p := range []string{"/agents", "/agents_with_pool"} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		clients = append(clients, c)
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", p)
	}
	for deadline := time.Now().Add(10 * time.Second); busy() < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the queries did not block on the lock (%d busy backends)", busy())
		}
	}
	gone := time.Now()
	for _, c := range clients {
		c.Close()
	}
	for {
		if busy() == 0 {
			break
		}
		if time.Since(gone) > cfg.DBTimeout+5*time.Second {
			t.Fatalf("%d backends still busy %v after the clients left (database timeout %v)", busy(), time.Since(gone), cfg.DBTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("no backend busy %v after the clients left (database timeout %v; the lock still held)",
		time.Since(gone).Round(time.Millisecond), cfg.DBTimeout)
	locker.Rollback()
	waitAll200(t, addr, 20*time.Second)
}
