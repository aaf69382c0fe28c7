package originalrun

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/service/agents"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// What original/app.py sets as application_name, per endpoint.
const (
	newConnName = "macrobench-original /agents"
	poolName    = "macrobench-original /agents_with_pool"
)

const (
	workers  = 4
	poolSize = 2
)

func gunicornOrSkip(t *testing.T) string {
	t.Helper()
	g, err := FindGunicorn()
	if err != nil {
		testenv.Missing(t, "original app: %v", err)
	}
	return g
}

func start(t *testing.T, dsn string) *Server {
	t.Helper()
	g := gunicornOrSkip(t)
	log := filepath.Join(t.TempDir(), "gunicorn.log")
	s, err := Start(g, Options{
		Dir:         filepath.Join(testenv.RepoRoot(t), "original"),
		DatabaseURL: dsn,
		Addr:        testenv.FreeAddr(t),
		Workers:     workers,
		PoolSize:    poolSize,
		Log:         log,
	}, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = s.Stop(15 * time.Second)
		if t.Failed() {
			out, _ := os.ReadFile(log)
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			t.Logf("gunicorn log (tail):\n%s", out)
		}
	})
	return s
}

var client = &http.Client{Timeout: 20 * time.Second}

// get returns the body of a 200 response with a JSON content type.
func get(url string) ([]byte, error) {
	resp, err := client.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s: %.200s", url, resp.Status, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		return nil, fmt.Errorf("GET %s: Content-Type %q, want application/json", url, ct)
	}
	return body, nil
}

func parse(t testing.TB, body []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("body is not JSON: %v: %.200s", err, body)
	}
	return v
}

// seedAgents is the seed's 50 agents as the benchmark describes them.
func seedAgents() []any {
	var all []any
	for n := 300; n <= 349; n++ {
		all = append(all, map[string]any{
			"number": strconv.Itoa(n), "extension": nil, "context": nil, "state_interface": nil,
			"status": "offline", "extension_status": "-1", "paused": "0",
		})
	}
	return all
}

// oursAgents is what our app's /agents code returns for the same data.
func oursAgents(t *testing.T, dsn string) any {
	t.Helper()
	c, err := agents.NewConnector(dsn, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	body, err := agents.NewNewConn(c, 1, agents.NewMetrics(prometheus.NewRegistry())).Agents(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return parse(t, body)
}

// backends lists the PostgreSQL backends whose application_name is name.
func backends(t *testing.T, db *sql.DB, name string) []int {
	t.Helper()
	rows, err := db.Query(`SELECT pid FROM pg_stat_activity WHERE application_name = $1 ORDER BY pid`, name)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pids
}

// waitBackends polls until name has want backends (they exit a moment after
// their client closed) and returns the last count.
func waitBackends(t *testing.T, db *sql.DB, name string, want int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := len(backends(t, db, name))
		if n == want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// load sends goroutines x each GETs to url and returns every failure (a
// transport error, a non-200, or a body unlike want).
func load(url string, goroutines, each int, want any) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	for g := 0; g < goroutines; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				body, err := get(url)
				if err == nil {
					var v any
					if err = json.Unmarshal(body, &v); err == nil && !reflect.DeepEqual(v, want) {
						err = fmt.Errorf("GET %s: body differs: %.200s", url, body)
					}
				}
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return errs
}

func reportErrors(t *testing.T, what string, errs []error, total int) {
	t.Helper()
	if len(errs) > 0 {
		t.Errorf("%s: %d of %d requests failed; first: %v", what, len(errs), total, errs[0])
	}
}

func TestOriginalApp(t *testing.T) {
	dsn := testenv.DatabaseURL(t)
	s := start(t, dsn)

	monitor, err := sql.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	monitor.SetMaxOpenConns(1)
	t.Cleanup(func() { monitor.Close() })

	want := any(seedAgents())
	if ours := oursAgents(t, dsn); !reflect.DeepEqual(ours, want) {
		t.Fatalf("our app's body for the test data is not the seed's 50 agents: %v", ours)
	}

	t.Run("index", func(t *testing.T) {
		body, err := get(s.URL + "/index")
		if err != nil {
			t.Fatal(err)
		}
		if got := parse(t, body); !reflect.DeepEqual(got, map[string]any{"hello": "world"}) {
			t.Errorf("GET /index: %s, want {\"hello\":\"world\"}", body)
		}
	})

	for _, path := range []string{"/agents", "/agents_with_pool"} {
		t.Run(strings.TrimPrefix(path, "/"), func(t *testing.T) {
			body, err := get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			if got := parse(t, body); !reflect.DeepEqual(got, want) {
				t.Errorf("GET %s: body parses unlike our app's (the seed's 50 agents):\n%.400s", path, body)
			}
		})
	}

	// The original's pool closed its connections (99.4% errors). Fixed, the
	// pool answers every request, and its connections stay open between
	// requests: the same backends serve the second round as the first.
	t.Run("agents_with_pool under load", func(t *testing.T) {
		const goroutines, each = 8, 50
		reportErrors(t, "round 1", load(s.URL+"/agents_with_pool", goroutines, each, want), goroutines*each)
		first := backends(t, monitor, poolName)
		reportErrors(t, "round 2", load(s.URL+"/agents_with_pool", goroutines, each, want), goroutines*each)
		second := backends(t, monitor, poolName)
		if len(first) == 0 {
			t.Fatalf("no backend named %q after %d pooled requests", poolName, goroutines*each)
		}
		if len(second) > workers*poolSize {
			t.Errorf("%d pooled backends, more than workers x pool size = %d", len(second), workers*poolSize)
		}
		for _, pid := range first {
			if !slices.Contains(second, pid) {
				t.Errorf("pooled backend %d was closed between rounds (backends %v, then %v): the pool does not keep its connections", pid, first, second)
				break
			}
		}
	})

	// A new connection per request: every one closed again, none kept.
	t.Run("agents under load", func(t *testing.T) {
		const goroutines, each = 8, 25
		reportErrors(t, "/agents", load(s.URL+"/agents", goroutines, each, want), goroutines*each)
		if n := waitBackends(t, monitor, newConnName, 0); n != 0 {
			t.Errorf("%d /agents backends still open after the requests", n)
		}
	})

	t.Run("stops cleanly", func(t *testing.T) {
		pgid := s.Pid()
		if err := s.Stop(15 * time.Second); err != nil {
			t.Fatalf("gunicorn on SIGTERM: %v", err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for syscall.Kill(-pgid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatal("gunicorn's workers outlived their master")
			}
			time.Sleep(50 * time.Millisecond)
		}
		if n := waitBackends(t, monitor, poolName, 0); n != 0 {
			t.Errorf("%d pooled backends still open after gunicorn stopped", n)
		}
		if _, err := get(s.URL + "/index"); err == nil {
			t.Error("GET /index answered after the stop")
		}
	})
}

// pg_stat_statements and the exporter count both apps' calls under one text.
func TestAppPyRunsTheAgentsQueryVerbatim(t *testing.T) {
	src, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), "original", "app.py"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(src), agentscontract.Query) {
		t.Errorf("original/app.py does not contain internal/shared/agentscontract.Query verbatim:\n%s", agentscontract.Query)
	}
}

func TestFindGunicornNamesThePackages(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := FindGunicorn()
	if err == nil || !strings.Contains(err.Error(), Packages) {
		t.Fatalf("got %v, want an error naming %s", err, Packages)
	}
	// A gunicorn whose Python lacks the modules.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "python-without-flask"), []byte("#!/bin/sh\necho 'ModuleNotFoundError: No module named flask' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	script := "#!" + filepath.Join(dir, "python-without-flask") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "gunicorn"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	_, err = FindGunicorn()
	if err == nil || !strings.Contains(err.Error(), "No module named flask") || !strings.Contains(err.Error(), Packages) {
		t.Fatalf("got %v, want the import error and %s", err, Packages)
	}
}
