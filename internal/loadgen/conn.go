package loadgen

import (
	"bufio"
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/macrobench/macrobench/internal/loadgen/wire"
)

// conn is one keep-alive connection and its request loop. The loop owns nc
// and br; mu only guards swapping nc against the interrupt that ends the run.
// A connection carries one request at a time, so at most -c requests are ever
// in flight; it is replaced only once the server closed it or an error
// (connect, read, write) ended it, never because a response is late.
type conn struct {
	r     *runner
	w     *worker
	index int // position in the schedule

	mu  sync.Mutex
	nc  net.Conn
	rw  io.ReadWriter // nc, or raw system calls on its socket (rawio_linux.go)
	raw *rawIO        // rw when raw, else nil
	br  *bufio.Reader

	// state is 1+the send time (ns since the start) of the request in
	// flight, negated once the monitor has counted it late (live, once);
	// 0 when idle.
	state atomic.Int64

	resp wire.Response
}

const connectBackoff = 10 * time.Millisecond

// connectBackoff is the wait before trying to connect again: 10 ms, or in
// an open loop the connection's own interval between requests (at most 1 s),
// so a server that is down sees about the rate's attempts per second, not
// one per connection every 10 ms.
func (c *conn) connectBackoff() time.Duration {
	if c.r.sched == nil {
		return connectBackoff
	}
	interval := time.Duration(c.r.sched.nsPerR * float64(c.r.sched.conns))
	return min(max(interval, connectBackoff), time.Second)
}

// wakeGrid: open-loop connections wake on a 1 ms grid, at least 1 ms before
// their due time. Go's timers sleep in epoll_wait, whose timeout is in whole
// milliseconds, so on a mostly idle process they fire up to ~1 ms late; that
// lateness would land in every corrected latency. Waking early keeps it out
// (a request that goes out early is timed from its actual send), and sharing
// wake-up times makes one wake-up of the process (and of the runtime's
// sysmon thread, which wakes for every distinct timer) serve every request
// due in that millisecond: at 4000 req/s that halves the CPU. The schedule,
// and so the rate, stays exact; a request leaves at most 2 ms early. (A
// precise per-request wake-up, a timerfd each, measured twice the CPU.)
const wakeGrid = int64(time.Millisecond)

func wakeAt(intended int64) int64 {
	return (intended/wakeGrid - 1) * wakeGrid
}

// dial opens the connection; the error is the dial's.
func (c *conn) dial() error {
	r := c.r
	d := net.Dialer{Timeout: r.cfg.Timeout}
	ctx, cancel := context.WithTimeout(r.ctx, r.cfg.Timeout)
	defer cancel()
	nc, err := d.DialContext(ctx, "tcp", r.addr)
	if err != nil {
		return err
	}
	if r.target.TLS {
		// Like wrk, certificates are not verified: this measures, it does not trust.
		tc := tls.Client(nc, &tls.Config{ServerName: r.target.Host, InsecureSkipVerify: true}) //nolint:gosec
		if err := tc.HandshakeContext(ctx); err != nil {
			nc.Close()
			return err
		}
		nc = tc
	}
	c.mu.Lock()
	c.nc = nc
	c.rw, c.raw = nc, newRawIO(nc)
	if c.raw != nil {
		c.rw = c.raw
	}
	if c.br == nil {
		c.br = bufio.NewReaderSize(c.rw, 16<<10)
	} else {
		c.br.Reset(c.rw)
	}
	c.mu.Unlock()
	return nil
}

func (c *conn) drop() {
	c.mu.Lock()
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
	c.mu.Unlock()
}

// flagIfLate is the monitor's side of timeouts: it reports, once per
// request, that the request in flight has been outstanding for the timeout or
// longer. The request is still awaited; its response is recorded when it
// comes.
func (c *conn) flagIfLate(now, timeout int64) bool {
	s := c.state.Load()
	return s > 0 && now-(s-1) >= timeout && c.state.CompareAndSwap(s, -s)
}

// lateNow counts a late request in the live figures (progress, metrics).
// The result's count is decided when the request ends (see loop).
func (c *conn) lateNow() {
	c.w.fail(ErrTimeout, false)
	if m := c.r.cfg.Metrics; m != nil {
		m.fail(ErrTimeout)
	}
}

func (c *conn) interrupt() {
	c.mu.Lock()
	if c.nc != nil {
		c.nc.SetDeadline(aLongTimeAgo)
	}
	c.mu.Unlock()
}

var aLongTimeAgo = time.Unix(1, 0)

// sleep waits d, or a little more (at most maxNap) when the run is stopped
// early; it reports whether to go on. time.Sleep costs less than a timer and
// a select on the run's done channel.
func (c *conn) sleep(d time.Duration) bool {
	until := c.r.now() + int64(d)
	for {
		rest := until - c.r.now()
		if rest <= 0 {
			return !c.r.stopped.Load()
		}
		time.Sleep(time.Duration(min(rest, maxNap)))
		if c.r.stopped.Load() {
			return false
		}
	}
}

const maxNap = int64(250 * time.Millisecond)

// fail counts a failed attempt, in the window if it was made (sent, for a
// read or write error) at or after the window's start.
func (c *conn) fail(class ErrorClass, at int64) {
	c.w.fail(class, c.r.inWindow(at))
	if m := c.r.cfg.Metrics; m != nil {
		m.fail(class)
	}
}

// loop sends requests until the window closes. Closed loop: the next
// request goes out when the previous response is in. Open loop: the k-th
// request goes out at its scheduled time (up to 2 ms before it, see
// wakeGrid), or at once if that time has passed: the delay then shows in the
// corrected latency, as it would for a real client. As in wrk2, k counts
// responses: a failed request is retried with the same due time, so the
// delay the failure caused is in the corrected latency of its retry.
//
// Each request sent in the window ends as exactly one of: a response
// before the window closed (recorded; a timeout too if it took --timeout or
// longer), a connect, read or write error, or in flight when it closed
// (a timeout too if it was outstanding that long by then). Requests sent
// during the warm-up count nowhere.
func (c *conn) loop() {
	r := c.r
	open := r.sched != nil
	req := r.target.Request
	timeout := int64(r.cfg.Timeout)
	var k int64           // responses so far: the schedule's index
	intended := int64(-1) // due time of the request being tried, kept across its retries
	free := int64(0)      // when the connection became free (see sendLag); dialed before the start
	for {
		if open {
			intended = r.sched.at(c.index, k)
			if intended >= r.end {
				return
			}
			if d := wakeAt(intended) - r.now(); d > 0 && !c.sleep(time.Duration(d)) {
				return
			}
		}
		if r.stopped.Load() {
			return
		}
		if c.nc == nil {
			if err := c.dial(); err != nil {
				now := r.now()
				if r.stopped.Load() || now >= r.closeAt.Load() {
					return
				}
				if intended < 0 {
					intended = now
				}
				c.fail(ErrConnect, now)
				if !c.sleep(c.connectBackoff()) {
					return
				}
				continue
			}
			if r.stopped.Load() {
				c.drop()
				return
			}
			free = r.now()
		}
		sent := r.now()
		if sent >= r.closeAt.Load() {
			return // the window is over: nothing more is sent
		}
		due := int64(-1) // a closed loop has none
		if open {
			due = intended
		}
		lag := sendLag(sent, due, free)
		if intended < 0 {
			intended = sent
		}
		// Corrected latency runs from the intended time, or from the actual
		// send when that was earlier (see wakeGrid).
		from := min(intended, sent)
		c.state.Store(sent + 1)
		var err error
		writeFailed := false
		if c.raw != nil && c.br.Buffered() == 0 {
			c.raw.Send(req) // written by the response's first read
		} else if _, err = c.rw.Write(req); err != nil {
			writeFailed = true
		}
		if err == nil {
			err = wire.ReadResponse(c.br, &c.resp)
			writeFailed = c.raw != nil && c.raw.writeFailed
		}
		done := r.now()
		flagged := c.state.Swap(0) < 0
		measured := r.inWindow(sent)
		if measured {
			c.w.recordSendLag(lag)
		}
		closeAt := r.closeAt.Load()
		if done >= closeAt {
			// Not answered within the window (the interrupt ends the wait).
			if measured {
				c.w.inFlightAtEnd(closeAt-sent >= timeout)
			}
			c.drop()
			return
		}
		if err != nil {
			class := ErrRead
			if writeFailed {
				class = ErrWrite
			}
			c.drop()
			c.fail(class, sent)
			continue // the same k: the retry keeps the due time
		}
		late := done-sent >= timeout
		if late && !flagged {
			c.lateNow()
		}
		c.w.record(done-from, done-sent, c.resp.Bytes, c.resp.Status, measured, late)
		if m := r.cfg.Metrics; m != nil {
			m.observe(done-from, done-sent, c.resp.Status)
		}
		k++
		free = done
		if !open {
			intended = -1
		}
		if c.resp.Close {
			c.drop()
		}
	}
}
