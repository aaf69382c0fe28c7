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
	r.readFn, r.writeFn = r.doRead, r.doWrite
	return r
}

func (r *rawIO) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	r.buf, r.n, r.errno = p, 0, 0
	err := r.rc.Read(r.readFn)
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
