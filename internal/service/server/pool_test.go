package server

import (
	"database/sql"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// appBackends is the pids of the client backends other than the monitor's
// own, sorted, and pg_stat_database.sessions.
func appBackends(t *testing.T, mon *sql.DB) (pids []int, sessions int64) {
	t.Helper()
	rows, err := mon.Query(`SELECT pid FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() ORDER BY pid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := mon.QueryRow(`SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&sessions); err != nil {
		t.Fatal(err)
	}
	return pids, sessions
}

// waitNoBackends waits until PostgreSQL has no client backend but the
// monitor's (a backend that was ended takes a moment to go).
func waitNoBackends(t *testing.T, mon *sql.DB) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		pids, _ := appBackends(t, mon)
		if len(pids) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("client backends %v still there after 10s", pids)
		}
	}
}

// poolOpened is the app's own count of the connections its pool opened.
func poolOpened(t *testing.T, addr string) int64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`(?m)^app_agents_pool_connections_opened_total (\d+)$`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("/metrics has no app_agents_pool_connections_opened_total")
	}
	n, _ := strconv.ParseInt(string(m[1]), 10, 64)
	return n
}

// A pooled connection that sat idle for longer than the request timeout
// (and the write timeout) is reused: PostgreSQL sees the same backend serve
// every spaced request and no new session. One whose backend PostgreSQL
// ended is replaced, and the request still gets a 200.
func TestPoolKeepsIdleConnectionsPastTheRequestTimeout(t *testing.T) {
	pg := testenv.StartPostgres(t)
	cfg := testConfig(t, pg.URL())
	cfg.PoolSize = 2
	cfg.RequestTimeout, cfg.DBTimeout, cfg.WriteTimeout = 300*time.Millisecond, 300*time.Millisecond, 400*time.Millisecond
	cfg.ShutdownTimeout = 2 * time.Second
	const gap = 900 * time.Millisecond // longer than each timeout
	addr := serveLogged(t, cfg)
	mon := db(t, pg.URL())
	mon.SetMaxOpenConns(1)
	waitNoBackends(t, mon) // the monitor's own session opened, the cluster's set-up gone

	want := string(agentscontract.Body())
	get := func(i int) {
		t.Helper()
		if a := fetch(nil, "http://"+addr+"/agents_with_pool"); a.err != nil || a.code != 200 || a.body != want {
			t.Fatalf("request %d: %d %v", i, a.code, a.err)
		}
	}
	get(0)
	pids0, sessions0 := appBackends(t, mon)
	if len(pids0) != 1 {
		t.Fatalf("after one request: app backends %v, want one", pids0)
	}
	for i := 1; i <= 4; i++ {
		time.Sleep(gap)
		get(i)
		if pids, sessions := appBackends(t, mon); !slices.Equal(pids, pids0) || sessions != sessions0 {
			t.Fatalf("request %d, %v after the previous one: backends %v and %d sessions, want the same %v and %d (the idle pooled connection was replaced)",
				i, gap, pids, sessions, pids0, sessions0)
		}
	}
	if n := poolOpened(t, addr); n != 1 {
		t.Errorf("app_agents_pool_connections_opened_total = %d, want 1", n)
	}

	if _, err := mon.Exec(`SELECT pg_terminate_backend($1)`, pids0[0]); err != nil {
		t.Fatal(err)
	}
	waitNoBackends(t, mon)
	get(5)
	pids, sessions := appBackends(t, mon)
	if len(pids) != 1 || pids[0] == pids0[0] || sessions != sessions0+1 {
		t.Errorf("after the backend was terminated: backends %v and %d sessions, want one new backend and %d sessions", pids, sessions, sessions0+1)
	}
	if n := poolOpened(t, addr); n != 2 {
		t.Errorf("app_agents_pool_connections_opened_total = %d after one replacement, want 2", n)
	}
}
