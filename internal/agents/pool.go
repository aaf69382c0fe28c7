package agents

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// Pool runs Query through a long-lived database/sql pool with a prepared
// statement. Every call reaches PostgreSQL: nothing is cached but the plan.
type Pool struct {
	db   *sql.DB
	stmt atomic.Pointer[sql.Stmt]
	mu   sync.Mutex // serializes the first Prepare
	// slots admits at most pool-size callers, first come first served and
	// bounded by the caller's context; database/sql then always has a
	// connection at hand and never queues (its queue is unordered).
	slots chan struct{}
}

// OpenPool opens (lazily: the database may be down at start) a pool of size
// connections that stay open while idle.
func OpenPool(c *Connector, size int) *Pool {
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(size)
	db.SetMaxIdleConns(size)
	return &Pool{db: db, slots: make(chan struct{}, size)}
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

// Close closes the statement and the pool.
func (p *Pool) Close() error {
	if s := p.stmt.Load(); s != nil {
		_ = s.Close()
	}
	return p.db.Close()
}

// prepared prepares Query once, on the first call that reaches the database;
// database/sql re-prepares it on each new pool connection by itself.
func (p *Pool) prepared(ctx context.Context) (*sql.Stmt, error) {
	if s := p.stmt.Load(); s != nil {
		return s, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s := p.stmt.Load(); s != nil {
		return s, nil
	}
	s, err := p.db.PrepareContext(ctx, Query)
	if err != nil {
		return nil, err
	}
	p.stmt.Store(s)
	return s, nil
}

// Agents runs the prepared query on a pooled connection.
func (p *Pool) Agents(ctx context.Context, buf []byte) ([]byte, error) {
	if err := p.acquire(ctx); err != nil {
		return buf, err
	}
	defer p.release()
	ctx = deadlineOnly{ctx}
	s, err := p.prepared(ctx)
	if err != nil {
		return buf, err
	}
	rows, err := s.QueryContext(ctx)
	if err != nil {
		return buf, err
	}
	defer rows.Close()
	var vals [len(Columns)]any
	var ptrs [len(Columns)]any
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	buf = append(buf, '[')
	for n := 0; rows.Next(); n++ {
		if err := rows.Scan(ptrs[:]...); err != nil {
			return buf, err
		}
		if n > 0 {
			buf = append(buf, ',')
		}
		if buf, err = appendRow(buf, vals[:]); err != nil {
			return buf, err
		}
	}
	if err := rows.Err(); err != nil {
		return buf, err
	}
	return append(buf, ']'), nil
}
