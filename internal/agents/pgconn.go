package agents

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"time"

	"github.com/lib/pq"

	"github.com/macrobench/macrobench/internal/agentscontract"
)

// Connector opens lib/pq connections whose socket carries a deadline for
// every call (connect, query, ping): the caller's context deadline, capped by
// the database timeout. A deadline on the socket bounds a call even when the
// server accepts TCP but never answers (paused, overloaded), which lib/pq's
// own context handling does not: it only sends a cancel request. It also
// spares lib/pq's per-query cancel-watching goroutine.
type Connector struct {
	pq      *pq.Connector
	timeout time.Duration
}

// NewConnector parses dsn once; each Connect then only dials.
func NewConnector(dsn string, timeout time.Duration) (*Connector, error) {
	c, err := pq.NewConnector(dsn)
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
	var nc net.Conn
	pc, err := c.pq.Connect(context.WithValue(ctx, netConnKey{}, &nc))
	if err != nil {
		return nil, err
	}
	return &conn{pc: pc, nc: nc, timeout: c.timeout}, nil
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

func (d dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	dl := deadline(ctx, d.timeout)
	ctx, cancel := context.WithDeadline(ctx, dl)
	defer cancel()
	nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := nc.SetDeadline(dl); err != nil {
		nc.Close()
		return nil, err
	}
	if p, ok := ctx.Value(netConnKey{}).(*net.Conn); ok {
		*p = nc
	}
	return nc, nil
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
	nc      net.Conn
	timeout time.Duration
	agents  *stmt // agentscontract.Query, prepared on first use (Pool)
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
	if c.nc != nil {
		_ = c.nc.SetDeadline(deadline(ctx, c.timeout))
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

func (c *conn) ResetSession(ctx context.Context) error {
	if r, ok := c.pc.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *conn) IsValid() bool {
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
