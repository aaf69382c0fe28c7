package agents

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Probe answers readiness from one check at a time: however many probes
// arrive together, one connection at most is open for them, and a result is
// reused for a while (OKFor after a success, FailFor after a failure). A
// probe that finds a check running waits for it, within its own context.
type Probe struct {
	check   func(context.Context) error // Connector.Ping: connect, ping, close
	timeout time.Duration               // bound on one check
	okFor   time.Duration
	failFor time.Duration

	mu  sync.Mutex
	cur *probeCheck
}

type probeCheck struct {
	done chan struct{} // closed when err and at are set
	err  error
	at   time.Time
}

// Default reuse of a probe's result.
const (
	ProbeOKFor   = time.Second
	ProbeFailFor = 250 * time.Millisecond
)

// NewProbe checks with check, each check bounded by timeout.
func NewProbe(check func(context.Context) error, timeout time.Duration) *Probe {
	return &Probe{check: check, timeout: timeout, okFor: ProbeOKFor, failFor: ProbeFailFor}
}

// Ready returns the latest check's result if still fresh, else that of the
// check running or started now.
func (p *Probe) Ready(ctx context.Context) error {
	p.mu.Lock()
	c := p.cur
	if c == nil || c.stale(p.okFor, p.failFor) {
		c = &probeCheck{done: make(chan struct{})}
		p.cur = c
		go p.run(c)
	}
	p.mu.Unlock()
	select {
	case <-c.done:
		return c.err
	case <-ctx.Done():
		return fmt.Errorf("waiting for the readiness check: %w", ctx.Err())
	}
}

// stale: finished, and older than its result may be reused.
func (c *probeCheck) stale(okFor, failFor time.Duration) bool {
	select {
	case <-c.done:
	default:
		return false // running
	}
	keep := okFor
	if c.err != nil {
		keep = failFor
	}
	return time.Since(c.at) >= keep
}

// run checks on its own context: a probe that gives up does not cancel the
// check the others wait for.
func (p *Probe) run(c *probeCheck) {
	ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
	defer cancel()
	c.err = p.check(ctx)
	c.at = time.Now()
	close(c.done)
}

// IsTimeout reports whether err is a call running out of time: the caller's
// deadline, a socket deadline, or PostgreSQL's statement_timeout.
func IsTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	var pe *pq.Error
	return errors.As(err, &pe) && pe.Code == "57014" // query_canceled, as statement_timeout reports it
}
