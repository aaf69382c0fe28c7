// Package onewrite lets a handler send its whole response in one write
// system call. net/http writes through a 4 KB buffer, so a larger response
// (the 6.4 KB agents list) leaves in two writes. On loopback each write
// delivers at once and wakes the client, which finds half a response, reads
// it and sleeps again: two wake-ups and two context switches per request
// where one would do. A handler holds the connection's writes while it
// writes and flushes; Release then sends them as one.
//
// The same connection carries the server's write deadline (Listener's
// WriteTimeout), at a fraction of net/http's cost: see Conn.
package onewrite

import (
	"context"
	"io"
	"net"
	"sync"
	"time"
)

// Conn is a TCP connection whose writes can be held. net/http writes to it
// only from the goroutine that serves the request, so Hold, Write, Release
// and SetWriteDeadline need no lock. Embedding *net.TCPConn keeps its
// CloseWrite, which net/http looks for.
//
// With a write timeout, no response takes longer than that to write: a
// client that stops reading is cut off. net/http's own WriteTimeout arms the
// socket's deadline before every response and clears it after (two updates
// of a runtime timer per request, a measurable share of /index). Conn keeps
// one rolling deadline instead: the first write of a response re-arms it to
// now + timeout only when less than 7/8 of the timeout is left, so a busy
// connection touches its timer at most every timeout/8, and each response
// gets between 7/8 of the timeout and all of it. net/http clears the write
// deadline after each response; Conn takes that as the end of a response
// and keeps its deadline.
type Conn struct {
	*net.TCPConn
	held *[]byte // non-nil between Hold and Release

	writeTimeout time.Duration // 0: no deadline of Conn's own
	armed        time.Time     // the deadline on the socket (zero: none)
	newResponse  bool          // no write since the last response ended
	custom       bool          // a caller's deadline is on the socket until it clears it
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
		return c.write(p)
	}
	*c.held = append(*c.held, p...)
	return len(p), nil
}

// write writes p to the socket, after arming the deadline if due.
func (c *Conn) write(p []byte) (int, error) {
	if c.newResponse {
		if err := c.arm(); err != nil {
			return 0, err
		}
	}
	return c.TCPConn.Write(p)
}

// arm is the first write of a response: it re-arms the rolling deadline when
// less than 7/8 of the timeout is left.
func (c *Conn) arm() error {
	c.newResponse = false
	if c.writeTimeout <= 0 || c.custom {
		return nil
	}
	now := time.Now()
	if c.armed.Sub(now) >= c.writeTimeout-c.writeTimeout/8 {
		return nil
	}
	c.armed = now.Add(c.writeTimeout)
	return c.TCPConn.SetWriteDeadline(c.armed)
}

// ReadFrom keeps net/http's sendfile path under the hold and the deadline.
func (c *Conn) ReadFrom(r io.Reader) (int64, error) {
	if c.held != nil {
		return io.Copy(writerOnly{c}, r)
	}
	if c.newResponse {
		if err := c.arm(); err != nil {
			return 0, err
		}
	}
	return c.TCPConn.ReadFrom(r)
}

type writerOnly struct{ io.Writer }

// SetWriteDeadline sets a caller's deadline (http.ResponseController); a
// zero time, which net/http sets after every response, ends the response
// and returns to the rolling deadline instead of clearing it.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.writeTimeout <= 0 {
		return c.TCPConn.SetWriteDeadline(t)
	}
	if t.IsZero() {
		c.newResponse = true
		if c.custom {
			c.custom = false
			c.armed = time.Time{} // re-armed at the next write
		}
		return nil
	}
	c.custom = true
	return c.TCPConn.SetWriteDeadline(t)
}

// SetDeadline (net/http calls it when a handler hijacks the connection)
// hands the deadlines to the caller for good.
func (c *Conn) SetDeadline(t time.Time) error {
	c.writeTimeout = 0
	return c.TCPConn.SetDeadline(t)
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
	_, err := c.write(*b)
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
type Listener struct {
	net.Listener
	// WriteTimeout bounds writing each response (0: no bound), see Conn.
	WriteTimeout time.Duration
}

func (l Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		return &Conn{TCPConn: tc, writeTimeout: l.WriteTimeout, newResponse: true}, nil
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
