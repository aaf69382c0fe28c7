package e2echeck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// poolApp serves the agents body and a pool-opened counter that grows by
// reopen on every request after the first.
func poolApp(t *testing.T, reopen int64) string {
	var opened, requests atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/agents_with_pool", func(w http.ResponseWriter, r *http.Request) {
		if requests.Add(1) == 1 {
			opened.Store(1)
		} else {
			opened.Add(reopen)
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(agentscontract.Body())))
		w.Write(agentscontract.Body())
	})
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "# TYPE app_agents_pool_connections_opened_total counter\napp_agents_pool_connections_opened_total %d\n", opened.Load())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCheckPoolKeepsConnections(t *testing.T) {
	if err := CheckPoolKeepsConnections(context.Background(), poolApp(t, 0), 3, 10*time.Millisecond); err != nil {
		t.Errorf("a pool that keeps its connection: %v", err)
	}
	err := CheckPoolKeepsConnections(context.Background(), poolApp(t, 1), 3, 10*time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "request 2") {
		t.Errorf("a pool that reopens: %v, want an error at request 2", err)
	}
}
