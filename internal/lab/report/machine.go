package report

// Machine is what the machine and the lab's containers did with their CPU
// during one measured run's window (summary.json run.machine): read by the
// bench from /proc/stat (the kernel's, the host's even in the runner
// container) and from the engine's CPU counter of each container, sampled
// during the run; the window is the pair of samples that brackets the
// generator's own start and end (From, To: at most one sampling interval
// wider on each side). A figure that could not be read is null (unknown),
// with the reason in Unknown: never a guess.
type Machine struct {
	// Node is, on a cluster, the node these figures are of: the busiest of
	// those that ran the target and the generators (nodecpu.Busiest);
	// empty on one engine.
	Node    string  `json:"node,omitempty"`
	From    string  `json:"from"`     // RFC 3339 with nanoseconds, the first sample's time
	To      string  `json:"to"`       // the last sample's time
	WindowS float64 `json:"window_s"` // To − From, seconds
	// CPUs is the machine's online CPUs (/proc/stat's cpuN lines).
	CPUs int `json:"cpus"`
	// IdleFraction is the share of the machine's CPU time (all CPUs) that
	// was idle or waiting for I/O in the window; StealFraction the share a
	// hypervisor gave to someone else. Total time is user + nice + system +
	// idle + iowait + irq + softirq + steal.
	IdleFraction  *float64 `json:"idle_fraction"`
	StealFraction *float64 `json:"steal_fraction"`
	// MinIdleFraction is the lowest idle share over the window's slices of
	// at least a second (the whole window when shorter): a window that is
	// idle on average may still have had a second with no idle CPU.
	MinIdleFraction *float64 `json:"min_idle_fraction"`
	// Containers is each lab container's CPU seconds in the window (its
	// container's samples, which may be up to one interval off the
	// machine's), by compose service (the container's name for a second
	// container of a service); null where unreadable.
	Containers map[string]*float64 `json:"containers"`
	// Unknown says why a figure is null, one line each.
	Unknown []string `json:"unknown,omitempty"`
}

// IdleCPUs is how many CPUs were idle on average in the window
// (IdleFraction × CPUs); ok is false when unknown.
func (m *Machine) IdleCPUs() (cpus float64, ok bool) {
	if m == nil || m.IdleFraction == nil || m.CPUs == 0 {
		return 0, false
	}
	return *m.IdleFraction * float64(m.CPUs), true
}

// Saturated says whether the machine had no idle CPU to speak of during
// the window: its idle share below idleBelow (a fraction of all its CPU
// time, e.g. 0.05), on the whole window or, with slices, in its busiest
// second (MinIdleFraction). known is false when the idle time could not be
// read: then saturated is false and says nothing.
func (m *Machine) Saturated(idleBelow float64, slices bool) (saturated, known bool) {
	if m == nil || m.IdleFraction == nil {
		return false, false
	}
	idle := *m.IdleFraction
	if slices && m.MinIdleFraction != nil {
		idle = *m.MinIdleFraction
	}
	return idle < idleBelow, true
}

// ContainerCPUs is the CPUs a container (by Containers' key) used on
// average in the window: its CPU seconds over the window's; ok is false
// when unknown.
func (m *Machine) ContainerCPUs(name string) (cpus float64, ok bool) {
	if m == nil || m.WindowS <= 0 {
		return 0, false
	}
	s := m.Containers[name]
	if s == nil {
		return 0, false
	}
	return *s / m.WindowS, true
}
