// Package originalapp runs the original benchmark's application (original/ at
// the repository root: Flask under gunicorn) as a local process, outside
// Docker, from Debian's packages python3-flask, gunicorn and python3-psycopg2.
// Its tests check the app's behaviour against a real PostgreSQL.
package originalapp

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Packages are the Debian packages the app runs on (as in original/Dockerfile).
const Packages = "python3-flask gunicorn python3-psycopg2"

// Required reports whether a missing gunicorn, Flask or psycopg2 must fail
// the tests rather than skip them: under CI (CI=true) or with
// MACROBENCH_REQUIRE_SERVICES=1, so CI never passes by skipping.
func Required() bool {
	return os.Getenv("CI") == "true" || os.Getenv("MACROBENCH_REQUIRE_SERVICES") == "1"
}

// FindGunicorn returns the gunicorn executable on PATH once the Python it
// runs on (its #! line) imports Flask and psycopg2; the error names the
// packages to install.
func FindGunicorn() (string, error) {
	missing := func(format string, args ...any) error {
		return fmt.Errorf("%s (apt-get install %s)", fmt.Sprintf(format, args...), Packages)
	}
	gunicorn, err := exec.LookPath("gunicorn")
	if err != nil {
		return "", missing("no gunicorn on PATH")
	}
	python, err := interpreter(gunicorn)
	if err != nil {
		return "", missing("%s: %v", gunicorn, err)
	}
	out, err := exec.Command(python, "-c", "import flask, gunicorn, psycopg2.extras, psycopg2.pool").CombinedOutput()
	if err != nil {
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		return "", missing("%s (gunicorn's Python) cannot import Flask and psycopg2: %s", python, lines[len(lines)-1])
	}
	return gunicorn, nil
}

// interpreter is the program of script's #! line ("/usr/bin/env python3"
// resolved on PATH).
func interpreter(script string) (string, error) {
	b := make([]byte, 256)
	f, err := os.Open(script)
	if err != nil {
		return "", err
	}
	n, _ := f.Read(b)
	f.Close()
	first, _, _ := strings.Cut(string(b[:n]), "\n")
	rest, ok := strings.CutPrefix(first, "#!")
	fields := strings.Fields(rest)
	if !ok || len(fields) == 0 {
		return "", errors.New("not a script with a #! line")
	}
	if filepath.Base(fields[0]) == "env" && len(fields) > 1 {
		return exec.LookPath(fields[1])
	}
	return fields[0], nil
}

// Options configure one run of the app (its .env settings).
type Options struct {
	Dir         string // the app's folder (original/)
	DatabaseURL string // ORIGINAL_DATABASE_URL
	Addr        string // ORIGINAL_LISTEN_ADDR, host:port
	Workers     int    // ORIGINAL_WORKERS
	PoolSize    int    // ORIGINAL_POOL_SIZE
	Log         string // file for gunicorn's output
}

// Server is a running gunicorn master and its workers.
type Server struct {
	URL  string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // cmd.Wait's, once done is closed
}

// Start starts gunicorn with opts and returns once it answers GET /index, or
// with an error (the process stopped) when it does not within timeout.
func Start(gunicorn string, opts Options, timeout time.Duration) (*Server, error) {
	logFile, err := os.Create(opts.Log)
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child has its own copy
	cmd := exec.Command(gunicorn, "-c", "gunicorn.conf.py", "app:app")
	cmd.Dir = opts.Dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A process group of its own: Stop can reach workers the master left.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORIGINAL_") && !strings.HasPrefix(kv, "GUNICORN_CMD_ARGS=") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env,
		"ORIGINAL_DATABASE_URL="+opts.DatabaseURL,
		"ORIGINAL_LISTEN_ADDR="+opts.Addr,
		fmt.Sprintf("ORIGINAL_WORKERS=%d", opts.Workers),
		fmt.Sprintf("ORIGINAL_POOL_SIZE=%d", opts.PoolSize),
		"PYTHONDONTWRITEBYTECODE=1", // no __pycache__ in the checkout
	)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", gunicorn, err)
	}
	s := &Server{URL: "http://" + opts.Addr, cmd: cmd, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()

	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if err := s.ready(ctx); err == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("gunicorn exited before answering: %v (log: %s)", s.err, opts.Log)
		case <-ctx.Done():
			s.Stop(5 * time.Second)
			return nil, fmt.Errorf("gunicorn did not answer GET /index within %s (log: %s)", timeout, opts.Log)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/index", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /index: %s", resp.Status)
	}
	return nil
}

// Stop sends SIGTERM (gunicorn's graceful shutdown) and waits up to timeout;
// then it kills the whole process group and reports that it had to. It
// returns gunicorn's exit error, nil for a clean exit. Safe to call twice.
func (s *Server) Stop(timeout time.Duration) error {
	select {
	case <-s.done:
		return s.err
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return s.err
	case <-time.After(timeout):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		return fmt.Errorf("gunicorn did not stop within %s of SIGTERM: killed", timeout)
	}
}

// Exited is closed when the gunicorn master has exited.
func (s *Server) Exited() <-chan struct{} { return s.done }
