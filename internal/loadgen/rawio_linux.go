//go:build linux

package loadgen

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// rawIO reads and writes a TCP socket with raw system calls, still through
// the netpoller (syscall.RawConn) for waiting and deadlines. net.Conn's own
// Read and Write enter the runtime's syscall state around each call; on
// leaving it they wake the sysmon thread whenever it sleeps (every time the
// process was idle) and let it hand the P to another thread: at 4000 req/s
// that was thousands of context switches per second, the largest CPU cost
// after the kernel's TCP work. Reads and writes of a non-blocking socket
// never block, which is what a raw system call requires.
type rawIO struct {
	rc      syscall.RawConn
	buf     []byte
	n       int
	errno   syscall.Errno
	readFn  func(fd uintptr) bool
	writeFn func(fd uintptr) bool

	// A request queued by Send goes out inside the next Read's netpoller
	// round: readiness is reset before the write, so the read can wait for
	// the response first instead of trying (and failing with EAGAIN) at
	// once, one system call less per request.
	pending     []byte
	sent        int
	sendErrno   syscall.Errno
	writeFailed bool // the last Send failed: the error is a write error
	sendFn      func(fd uintptr) bool
}

// newRawIO returns an io.ReadWriter on nc's socket, or nil when nc is not a
// plain TCP connection (TLS goes through net.Conn).
func newRawIO(nc net.Conn) *rawIO {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return nil
	}
	r := &rawIO{rc: rc}
	// Bound once: passing a method value per call would allocate.
	r.readFn, r.writeFn, r.sendFn = r.doRead, r.doWrite, r.doSend
	return r
}

// Send queues p (not copied) to be written by the next Read.
func (r *rawIO) Send(p []byte) {
	r.pending, r.sent, r.sendErrno, r.writeFailed = p, 0, 0, false
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.pending != nil {
		return r.sendAndRead(p)
	}
	r.buf, r.n, r.errno = p, 0, 0
	return r.readResult(r.rc.Read(r.readFn))
}

func (r *rawIO) sendAndRead(p []byte) (int, error) {
	r.buf, r.n, r.errno = p, 0, 0
	err := r.rc.Read(r.sendFn)
	if r.sendErrno != 0 {
		r.pending, r.writeFailed = nil, true
		return 0, r.sendErrno
	}
	if r.pending != nil {
		if err != nil {
			r.pending, r.writeFailed = nil, true
			return 0, err
		}
		// The socket buffer was full (never for a small request on a
		// connection that waits for each response): finish the slow way.
		rest := r.pending[r.sent:]
		r.pending = nil
		if _, err := r.Write(rest); err != nil {
			r.writeFailed = true
			return 0, err
		}
		return r.Read(p)
	}
	return r.readResult(err)
}

// readResult is what a read through readFn or sendFn returns.
func (r *rawIO) readResult(err error) (int, error) {
	r.buf = nil
	switch {
	case err != nil:
		return 0, err
	case r.errno != 0:
		return 0, r.errno
	case r.n == 0:
		return 0, io.EOF
	}
	return r.n, nil
}

// doSend writes the pending request, then reads once the netpoller has
// woken the goroutine for the response.
func (r *rawIO) doSend(fd uintptr) bool {
	for r.pending != nil {
		if r.sent == len(r.pending) {
			r.pending = nil
			return false // wait for the response
		}
		rest := r.pending[r.sent:]
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
		switch e {
		case syscall.EINTR:
			continue
		case 0:
			r.sent += int(n)
		case syscall.EAGAIN:
			return true // back to sendAndRead, which waits for room
		default:
			r.sendErrno = e
			return true
		}
	}
	return r.doRead(fd)
}

func (r *rawIO) doRead(fd uintptr) bool {
	for {
		n, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(&r.buf[0])), uintptr(len(r.buf)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait in the netpoller, then try again
		case 0:
			r.n = int(n)
		default:
			r.errno = e
		}
		return true
	}
}

func (r *rawIO) Write(p []byte) (int, error) {
	r.buf, r.n, r.errno = p, 0, 0
	err := r.rc.Write(r.writeFn)
	n := r.n
	r.buf = nil
	switch {
	case err != nil:
		return n, err
	case r.errno != 0:
		return n, r.errno
	}
	return n, nil
}

func (r *rawIO) doWrite(fd uintptr) bool {
	for r.n < len(r.buf) {
		rest := r.buf[r.n:]
		n, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(&rest[0])), uintptr(len(rest)))
		switch e {
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false
		case 0:
			r.n += int(n)
		default:
			r.errno = e
			return true
		}
	}
	return true
}
