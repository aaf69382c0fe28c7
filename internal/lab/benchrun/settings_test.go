package benchrun

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

func TestParseFlagsDefaultsAndQuick(t *testing.T) {
	c, err := ParseFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Endpoints, ",") != "/index,/agents,/agents_with_pool" || strings.Join(c.Scenarios, ",") != "saturation,rate4000,rate10" ||
		c.ErrorThreshold != 0.01 || c.Repeat != 1 || c.Warmup != 5*time.Second || c.Duration != 0 {
		t.Errorf("defaults: %+v", c)
	}
	// The original's matrix: durations, connections and rates per scenario,
	// threads = the generator's CPUs (capped by connections, as wrk requires).
	cells := Matrix(c, 12)
	if len(cells) != 9 {
		t.Fatalf("%d cells", len(cells))
	}
	want := map[string]string{
		"saturation": "-t12 -c400 -d30s --latency --run-id x",
		"rate4000":   "-t12 -c400 -d300s -R 4000 --latency --run-id x",
		"rate10":     "-t10 -c10 -d30s -R 10 --latency --run-id x",
	}
	for _, cell := range cells {
		if got := strings.Join(cell.GeneratorArgs(cell.Duration, "x", 0, false), " "); got != want[cell.Scenario] {
			t.Errorf("%s: args %q, want %q", cell.Name(), got, want[cell.Scenario])
		}
		if wantVia := map[string]string{"saturation": "localhost", "rate4000": "network", "rate10": "network"}[cell.Scenario]; cell.Via != wantVia {
			t.Errorf("%s: via %s", cell.Name(), cell.Via)
		}
	}

	q, err := ParseFlags([]string{"--quick", "--endpoints", "agents,/index", "--scenarios", "rate10", "--error-threshold", "0.05"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if q.Duration != 3*time.Second || q.Warmup != time.Second || q.CeilingDuration != 2*time.Second ||
		strings.Join(q.Endpoints, ",") != "/agents,/index" || q.ErrorThreshold != 0.05 {
		t.Errorf("quick: %+v", q)
	}
	if got := strings.Join(Matrix(q, 2)[0].GeneratorArgs(q.Duration, "x", 0, q.Quick), " "); got != "-t2 -c10 -d3s -R 10 --latency --run-id x --metrics-linger 0s" {
		t.Errorf("quick args: %q", got)
	}
	// Explicit flags win over --quick's.
	q, _ = ParseFlags([]string{"--quick", "--duration", "5s", "--rate", "500", "--connections", "50"}, io.Discard)
	cells = Matrix(q, 2)
	for _, cell := range cells {
		if cell.Duration != 5*time.Second || cell.Connections != 50 {
			t.Errorf("%s: %s c%d", cell.Name(), cell.Duration, cell.Connections)
		}
		if cell.Scenario == "rate4000" && cell.Rate != 500 || cell.Scenario == "rate10" && cell.Rate != 10 {
			t.Errorf("%s: rate %g", cell.Name(), cell.Rate)
		}
	}
}

// Bad input: a one-line error naming the problem, exit 2, nothing run.
func TestBadFlags(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--endpoints", "/nope"}, `--endpoints: unknown endpoint "/nope"`},
		{[]string{"--scenarios", "rate5"}, `--scenarios: unknown scenario "rate5"`},
		{[]string{"--error-threshold", "lots"}, `--error-threshold: not a number or percentage: "lots"`},
		{[]string{"--error-threshold", "150%"}, `outside 0..100%`},
		{[]string{"--duration", "1500ms"}, "--duration must be whole seconds"},
		{[]string{"--repeat", "0"}, "--repeat must be at least 1"},
		{[]string{"--target", "192.168.2.100:8000"}, `--target "192.168.2.100:8000": want a base URL`},
		{[]string{"--targets", "app,flask"}, `--targets: unknown target "flask" (known: app, original)`},
		{[]string{"--targets", ","}, "--targets: none given"},
		{[]string{"--target-original", "http://h:8001"}, "--target-original needs --target"},
		{[]string{"--target", "http://h:8000", "--targets", "app,original"}, "give the original's base URL with --target-original"},
		{[]string{"--target", "http://h:8000", "--target-original", "http://h:8001", "--targets", "app"}, "--targets does not name original"},
		{[]string{"--target", "http://h:8000", "--target-original", "h:8001"}, `--target-original "h:8001": want a base URL`},
		{[]string{"--bogus"}, "flag provided but not defined: -bogus"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), c.args, &stdout, &stderr)
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// --targets: the app by default; each cell against every target named, the
// app first, back to back, with the same generator settings; the
// original's files named apart.
func TestTargetsFlagAndMatrix(t *testing.T) {
	c, err := ParseFlags(nil, io.Discard)
	if err != nil || strings.Join(c.Targets, ",") != "app" {
		t.Fatalf("default targets %v (%v)", c.Targets, err)
	}
	c, err = ParseFlags([]string{"--targets", "original,app", "--scenarios", "saturation,rate10", "--endpoints", "/index,/agents"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Targets, ",") != "app,original" || !c.Measures("original") || c.TargetOriginal != "" {
		t.Errorf("targets %v", c.Targets)
	}
	var got []string
	for _, cell := range Matrix(c, 2) {
		got = append(got, cell.Name())
	}
	want := "index-saturation index-saturation-original index-rate10 index-rate10-original " +
		"agents-saturation agents-saturation-original agents-rate10 agents-rate10-original"
	if strings.Join(got, " ") != want {
		t.Errorf("matrix %s\nwant   %s", strings.Join(got, " "), want)
	}
	cells := Matrix(c, 2)
	for i := 0; i < len(cells); i += 2 {
		a, o := cells[i], cells[i+1]
		if a.Target != "app" || o.Target != "original" || a.Endpoint != o.Endpoint || a.Scenario != o.Scenario ||
			strings.Join(a.GeneratorArgs(a.Duration, "x", 0, false), " ") != strings.Join(o.GeneratorArgs(o.Duration, "x", 0, false), " ") ||
			a.Via != o.Via {
			t.Errorf("cells %d and %d are not the same cell against both targets: %+v %+v", i, i+1, a, o)
		}
	}
	// Remote: --target-original alone names both.
	c, err = ParseFlags([]string{"--target", "http://h:8000/", "--target-original", "http://h:8001/"}, io.Discard)
	if err != nil || strings.Join(c.Targets, ",") != "app,original" || c.TargetOriginal != "http://h:8001" {
		t.Errorf("remote: %v %q (%v)", c.Targets, c.TargetOriginal, err)
	}
}

// -h and --help print the usage on stdout and exit 0 (scripts/bench.sh
// execs the binary, so this is the script's exit status too).
func TestHelpExitsZero(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{arg}, &stdout, &stderr)
		if code != 0 || !strings.Contains(stdout.String(), "usage: scripts/bench.sh") ||
			!strings.Contains(stdout.String(), "-isolation-wait") || stderr.Len() != 0 {
			t.Errorf("%s: exit %d, stdout %.200q, stderr %q", arg, code, stdout.String(), stderr.String())
		}
	}
}

// Results are data: an --out folder with anything in it is refused before
// any load (one line, exit 2) and left as it was; an empty one is used.
func TestOutFolderIsNeverWrittenOver(t *testing.T) {
	out := t.TempDir()
	if err := os.WriteFile(filepath.Join(out, "summary.json"), []byte("precious"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	// The target does not exist: had the run started, it would have failed
	// otherwise, and later.
	code := run(context.Background(), []string{"--target", "http://127.0.0.1:1", "--out", out}, &stdout, &stderr)
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if code != 2 || len(lines) != 1 || !strings.Contains(lines[0], "exists and is not empty") || stdout.Len() != 0 {
		t.Errorf("exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
	entries, _ := os.ReadDir(out)
	if b, _ := os.ReadFile(filepath.Join(out, "summary.json")); string(b) != "precious" || len(entries) != 1 {
		t.Errorf("the folder was touched: %v, summary.json %q", entries, b)
	}
	// Runner.Run refuses it too.
	r := &Runner{Cfg: Settings{OutDir: out}}
	if _, err := r.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("Runner.Run on a non-empty folder: %v", err)
	}
}

// Two runs in the same second get two folders.
func TestDefaultOutFoldersAreUnique(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	now := time.Date(2026, 11, 27, 4, 18, 0, 0, time.UTC)
	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		d, err := claimOutDir("", now)
		if err != nil {
			t.Fatal(err)
		}
		seen[d] = true
	}
	for _, want := range []string{"results/2026-11-27T041800Z", "results/2026-11-27T041800Z-2", "results/2026-11-27T041800Z-3"} {
		if !seen[want] {
			t.Errorf("folders %v lack %s", seen, want)
		}
	}
	// An explicit --out that does not exist yet is created; one that is
	// empty is taken as it is.
	for _, out := range []string{filepath.Join(dir, "a", "b"), t.TempDir()} {
		if d, err := claimOutDir(out, now); err != nil || d != out {
			t.Errorf("--out %s: %q, %v", out, d, err)
		}
	}
}

// The shell wrapper passes -h's exit status through (it execs the binary).
func TestBenchShHelpExitsZero(t *testing.T) {
	root := testenv.RepoRoot(t)
	for _, arg := range []string{"-h", "--help"} {
		cmd := exec.Command("bash", "scripts/bench.sh", arg)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil || !bytes.Contains(out, []byte("usage: scripts/bench.sh")) {
			t.Errorf("scripts/bench.sh %s: %v\n%s", arg, err, out)
		}
	}
}
