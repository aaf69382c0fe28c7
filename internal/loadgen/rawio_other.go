//go:build !linux

package loadgen

import "net"

type rawIO struct {
	net.Conn
	writeFailed bool
}

// newRawIO: raw socket I/O is Linux-only; elsewhere net.Conn is used.
func newRawIO(net.Conn) *rawIO { return nil }

func (r *rawIO) Send([]byte) {}
