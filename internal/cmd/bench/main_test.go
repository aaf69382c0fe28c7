package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

func TestHelpListsEverySubcommand(t *testing.T) {
	for _, args := range [][]string{{"help"}, {"-h"}, {"--help"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Errorf("bench %s: exit %d", args[0], code)
		}
		for _, c := range subcommands {
			if !strings.Contains(stdout.String(), "\n  "+c.name) {
				t.Errorf("bench %s does not list %q:\n%s", args[0], c.name, stdout.String())
			}
		}
	}
	for _, want := range []string{"run", "compare", "help"} {
		found := false
		for _, c := range subcommands {
			found = found || c.name == want
		}
		if !found {
			t.Errorf("no subcommand %s", want)
		}
	}
}

func TestUnknownSubcommandIsAUsageError(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"bnech"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), `unknown subcommand "bnech"`) ||
		!strings.Contains(stderr.String(), "compare") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestSubcommandsGetTheirArguments(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"compare", "only-one"}, &stdout, &stderr); code != 2 || !strings.Contains(stderr.String(), "want two results folders, got 1") {
		t.Errorf("compare with one folder: exit %d, stderr %q", code, stderr.String())
	}
	stderr.Reset()
	// Flags first: the default subcommand, run.
	if code := run([]string{"--duration", "1ms"}, &stdout, &stderr); code != 2 {
		t.Errorf("bench --duration 1ms: exit %d, want run's usage error 2", code)
	}
}

// scripts/bench.sh's layout: bin/bench and bin/loadtest side by side. A
// --target run without --loadtest-bin drives the loadtest beside bench; with
// none there, it says how to build one.
func TestRunUsesTheGeneratorBesideIt(t *testing.T) {
	root := testenv.RepoRoot(t)
	dir := t.TempDir()
	build := exec.Command("go", "build", "-o", dir+string(filepath.Separator), "./internal/cmd/bench", "./loadtest")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	body := []byte(`{"hello":"world"}`)
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.Write(body)
	}))
	defer app.Close()
	args := func(out string) []string {
		return []string{"run", "--target", app.URL, "--endpoints", "/index", "--scenarios", "rate10", "--duration", "1s",
			"--warmup", "0s", "--ceiling-duration", "0s", "--database-url", "off", "--prometheus", "off", "--grafana", "off", "--out", out}
	}

	out := filepath.Join(dir, "results")
	cmd := exec.Command(filepath.Join(dir, "bench"), args(out)...)
	cmd.Env = append(os.Environ(), "MACROBENCH_DATABASE_URL=", "MACROBENCH_PROMETHEUS_URL=", "MACROBENCH_GRAFANA_URL=")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("bench run: %v\n%s", err, b)
	}
	raw, err := os.ReadFile(filepath.Join(out, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	var md map[string]any
	if err := json.Unmarshal(raw, &md); err != nil {
		t.Fatal(err)
	}
	if got, want := md["generator_binary"], filepath.Join(dir, "loadtest"); got != want {
		t.Errorf("metadata generator_binary %v, want %s", got, want)
	}

	alone := t.TempDir()
	if err := os.Link(filepath.Join(dir, "bench"), filepath.Join(alone, "bench")); err != nil {
		b, _ := os.ReadFile(filepath.Join(dir, "bench"))
		if err := os.WriteFile(filepath.Join(alone, "bench"), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd = exec.Command(filepath.Join(alone, "bench"), args(filepath.Join(alone, "results"))...)
	b, err := cmd.CombinedOutput()
	if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(string(b), "no load generator at "+filepath.Join(alone, "loadtest")) ||
		!strings.Contains(string(b), "--loadtest-bin") {
		t.Errorf("bench alone: exit %d (%v), output:\n%s", code, err, b)
	}
}
