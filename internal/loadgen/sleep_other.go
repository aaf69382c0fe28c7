//go:build !linux

package loadgen

import "time"

// sleeper is Linux's timerfd; elsewhere Go's timers pace the requests.
type sleeper struct{}

func newSleeper() *sleeper                     { return nil }
func (s *sleeper) sleep(d time.Duration) error { return nil }
func (s *sleeper) interrupt()                  {}
func (s *sleeper) close()                      {}
