//go:build linux

package loadgen

import (
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// The CPU set is the CPUs the calling thread may run on: all of this
// machine's that it was given, then the one it is pinned to (taskset's
// call, on this thread only; no root needed).
func TestCPUSetSize(t *testing.T) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var all unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		t.Fatal(err)
	}
	if got := cpuSetSize(); got != all.Count() {
		t.Errorf("cpuSetSize() = %d, want the %d CPUs of the thread's mask", got, all.Count())
	}
	first := 0
	for !all.IsSet(first) {
		first++
	}
	var one unix.CPUSet
	one.Set(first)
	if err := unix.SchedSetaffinity(0, &one); err != nil {
		t.Fatal(err)
	}
	defer unix.SchedSetaffinity(0, &all)
	if got := cpuSetSize(); got != 1 {
		t.Errorf("pinned to CPU %d: cpuSetSize() = %d, want 1", first, got)
	}
}
