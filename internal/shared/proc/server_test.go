// An external test package: internal/checks/testenv, which decides whether a
// missing tool skips or fails, imports this package.
package proc_test

import (
	"context"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/proc"
)

// A server that answers ends the wait; SIGTERM stops it. Its stand-in is
// Python's http.server: without python3 the test skips, or fails where
// services are required (CI, scripts/test.sh, which installs it).
func TestWaitHTTPAndStop(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		testenv.Missing(t, "no python3 for a stand-in server")
	}
	addr := testenv.FreeAddr(t)
	_, port, _ := net.SplitHostPort(addr)
	py := "import http.server,sys; http.server.HTTPServer(('127.0.0.1', int(sys.argv[1])), http.server.SimpleHTTPRequestHandler).serve_forever()"
	cmd := exec.Command("python3", "-c", py, port)
	cmd.Dir = t.TempDir()
	p, err := proc.Start(cmd, filepath.Join(t.TempDir(), "srv.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop(time.Second)
	if err := p.WaitHTTP(context.Background(), "http://"+addr+"/", 20*time.Second); err != nil {
		t.Fatal(err)
	}
	if resp, err := http.Get("http://" + addr + "/"); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v", err)
	} else {
		resp.Body.Close()
	}
	p.Stop(5 * time.Second)
	select {
	case <-p.Exited():
	default:
		t.Error("still running after Stop")
	}
}
