//go:build linux

package loadgen

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// cpuSetSize is how many CPUs this process may run on now
// (sched_getaffinity: taskset, a cgroup cpuset, docker's --cpuset-cpus).
func cpuSetSize() int {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return runtime.NumCPU()
	}
	return set.Count()
}
