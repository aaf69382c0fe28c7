package loadgen

// schedule gives open-loop send times. Request k of connection j is request
// number j+k*N of the whole run, due at (j+k*N)/rate seconds after the start:
// connections are evenly staggered, the total rate is exact, and each time is
// computed from the start (nanoseconds, no rounding, no drift).
type schedule struct {
	conns  int64
	nsPerR float64 // nanoseconds between two requests of the whole run
}

func newSchedule(conns int, rate float64) *schedule {
	return &schedule{conns: int64(conns), nsPerR: 1e9 / rate}
}

// at is the due time of connection j's k-th request, in ns since the start.
func (s schedule) at(j int, k int64) int64 {
	return int64(float64(int64(j)+k*s.conns) * s.nsPerR)
}
