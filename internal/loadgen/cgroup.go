package loadgen

import (
	"bufio"
	"os"
	"path"
	"strconv"
	"strings"
)

// cpuQuota is the tightest CFS bandwidth limit over this process: the
// cgroup (itself or an ancestor, cgroup v2 cpu.max or v1
// cpu.cfs_quota_us/cpu.cfs_period_us) with the smallest quota in CPUs, and
// the cpu.stat that says how often it was throttled.
type cpuQuota struct {
	cpus float64 // 0: no quota anywhere
	stat string  // that cgroup's cpu.stat
	v2   bool
}

// cgroupFS is the files the cgroup reading looks at, so that tests can give
// their own; the real one reads the file system.
type cgroupFS func(name string) ([]byte, error)

func realFS(name string) ([]byte, error) { return os.ReadFile(name) }

// findQuota looks for a CPU quota in this process's cgroups, v2 and v1
// (a hybrid host has both), and keeps the tightest.
func findQuota(read cgroupFS) cpuQuota {
	self, err := read("/proc/self/cgroup")
	if err != nil {
		return cpuQuota{}
	}
	mounts, err := read("/proc/self/mountinfo")
	if err != nil {
		return cpuQuota{}
	}
	var best cpuQuota
	for line := range strings.Lines(string(self)) {
		// hierarchy-id:controllers:path
		f := strings.SplitN(strings.TrimSpace(line), ":", 3)
		if len(f) != 3 {
			continue
		}
		v2 := f[0] == "0" && f[1] == ""
		if !v2 && !hasWord(f[1], "cpu") {
			continue
		}
		mountPoint, root, ok := cgroupMount(string(mounts), v2)
		if !ok {
			continue
		}
		rel, ok := strings.CutPrefix(f[2], root)
		if !ok {
			rel = "/" // the cgroup namespace's root is the mount's
		}
		dir := path.Join(mountPoint, rel)
		for {
			if q := quotaAt(read, dir, v2); q > 0 && (best.cpus == 0 || q < best.cpus) {
				best = cpuQuota{cpus: q, stat: path.Join(dir, "cpu.stat"), v2: v2}
			}
			if dir == mountPoint || dir == "/" || dir == "." {
				break
			}
			dir = path.Dir(dir)
		}
	}
	return best
}

// cgroupMount finds the mount of the v2 hierarchy, or of the v1 hierarchy
// holding the cpu controller: its mount point and the cgroup path it shows.
func cgroupMount(mountinfo string, v2 bool) (mountPoint, root string, ok bool) {
	for line := range strings.Lines(mountinfo) {
		// id parent dev root mount-point options [optional...] - fstype source super-options
		pre, post, found := strings.Cut(strings.TrimSpace(line), " - ")
		if !found {
			continue
		}
		// At least 6 fields before the separator and 3 after (proc(5)).
		a, b := strings.Fields(pre), strings.Fields(post)
		if len(a) < 6 || len(b) < 3 {
			continue
		}
		switch {
		case v2 && b[0] == "cgroup2":
		case !v2 && b[0] == "cgroup" && hasWord(b[2], "cpu"):
		default:
			continue
		}
		return a[4], a[3], true
	}
	return "", "", false
}

// quotaAt is dir's quota in CPUs, 0 when none.
func quotaAt(read cgroupFS, dir string, v2 bool) float64 {
	if v2 {
		b, err := read(path.Join(dir, "cpu.max"))
		if err != nil {
			return 0
		}
		f := strings.Fields(string(b)) // "max 100000" or "50000 100000"
		if len(f) != 2 || f[0] == "max" {
			return 0
		}
		return ratio(f[0], f[1])
	}
	q, err1 := read(path.Join(dir, "cpu.cfs_quota_us"))
	p, err2 := read(path.Join(dir, "cpu.cfs_period_us"))
	if err1 != nil || err2 != nil {
		return 0
	}
	return ratio(strings.TrimSpace(string(q)), strings.TrimSpace(string(p)))
}

func ratio(quota, period string) float64 {
	q, err1 := strconv.ParseFloat(quota, 64)
	p, err2 := strconv.ParseFloat(period, 64)
	if err1 != nil || err2 != nil || q <= 0 || p <= 0 {
		return 0
	}
	return q / p
}

// throttleStat is a cpu.stat's throttling counters: periods, throttled
// periods and throttled time (ns), v2 (throttled_usec) or v1
// (throttled_time, ns).
type throttleStat struct {
	ok                 bool
	periods, throttled int64
	throttledNs        int64
}

func readThrottle(read cgroupFS, q cpuQuota) throttleStat {
	if q.cpus == 0 {
		return throttleStat{}
	}
	b, err := read(q.stat)
	if err != nil {
		return throttleStat{}
	}
	var s throttleStat
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			continue
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			continue
		}
		switch f[0] {
		case "nr_periods":
			s.periods, s.ok = n, true
		case "nr_throttled":
			s.throttled = n
		case "throttled_usec":
			s.throttledNs = n * 1000
		case "throttled_time":
			s.throttledNs = n
		}
	}
	return s
}

func hasWord(list, word string) bool {
	for w := range strings.SplitSeq(list, ",") {
		if w == word {
			return true
		}
	}
	return false
}
