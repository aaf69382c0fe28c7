package benchrun

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// GenSpec is one load-generator run.
type GenSpec struct {
	Target string   // report.TargetApp | TargetOriginal
	Via    string   // localhost | network
	Path   string   // endpoint path, e.g. /agents
	Dir    string   // host folder the JSON lands in
	Stem   string   // file-name stem: Dir/Stem.json
	Args   []string // wrk2 flags, without --json and the URL
	Part   int      // with --generators: this run is part Part (1..) of several (generators.go); 0 otherwise
}

// Executor runs the load generator and pgbench somewhere: as local processes,
// or in the compose stack's containers.
type Executor interface {
	Name() string
	// HostURL is a target's base URL as seen from this machine
	// (verification, the app's /metrics); "" for a target it cannot reach.
	HostURL(target string) string
	// GeneratorCPUs is the CPUs available to the generator.
	GeneratorCPUs(ctx context.Context) int
	// Generate runs the generator and returns its text output and the host
	// path of its JSON (its .hgrm lands beside it, same stem).
	Generate(ctx context.Context, s GenSpec) (text, jsonPath string, err error)
	// Pgbench runs pgbench with the script file's contents against the
	// benchmark database; args exclude -f and the database.
	Pgbench(ctx context.Context, script string, args []string) (output string, command string, err error)
	// Describe adds executor facts to the run's metadata (images, limits).
	Describe(ctx context.Context, md map[string]any)
}

// LocalExecutor runs the generator binary and pgbench as processes of this
// machine: in tests, and for --target (the app, and with --target-original
// the original, on another host).
type LocalExecutor struct {
	Bin         string // generator binary
	BaseURL     string // app base URL, for every placement
	OriginalURL string // the original's base URL ("": not measured)
	// OriginalPool is the most connections the original's
	// /agents_with_pool holds (its workers × its pool size), when known: 0
	// leaves that check out.
	OriginalPool int64
	DatabaseURL  string // for pgbench; "" = no ceilings
	CPUs         int    // 0 = this machine's
}

// OriginalPoolSize is OriginalPool.
func (e *LocalExecutor) OriginalPoolSize(context.Context) int64 { return e.OriginalPool }

func (e *LocalExecutor) Name() string { return "local" }

func (e *LocalExecutor) HostURL(target string) string {
	if target == report.TargetOriginal {
		return e.OriginalURL
	}
	return e.BaseURL
}

func (e *LocalExecutor) GeneratorCPUs(context.Context) int {
	if e.CPUs > 0 {
		return e.CPUs
	}
	return localCPUs()
}

func (e *LocalExecutor) Generate(ctx context.Context, s GenSpec) (string, string, error) {
	jsonPath := filepath.Join(s.Dir, s.Stem+".json")
	args := append(append([]string(nil), s.Args...), "--json", jsonPath,
		"--hgrm", filepath.Join(s.Dir, s.Stem+".hgrm"), e.HostURL(s.Target)+s.Path)
	cmd := exec.CommandContext(ctx, e.Bin, args...)
	// Interrupted, the generator gets SIGINT, as from a terminal, and stops.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), jsonPath, fmt.Errorf("%s %s: %v: %s", filepath.Base(e.Bin), strings.Join(args, " "), err, clip(stderr.String(), 500))
	}
	return stdout.String(), jsonPath, nil
}

// Pgbench runs pgbench with the script through stdin (-f -) and the
// connection string on its command line without its password, which it
// gets through PGPASSWORD: no process list shows it.
func (e *LocalExecutor) Pgbench(ctx context.Context, script string, args []string) (string, string, error) {
	if e.DatabaseURL == "" {
		return "", "", fmt.Errorf("no database URL (--database-url)")
	}
	conn, password, err := runresult.SplitPassword(e.DatabaseURL)
	if err != nil {
		return "", "", err
	}
	full := append(append([]string(nil), args...), "-f", "-", conn) // the script through stdin
	command := "pgbench " + strings.Join(append(append([]string(nil), args...), "-f", "agents.sql"), " ")
	cmd := exec.CommandContext(ctx, "pgbench", full...)
	cmd.Stdin = strings.NewReader(script)
	if password != "" {
		cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), command, fmt.Errorf("pgbench: %v: %s", err, runresult.Redact(clip(string(out), 500)))
	}
	return string(out), command, nil
}

func (e *LocalExecutor) Describe(_ context.Context, md map[string]any) {
	md["generator_binary"] = e.Bin
	if e.OriginalURL != "" {
		md["original_url"] = e.OriginalURL
	}
}
