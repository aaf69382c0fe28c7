package swarm

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/loadgen/cli"
)

func TestEnvironDotEnvUnderTheShellUnderVars(t *testing.T) {
	repo := t.TempDir()
	os.WriteFile(filepath.Join(repo, ".env"), []byte("# lab\nAPP_PORT=8000\nPOSTGRES_APP_PASSWORD=from-dotenv\nAPP_CPUS=2\n"), 0o644)
	env, err := Environ(repo, []string{"APP_PORT=18000", "PATH=/bin"}, map[string]string{"APP_CPUS": "1", "LOADTEST_REPLICAS": "2"})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"APP_PORT=18000", "PATH=/bin", "POSTGRES_APP_PASSWORD=from-dotenv", "APP_CPUS=1", "LOADTEST_REPLICAS=2"} {
		if !slices.Contains(env, want) {
			t.Errorf("environment lacks %s: %v", want, env)
		}
	}
	if _, err := Environ(t.TempDir(), nil, nil); err == nil {
		t.Error("a repository without .env gave no error")
	}
}

// The generator's real output with --json -: the text report (on stderr)
// and the JSON document (on stdout), as `docker service logs --raw` gives
// both, in either order.
func TestExtractResultFromTheGeneratorsRealOutput(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"hello":"world"}`))
	}))
	defer srv.Close()
	var stdout, stderr bytes.Buffer
	if rc := cli.Main([]string{"-t1", "-c2", "-d1s", "-R50", "--run-id", "swarm-test", "--json", "-", srv.URL + "/index"}, &stdout, &stderr); rc != 0 {
		t.Fatalf("loadtest exited %d: %s", rc, stderr.String())
	}
	for name, log := range map[string][]byte{
		"stdout then stderr": append(slices.Clone(stdout.Bytes()), stderr.Bytes()...),
		"stderr then stdout": append(slices.Clone(stderr.Bytes()), stdout.Bytes()...),
	} {
		g, raw, err := ExtractResult(log)
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, log)
		}
		if g.RunID != "swarm-test" || g.Requests < 40 || g.URL != srv.URL+"/index" {
			t.Errorf("%s: run_id %q, %d requests, url %q", name, g.RunID, g.Requests, g.URL)
		}
		if !bytes.Equal(bytes.TrimSpace(raw), bytes.TrimSpace(stdout.Bytes())) {
			t.Errorf("%s: the document is not stdout's, byte for byte", name)
		}
	}
	if _, _, err := ExtractResult(stderr.Bytes()); err == nil {
		t.Error("a log without the JSON gave a result")
	}
	if _, _, err := ExtractResult([]byte("{\"not\": \"a result\"}\n{broken\n")); err == nil {
		t.Error("JSON that is no generator result was taken for one")
	}
}

func TestNodeAddr(t *testing.T) {
	for out, want := range map[string]string{
		"10.0.0.5 10.0.0.5:2377\n": "10.0.0.5",
		"0.0.0.0 10.0.0.7:2377\n":  "10.0.0.7",
		"10.0.0.9 \n":              "10.0.0.9",
		"0.0.0.0 \n":               "127.0.0.1",
		"":                         "127.0.0.1",
	} {
		if got := nodeAddr(out); got != want {
			t.Errorf("nodeAddr(%q) = %q, want %q", out, got, want)
		}
	}
}

func TestOverlayChoice(t *testing.T) {
	for env, want := range map[string]string{"": OverlayEncrypted, "SWARM_OVERLAY=encrypted": OverlayEncrypted, "SWARM_OVERLAY=plain": OverlayPlain} {
		if got, err := Overlay([]string{env}); err != nil || got != want {
			t.Errorf("%q: %q %v, want %q", env, got, err, want)
		}
	}
	if _, err := Overlay([]string{"SWARM_OVERLAY=off"}); err == nil || !strings.Contains(err.Error(), `"off"`) {
		t.Errorf("SWARM_OVERLAY=off: %v", err)
	}
}

// A secret's name changes with its value and never shows it.
func TestSecretNamesFollowTheirValue(t *testing.T) {
	s := &Stack{Name: "mb"}
	a, b := s.secretName("app_password", "sesame"), s.secretName("app_password", "sesame2")
	if a == b || a != s.secretName("app_password", "sesame") || strings.Contains(a, "sesame") || !strings.HasPrefix(a, "mb_app_password_") {
		t.Errorf("names %q, %q", a, b)
	}
}

func TestForwardRefusesBadSpecs(t *testing.T) {
	for _, args := range [][]string{{"forward"}, {"forward", "grafana"}, {"forward", ":3000"}, {"forward", "grafana:3000=x"}, {"forward", "grafana:3000=70000"}} {
		var stdout, stderr bytes.Buffer
		code := Main(args, &stdout, &stderr)
		if code == 0 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), "bench swarm forward:") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr.String())
		}
	}
	t.Setenv("MACROBENCH_RUNNER", "container")
	var stderr bytes.Buffer
	if code := Main([]string{"forward", "grafana:3000"}, io.Discard, &stderr); code != 1 || !strings.Contains(stderr.String(), "runner container") {
		t.Errorf("in the runner: exit %d, %q", code, stderr.String())
	}
}
