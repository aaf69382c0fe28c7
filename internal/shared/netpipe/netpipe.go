// Package netpipe joins a byte stream to a TCP connection: the far end of
// the bench's tunnel into a Swarm stack's network (`docker exec -i GATEWAY
// /loadtest pipe HOST:PORT`, internal/lab/swarm's Tunnel), so the stack's
// services are reached through the Docker API and publish no port.
package netpipe

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// DialTimeout bounds Pipe's connection attempt.
const DialTimeout = 10 * time.Second

// Pipe connects to addr (host:port) and copies in to the connection and the
// connection to out. The end of in half-closes the connection (the far end
// sees EOF and may still answer); Pipe returns when the far end closes.
func Pipe(addr string, in io.Reader, out io.Writer) error {
	conn, err := net.DialTimeout("tcp", addr, DialTimeout)
	if err != nil {
		return err
	}
	defer conn.Close()
	go func() {
		io.Copy(conn, in)
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
	}()
	_, err = io.Copy(out, conn)
	return err
}

// Main is the two commands the load generator's image carries for the
// tunnel: `pipe HOST:PORT` (Pipe on stdin and stdout) and `gateway` (waits
// for SIGTERM or SIGINT: the container the tunnel's pipes run in). ok is
// false when args name neither.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case "pipe":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "pipe: usage: pipe HOST:PORT")
			return 2, true
		}
		if _, _, err := net.SplitHostPort(args[1]); err != nil {
			fmt.Fprintf(stderr, "pipe: %q is not HOST:PORT: %v\n", args[1], err)
			return 2, true
		}
		if err := Pipe(args[1], stdin, stdout); err != nil {
			fmt.Fprintf(stderr, "pipe %s: %v\n", args[1], err)
			return 1, true
		}
		return 0, true
	case "gateway":
		if len(args) != 1 {
			fmt.Fprintln(stderr, "gateway: takes no arguments")
			return 2, true
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		<-ctx.Done()
		return 0, true
	}
	return 0, false
}
