package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// buildApp builds the real binary once per test.
func buildApp(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "app")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestBadConfigExitsNamingTheVariable(t *testing.T) {
	bin := buildApp(t)
	for name, v := range map[string]string{"APP_POOL_SIZE": "zero", "APP_REQUEST_TIMEOUT": "2", "APP_LISTEN_ADDR": "nope"} {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), name+"="+v)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		if exitCode(err) == 0 || !strings.Contains(stderr.String(), name) || strings.Count(strings.TrimSpace(stderr.String()), "\n") != 0 {
			t.Errorf("%s=%s: exit %d, stderr %q", name, v, exitCode(err), stderr.String())
		}
	}
	out, err := exec.Command(bin, "frobnicate").CombinedOutput()
	if exitCode(err) == 0 || !strings.Contains(string(out), "frobnicate") {
		t.Errorf("unknown command: exit %d, %q", exitCode(err), out)
	}
}

// SIGTERM with a request in flight: the listener closes, the request still
// gets its answer, the process exits 0. The request is held in flight by a
// stopped postmaster (connect waits) that resumes after the signal.
func TestSIGTERMFinishesInFlightRequestsAndExitsZero(t *testing.T) {
	bin := buildApp(t)
	pg := testenv.StartPostgres(t)
	addr := testenv.FreeAddr(t)
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "APP_LISTEN_ADDR="+addr, "APP_DATABASE_URL="+pg.URL(),
		"APP_REQUEST_TIMEOUT=10s", "APP_DB_TIMEOUT=10s", "APP_SHUTDOWN_TIMEOUT=20s")
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { cmd.Process.Kill() })
	testenv.WaitHTTP(t, "http://"+addr+"/readyz", 20*time.Second)

	// `app healthcheck` sees it up.
	hc := exec.Command(bin, "healthcheck")
	hc.Env = append(os.Environ(), "APP_LISTEN_ADDR="+addr)
	if out, err := hc.CombinedOutput(); err != nil {
		t.Errorf("healthcheck: %v %s", err, out)
	}

	pm := testenv.PostmasterPID(t, pg)
	if err := syscall.Kill(pm, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Kill(pm, syscall.SIGCONT) })
	type result struct {
		code int
		body string
		err  error
	}
	inflight := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/agents")
		if err != nil {
			inflight <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		inflight <- result{code: resp.StatusCode, body: string(b)}
	}()
	time.Sleep(500 * time.Millisecond) // the request is now waiting on the database
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			break // no longer accepting
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("still accepting connections 5s after SIGTERM")
		}
		time.Sleep(50 * time.Millisecond)
	}
	select {
	case err := <-exited:
		t.Fatalf("exited (%v) before the in-flight request finished\n%s", err, logs.String())
	default:
	}
	syscall.Kill(pm, syscall.SIGCONT)
	r := <-inflight
	if r.err != nil || r.code != 200 || !strings.HasPrefix(r.body, `[{"number":"300"`) {
		t.Errorf("in-flight request: %v %d %.80q", r.err, r.code, r.body)
	}
	select {
	case err := <-exited:
		if exitCode(err) != 0 {
			t.Errorf("exit %d after SIGTERM\n%s", exitCode(err), logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit 15s after SIGTERM\n%s", logs.String())
	}

	// With nothing listening, healthcheck fails.
	hc = exec.Command(bin, "healthcheck")
	hc.Env = append(os.Environ(), "APP_LISTEN_ADDR="+addr)
	if err := hc.Run(); exitCode(err) != 1 {
		t.Errorf("healthcheck with no server: exit %d, want 1", exitCode(err))
	}
}

// The Dockerfile's dependency layer downloads exactly the app's modules.
func TestDockerfileDownloadsTheAppsModules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}{{end}}{{end}}", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, m := range strings.Fields(string(out)) {
		want[m] = true
	}
	df, err := os.ReadFile("Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	text := strings.ReplaceAll(string(df), "\\\n", " ")
	var got map[string]bool
	for _, line := range strings.Split(text, "\n") {
		if f := strings.Fields(line); len(f) > 3 && f[0] == "RUN" && f[1] == "go" && f[2] == "mod" && f[3] == "download" {
			got = map[string]bool{}
			for _, m := range f[4:] {
				got[m] = true
			}
		}
	}
	for m := range want {
		if !got[m] {
			t.Errorf("app/Dockerfile: `go mod download` lacks %s", m)
		}
	}
	for m := range got {
		if !want[m] {
			t.Errorf("app/Dockerfile: `go mod download` has %s, which the app does not use", m)
		}
	}
	for _, s := range []string{"ARG GO_IMAGE=golang:1.26.8-bookworm", "FROM ${GO_IMAGE}", "CGO_ENABLED=0",
		"ARG RUNTIME_IMAGE=gcr.io/distroless/static-debian12:nonroot", "FROM ${RUNTIME_IMAGE}",
		"USER nonroot", "EXPOSE 8000", `ENTRYPOINT ["/app"]`} {
		if !strings.Contains(string(df), s) {
			t.Errorf("app/Dockerfile lacks %q", s)
		}
	}
}
