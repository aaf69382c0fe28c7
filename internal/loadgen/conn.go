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
// and br; mu only guards swapping nc against the monitor, which interrupts a
// request that has been outstanding longer than the timeout, or every request
// when the run ends.
type conn struct {
	r     *runner
	w     *worker
	index int // position in the schedule

	mu  sync.Mutex
	nc  net.Conn
	rw  io.ReadWriter // nc, or raw system calls on its socket (rawio_linux.go)
	raw *rawIO        // rw when raw, else nil
	br  *bufio.Reader

	// sent is 1+the send time (ns since the start) of the outstanding request,
	// 0 when idle, -1 once the monitor has declared it timed out.
	sent atomic.Int64

	resp wire.Response
}

const connectBackoff = 10 * time.Millisecond

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
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
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

// interruptIfLate is the monitor's side of timeouts: under mu, so nc is the
// connection the late request is outstanding on.
func (c *conn) interruptIfLate(now, timeout int64) {
	s := c.sent.Load()
	if s <= 0 || now-(s-1) < timeout {
		return
	}
	c.mu.Lock()
	if c.sent.CompareAndSwap(s, -1) && c.nc != nil {
		c.nc.SetDeadline(aLongTimeAgo)
	}
	c.mu.Unlock()
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

func (c *conn) fail(class ErrorClass, now int64) {
	c.w.fail(class, now >= c.r.measureFrom)
	if m := c.r.cfg.Metrics; m != nil {
		m.fail(class)
	}
}

// loop sends requests until the end of the run's sending window, then
// waits for its last response (which the monitor times out like any other).
// Closed loop: the next request goes out when the previous response is in.
// Open loop: request k goes out at its scheduled time (up to 2 ms before it,
// see wakeGrid), or at once if that time has passed: the delay then shows in
// the corrected latency, as it would for a real client.
func (c *conn) loop() {
	r := c.r
	open := r.cfg.Rate > 0
	req := r.target.Request
	for k := int64(0); ; k++ {
		var intended int64
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
				if r.stopped.Load() || now >= r.end {
					return
				}
				c.fail(ErrConnect, now)
				if !open && !c.sleep(connectBackoff) {
					return
				}
				continue
			}
			if r.stopped.Load() {
				c.drop()
				return
			}
		}
		sent := r.now()
		if !open {
			if sent >= r.end {
				return
			}
			intended = sent
		}
		// Corrected latency runs from the intended time, or from the actual
		// send when that was earlier (see wakeGrid).
		from := min(intended, sent)
		c.sent.Store(sent + 1)
		if c.raw != nil && c.br.Buffered() == 0 {
			c.raw.Send(req) // written by the response's first read
		} else if _, err := c.rw.Write(req); err != nil {
			c.afterError(ErrWrite)
			if r.stopped.Load() {
				return
			}
			continue
		}
		err := wire.ReadResponse(c.br, &c.resp)
		done := r.now()
		if !c.sent.CompareAndSwap(sent+1, 0) {
			c.afterError(ErrTimeout)
			if r.stopped.Load() {
				return
			}
			continue
		}
		if err != nil {
			class := ErrRead
			if c.raw != nil && c.raw.writeFailed {
				class = ErrWrite
			}
			c.afterError(class)
			if r.stopped.Load() {
				return
			}
			continue
		}
		c.w.record(done-from, done-sent, c.resp.Bytes, c.resp.Status, intended >= r.measureFrom)
		if m := r.cfg.Metrics; m != nil {
			m.observe(done-from, done-sent, c.resp.Status)
		}
		if c.resp.Close {
			c.drop()
		}
	}
}

// afterError counts a failed request (unless the run is over: the monitor's
// interrupt is no error) and drops the connection; the next request reconnects.
func (c *conn) afterError(class ErrorClass) {
	c.sent.Store(0)
	c.drop()
	if c.r.stopped.Load() {
		return
	}
	c.fail(class, c.r.now())
}
