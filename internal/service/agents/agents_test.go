package agents

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// expectedBody is the seed's 50 agents as encoding/json renders them.
func expectedBody(t *testing.T) string {
	return string(agentscontract.Body())
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "300", "default", `a"b`, `back\slash`, "tab\there", "nl\n", "<script>&", "é", "\u2028", "bad\xffutf8", "\x00"} {
		want, _ := json.Marshal(s)
		if got := string(appendString(nil, s)); got != string(want) {
			t.Errorf("appendString(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestAppendRowNullsAndBytes(t *testing.T) {
	got, err := appendRow(nil, []driver.Value{"300", nil, []byte("ctx"), nil, "offline", "-1", "0"})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"number":"300","extension":null,"context":"ctx","state_interface":null,"status":"offline","extension_status":"-1","paused":"0"}`
	if string(got) != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if _, err := appendRow(nil, []driver.Value{42, nil, nil, nil, nil, nil, nil}); err == nil {
		t.Error("an int column: want an error")
	}
}

// stats reads server-wide counters of a private cluster through a
// connection opened before the measured work (so it is not counted).
type stats struct{ db *sql.DB }

func newStats(t *testing.T, url string) stats {
	db, err := sql.Open("postgres", url)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return stats{db}
}

// sessions is pg_stat_database.sessions: sessions ever established.
func (s stats) sessions(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := s.db.QueryRow(`SELECT sessions FROM pg_stat_database WHERE datname = current_database()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// otherBackends counts client backends other than the monitor's.
func (s stats) otherBackends(t *testing.T) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT count(*) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// queryCalls is how many times the agents query ran (pg_stat_statements).
func (s stats) queryCalls(t *testing.T) int64 {
	t.Helper()
	var n int64
	if err := s.db.QueryRow(`SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
		WHERE query LIKE $1`, agentscontract.StatementsPattern).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitSessions polls until the counter reaches want (backends report their
// session when they start and flush at exit, slightly after our Close).
func (s stats) waitSessions(t *testing.T, want int64) int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := s.sessions(t)
		if got >= want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func newConnector(t testing.TB, url string, timeout time.Duration) *Connector {
	c, err := NewConnector(url, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNewConnOpensOneBackendPerRequest(t *testing.T) {
	pg := testenv.StartPostgres(t)
	st := newStats(t, pg.URL())
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	nc := NewNewConn(newConnector(t, pg.URL(), 2*time.Second), 4, m)
	want := expectedBody(t)

	before := st.sessions(t)
	const n = 20
	for i := 0; i < n; i++ {
		got, err := nc.Agents(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != want {
			t.Fatalf("body:\n%s\nwant\n%s", got, want)
		}
	}
	if got := st.waitSessions(t, before+n) - before; got != n {
		t.Errorf("PostgreSQL counted %d new sessions for %d requests, want one each", got, n)
	}
	// Nothing is kept open between requests.
	deadline := time.Now().Add(5 * time.Second)
	for st.otherBackends(t) != 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if b := st.otherBackends(t); b != 0 {
		t.Errorf("%d backends still open after the requests", b)
	}
	if v := testutil.ToFloat64(m.Opened); v != n {
		t.Errorf("app_agents_connections_opened_total = %v, want %d", v, n)
	}
	if c := testutil.CollectAndCount(m.ConnectDuration); c != 1 {
		t.Errorf("connect duration histogram: %d series", c)
	}
}

func TestPoolReusesConnectionsAndReachesPostgres(t *testing.T) {
	pg := testenv.StartPostgres(t)
	st := newStats(t, pg.URL())
	const size = 4
	p := OpenPool(newConnector(t, pg.URL(), 2*time.Second), size)
	t.Cleanup(func() { p.Close() })
	want := expectedBody(t)

	before, callsBefore := st.sessions(t), st.queryCalls(t)
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				got, err := p.Agents(context.Background(), nil)
				if err == nil && string(got) != want {
					err = fmt.Errorf("body %q", got)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if got := st.sessions(t) - before; got > size {
		t.Errorf("%d sessions for %d requests through a pool of %d", got, workers*each, size)
	}
	if open := p.DB().Stats().OpenConnections; open < 1 || open > size {
		t.Errorf("pool holds %d connections, want 1..%d", open, size)
	}
	// Every request ran the query in PostgreSQL: no caching in the app.
	if calls := st.queryCalls(t) - callsBefore; calls != workers*each {
		t.Errorf("pg_stat_statements counted %d executions, want %d", calls, workers*each)
	}
}

// An outage answers within the bound and both paths recover by themselves.
func TestOutageAndRecovery(t *testing.T) {
	pg := testenv.StartPostgres(t)
	conn := newConnector(t, pg.URL(), 2*time.Second)
	sources := map[string]Source{
		"newconn": NewNewConn(conn, 4, NewMetrics(prometheus.NewRegistry())),
		"pool":    OpenPool(conn, 2),
	}
	defer sources["pool"].(*Pool).Close()
	call := func(name string) (time.Duration, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		start := time.Now()
		_, err := sources[name].Agents(ctx, nil)
		return time.Since(start), err
	}
	for name := range sources {
		if _, err := call(name); err != nil {
			t.Fatalf("%s before the outage: %v", name, err)
		}
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	for name := range sources {
		for i := 0; i < 3; i++ { // the pool's first attempt meets a dead connection
			took, err := call(name)
			if err == nil {
				t.Fatalf("%s with the database down: no error", name)
			}
			if took > 2500*time.Millisecond {
				t.Errorf("%s took %v to fail, want ≤ 2s", name, took)
			}
		}
	}
	if err := pg.Start(); err != nil {
		t.Fatal(err)
	}
	for name := range sources {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := call(name)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s did not recover: %v", name, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// A server that accepts TCP but does not answer (stopped processes) cannot
// hold a request beyond the bound: the socket deadline cuts it off.
func TestHungServerIsBounded(t *testing.T) {
	pg := testenv.StartPostgres(t)
	conn := newConnector(t, pg.URL(), 700*time.Millisecond)
	pool := OpenPool(conn, 1)
	defer pool.Close()
	nc := NewNewConn(conn, 4, NewMetrics(prometheus.NewRegistry()))
	if _, err := pool.Agents(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	st := newStats(t, pg.URL())
	var pids []int
	rows, err := st.db.Query(`SELECT pid FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p int
		rows.Scan(&p)
		pids = append(pids, p)
	}
	rows.Close()
	pids = append(pids, testenv.PostmasterPID(t, pg))
	for _, p := range pids {
		if err := syscall.Kill(p, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		for _, p := range pids {
			syscall.Kill(p, syscall.SIGCONT)
		}
	})
	for name, src := range map[string]Source{"pool": pool, "newconn": nc} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		_, err := src.Agents(ctx, nil)
		took := time.Since(start)
		cancel()
		if err == nil {
			t.Errorf("%s: no error from a stopped server", name)
		}
		if took > 2*time.Second {
			t.Errorf("%s: took %v, want about the 700ms database timeout", name, took)
		}
	}
	for _, p := range pids {
		syscall.Kill(p, syscall.SIGCONT)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := pool.Agents(context.Background(), nil); err == nil {
			break
		} else if time.Now().After(deadline) {
			t.Fatalf("pool did not recover: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestConnectorRejectsBadURL(t *testing.T) {
	if _, err := NewConnector("postgres://x:y@host:notaport/db", time.Second); err == nil {
		t.Error("want an error for a bad port")
	}
}

// Readiness does not queue behind a pool that is busy.
func TestPingBypassesABusyPool(t *testing.T) {
	conn := newConnector(t, testenv.DatabaseURL(t), 2*time.Second)
	p := OpenPool(conn, 1)
	defer p.Close()
	if err := p.acquire(context.Background()); err != nil { // the only slot, held
		t.Fatal(err)
	}
	defer p.release()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := conn.Ping(ctx); err != nil {
		t.Errorf("Ping with the pool busy: %v", err)
	}
	if _, err := p.Agents(ctx, nil); err == nil {
		t.Error("Agents with the pool's only slot held: want a timeout")
	}
}

// Connections the server dropped (terminated backends, as after a restart)
// are replaced without failing a call: the database itself is fine.
func TestPoolReplacesDroppedConnections(t *testing.T) {
	pg := testenv.StartPostgres(t)
	st := newStats(t, pg.URL())
	const size = 3
	p := OpenPool(newConnector(t, pg.URL(), 2*time.Second), size)
	t.Cleanup(func() { p.Close() })
	var wg sync.WaitGroup
	for i := 0; i < size; i++ { // open all the pool's connections
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Agents(context.Background(), nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if _, err := st.db.Exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`); err != nil {
		t.Fatal(err)
	}
	for st.otherBackends(t) > 0 {
		time.Sleep(20 * time.Millisecond)
	}
	want := expectedBody(t)
	for i := 0; i < 2*size; i++ {
		got, err := p.Agents(context.Background(), nil)
		if err != nil {
			t.Fatalf("call %d after the backends were terminated: %v", i, err)
		}
		if string(got) != want {
			t.Fatalf("call %d: body %q", i, got)
		}
	}
}

// fillPool opens all of the pool's connections.
func fillPool(t *testing.T, p *Pool, size int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := 0; i < size; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.Agents(context.Background(), nil); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// Pooled connections that died while idle, by a clean close or by a reset,
// are replaced before anything is sent on them: no call fails.
func TestPoolReplacesClosedAndResetConnections(t *testing.T) {
	pg := testenv.StartPostgres(t)
	for _, reset := range []bool{false, true} {
		name := map[bool]string{false: "closed (FIN)", true: "reset (RST)"}[reset]
		px := startProxy(t, "127.0.0.1:"+strconv.Itoa(pg.Port))
		const size = 4
		p := OpenPool(newConnector(t, strings.Replace(pg.URL(), pg.Addr(), px.addr(), 1), 2*time.Second), size)
		fillPool(t, p, size)
		if n := px.connections(); n < 1 || n > size {
			t.Fatalf("%s: %d connections through the proxy for a pool of %d", name, n, size)
		}
		before := px.connections()
		px.closeAll(reset)
		time.Sleep(100 * time.Millisecond) // the FIN or RST arrives
		want := expectedBody(t)
		failed := 0
		for i := 0; i < 2*size; i++ {
			got, err := p.Agents(context.Background(), nil)
			if err != nil || string(got) != want {
				failed++
				t.Errorf("%s: call %d after the connections died: %v", name, i, err)
			}
		}
		t.Logf("%s: %d of %d calls failed after all %d pooled connections died; %d new connections", name, failed, 2*size, before, px.connections()-before)
		p.Close()
	}
}

// A connection lost after the query was sent is not retried (the query may
// have run): the call fails once, the query ran once, and the connection
// leaves the pool.
func TestPoolDoesNotRetryAQueryThatWasSent(t *testing.T) {
	pg := testenv.StartPostgres(t)
	st := newStats(t, pg.URL())
	px := startProxy(t, "127.0.0.1:"+strconv.Itoa(pg.Port))
	p := OpenPool(newConnector(t, strings.Replace(pg.URL(), pg.Addr(), px.addr(), 1), 2*time.Second), 1)
	t.Cleanup(func() { p.Close() })
	fillPool(t, p, 1)
	calls := st.queryCalls(t)
	px.trapAll()
	_, err := p.Agents(context.Background(), nil)
	if err == nil {
		t.Fatal("the answer was cut off, yet the call succeeded: it was retried")
	}
	t.Logf("cut after the query was sent: %v", err)
	if got := st.queryCalls(t) - calls; got != 1 {
		t.Errorf("the query ran %d times, want once", got)
	}
	if _, err := p.Agents(context.Background(), nil); err != nil {
		t.Errorf("the next call, on a new connection: %v", err)
	}
}
