package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/macrobench/macrobench/internal/loadgen/wire"
)

// Result is a finished run's measured window. Every request sent in the
// window is exactly one of: a response (Requests), a connect, read or write
// error, or InFlight. A timeout is a flag on a request, not an outcome:
// Errors[ErrTimeout] counts the responses that took --timeout or longer plus
// the requests in flight that long when the window closed. Requests sent
// during the warm-up count nowhere.
type Result struct {
	Target      *wire.Target
	Config      Config
	Start       time.Time     // start of the measured window (after the warm-up)
	End         time.Time     // its end
	Elapsed     time.Duration // End - Start
	Requests    int64         // responses to requests of the window, received in it (any status)
	Bytes       int64         // bytes of those responses
	InFlight    int64         // requests of the window still unanswered when it closed
	Errors      [numErrorClasses]int64
	Corrected   *hdrhistogram.Histogram // µs from the intended send time
	Uncorrected *hdrhistogram.Histogram // µs from the actual send time
	// ThreadRates holds every worker's req/s, sampled every 100 ms as wrk does
	// for its per-thread Req/Sec line.
	ThreadRates []float64
	CPU         time.Duration // user+system CPU of this process over the window
	Interrupted bool          // the context ended the run early
	// StartSlack is, with Config.StartAt, how long before it the run was
	// there (its connections are opened in the last ConnectAhead).
	StartSlack time.Duration
	// Health is the generator's own health over the window (health.go).
	Health *Health
}

// Error returns the count of one error class.
func (r *Result) Error(c ErrorClass) int64 { return r.Errors[c] }

// SocketErrors is the sum of wrk's socket error line: connect, read, write
// and timeout (the last overlapping Requests and InFlight).
func (r *Result) SocketErrors() int64 {
	return r.Errors[ErrConnect] + r.Errors[ErrRead] + r.Errors[ErrWrite] + r.Errors[ErrTimeout]
}

const rateSampleInterval = 100 * time.Millisecond

// ConnectAhead is how long before Config.StartAt the connections are
// opened: not at once, however early the generator is there, since a
// server closes a connection that sends nothing for a few seconds (Go's
// ReadHeaderTimeout: the app's is 5 s), and the first requests would then
// be read errors; long enough to open hundreds of connections.
const ConnectAhead = time.Second

type runner struct {
	cfg         Config
	target      *wire.Target
	addr        string
	sched       *schedule // open loop; nil: closed loop
	t0          time.Time
	measureFrom int64 // ns since t0
	end         int64 // ns since t0
	// closeAt is when the window closes (ns since t0): end, or earlier when
	// the run is interrupted. Set before stopped.
	closeAt atomic.Int64

	ctx     context.Context // cancelled when the run stops (aborts dials)
	stopped atomic.Bool

	workers []*worker
	conns   []*conn

	quota   cpuQuota     // read before the run
	health0 *healthProbe // at the window's start (monitor)
}

func (r *runner) now() int64 { return int64(time.Since(r.t0)) }

// inWindow reports whether a request sent (or tried) at t (ns since t0)
// belongs to the measured window rather than the warm-up.
func (r *runner) inWindow(t int64) bool { return t >= r.measureFrom }

// Run performs one run. It fails before sending anything when the
// configuration is invalid or no connection at all can be opened; afterwards
// errors are counted, not returned. Cancelling ctx ends the run early with
// the results so far.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	target, err := wire.NewTarget(cfg.URL, cfg.Headers)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := &runner{
		cfg:         cfg,
		target:      target,
		addr:        target.Addr,
		measureFrom: int64(cfg.Warmup),
		end:         int64(cfg.Warmup + cfg.Duration),
		ctx:         runCtx,
	}
	r.closeAt.Store(r.end)
	r.quota = findQuota(realFS)
	if cfg.Rate > 0 {
		r.sched = newSchedule(cfg.Connections, cfg.Rate)
	}
	// This process's workers and connections: all of them, or this part's
	// (their schedule indices are the whole run's).
	for w := range cfg.Threads {
		if cfg.mine(w) {
			r.workers = append(r.workers, newWorker())
		}
	}
	for j := range cfg.Connections {
		if cfg.mine(j) {
			r.conns = append(r.conns, &conn{r: r, w: r.workers[len(r.conns)%len(r.workers)], index: j})
		}
	}

	// With StartAt: be there in time, wait for the target's name, and open
	// the connections only in the last ConnectAhead before it (see there).
	var slack time.Duration
	if !cfg.StartAt.IsZero() {
		if slack = time.Until(cfg.StartAt); slack <= 0 {
			return nil, ErrLate{-slack}
		}
		// A target's name that does not resolve yet is asked again until
		// the start (a new Swarm task's DNS may lag behind its start).
		if host, _, err := net.SplitHostPort(target.Addr); err == nil && net.ParseIP(host) == nil {
			for time.Until(cfg.StartAt) > 0 {
				if _, err := net.DefaultResolver.LookupHost(ctx, host); err == nil {
					break
				}
				select {
				case <-ctx.Done():
					return nil, errors.New("interrupted before --start-at: nothing measured")
				case <-time.After(min(100*time.Millisecond, max(time.Until(cfg.StartAt), 0))):
				}
			}
		}
		wait := time.NewTimer(time.Until(cfg.StartAt) - ConnectAhead) // at once when less is left
		select {
		case <-ctx.Done():
			wait.Stop()
			return nil, errors.New("interrupted before --start-at: nothing measured")
		case <-wait.C:
		}
	}

	// Open every connection before the clock starts, as wrk does, so the
	// first requests do not carry the connect time.
	var (
		wg       sync.WaitGroup
		failures atomic.Int64
		firstErr error
		errOnce  sync.Once
	)
	for _, c := range r.conns {
		wg.Go(func() {
			if err := c.dial(); err != nil {
				failures.Add(1)
				errOnce.Do(func() { firstErr = err })
			}
		})
	}
	wg.Wait()
	if failures.Load() == int64(len(r.conns)) {
		return nil, fmt.Errorf("cannot connect to %s: %v", target.Addr, unwrapOp(firstErr))
	}
	for range failures.Load() {
		// Counted like wrk's: a connect error in the first window.
		r.conns[0].w.fail(ErrConnect, cfg.Warmup == 0)
	}

	dropAll := func() {
		for _, c := range r.conns {
			c.drop()
		}
	}
	if !cfg.StartAt.IsZero() {
		if late := time.Since(cfg.StartAt); late > 0 {
			dropAll()
			return nil, ErrLate{late}
		}
	}
	if m := cfg.Metrics; m != nil {
		// This process's share of the rate: the parts' gauges add up.
		m.targetRate.Set(cfg.Rate * float64(len(r.conns)) / float64(cfg.Connections))
		m.running.Set(1)
		defer m.running.Set(0)
	}
	if cfg.Started != nil {
		cfg.Started()
	}
	r.t0 = time.Now()
	if !cfg.StartAt.IsZero() {
		wait := time.NewTimer(cfg.StartAt.Sub(r.t0))
		select {
		case <-ctx.Done():
			wait.Stop()
			dropAll()
			return nil, errors.New("interrupted before --start-at: nothing measured")
		case <-wait.C:
		}
		// StartAt on the monotonic clock: the schedule counts from it
		// exactly, however late the timer fired (a late first request
		// shows in its corrected latency).
		now := time.Now()
		r.t0 = now.Add(cfg.StartAt.Sub(now))
	}
	for _, c := range r.conns {
		wg.Go(c.loop)
	}
	loopsDone := make(chan struct{})
	go func() { wg.Wait(); close(loopsDone) }()
	stopAt, cpu := r.monitor(ctx, loopsDone)
	health1 := probeHealth(r.quota)
	r.closeAt.Store(stopAt)
	r.stopped.Store(true)
	cancel()
	for _, c := range r.conns {
		c.interrupt()
	}
	wg.Wait()
	dropAll()
	if stopAt <= r.measureFrom {
		return nil, errors.New("interrupted during the warm-up: nothing measured")
	}
	res := r.result(stopAt, cpu)
	res.StartSlack = slack
	if r.health0 != nil {
		lag := newHistogram()
		for _, w := range r.workers {
			lag.Merge(w.sendLag)
		}
		res.Health = healthBetween(*r.health0, health1, lag)
	}
	return res, nil
}

// monitor runs beside the connections until the end of the window (or ctx):
// it counts late requests as they become late (live figures), samples
// per-worker rates and reports progress. At the end of the window the run
// stops: the requests still in flight are counted as such, not waited for.
// It returns when the window closed (ns since t0) and the CPU used in it
// (0 when it closed before the window opened).
func (r *runner) monitor(ctx context.Context, loopsDone <-chan struct{}) (stopAt int64, cpu time.Duration) {
	timeout := int64(r.cfg.Timeout)
	ticker := time.NewTicker(min(max(r.cfg.Timeout/10, time.Millisecond), rateSampleInterval))
	defer ticker.Stop()
	endTimer := time.NewTimer(time.Until(r.t0.Add(time.Duration(r.end))))
	defer endTimer.Stop()
	// The window opens at measureFrom: its CPU time and health count from
	// there, and its rate samples.
	opens := time.NewTimer(time.Until(r.t0.Add(time.Duration(r.measureFrom))))
	defer opens.Stop()
	var cpu0 time.Duration
	measuring := false
	startMeasuring := func() {
		measuring = true
		p := probeHealth(r.quota)
		r.health0 = &p
		cpu0 = cpuTime()
		for _, w := range r.workers {
			w.lastRequests = 0
		}
	}
	if r.measureFrom == 0 {
		startMeasuring()
	}
	lastSample := r.measureFrom
	nextProgress := int64(time.Second)
	var lastResponses int64
	lastProgress := int64(0)
	for {
		select {
		case <-opens.C:
			if !measuring {
				startMeasuring()
			}
			continue
		case <-endTimer.C:
			stopAt = r.end
		case <-loopsDone:
			stopAt = r.end
		case <-ctx.Done():
			stopAt = min(r.now(), r.end)
		case <-ticker.C:
			now := min(r.now(), r.end)
			for _, c := range r.conns {
				if c.flagIfLate(now, timeout) {
					c.lateNow()
				}
			}
			if measuring && now-lastSample >= int64(rateSampleInterval) {
				secs := float64(now-lastSample) / 1e9
				for _, w := range r.workers {
					w.mu.Lock()
					n := w.requests
					w.mu.Unlock()
					w.rates = append(w.rates, float64(n-w.lastRequests)/secs)
					w.lastRequests = n
				}
				lastSample = now
			}
			if r.cfg.Progress != nil && now >= nextProgress {
				p := r.progress(now)
				p.Rate = float64(p.Responses-lastResponses) / (float64(now-lastProgress) / 1e9)
				lastResponses, lastProgress = p.Responses, now
				r.cfg.Progress(p)
				nextProgress += int64(time.Second)
			}
			continue
		}
		if !measuring {
			return stopAt, 0
		}
		return stopAt, cpuTime() - cpu0
	}
}

func (r *runner) progress(now int64) Progress {
	p := Progress{
		Elapsed: time.Duration(now),
		Total:   time.Duration(r.end),
		Warmup:  now < r.measureFrom,
	}
	merged := newHistogram()
	for _, w := range r.workers {
		w.mu.Lock()
		p.Responses += w.responses
		p.Errors += w.allErrors + w.errors[ErrStatus]
		merged.Merge(w.corrected)
		w.mu.Unlock()
	}
	p.P99 = time.Duration(merged.ValueAtPercentile(99)) * time.Microsecond
	return p
}

func (r *runner) result(stopAt int64, cpu time.Duration) *Result {
	res := &Result{
		Target:      r.target,
		Config:      r.cfg,
		Start:       r.t0.Add(time.Duration(r.measureFrom)),
		End:         r.t0.Add(time.Duration(stopAt)),
		Elapsed:     time.Duration(stopAt - r.measureFrom),
		Corrected:   newHistogram(),
		Uncorrected: newHistogram(),
		CPU:         cpu,
		Interrupted: stopAt < r.end,
	}
	for _, w := range r.workers {
		w.mu.Lock()
		res.Requests += w.requests
		res.Bytes += w.bytes
		res.InFlight += w.inFlight
		for c := range numErrorClasses {
			res.Errors[c] += w.errors[c]
		}
		res.Corrected.Merge(w.corrected)
		res.Uncorrected.Merge(w.uncorrected)
		if len(w.rates) == 0 {
			// Shorter than one sample: the worker's average, as wrk2 does.
			w.rates = append(w.rates, float64(w.requests)/res.Elapsed.Seconds())
		}
		res.ThreadRates = append(res.ThreadRates, w.rates...)
		w.mu.Unlock()
	}
	return res
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// unwrapOp shortens "dial tcp 127.0.0.1:1: connect: connection refused" to
// its cause, since the message already names the address.
func unwrapOp(err error) error {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err
		}
		err = u
	}
}
