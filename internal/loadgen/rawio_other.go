//go:build !linux

package loadgen

import "net"

type rawIO struct{ net.Conn }

// newRawIO: raw socket I/O is Linux-only; elsewhere net.Conn is used.
func newRawIO(net.Conn) *rawIO { return nil }
