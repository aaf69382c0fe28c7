//go:build linux

package loadgen

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// sleeper waits for an open-loop send time on a timerfd read through the
// netpoller. Go's own timers sleep in epoll_wait with a millisecond timeout,
// so on a mostly idle process they fire up to ~1 ms late, and that lateness
// would land in every corrected latency; a timerfd wakes epoll to the
// microsecond.
type sleeper struct {
	f    *os.File
	fd   int
	spec unix.ItimerSpec
	buf  [8]byte
}

func newSleeper() *sleeper {
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		return nil // out of descriptors: Go timers will do
	}
	return &sleeper{f: os.NewFile(uintptr(fd), "timerfd"), fd: fd}
}

// sleep blocks for d (> 0); an error means interrupted.
func (s *sleeper) sleep(d time.Duration) error {
	s.spec.Value = unix.NsecToTimespec(int64(d))
	if err := unix.TimerfdSettime(s.fd, 0, &s.spec, nil); err != nil {
		return err
	}
	_, err := s.f.Read(s.buf[:])
	return err
}

func (s *sleeper) interrupt() { s.f.SetReadDeadline(aLongTimeAgo) }

func (s *sleeper) close() { s.f.Close() }
