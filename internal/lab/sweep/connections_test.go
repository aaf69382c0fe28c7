package sweep

import (
	"context"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestStepConnections(t *testing.T) {
	for _, c := range []struct {
		most int
		rate float64
		want int
	}{{400, 25, 25}, {400, 0.5, 1}, {400, 399.5, 400}, {400, 4000, 400}, {10, 10, 10}, {400, 250.2, 251}} {
		if got := StepConnections(c.most, c.rate); got != c.want {
			t.Errorf("StepConnections(%d, %g) = %d, want %d", c.most, c.rate, got, c.want)
		}
	}
}

// A low-rate step against a server that hangs up on connections idle
// before their first request (net/http's ReadHeaderTimeout, here 1.5 s):
// the step opens only the connections its rate keeps busy, so the server
// closes none unused and the step has no errors. (With the cell's 400
// connections at 20 req/s, most would wait up to 20 s for their first
// request: hundreds of read errors.)
func TestLowRateStepKeepsItsConnectionsBusy(t *testing.T) {
	var (
		mu                 sync.Mutex
		opened, idleClosed int
		served             = map[net.Conn]bool{}
	)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		ReadHeaderTimeout: 1500 * time.Millisecond,
		Handler:           http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}),
		ConnState: func(c net.Conn, s http.ConnState) {
			mu.Lock()
			defer mu.Unlock()
			switch s {
			case http.StateNew:
				opened++
			case http.StateActive:
				served[c] = true
			case http.StateClosed:
				if !served[c] {
					idleClosed++
				}
			}
		},
	}
	go srv.Serve(ln)
	defer srv.Close()

	s, err := LoadgenStep("http://"+ln.Addr().String()+"/", 400, 2, 3*time.Second, 2*time.Second)(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if idleClosed != 0 || opened > 20 {
		t.Errorf("the server opened %d connections and closed %d that never carried a request; want at most 20 and none", opened, idleClosed)
	}
	if s.Failed != 0 || s.Responses < 40 {
		t.Errorf("step at 20 req/s: %d responses, %d failed (errors %+v)", s.Responses, s.Failed, s.Errors)
	}
}
