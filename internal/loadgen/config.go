// Package loadgen is a wrk2-style HTTP load generator: N keep-alive HTTP/1.1
// connections spread over T workers, either closed loop (each connection
// sends its next request as soon as the previous response is in, like wrk) or
// open loop at a constant total rate (like wrk2), where every connection
// follows its own schedule and latency is measured from the time a request was
// meant to be sent, so a stalled server cannot hide its stall (coordinated
// omission). The pieces: schedule (when to send), conn (one connection's
// request loop), worker (a recorder shared by a group of connections), Run
// (start, monitor timeouts, stop, merge) and Metrics (Prometheus).
package loadgen

import (
	"fmt"
	"time"
)

// Config is one run. The zero values of the optional fields are wrk's defaults.
type Config struct {
	URL         string
	Headers     []string      // "Name: value"
	Threads     int           // workers
	Connections int           // total connections, >= Threads
	Duration    time.Duration // measured window
	Warmup      time.Duration // run before the measured window, excluded from results
	Rate        float64       // total requests/s; 0 = closed loop
	Timeout     time.Duration // a request outstanding longer than this is a timeout error

	// Part and Parts (--part I/N; 0 and 0 for a whole run): this process
	// is part Part of Parts of one run whose Threads, Connections and Rate
	// are the totals. It opens the connections j of the run's schedule with
	// j mod Parts = Part-1 (so the parts' requests interleave, as one
	// generator's would), over its workers w of 0..Threads-1 with w mod
	// Parts = Part-1, and counts only its own requests.
	Part, Parts int
	// StartAt, when set, is the wall-clock instant the run starts (the
	// warm-up first): the connections are opened in the ConnectAhead before
	// it, the schedule counts from it exactly. Not ready by then, the run
	// fails (ErrLate).
	StartAt time.Time

	// Metrics, when set, receives every response and error as it happens.
	Metrics *Metrics
	// Progress, when set, is called about once a second while the run lasts.
	Progress func(Progress)
	// Started, when set, is called once the connections are open, just
	// before the first request.
	Started func()
}

// Validate names the first invalid field the way the command line spells it.
func (c *Config) Validate() error {
	// (if statements, not switch cases: Go's coverage profile, which
	// mutation testing reads, counts no statement on a case line)
	if c.Threads < 1 {
		return fmt.Errorf("-t/--threads must be at least 1, got %d", c.Threads)
	}
	if c.Connections < 1 {
		return fmt.Errorf("-c/--connections must be at least 1, got %d", c.Connections)
	}
	if c.Connections < c.Threads {
		return fmt.Errorf("-c/--connections (%d) must be at least -t/--threads (%d)", c.Connections, c.Threads)
	}
	if c.Duration <= 0 {
		return fmt.Errorf("-d/--duration must be positive, got %v", c.Duration)
	}
	if c.Warmup < 0 {
		return fmt.Errorf("--warmup must not be negative, got %v", c.Warmup)
	}
	if c.Rate != 0 && !(c.Rate >= 1) {
		return fmt.Errorf("-R/--rate must be at least 1 request/s, got %g", c.Rate)
	}
	if c.Rate > 1e9 {
		return fmt.Errorf("-R/--rate %g is beyond what one process can send", c.Rate)
	}
	if c.Timeout <= 0 {
		return fmt.Errorf("--timeout must be positive, got %v", c.Timeout)
	}
	if c.Parts < 0 || c.Parts > 0 && (c.Part < 1 || c.Part > c.Parts) || c.Parts == 0 && c.Part != 0 {
		return fmt.Errorf("--part %d/%d: want I/N with 1 <= I <= N", c.Part, c.Parts)
	}
	if c.Connections < c.Parts {
		return fmt.Errorf("-c/--connections (%d) must be at least the parts of --part (%d): each part needs a connection", c.Connections, c.Parts)
	}
	if c.Threads < c.Parts {
		return fmt.Errorf("-t/--threads (%d) must be at least the parts of --part (%d): -t is the whole run's, each part needs a thread", c.Threads, c.Parts)
	}
	return nil
}

// Share is how many of the run's workers and connections are this
// process's: all of them, or this part's.
func (c *Config) Share() (threads, connections int) {
	for w := range c.Threads {
		if c.mine(w) {
			threads++
		}
	}
	for j := range c.Connections {
		if c.mine(j) {
			connections++
		}
	}
	return threads, connections
}

// mine reports whether index i (a connection or a worker of the whole run)
// belongs to this part.
func (c *Config) mine(i int) bool { return c.Parts == 0 || i%c.Parts == c.Part-1 }

// ErrLate is the error of a run not ready by its StartAt.
type ErrLate struct{ Late time.Duration }

func (e ErrLate) Error() string {
	return fmt.Sprintf("cannot start on time: ready %d ms after --start-at", (e.Late+time.Millisecond-1)/time.Millisecond)
}

// Progress is a live view of a run in progress.
type Progress struct {
	Elapsed   time.Duration // since the start, warm-up included
	Total     time.Duration // warm-up plus duration
	Warmup    bool          // still warming up
	Rate      float64       // responses/s over the last interval
	Errors    int64         // all error classes so far
	P99       time.Duration // corrected p99 of the measured window so far
	Responses int64         // responses so far, warm-up included
}
