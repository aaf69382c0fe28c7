package agents

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Pool runs agentscontract.Query through a long-lived database/sql pool, as a statement
// prepared once per connection. Every call reaches PostgreSQL: nothing is
// cached but the plan.
type Pool struct {
	db *sql.DB
	// slots admits at most pool-size callers, first come first served and
	// bounded by the caller's context; database/sql then always has a
	// connection at hand and never queues (its queue is unordered).
	slots  chan struct{}
	opened *atomic.Int64 // connections the pool opened, ever
}

// OpenPool opens (lazily: the database may be down at start) a pool of size
// connections that stay open while idle.
func OpenPool(c *Connector, size int) *Pool {
	oc := &openCounter{Connector: c, opened: new(atomic.Int64)}
	db := sql.OpenDB(oc)
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	return &Pool{db: db, slots: make(chan struct{}, size), opened: oc.opened}
}

// Opened is how many connections the pool has opened since it was created:
// its size once warm, plus one for every connection it had to replace.
func (p *Pool) Opened() int64 { return p.opened.Load() }

// openCounter counts the connections its Connector opened successfully.
type openCounter struct {
	*Connector
	opened *atomic.Int64
}

func (o *openCounter) Connect(ctx context.Context) (driver.Conn, error) {
	c, err := o.Connector.Connect(ctx)
	if err == nil {
		o.opened.Add(1)
	}
	return c, err
}

func (p *Pool) acquire(ctx context.Context) error {
	select {
	case p.slots <- struct{}{}:
		return nil
	default:
	}
	select {
	case p.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for a pooled connection: %w", ctx.Err())
	}
}

func (p *Pool) release() { <-p.slots }

// deadlineOnly passes a context's deadline (which the connection applies to
// its socket) but not its Done channel: database/sql starts a goroutine per
// query to watch a cancellable context, which the socket deadline makes
// unnecessary.
type deadlineOnly struct{ context.Context }

func (deadlineOnly) Done() <-chan struct{} { return nil }
func (deadlineOnly) Err() error            { return nil }

// DB is the pool, for its statistics collector.
func (p *Pool) DB() *sql.DB { return p.db }

// Close closes the pool.
func (p *Pool) Close() error { return p.db.Close() }

// Agents runs the prepared query on a pooled connection.
//
// A pooled connection may have died while idle: the server closed it (a
// restart, pg_terminate_backend), reset it, or the kernel found the peer
// gone. Before reusing one, the connection checks its socket (ResetSession)
// and database/sql replaces a dead one, nothing having been sent. A call
// that still fails before any of it reached the server (the write failed)
// is retried on another connection, within ctx's deadline. A failure after
// the query was sent (reading the answer) is not retried: the query may have
// run. Either way the failed connection leaves the pool.
func (p *Pool) Agents(ctx context.Context, buf []byte) ([]byte, error) {
	if err := p.acquire(ctx); err != nil {
		return buf, err
	}
	defer p.release()
	dl, hasDeadline := ctx.Deadline()
	ctx = deadlineOnly{ctx}
	for attempt := 0; ; attempt++ {
		out, err := p.agents(ctx, buf)
		var ns *notSentError
		if errors.As(err, &ns) && attempt < cap(p.slots) && (!hasDeadline || time.Now().Before(dl)) {
			continue
		}
		return out, err
	}
}

// agents queries through the driver's connection itself: database/sql's
// statements and rows (locks, a statement per connection looked up under a
// mutex, value conversion on every Scan) cost a few per cent of this
// endpoint's CPU and add nothing here. The pool still manages connections.
func (p *Pool) agents(ctx context.Context, buf []byte) ([]byte, error) {
	c, err := p.db.Conn(ctx)
	if err != nil {
		return buf, err
	}
	defer c.Close()
	err = c.Raw(func(dc any) error {
		cn := dc.(*conn)
		sent := cn.sent()
		rows, err := cn.queryAgents(ctx)
		if err == nil {
			buf, err = appendRows(buf, rows)
		}
		if err != nil {
			return cn.failed(err, sent)
		}
		return nil
	})
	return buf, err
}
