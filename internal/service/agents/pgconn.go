package agents

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"strconv"
	"syscall"
	"time"

	"github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// Connector opens lib/pq connections whose socket carries a deadline for
// every call (connect, query, ping): the caller's context deadline, capped by
// the database timeout. A deadline on the socket bounds a call even when the
// server accepts TCP but never answers (paused, overloaded), which lib/pq's
// own context handling does not: it only sends a cancel request. It also
// spares lib/pq's per-query cancel-watching goroutine.
//
// The socket deadline frees the app, not the server: a query blocked in
// PostgreSQL (on a lock, say) would run on after the app gave up on it. So
// every session also gets the database timeout as its statement_timeout
// (unless the URL sets one), and PostgreSQL ends such a query itself.
type Connector struct {
	pq      *pq.Connector
	timeout time.Duration
}

// NewConnector parses dsn once; each Connect then only dials.
func NewConnector(dsn string, timeout time.Duration) (*Connector, error) {
	return NewConnectorWithPassword(dsn, "", timeout)
}

// NewConnectorWithPassword is NewConnector with password, when not "", as
// the connections' password in place of any dsn gives
// (APP_DATABASE_PASSWORD_FILE's, kept out of the URL).
func NewConnectorWithPassword(dsn, password string, timeout time.Duration) (*Connector, error) {
	cfg, err := pq.NewConfig(dsn)
	if err != nil {
		return nil, err
	}
	if password != "" {
		cfg.Password = password
	}
	if cfg.Runtime == nil {
		cfg.Runtime = map[string]string{}
	}
	if _, set := cfg.Runtime["statement_timeout"]; !set {
		ms := timeout.Milliseconds()
		if ms < 1 {
			ms = 1
		}
		cfg.Runtime["statement_timeout"] = strconv.FormatInt(ms, 10)
	}
	c, err := pq.NewConnectorConfig(cfg)
	if err != nil {
		return nil, err
	}
	c.Dialer(dialer{timeout: timeout})
	return &Connector{pq: c, timeout: timeout}, nil
}

// Driver implements driver.Connector.
func (c *Connector) Driver() driver.Driver { return c.pq.Driver() }

type netConnKey struct{}

// Ping opens a connection of its own, pings and closes it: a readiness probe
// that neither waits behind a busy pool nor takes a /agents slot.
func (c *Connector) Ping(ctx context.Context) error {
	dc, err := c.Connect(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	return dc.(driver.Pinger).Ping(ctx)
}

// Connect implements driver.Connector.
func (c *Connector) Connect(ctx context.Context) (driver.Conn, error) {
	var s *sock
	pc, err := c.pq.Connect(context.WithValue(ctx, netConnKey{}, &s))
	if err != nil {
		return nil, err
	}
	return &conn{pc: pc, s: s, timeout: c.timeout}, nil
}

func deadline(ctx context.Context, timeout time.Duration) time.Time {
	d := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(d) {
		return dl
	}
	return d
}

// dialer hands the socket it dials to Connect (through the context) and
// bounds the startup handshake with a deadline.
type dialer struct{ timeout time.Duration }

// keepAlive makes the kernel notice a peer that vanished without a word
// (host gone, network cut) on an idle pooled connection within about 11 s;
// the liveness check then discards it before it is used.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 5 * time.Second, Interval: 2 * time.Second, Count: 3}

func (d dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	dl := deadline(ctx, d.timeout)
	ctx, cancel := context.WithDeadline(ctx, dl)
	defer cancel()
	nc, err := (&net.Dialer{KeepAliveConfig: keepAlive}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := nc.SetDeadline(dl); err != nil {
		nc.Close()
		return nil, err
	}
	s := &sock{Conn: nc}
	if sc, ok := nc.(syscall.Conn); ok {
		s.raw, _ = sc.SyscallConn()
	}
	if p, ok := ctx.Value(netConnKey{}).(**sock); ok {
		*p = s
	}
	return s, nil
}

// sock is a connection's socket, counting the bytes the kernel accepted for
// sending: a call that failed with the count unchanged never reached the
// server, and is safe to retry.
type sock struct {
	net.Conn
	raw  syscall.RawConn // nil: no liveness check
	sent int64
}

func (s *sock) Write(p []byte) (int, error) {
	n, err := s.Conn.Write(p)
	s.sent += int64(n)
	return n, err
}

// idleAndOpen reports whether an idle connection has nothing to read. The
// server sends nothing on an idle connection unless it is ending it (a FATAL
// error message, the end of the stream), and the kernel reports a reset or a
// peer found dead the same way: such a connection is known bad before
// anything is sent on it. One non-blocking peek, a system call.
func (s *sock) idleAndOpen() bool {
	if s.raw == nil {
		return true
	}
	return peekIdle(s.raw)
}

func (d dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func (d dialer) DialTimeout(network, addr string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return d.DialContext(ctx, network, addr)
}

var errNoSupport = errors.New("agents: lib/pq connection lacks a context method")

// conn wraps a lib/pq connection: each call first arms the socket deadline,
// then runs without a context (the deadline is the bound).
type conn struct {
	pc      driver.Conn
	s       *sock // nil only if lib/pq dialed without our dialer
	timeout time.Duration
	agents  *stmt // agentscontract.Query, prepared on first use (Pool)
	bad     bool  // lost or out of step: the pool must not reuse it
}

// sent is the byte count the socket has sent so far.
func (c *conn) sent() int64 {
	if c.s == nil {
		return 0
	}
	return c.s.sent
}

// notSentError is a call that failed before any byte of it reached the
// server: retrying it on another connection cannot run anything twice.
type notSentError struct{ err error }

func (e *notSentError) Error() string {
	return "connection failed before the query was sent: " + e.err.Error()
}
func (e *notSentError) Unwrap() error { return e.err }

// failed sorts the error of a call that began when the socket had sent
// sentBefore bytes. An ordinary PostgreSQL error (a statement timeout, say)
// leaves the connection usable. Anything else marks it bad; if nothing of the
// call was sent it is a notSentError, else it stands (the query may have
// reached the server: not retried).
func (c *conn) failed(err error, sentBefore int64) error {
	var pe *pq.Error
	if errors.As(err, &pe) && !pe.Fatal() {
		return err
	}
	c.bad = true
	if c.sent() == sentBefore {
		return &notSentError{err}
	}
	if errors.Is(err, driver.ErrBadConn) { // lib/pq's word for a connection lost while reading
		return fmt.Errorf("connection lost after the query was sent: %w", err)
	}
	return err
}

// queryAgents runs agentscontract.Query as a statement prepared once per connection; the
// server frees it when the connection closes.
func (c *conn) queryAgents(ctx context.Context) (driver.Rows, error) {
	if c.agents == nil {
		s, err := c.PrepareContext(ctx, agentscontract.Query)
		if err != nil {
			return nil, err
		}
		c.agents = s.(*stmt)
	}
	return c.agents.QueryContext(ctx, nil)
}

func (c *conn) arm(ctx context.Context) {
	if c.s != nil {
		_ = c.s.SetDeadline(deadline(ctx, c.timeout))
	}
}

func (c *conn) Prepare(q string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), q)
}

func (c *conn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	p, ok := c.pc.(driver.ConnPrepareContext)
	if !ok {
		return nil, errNoSupport
	}
	c.arm(ctx)
	s, err := p.PrepareContext(context.Background(), q)
	if err != nil {
		return nil, err
	}
	return &stmt{ps: s, c: c}, nil
}

func (c *conn) Close() error {
	c.arm(context.Background()) // Terminate must not block on a hung server
	return c.pc.Close()
}

func (c *conn) Begin() (driver.Tx, error) { //nolint:staticcheck // required by driver.Conn
	c.arm(context.Background())
	return c.pc.Begin() //nolint:staticcheck
}

func (c *conn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	qc, ok := c.pc.(driver.QueryerContext)
	if !ok {
		return nil, errNoSupport
	}
	c.arm(ctx)
	return qc.QueryContext(context.Background(), q, args)
}

func (c *conn) Ping(ctx context.Context) error {
	p, ok := c.pc.(driver.Pinger)
	if !ok {
		return errNoSupport
	}
	c.arm(ctx)
	return p.Ping(context.Background())
}

// ResetSession runs before database/sql hands out a pooled connection again.
// A connection known bad (see sock.idleAndOpen) is refused with
// driver.ErrBadConn, before anything is sent on it; database/sql then
// discards it and takes or opens another.
func (c *conn) ResetSession(ctx context.Context) error {
	if c.bad {
		return driver.ErrBadConn
	}
	if r, ok := c.pc.(driver.SessionResetter); ok {
		if err := r.ResetSession(ctx); err != nil {
			return err
		}
	}
	if c.s != nil && !c.s.idleAndOpen() {
		c.bad = true
		return driver.ErrBadConn
	}
	return nil
}

func (c *conn) IsValid() bool {
	if c.bad {
		return false
	}
	if v, ok := c.pc.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// stmt arms its connection's deadline before each query.
type stmt struct {
	ps driver.Stmt
	c  *conn
}

func (s *stmt) Close() error {
	s.c.arm(context.Background())
	return s.ps.Close()
}

func (s *stmt) NumInput() int { return s.ps.NumInput() }

func (s *stmt) Exec(args []driver.Value) (driver.Result, error) { //nolint:staticcheck
	s.c.arm(context.Background())
	return s.ps.Exec(args) //nolint:staticcheck
}

func (s *stmt) Query(args []driver.Value) (driver.Rows, error) { //nolint:staticcheck
	s.c.arm(context.Background())
	return s.ps.Query(args) //nolint:staticcheck
}

func (s *stmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.ps.(driver.StmtQueryContext)
	if !ok {
		return nil, errNoSupport
	}
	s.c.arm(ctx)
	return q.QueryContext(context.Background(), args)
}
