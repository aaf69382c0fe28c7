package originalrun

import (
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// A database that accepts TCP and never answers fails the original's
// requests within its connect timeout (original/app.py,
// ORIGINAL_CONNECT_TIMEOUT, default 5 s): a 500, not a worker held until
// gunicorn kills it (30 s) and the client left without an answer.
func TestOriginalFailsFastOnASilentDatabase(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var held []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c) // read nothing, answer nothing
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	s := start(t, "postgres://macrobench_app:unused@"+ln.Addr().String()+"/macrobench?sslmode=disable")

	client := &http.Client{Timeout: 20 * time.Second}
	for _, path := range []string{"/agents", "/agents_with_pool"} {
		begin := time.Now()
		resp, err := client.Get(s.URL + path)
		took := time.Since(begin)
		if err != nil {
			t.Errorf("GET %s on a silent database: %v after %s, want a 500 within the connect timeout (5 s)", path, err, took.Round(time.Millisecond))
			continue
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError || took > 12*time.Second {
			t.Errorf("GET %s on a silent database: %s after %s, want 500 within the connect timeout (5 s)", path, resp.Status, took.Round(time.Millisecond))
		}
	}
}
