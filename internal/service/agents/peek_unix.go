//go:build unix

package agents

import "syscall"

// peekIdle peeks at one byte without blocking: nothing there (EAGAIN) means
// idle and open; a byte, the end of the stream or an error means the
// connection is ending or gone. It judges the socket alone: Control, unlike
// RawConn.Read, ignores the deadline the connection's last call left armed
// (an idle connection's deadline has usually passed).
func peekIdle(raw syscall.RawConn) bool {
	var b [1]byte
	idle := false
	err := raw.Control(func(fd uintptr) {
		for {
			_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if err == syscall.EINTR {
				continue
			}
			idle = err == syscall.EAGAIN || err == syscall.EWOULDBLOCK
			return
		}
	})
	return err == nil && idle
}
