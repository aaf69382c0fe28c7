package main

import (
	"bufio"
	"bytes"
	"database/sql"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// runningApp is the app binary serving on addr.
type runningApp struct {
	cmd    *exec.Cmd
	addr   string
	logs   *testenv.SyncBuffer
	exited chan error
}

func startApp(t *testing.T, bin string, env ...string) *runningApp {
	t.Helper()
	a := &runningApp{addr: testenv.FreeAddr(t), logs: &testenv.SyncBuffer{}, exited: make(chan error, 1)}
	a.cmd = exec.Command(bin)
	a.cmd.Env = append(append(os.Environ(), "APP_LISTEN_ADDR="+a.addr), env...)
	a.cmd.Stdout, a.cmd.Stderr = a.logs, a.logs
	if err := a.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { a.exited <- a.cmd.Wait() }()
	t.Cleanup(func() {
		a.cmd.Process.Kill()
		if t.Failed() {
			t.Logf("app log:\n%s", a.logs.String())
		}
	})
	testenv.WaitHTTP(t, "http://"+a.addr+"/readyz", 20*time.Second)
	return a
}

// sigterm signals the app and waits for it to exit; it returns the exit
// code and how long the exit took.
func (a *runningApp) sigterm(t *testing.T, within time.Duration) (int, time.Duration) {
	t.Helper()
	start := time.Now()
	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-a.exited:
		return exitCode(err), time.Since(start)
	case <-time.After(within):
		t.Fatalf("no exit %v after SIGTERM", within)
		return 0, 0
	}
}

// One request on a kept-alive connection, without any retry (net/http's
// client would silently retry a request whose connection the server
// closed, hiding exactly what this test looks for).
type rawClient struct {
	addr string
	c    net.Conn
	br   *bufio.Reader
}

type outcome struct {
	path       string
	sent, done time.Time
	code       int
	err        error
	dialErr    bool // refused: never reached the app
	gotNothing bool // the connection ended before any byte of an answer
}

func (rc *rawClient) do(path string) outcome {
	o := outcome{path: path}
	if rc.c == nil {
		c, err := net.DialTimeout("tcp", rc.addr, 5*time.Second)
		if err != nil {
			o.err, o.dialErr, o.done = err, true, time.Now()
			return o
		}
		rc.c, rc.br = c, bufio.NewReader(c)
	}
	rc.c.SetDeadline(time.Now().Add(30 * time.Second))
	_, err := fmt.Fprintf(rc.c, "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path)
	o.sent = time.Now()
	if err == nil {
		if _, err = rc.br.Peek(1); err != nil {
			o.gotNothing = true
		}
	}
	var resp *http.Response
	if err == nil {
		resp, err = http.ReadResponse(rc.br, nil)
	}
	if err == nil {
		var b []byte
		b, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		o.code = resp.StatusCode
		if err == nil && o.code == 200 && path != "/index" && !bytes.Equal(b, agentscontract.Body()) {
			err = fmt.Errorf("body %.60q", b)
		}
		if resp.Close {
			rc.close()
		}
	}
	if err != nil {
		o.err = err
		rc.close()
	}
	o.done = time.Now()
	return o
}

func (rc *rawClient) close() {
	if rc.c != nil {
		rc.c.Close()
		rc.c = nil
	}
}

// SIGTERM under steady load: every request the app had received before the
// signal gets its whole answer, and the app exits 0 within its shutdown
// timeout. Database requests are held in flight across the signal by a lock
// on the agents table, released after it. Requests sent about when the
// signal arrived may find the listener closed or their idle connection
// closed before the app read them (nothing of them reached the app: no
// answer at all); that is all that may fail.
func TestSIGTERMUnderSteadyLoadFailsNoInFlightRequest(t *testing.T) {
	bin := buildApp(t)
	pg := testenv.StartPostgres(t)
	const shutdownTimeout = 12 * time.Second
	app := startApp(t, bin, "APP_DATABASE_URL="+pg.URL(), "APP_REQUEST_TIMEOUT=5s", "APP_DB_TIMEOUT=5s",
		"APP_SHUTDOWN_TIMEOUT="+shutdownTimeout.String())
	locker, err := sql.Open("postgres", pg.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()

	var mu sync.Mutex
	var all []outcome
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, p := range []string{"/index", "/index", "/index", "/index", "/agents_with_pool", "/agents_with_pool", "/agents", "/agents"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rc := &rawClient{addr: app.addr}
			defer rc.close()
			for {
				o := rc.do(p)
				mu.Lock()
				all = append(all, o)
				mu.Unlock()
				select {
				case <-stop:
					return
				default:
				}
				if o.dialErr {
					return // the listener is closed: the app is going away
				}
			}
		}()
	}
	time.Sleep(time.Second)
	tx, err := locker.Begin()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(`LOCK TABLE agentfeatures IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1200 * time.Millisecond) // database requests pile up behind the lock
	sigAt := time.Now()
	go func() {
		time.Sleep(500 * time.Millisecond)
		tx.Rollback() // after the signal: the held requests finish during shutdown
	}()
	code, took := app.sigterm(t, shutdownTimeout+10*time.Second)
	close(stop)
	wg.Wait()

	var ok, across, refused, unread int
	for _, o := range all {
		switch {
		case o.err == nil && o.code == 200:
			ok++
			if o.sent.Before(sigAt) && o.done.After(sigAt) {
				across++
			}
		case o.dialErr && o.done.After(sigAt):
			refused++
		case o.gotNothing && o.sent.After(sigAt.Add(-time.Second)):
			unread++ // its connection was closed before the app read it
		default:
			t.Errorf("%s sent at signal%+v: %d %v", o.path, o.sent.Sub(sigAt).Round(time.Millisecond), o.code, o.err)
		}
	}
	t.Logf("%d requests: %d answered 200 (%d of them in flight across SIGTERM), %d refused after it, %d unread by the app; exit %d %v after SIGTERM",
		len(all), ok, across, refused, unread, code, took.Round(time.Millisecond))
	if code != 0 {
		t.Errorf("exit %d after SIGTERM", code)
	}
	if took > shutdownTimeout {
		t.Errorf("exit %v after SIGTERM, want within the %v shutdown timeout", took, shutdownTimeout)
	}
	if across < 4 {
		t.Errorf("%d requests in flight across SIGTERM, want the 4 held by the lock at least", across)
	}
	if strings.Contains(app.logs.String(), "still busy") {
		t.Errorf("shutdown had to cut connections:\n%s", app.logs.String())
	}
}

// A client that pipelines requests and never reads its answers: the write
// timeout cuts its connection, and SIGTERM still exits 0 promptly instead of
// waiting for it until the shutdown timeout.
func TestClientThatNeverReadsCannotHoldTheApp(t *testing.T) {
	bin := buildApp(t)
	const writeTimeout, shutdownTimeout = 2 * time.Second, 8 * time.Second
	app := startApp(t, bin, "APP_DATABASE_URL="+testenv.DatabaseURL(t),
		"APP_WRITE_TIMEOUT="+writeTimeout.String(), "APP_SHUTDOWN_TIMEOUT="+shutdownTimeout.String())

	// nonReader pipelines GET /metrics (tens of KB each) and reads nothing.
	// The app stops reading requests once its writes block, so the
	// client's writes block too; it reports when they stay blocked and
	// when they fail (the app closed the connection).
	type nonReader struct{ blocked, cut chan time.Time }
	start := func() nonReader {
		c, err := net.Dial("tcp", app.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		c.(*net.TCPConn).SetReadBuffer(4 << 10)
		nr := nonReader{make(chan time.Time, 1), make(chan time.Time, 1)}
		var mu sync.Mutex
		last := time.Now()
		go func() {
			req := []byte(strings.Repeat("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 256))
			for {
				if _, err := c.Write(req); err != nil {
					nr.cut <- time.Now()
					return
				}
				mu.Lock()
				last = time.Now()
				mu.Unlock()
			}
		}()
		go func() { // blocked: no write has returned for 300 ms
			for {
				time.Sleep(20 * time.Millisecond)
				mu.Lock()
				l := last
				mu.Unlock()
				if time.Since(l) > 300*time.Millisecond {
					nr.blocked <- l
					return
				}
			}
		}()
		return nr
	}

	// Without SIGTERM: the write timeout cuts the connection.
	a := start()
	began := time.Now()
	select {
	case cutAt := <-a.cut:
		blocked := "never seen blocked"
		select {
		case at := <-a.blocked:
			blocked = fmt.Sprintf("%v after its writes last moved", cutAt.Sub(at).Round(time.Millisecond))
		default:
		}
		t.Logf("a client that never reads: cut %v after it began (%s; write timeout %v)", cutAt.Sub(began).Round(time.Millisecond), blocked, writeTimeout)
	case <-time.After(writeTimeout + 15*time.Second):
		t.Fatalf("a client that never reads still connected %v after it began", writeTimeout+15*time.Second)
	}
	if resp, err := http.Get("http://" + app.addr + "/index"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("/index meanwhile: %v %v", resp, err)
	}

	// With one such client stuck, SIGTERM.
	b := start()
	select {
	case <-b.blocked:
	case <-b.cut:
		t.Fatal("the second client was cut before its writes were seen blocked")
	case <-time.After(30 * time.Second):
		t.Fatal("the second client's writes never blocked")
	}
	code, took := app.sigterm(t, shutdownTimeout+10*time.Second)
	t.Logf("SIGTERM with a stuck client: exit %d after %v (write timeout %v, shutdown timeout %v)", code, took.Round(time.Millisecond), writeTimeout, shutdownTimeout)
	if code != 0 {
		t.Errorf("exit %d", code)
	}
	// The write timeout, not the shutdown timeout, ended the connection.
	if took > shutdownTimeout-2*time.Second || strings.Contains(app.logs.String(), "still busy") {
		t.Errorf("shutdown took %v; log:\n%s", took, app.logs.String())
	}
}
