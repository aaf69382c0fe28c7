//go:build !linux

package loadgen

import "runtime"

// cpuSetSize is how many CPUs this process may run on (at its start).
func cpuSetSize() int { return runtime.NumCPU() }
