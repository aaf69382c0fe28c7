package loadgen

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The generator's run-queue delay: how long its threads were runnable but
// waited for a CPU (the kernel's schedstat, /proc/self/task/*/schedstat,
// second field, ns). A generator on a CPU set shared with a busy process,
// or on a machine with no idle CPU, is late to read responses without any
// of it showing in the send lag or the Go scheduler's latency (a goroutine
// is not runnable until a thread that runs polls the network); its threads'
// wait for a CPU shows here. Threads that exit in the window take their
// share with them (the Go runtime rarely ends threads): a lower bound.

// taskDir is where the process's threads are listed (a test may point it
// elsewhere).
var taskDir = "/proc/self/task"

// readRunDelay sums the run-queue delay of the process's threads; ok false
// when the kernel keeps no schedstat (CONFIG_SCHED_INFO off, not Linux).
func readRunDelay() (d time.Duration, ok bool) {
	paths, err := filepath.Glob(filepath.Join(taskDir, "*", "schedstat"))
	if err != nil || len(paths) == 0 {
		return 0, false
	}
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // the thread ended
		}
		f := strings.Fields(string(b))
		if len(f) < 2 {
			return 0, false
		}
		ns, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, false
		}
		d += time.Duration(ns)
		ok = true
	}
	return d, ok
}
