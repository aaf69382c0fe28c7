//go:build linux

package loadgen

import (
	"math/bits"
	"runtime"
	"syscall"
	"unsafe"
)

// cpuSetSize is how many CPUs this process may run on now
// (sched_getaffinity: taskset, a cgroup cpuset, docker's --cpuset-cpus).
func cpuSetSize() int {
	var mask [1024 / 64]uint64
	n, _, errno := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask[0])))
	if errno != 0 {
		return runtime.NumCPU()
	}
	count := 0
	for _, m := range mask[:n/8] {
		count += bits.OnesCount64(m)
	}
	return count
}
