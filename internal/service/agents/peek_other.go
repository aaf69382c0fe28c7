//go:build !unix

package agents

import "syscall"

// peekIdle cannot peek here: every connection counts as open.
func peekIdle(syscall.RawConn) bool { return true }
