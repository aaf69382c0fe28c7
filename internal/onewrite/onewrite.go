// Package onewrite lets a handler send its whole response in one write
// system call. net/http writes through a 4 KB buffer, so a larger response
// (the 6.4 KB agents list) leaves in two writes. On loopback each write
// delivers at once and wakes the client, which finds half a response, reads
// it and sleeps again: two wake-ups and two context switches per request
// where one would do. A handler holds the connection's writes while it
// writes and flushes; Release then sends them as one.
package onewrite

import (
	"context"
	"net"
	"sync"
)

// Conn is a TCP connection whose writes can be held. net/http writes to it
// only from the goroutine that serves the request, so Hold, Write and
// Release need no lock. Embedding *net.TCPConn keeps its ReadFrom and
// CloseWrite, which net/http looks for.
type Conn struct {
	*net.TCPConn
	held *[]byte // non-nil between Hold and Release
}

// Hold starts holding writes. A nil Conn (a connection that Listener did
// not wrap) ignores it.
func (c *Conn) Hold() {
	if c == nil || c.held != nil {
		return
	}
	c.held = heldBufs.Get().(*[]byte)
}

// Write holds p while holding (copied: net/http reuses its buffer), else
// writes it.
func (c *Conn) Write(p []byte) (int, error) {
	if c.held == nil {
		return c.TCPConn.Write(p)
	}
	*c.held = append(*c.held, p...)
	return len(p), nil
}

// Release writes what was held, in one write (net.TCPConn.Write loops
// until all is written), and stops holding. On a failed write it closes
// the connection: net/http believes those bytes written, so the only
// correct end is the connection's.
func (c *Conn) Release() error {
	if c == nil || c.held == nil {
		return nil
	}
	b := c.held
	c.held = nil
	_, err := c.TCPConn.Write(*b)
	if cap(*b) <= maxKeptBuf {
		*b = (*b)[:0]
		heldBufs.Put(b)
	}
	if err != nil {
		c.TCPConn.Close()
	}
	return err
}

// maxKeptBuf: a buffer that grew past this (an unusually large response)
// goes to the garbage collector rather than back to the pool.
const maxKeptBuf = 64 << 10

var heldBufs = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// Listener wraps the TCP connections it accepts in Conn.
type Listener struct{ net.Listener }

func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		return &Conn{TCPConn: tc}, nil
	}
	return c, err
}

type connKey struct{}

// ConnContext is an http.Server.ConnContext that makes the connection
// available to handlers through From.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if oc, ok := c.(*Conn); ok {
		return context.WithValue(ctx, connKey{}, oc)
	}
	return ctx
}

// From returns the request's Conn, or nil when its server does not use
// Listener and ConnContext (Hold and Release then do nothing).
func From(ctx context.Context) *Conn {
	c, _ := ctx.Value(connKey{}).(*Conn)
	return c
}
