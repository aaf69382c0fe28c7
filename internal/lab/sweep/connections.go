package sweep

import "math"

// StepConnections is the number of connections a step at rate req/s opens:
// one per request per second offered (as the original's rate10 cell,
// -c10 -R10), at most most and at least one. A generator opens its
// connections before its clock starts, so with more connections than that
// a connection waits longer than a second for its first request, and
// servers hang up on connections that send nothing: Go's net/http after its
// ReadHeaderTimeout (the app's is 5 s), gunicorn's sync workers block on
// them one worker each. At 25 req/s over 400 connections the last ones wait
// 16 s: read errors and a stalled original that measure the generator's
// set-up, not the target's capacity.
func StepConnections(most int, rate float64) int {
	n := int(math.Ceil(rate))
	if rate >= float64(most) || n > most {
		return most
	}
	return max(n, 1)
}

// StepThreads is a step's threads: the cell's, at most one per connection.
func StepThreads(threads, conns int) int { return max(min(threads, conns), 1) }
