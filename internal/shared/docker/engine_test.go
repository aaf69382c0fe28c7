// An external test package: internal/checks/testenv, which decides whether a
// missing facility skips or fails, imports this package (through pgcluster).
package docker_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/docker"
)

// A stand-in engine on a Unix socket answers the three calls the bench
// makes, with documents in the engine API's layout.
func TestEngineOverItsSocket(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		testenv.Missing(t, "no unix socket here: %v", err)
	}
	b, err := os.ReadFile("testdata/inspect.json")
	if err != nil {
		t.Fatal(err)
	}
	var docs []json.RawMessage
	if err := json.Unmarshal(b, &docs); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /containers/json", func(w http.ResponseWriter, r *http.Request) {
		if got := r.URL.Query().Get("filters"); got != `{"label":["com.docker.compose.project=macrobench"]}` {
			http.Error(w, "filters "+got, http.StatusBadRequest)
			return
		}
		w.Write([]byte(`[{"Id": "aaa", "Names": ["/macrobench-app-1"], "Labels": {"com.docker.compose.service": "app", "com.docker.compose.oneoff": "False"}},
			{"Id": "bbb", "Names": ["/macrobench-gen-7-1"], "Labels": {"com.docker.compose.service": "loadtest", "com.docker.compose.oneoff": "True"}}]`))
	})
	mux.HandleFunc("GET /containers/aaa/json", func(w http.ResponseWriter, r *http.Request) {
		w.Write(docs[0]) // the app's document alone
	})
	mux.HandleFunc("GET /containers/aaa/stats", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("stream") != "false" || r.URL.Query().Get("one-shot") != "true" {
			http.Error(w, "want stream=false&one-shot=true", http.StatusBadRequest)
			return
		}
		w.Write([]byte(`{"read": "2026-05-02T09:20:00.123Z", "preread": "0001-01-01T00:00:00Z", "num_procs": 0,
			"cpu_stats": {"cpu_usage": {"total_usage": 12500000000, "usage_in_kernelmode": 4000000000, "usage_in_usermode": 8000000000},
			"system_cpu_usage": 900000000000000, "online_cpus": 2, "throttling_data": {"periods": 10, "throttled_periods": 2, "throttled_time": 30000000}},
			"precpu_stats": {"cpu_usage": {"total_usage": 0}, "throttling_data": {}}}`))
	})
	mux.HandleFunc("GET /containers/gone/stats", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"read": "0001-01-01T00:00:00Z", "cpu_stats": {"cpu_usage": {"total_usage": 0}}}`))
	})
	srv := &http.Server{Handler: mux}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })

	ctx := context.Background()
	e := docker.NewEngine(sock)
	list, err := e.ProjectContainers(ctx, "macrobench")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0] != (docker.Listed{ID: "aaa", Name: "macrobench-app-1", Service: "app"}) ||
		list[1] != (docker.Listed{ID: "bbb", Name: "macrobench-gen-7-1", Service: "loadtest", OneOff: true}) {
		t.Errorf("containers: %+v", list)
	}
	s, err := e.Inspect(ctx, "aaa", "APP_")
	if err != nil {
		t.Fatal(err)
	}
	if s.Service != "app" || s.CPUs != "0.5" || s.CPUSet != "1" || s.Env["APP_POOL_SIZE"] != "16" {
		t.Errorf("inspect: %+v", s)
	}
	if d, err := e.CPUUsage(ctx, "aaa"); err != nil || d != 12500*time.Millisecond {
		t.Errorf("CPUUsage: %v, %v; want 12.5s", d, err)
	}
	if _, err := e.CPUUsage(ctx, "gone"); !errors.Is(err, docker.ErrNoCounter) {
		t.Errorf("a stopped container's stats: %v, want ErrNoCounter", err)
	}
	if _, err := e.CPUUsage(ctx, "nosuch"); err == nil {
		t.Error("an unknown container: no error")
	}
}

func TestEngineFromEnv(t *testing.T) {
	t.Setenv("DOCKER_HOST", "tcp://10.0.0.1:2375")
	if _, err := docker.EngineFromEnv(); err == nil {
		t.Error("a TCP engine: no error")
	}
	sock := filepath.Join(t.TempDir(), "d.sock")
	if err := os.WriteFile(sock, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_HOST", "unix://"+sock)
	if e, err := docker.EngineFromEnv(); err != nil || e.Socket != sock {
		t.Errorf("got %v, %v", e, err)
	}
}
