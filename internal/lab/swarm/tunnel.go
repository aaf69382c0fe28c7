package swarm

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

// GatewayService is swarm.yaml's gateway: a container on the stack's
// network, on the node the docker CLI talks to (SWARM_GATEWAY_NODE), in
// which the tunnel's pipes run.
const GatewayService = "gateway"

// Tunnel forwards ports of this machine's loopback to services on the
// stack's network through the Docker API, as `ssh -L` would: every
// connection accepted runs `docker exec -i CONTAINER /loadtest pipe
// HOST:PORT` in the gateway, so the stack publishes no port and the Docker
// API (already authenticated) is the only way in. It stops with its
// context or Close.
type Tunnel struct {
	Docker    docker.CLI
	Container string // the gateway's container, on the engine Docker talks to
	Log       io.Writer

	ctx    context.Context
	cancel context.CancelFunc
	mu     sync.Mutex
	lns    []net.Listener
}

// NewTunnel makes a tunnel into container that lives as long as ctx.
func NewTunnel(ctx context.Context, d docker.CLI, container string, log io.Writer) *Tunnel {
	ctx, cancel := context.WithCancel(ctx)
	t := &Tunnel{Docker: d, Container: container, Log: log, ctx: ctx, cancel: cancel}
	go func() { <-ctx.Done(); t.Close() }()
	return t
}

// Forward listens on local (host:port; "127.0.0.1:0" picks a port) and
// forwards each connection to target (host:port on the stack's network).
// It returns the address it listens on.
func (t *Tunnel) Forward(local, target string) (string, error) {
	if _, _, err := net.SplitHostPort(target); err != nil {
		return "", fmt.Errorf("tunnel target %q: %v", target, err)
	}
	ln, err := net.Listen("tcp", local)
	if err != nil {
		return "", fmt.Errorf("tunnel to %s: %v", target, err)
	}
	t.mu.Lock()
	if t.ctx.Err() != nil {
		t.mu.Unlock()
		ln.Close()
		return "", fmt.Errorf("tunnel to %s: closed", target)
	}
	t.lns = append(t.lns, ln)
	t.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go t.pipe(c, target)
		}
	}()
	return ln.Addr().String(), nil
}

// pipe carries one connection: the client's bytes to the exec's stdin (its
// end is the pipe's half-close), the exec's stdout back; over when the far
// end closes or the tunnel stops.
func (t *Tunnel) pipe(c net.Conn, target string) {
	defer c.Close()
	cmd := t.Docker.Command(t.ctx, "exec", "-i", t.Container, "/loadtest", "pipe", target)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return
	}
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = c, &stderr
	if err := cmd.Start(); err != nil {
		t.logf("tunnel to %s: %v", target, err)
		return
	}
	go func() {
		io.Copy(stdin, c)
		stdin.Close()
	}()
	if err := cmd.Wait(); err != nil && t.ctx.Err() == nil {
		t.logf("tunnel to %s: %v: %s", target, err, docker.Clip(strings.TrimSpace(stderr.String()), 300))
	}
}

func (t *Tunnel) logf(format string, a ...any) {
	if t.Log != nil {
		fmt.Fprintf(t.Log, "swarm: "+format+"\n", a...)
	}
}

// Close stops listening and ends the connections in flight.
func (t *Tunnel) Close() error {
	t.cancel()
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ln := range t.lns {
		ln.Close()
	}
	t.lns = nil
	return nil
}
