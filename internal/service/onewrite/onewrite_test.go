package onewrite

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"strconv"
	"testing"
	"time"
)

// pair returns the server side (accepted through Listener) and the client
// side of a loopback TCP connection.
func pair(t *testing.T) (*Conn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	sc, err := Listener{Listener: ln}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	c, ok := sc.(*Conn)
	if !ok {
		t.Fatalf("Accept returned %T, want *Conn", sc)
	}
	return c, client.(*net.TCPConn)
}

// readWithin reads what arrives within d.
func readWithin(t *testing.T, c net.Conn, d time.Duration) string {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(d))
	var got []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := c.Read(buf)
		got = append(got, buf[:n]...)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return string(got)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestHeldWritesLeaveTogetherOnRelease(t *testing.T) {
	c, client := pair(t)
	c.Hold()
	for _, s := range []string{"head ", "first half ", "second half"} {
		if n, err := c.Write([]byte(s)); n != len(s) || err != nil {
			t.Fatalf("held Write(%q) = %d, %v", s, n, err)
		}
	}
	if got := readWithin(t, client, 200*time.Millisecond); got != "" {
		t.Fatalf("the client received %q while writes were held", got)
	}
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
	if got := readWithin(t, client, 500*time.Millisecond); got != "head first half second half" {
		t.Fatalf("after Release the client received %q", got)
	}
	// Not holding: writes go straight out.
	if _, err := c.Write([]byte("next")); err != nil {
		t.Fatal(err)
	}
	if got := readWithin(t, client, 500*time.Millisecond); got != "next" {
		t.Fatalf("unheld write: the client received %q", got)
	}
}

func TestFailedReleaseClosesTheConnection(t *testing.T) {
	c, client := pair(t)
	client.SetLinger(0) // close with a reset: the server's next write fails
	client.Close()
	time.Sleep(50 * time.Millisecond)
	c.Hold()
	c.Write([]byte("lost"))
	if err := c.Release(); err == nil {
		t.Fatal("Release to a reset connection: no error")
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after a failed Release: %v, want the connection closed", err)
	}
}

func TestWithoutListenerHoldAndReleaseDoNothing(t *testing.T) {
	c := From(context.Background())
	if c != nil {
		t.Fatalf("From a plain context = %v, want nil", c)
	}
	c.Hold()
	if err := c.Release(); err != nil {
		t.Fatal(err)
	}
}

// Through net/http: a held response larger than net/http's 4 KB buffer
// arrives whole, and the connection stays usable for the next request.
func TestHTTPResponsesOnAKeptAliveConnection(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789abcdef"), 640) // 10 KB
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		oc := From(r.Context())
		if oc == nil {
			http.Error(w, "no onewrite.Conn in the request context", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		oc.Hold()
		w.Write(body)
		http.NewResponseController(w).Flush()
		if err := oc.Release(); err != nil {
			t.Error(err)
		}
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, ConnContext: ConnContext}
	go srv.Serve(Listener{Listener: ln})
	t.Cleanup(func() { srv.Close() })

	cl := &http.Client{Transport: &http.Transport{}, Timeout: 10 * time.Second}
	defer cl.CloseIdleConnections()
	for i := 0; i < 3; i++ {
		reused := false
		trace := &httptrace.ClientTrace{GotConn: func(ci httptrace.GotConnInfo) { reused = ci.Reused }}
		req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), http.MethodGet, "http://"+ln.Addr().String()+"/", nil)
		resp, err := cl.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
			t.Fatalf("request %d: %s, %d bytes, %v", i, resp.Status, len(got), err)
		}
		if i > 0 && !reused {
			t.Errorf("request %d did not reuse the kept-alive connection", i)
		}
	}
}

// pairWithTimeout is pair with Listener's WriteTimeout set; the client's
// receive buffer is small, so a client that does not read blocks the
// server's writes sooner.
func pairWithTimeout(t *testing.T, d time.Duration) (*Conn, *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	client.(*net.TCPConn).SetReadBuffer(4 << 10)
	t.Cleanup(func() { client.Close() })
	sc, err := Listener{Listener: ln, WriteTimeout: d}.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sc.Close() })
	return sc.(*Conn), client.(*net.TCPConn)
}

// writeUntilFails writes until a write fails and returns how long the
// failing write took (the server blocked on a client that does not read).
// If none fails within limit, the test fails.
func writeUntilFails(t *testing.T, c *Conn, limit time.Duration) (time.Duration, error) {
	t.Helper()
	type result struct {
		took time.Duration
		err  error
	}
	done := make(chan result, 1)
	go func() {
		chunk := make([]byte, 64<<10)
		for {
			start := time.Now()
			if _, err := c.Write(chunk); err != nil {
				done <- result{time.Since(start), err}
				return
			}
		}
	}()
	select {
	case r := <-done:
		return r.took, r.err
	case <-time.After(limit):
		c.TCPConn.Close() // ends the blocked write
		<-done
		t.Fatalf("writes to a client that does not read neither failed nor finished within %v", limit)
		return 0, nil
	}
}

// A client that stops reading is cut off: a blocked write fails within the
// write timeout, even after net/http cleared the deadline at the end of a
// response (as it does after every response).
func TestWriteTimeoutCutsOffAClientThatDoesNotRead(t *testing.T) {
	const d = 400 * time.Millisecond
	c, _ := pairWithTimeout(t, d)
	if _, err := c.Write([]byte("HTTP/1.1 200 OK\r\n\r\n")); err != nil { // a first response
		t.Fatal(err)
	}
	c.SetWriteDeadline(time.Time{}) // net/http, after each response
	took, err := writeUntilFails(t, c, 15*time.Second)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("blocked write: %v, want the deadline", err)
	}
	t.Logf("the blocked write failed after %v (write timeout %v)", took, d)
	if took > d+3*time.Second {
		t.Errorf("the blocked write took %v, want about the %v write timeout", took, d)
	}
}

// Without a write timeout nothing changes: net/http's clearing clears.
func TestNoWriteTimeoutLeavesDeadlinesAlone(t *testing.T) {
	c, _ := pairWithTimeout(t, 0)
	c.SetWriteDeadline(time.Now().Add(-time.Second))
	if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past a caller's deadline: %v", err)
	}
	c.SetWriteDeadline(time.Time{})
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("write after clearing: %v", err)
	}
}

// A caller's deadline (http.ResponseController) wins until it is cleared;
// then the rolling deadline is back.
func TestCallersDeadlineThenRollingDeadline(t *testing.T) {
	c, _ := pairWithTimeout(t, time.Hour)
	c.SetWriteDeadline(time.Now().Add(-time.Second)) // already passed
	if _, err := c.Write([]byte("x")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write past a caller's deadline: %v", err)
	}
	c.SetWriteDeadline(time.Time{}) // the response ends
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatalf("next response, under the rolling deadline of an hour: %v", err)
	}
}

// The deadline is re-armed at most every timeout/8 on a busy connection:
// consecutive responses share it (this is what makes it cheaper than
// http.Server's WriteTimeout), and a response after a pause gets a fresh one.
func TestRollingDeadlineIsReArmedOnlyWhenDue(t *testing.T) {
	const d = 8 * time.Second
	c, _ := pairWithTimeout(t, d)
	c.Write([]byte("a"))
	first := c.armed
	if first.IsZero() {
		t.Fatal("the first write armed no deadline")
	}
	for i := 0; i < 100; i++ { // responses in quick succession
		c.SetWriteDeadline(time.Time{})
		c.Write([]byte("b"))
	}
	if c.armed != first && time.Since(first) < d/8 {
		t.Errorf("re-armed within %v of the first arming", time.Since(first))
	}
	c.armed = time.Now().Add(d / 2) // as if armed long ago
	c.SetWriteDeadline(time.Time{})
	c.Write([]byte("c"))
	if left := time.Until(c.armed); left < d-d/8 {
		t.Errorf("a response with half the timeout left was not given a fresh deadline (%v left)", left)
	}
}
