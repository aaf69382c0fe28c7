//go:build enginecluster

package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/enginecluster"
	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/docker"
)

// loadtestImage carries `/loadtest pipe` and `gateway`; scripts/e2e.sh
// builds it before this step.
const loadtestImage = "macrobench/loadtest:dev"

// Through a real gateway container (the generator's image running
// `gateway`, on the host's network here so that it reaches this test's
// server) the tunnel carries concurrent HTTP exchanges whole, the server
// sees every request, and Close ends a connection in flight.
func TestTunnelThroughARealGateway(t *testing.T) {
	if err := enginecluster.NeedEngine(context.Background(), testenv.RepoRoot(t)); err != nil {
		if errors.Is(err, enginecluster.ErrNoEngine) {
			testenv.Missing(t, "%v", err)
		}
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d := docker.CLI{Bin: "docker"}
	if _, err := d.Run(ctx, "image", "inspect", loadtestImage); err != nil {
		testenv.Missing(t, "%s not built: %v", loadtestImage, err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	hang := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hang" {
			<-hang
			return
		}
		mu.Lock()
		seen[r.URL.Path] = true
		mu.Unlock()
		fmt.Fprintf(w, "%s %s", r.URL.Path, strings.Repeat("x", 100000))
	}))
	defer srv.Close()
	defer close(hang)

	name := fmt.Sprintf("mb-tunnel-test-%d", os.Getpid())
	if _, err := d.Run(ctx, "run", "-d", "--rm", "--name", name, "--network", "host", "--read-only", "--cap-drop", "ALL", loadtestImage, "gateway"); err != nil {
		t.Fatal(err)
	}
	defer d.Run(context.Background(), "rm", "-f", name)

	tctx, tcancel := context.WithCancel(ctx)
	defer tcancel()
	tun := NewTunnel(tctx, d, name, nil)
	addr, err := tun.Forward("127.0.0.1:0", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: time.Minute}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			path := fmt.Sprintf("/r%d", i)
			resp, err := client.Get("http://" + addr + path)
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || string(b) != path+" "+strings.Repeat("x", 100000) {
				errs <- fmt.Errorf("%s: %d bytes, %v", path, len(b), err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	if len(seen) != 8 {
		t.Errorf("the server saw %d distinct requests, want 8: %v", len(seen), seen)
	}
	mu.Unlock()

	// A request in flight when the tunnel closes fails instead of hanging.
	done := make(chan error, 1)
	go func() {
		resp, err := client.Get("http://" + addr + "/hang")
		if err == nil {
			resp.Body.Close()
			err = errors.New("an answer")
		}
		done <- err
	}()
	time.Sleep(2 * time.Second) // the request reaches the server (not a timing assertion: either way it must end)
	tun.Close()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Error("a request in flight did not end within 30 s of Close")
	}
	if _, err := client.Get("http://" + addr + "/r0"); err == nil {
		t.Error("the tunnel still listens after Close")
	}
}
