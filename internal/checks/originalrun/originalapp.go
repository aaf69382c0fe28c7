// Package originalrun runs the original benchmark's application (original/ at
// the repository root: Flask under gunicorn) as a local process, outside
// Docker, from Debian's packages python3-flask, gunicorn and python3-psycopg2.
// Its tests check the app's behaviour against a real PostgreSQL.
package originalrun

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/macrobench/macrobench/internal/shared/proc"
)

// Packages are the Debian packages the app runs on (as in original/Dockerfile).
const Packages = "python3-flask gunicorn python3-psycopg2"

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
	proc *proc.Process
}

// Start starts gunicorn with opts and returns once it answers GET /index, or
// with an error (the process stopped) when it does not within timeout.
func Start(gunicorn string, opts Options, timeout time.Duration) (*Server, error) {
	cmd := exec.Command(gunicorn, "-c", "gunicorn.conf.py", "app:app")
	cmd.Dir = opts.Dir
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
	p, err := proc.Start(cmd, opts.Log)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + opts.Addr, proc: p}
	if err := p.WaitHTTP(context.Background(), s.URL+"/index", timeout); err != nil {
		s.Stop(5 * time.Second)
		return nil, fmt.Errorf("gunicorn did not answer GET /index: %w", err)
	}
	return s, nil
}

// Stop sends SIGTERM (gunicorn's graceful shutdown) and waits up to timeout;
// then it kills the whole process group and reports that it had to. It
// returns gunicorn's exit error, nil for a clean exit. Safe to call twice.
func (s *Server) Stop(timeout time.Duration) error { return s.proc.Stop(timeout) }

// Pid is the gunicorn master's process id, also its process group's.
func (s *Server) Pid() int { return s.proc.Pid() }

// Exited is closed when the gunicorn master has exited.
func (s *Server) Exited() <-chan struct{} { return s.proc.Exited() }
