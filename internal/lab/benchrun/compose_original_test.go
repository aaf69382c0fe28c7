package benchrun

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeCompose is a stand-in docker CLI for the compose calls around the
// original: `compose port SERVICE 8000` answers with addr[SERVICE] (the
// original's only while its container "exists", a state file that `up`
// makes and `rm` removes; with upFails, `up` makes it and then fails, as a
// health wait that times out does), and every call is logged. Anything else
// fails, as a missing engine would.
type fakeCompose struct {
	bin, log, state string
}

func newFakeCompose(t *testing.T, appAddr, originalAddr string, running, upFails bool) *fakeCompose {
	t.Helper()
	dir := t.TempDir()
	f := &fakeCompose{bin: filepath.Join(dir, "docker"), log: filepath.Join(dir, "calls.log"), state: filepath.Join(dir, "original.up")}
	upExit := "0"
	if upFails {
		upExit = "1"
	}
	script := `#!/bin/sh
echo "$*" >> ` + f.log + `
case "$*" in
  "compose port app 8000") echo ` + appAddr + ` ;;
  "compose port original 8000") if [ -f ` + f.state + ` ]; then echo ` + originalAddr + `; else echo "no container for service original" >&2; exit 1; fi ;;
  "compose --profile original up -d --wait original") touch ` + f.state + `; exit ` + upExit + ` ;;
  "compose --profile original rm --stop --force original") rm -f ` + f.state + ` ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
`
	if err := os.WriteFile(f.bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if running {
		if err := os.WriteFile(f.state, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *fakeCompose) calls(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(f.log)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}

func (f *fakeCompose) originalExists() bool {
	_, err := os.Stat(f.state)
	return err == nil
}

const (
	upOriginalCall = "compose --profile original up -d --wait original"
	rmOriginalCall = "compose --profile original rm --stop --force original"
)

// A server answering /healthz and /index with 200, and a body no
// verification accepts.
func wrongBodyServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"not":"the body"}`))
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

func quietLog(string, ...any) {}

// The original the bench started goes when the bench ends, so that a plain
// `docker compose down` afterwards stops the whole lab; one it found
// running stays.
func TestStopOriginalRemovesOnlyWhatUpOriginalStarted(t *testing.T) {
	addr := wrongBodyServer(t)
	ctx := context.Background()

	t.Run("started", func(t *testing.T) {
		f := newFakeCompose(t, addr, addr, false, false)
		e := &ComposeExecutor{Docker: f.bin}
		if err := e.UpOriginal(ctx, quietLog); err != nil {
			t.Fatal(err)
		}
		if e.HostURL("original") != "http://"+addr {
			t.Errorf("original at %q, want http://%s", e.HostURL("original"), addr)
		}
		if err := e.StopOriginal(quietLog); err != nil {
			t.Fatal(err)
		}
		if f.originalExists() {
			t.Error("the original the bench started is still there")
		}
		calls := f.calls(t)
		if up, rm := slices.Index(calls, upOriginalCall), slices.Index(calls, rmOriginalCall); up < 0 || rm < up {
			t.Errorf("calls %q: want %q, then %q", calls, upOriginalCall, rmOriginalCall)
		}
		// Once: a second call has nothing left to remove.
		n := len(calls)
		if err := e.StopOriginal(quietLog); err != nil || len(f.calls(t)) != n {
			t.Errorf("a second StopOriginal: %v, calls %q", err, f.calls(t)[n:])
		}
	})

	t.Run("already running", func(t *testing.T) {
		f := newFakeCompose(t, addr, addr, true, false)
		e := &ComposeExecutor{Docker: f.bin}
		if err := e.UpOriginal(ctx, quietLog); err != nil {
			t.Fatal(err)
		}
		if err := e.StopOriginal(quietLog); err != nil {
			t.Fatal(err)
		}
		if !f.originalExists() {
			t.Error("the bench removed an original it did not start")
		}
		if calls := f.calls(t); slices.Contains(calls, upOriginalCall) || slices.Contains(calls, rmOriginalCall) {
			t.Errorf("calls %q: want neither up nor rm for a running original", calls)
		}
	})

	t.Run("start failed", func(t *testing.T) {
		// `up --wait` failed after creating the container (unhealthy): the
		// container is there all the same, and goes.
		f := newFakeCompose(t, addr, addr, false, true)
		e := &ComposeExecutor{Docker: f.bin}
		if err := e.UpOriginal(ctx, quietLog); err == nil {
			t.Fatal("UpOriginal succeeded with a failing up")
		}
		if err := e.StopOriginal(quietLog); err != nil {
			t.Fatal(err)
		}
		if f.originalExists() {
			t.Error("the original a failed start left is still there")
		}
	})
}

// The bench itself (run): started against app and original with neither
// answering as it should, it fails verification, exits 1, and has removed
// the original it started by then; the same with the original already
// running leaves it running.
func TestBenchRunStopsTheOriginalItStarted(t *testing.T) {
	addr := wrongBodyServer(t)
	for _, running := range []bool{false, true} {
		f := newFakeCompose(t, addr, addr, running, false)
		t.Setenv("DOCKER", f.bin)
		out := filepath.Join(t.TempDir(), "results")
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"--targets", "app,original", "--quick", "--endpoints", "/index",
			"--scenarios", "rate10", "--warmup", "0s", "--ceiling-duration", "0s",
			"--database-url", "off", "--prometheus", "off", "--grafana", "off", "--out", out}, &stdout, &stderr)
		if code != 1 {
			t.Fatalf("running=%v: bench exited %d, want 1 (verification fails)\nstdout:\n%s\nstderr:\n%s", running, code, stdout.String(), stderr.String())
		}
		calls := f.calls(t)
		if running {
			if !f.originalExists() || slices.Contains(calls, rmOriginalCall) {
				t.Errorf("an original that was running before the bench: exists %v after it, calls %q", f.originalExists(), calls)
			}
			continue
		}
		if f.originalExists() {
			t.Errorf("the original the bench started is still there; calls %q\nstdout:\n%s\nstderr:\n%s", calls, stdout.String(), stderr.String())
		}
		if up, rm := slices.Index(calls, upOriginalCall), slices.Index(calls, rmOriginalCall); up < 0 || rm < up {
			t.Errorf("calls %q: want %q, then %q", calls, upOriginalCall, rmOriginalCall)
		}
	}
}
