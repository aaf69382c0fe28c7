package proc

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The wait ends at the first 200; before it, other answers are retried.
func TestOKAfterUnavailable(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) < 3 {
			http.Error(w, "starting", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	if err := WaitHTTPOK(context.Background(), srv.URL, 5*time.Second); err != nil || n.Load() != 3 {
		t.Fatalf("err %v after %d GETs", err, n.Load())
	}
}

// A wait that times out names the last answer; one whose context ends says so.
func TestTimeoutAndCancel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "database down", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	start := time.Now()
	err := WaitHTTPOK(context.Background(), srv.URL, 300*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "not ready after 300ms") || !strings.Contains(err.Error(), "503 Service Unavailable") ||
		!strings.Contains(err.Error(), "database down") || time.Since(start) > 2*time.Second {
		t.Errorf("err %v after %v", err, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WaitHTTPOK(ctx, srv.URL, time.Minute); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled: %v", err)
	}
	if err := WaitHTTPOK(context.Background(), "http://127.0.0.1:1/", 200*time.Millisecond); err == nil || !strings.Contains(err.Error(), "refused") {
		t.Errorf("nothing listening: %v", err)
	}
}

// Until waits for a body, not just a status.
func TestUntilBody(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) >= 2 {
			w.Write([]byte("counted 1"))
		}
	}))
	defer srv.Close()
	err := WaitHTTPUntil(context.Background(), srv.URL, 5*time.Second, func(status int, body []byte) bool {
		return status == 200 && strings.Contains(string(body), "counted 1")
	})
	if err != nil || n.Load() != 2 {
		t.Errorf("err %v after %d GETs", err, n.Load())
	}
}
