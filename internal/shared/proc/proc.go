// Package proc is the lab's one process starter for long-running helpers
// (the app, the reference servers and nginx of scripts/perf.sh, gunicorn,
// Prometheus and the exporter in tests): start a command with its output in
// a log file, wait until it answers over HTTP unless it exited first, and
// stop it with SIGTERM, then SIGKILL after a grace period. Tests start
// theirs through internal/checks/testenv.StartProcess, which stops them when the
// test ends.
package proc

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Process is a started command.
type Process struct {
	Cmd     *exec.Cmd
	LogPath string
	done    chan struct{}
	err     error // cmd.Wait's, once done is closed
}

// Start starts cmd with its standard output and error in a new file at
// logPath. A cmd whose SysProcAttr asks for a process group of its own
// (Setpgid) is killed as a group by Stop: that reaches children the main
// process left behind.
func Start(cmd *exec.Cmd, logPath string) (*Process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child has its own copy
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &Process{Cmd: cmd, LogPath: logPath, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p, nil
}

// Name is the program's file name.
func (p *Process) Name() string { return filepath.Base(p.Cmd.Path) }

// Pid is the process's id.
func (p *Process) Pid() int { return p.Cmd.Process.Pid }

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.done }

// WaitHTTP waits until GET url answers 200 (WaitHTTPOK), and gives up at
// once when the process exits first.
func (p *Process) WaitHTTP(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	go func() {
		select {
		case <-p.done:
			cancel(fmt.Errorf("%s exited before answering (%v; log: %s)", p.Name(), p.err, p.LogPath))
		case <-ctx.Done():
		}
	}()
	if err := WaitHTTPOK(ctx, url, timeout); err != nil {
		return fmt.Errorf("%s: %w (log: %s)", p.Name(), err, p.LogPath)
	}
	return nil
}

// Stop sends SIGTERM and waits up to grace for the process to exit; then it
// kills it (its whole group with Setpgid) and says it had to. It returns
// the process's exit error, nil for a clean exit. Safe to call twice.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	_ = p.Cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return p.err
	case <-time.After(grace):
		if a := p.Cmd.SysProcAttr; a != nil && a.Setpgid {
			_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
		} else {
			_ = p.Cmd.Process.Kill()
		}
		<-p.done
		return fmt.Errorf("%s did not stop within %s of SIGTERM: killed", p.Name(), grace)
	}
}

// LogTail is the last n bytes of the log (all of it when shorter).
func (p *Process) LogTail(n int) string {
	b, _ := os.ReadFile(p.LogPath)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}

// FreePort asks the kernel for a free TCP port on 127.0.0.1, for a server
// about to be started there.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr is FreePort as an address, 127.0.0.1:PORT.
func FreeAddr() (string, error) {
	p, err := FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(p)), nil
}
