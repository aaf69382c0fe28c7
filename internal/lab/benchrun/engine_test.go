package benchrun

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

func TestEngineWarning(t *testing.T) {
	for _, c := range []struct {
		version string
		want    string // a word of the warning; "" for none
	}{
		{"20.10.24+dfsg1", "older than 28.0"},
		{"26.1.5", "older than 28.0"},
		{"27.5.1", "older than 28.0"},
		{"v27.5.1", "older than 28.0"},
		{"28.0.0-rc.1", "firewalld"},
		{"28.0.0", "firewalld"},
		{"28.2.2", "firewalld"},
		{"28.3.2", "firewalld"},
		{"28.3.3", ""},
		{"28.4.0", ""},
		{"28.10.0", ""},
		{"29.0.0", ""},
		{"30", ""},
		{"", "not understood"},
		{"dev", "not understood"},
		{"28.x.1", "not understood"},
	} {
		got := EngineWarning(c.version)
		if c.want == "" && got != "" || c.want != "" && !strings.Contains(got, c.want) {
			t.Errorf("EngineWarning(%q) = %q, want %q", c.version, got, c.want)
		}
		if strings.Contains(got, "\n") {
			t.Errorf("EngineWarning(%q) is more than one line", c.version)
		}
	}
}

// bench run on compose says, in one line, that the engine lets the LAN
// reach the lab's 127.0.0.1 ports, and goes on (here to a stand-in docker
// whose compose fails: the run's own error follows the warning).
func TestBenchWarnsOfAnOldEngine(t *testing.T) {
	bin := t.TempDir()
	stub := "#!/bin/sh\nif [ \"$1\" = version ]; then echo 27.5.1; exit 0; fi\necho \"no compose here: $*\" >&2; exit 1\n"
	if err := os.WriteFile(filepath.Join(bin, "docker"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER", filepath.Join(bin, "docker"))
	var stdout, stderr testenv.SyncBuffer
	code := run(context.Background(), []string{"--out", filepath.Join(t.TempDir(), "results")}, &stdout, &stderr)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if code != 1 || len(lines) < 2 || !strings.HasPrefix(lines[0], "bench: WARNING: Docker Engine 27.5.1 is older than 28.0") ||
		!strings.Contains(lines[1], "docker compose up") {
		t.Errorf("exit %d, stderr:\n%s\nwant the warning in one line, then compose's failure (exit 1)", code, stderr.String())
	}
}
