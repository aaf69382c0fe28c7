package benchrun

import (
	"context"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/macrobench/macrobench/internal/lab/cpuwindow"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/docker"
)

// The machine's and the lab containers' CPU during each measured run
// (report.Machine): a sampler reads /proc/stat and each running lab
// container's CPU counter (the engine's stats) every sampleInterval while
// the generator runs, and the run's window is cut from the samples that
// bracket the generator's own start and end. Sampling through the run,
// rather than reading before and after the generator command, keeps the
// generator container's start and its metrics linger (6 s) out of the
// window.

// procStatPath is read by the sampler (a test may point it elsewhere).
var procStatPath = "/proc/stat"

func readProcStat() (cpuwindow.ProcStat, error) {
	b, err := os.ReadFile(procStatPath)
	if err != nil {
		return cpuwindow.ProcStat{}, err
	}
	return cpuwindow.ParseProcStat(string(b))
}

// machineSample is one look at the machine, or at one container.
type machineSample struct {
	at   time.Time
	stat cpuwindow.ProcStat
}

type containerSample struct {
	at  time.Time
	cpu time.Duration
}

// labContainers is what an executor whose lab runs on this Docker engine
// offers the sampler: the engine and the compose project (ComposeExecutor).
type labContainers interface {
	LabEngine(ctx context.Context) (engine *docker.Engine, project string, err error)
}

// sampleInterval is how often the sampler looks: the window is at most
// this much wider than the generator's on each side.
var sampleInterval = 250 * time.Millisecond

// machineSampler samples until Stop.
type machineSampler struct {
	engine  *docker.Engine
	project string
	// containersErr is why the containers are not sampled ("" when they are).
	containersErr string

	mu         sync.Mutex
	machine    []machineSample
	machineErr error
	containers map[string][]containerSample // by key (service, or container name)
	ids        map[string]string            // container ID → key
	settings   []docker.Settings            // of the containers seen, in the order seen
	lastErr    map[string]string            // key → last read error

	stop chan struct{}
	done chan struct{}
}

// startMachineSampler starts sampling at once (its first sample is taken
// before it returns). engine nil: the machine alone, containersErr saying
// why.
func startMachineSampler(ctx context.Context, engine *docker.Engine, project, containersErr string) *machineSampler {
	s := &machineSampler{engine: engine, project: project, containersErr: containersErr,
		containers: map[string][]containerSample{}, ids: map[string]string{}, lastErr: map[string]string{},
		stop: make(chan struct{}), done: make(chan struct{})}
	s.sample(ctx)
	go func() {
		defer close(s.done)
		t := time.NewTicker(sampleInterval)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				s.sample(ctx) // the last: at or after the generator's end
				return
			case <-ctx.Done():
				return
			case <-t.C:
				s.sample(ctx)
			}
		}
	}()
	return s
}

// Stop takes a last sample and stops.
func (s *machineSampler) Stop() {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
}

func (s *machineSampler) sample(ctx context.Context) {
	st, err := readProcStat()
	now := time.Now()
	s.mu.Lock()
	if err != nil {
		s.machineErr = err
	} else {
		s.machine = append(s.machine, machineSample{at: now, stat: st})
	}
	s.mu.Unlock()
	if s.engine == nil {
		return
	}
	list, err := s.engine.ProjectContainers(ctx, s.project)
	if err != nil {
		s.mu.Lock()
		s.containersErr = err.Error()
		s.mu.Unlock()
		return
	}
	var wg sync.WaitGroup
	for _, c := range list {
		key := s.key(ctx, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			cpu, err := s.engine.CPUUsage(ctx, c.ID)
			at := t0.Add(time.Since(t0) / 2)
			s.mu.Lock()
			defer s.mu.Unlock()
			if err != nil {
				s.lastErr[key] = err.Error()
				return
			}
			s.containers[key] = append(s.containers[key], containerSample{at: at, cpu: cpu})
		}()
	}
	wg.Wait()
}

// key names a container in the figures: its compose service, or its own
// name when another container of the service was seen first (a second
// replica, or each generator of --generators N). A container seen for the
// first time is inspected: its settings as it ran.
func (s *machineSampler) key(ctx context.Context, c docker.Listed) string {
	s.mu.Lock()
	if k, ok := s.ids[c.ID]; ok {
		s.mu.Unlock()
		return k
	}
	k := c.Service
	if k == "" {
		k = c.Name
	}
	for _, other := range s.ids {
		if other == k {
			k = c.Name
			break
		}
	}
	s.ids[c.ID] = k
	s.mu.Unlock()
	if set, err := s.engine.Inspect(ctx, c.ID, settingsEnvPrefixes...); err == nil {
		s.mu.Lock()
		s.settings = append(s.settings, set)
		s.mu.Unlock()
	}
	return k
}

// Seen is the settings of the containers the sampler saw, in order.
func (s *machineSampler) Seen() []docker.Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]docker.Settings(nil), s.settings...)
}

// Window cuts the figures of [from, to] out of the samples: the last
// sample at or before from and the first at or after to; nil when the
// sampler was never started.
func (s *machineSampler) Window(from, to time.Time) *report.Machine {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := machineWindow(s.machine, from, to)
	if m.IdleFraction == nil && s.machineErr != nil {
		m.Unknown = append(m.Unknown, "machine: "+s.machineErr.Error())
	}
	m.Containers = map[string]*float64{}
	if s.engine == nil || (len(s.ids) == 0 && s.containersErr != "") {
		m.Unknown = append(m.Unknown, "containers: "+s.containersErr)
		return m
	}
	keys := make([]string, 0, len(s.ids))
	for _, k := range s.ids {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		secs, why := containerWindow(s.containers[k], from, to)
		if why != "" {
			if e := s.lastErr[k]; e != "" {
				why += " (" + e + ")"
			}
			m.Unknown = append(m.Unknown, k+": "+why)
		}
		m.Containers[k] = secs
	}
	return m
}

// machineWindow is the machine's figures between the samples bracketing
// [from, to] (internal/lab/cpuwindow: idle and steal shares of the whole
// window, and the lowest idle share over slices of at least a second).
func machineWindow(samples []machineSample, from, to time.Time) *report.Machine {
	cs := make([]cpuwindow.Sample, len(samples))
	for k, s := range samples {
		cs[k] = cpuwindow.Sample{At: s.at, Idle: float64(s.stat.IdleTicks()), Steal: float64(s.stat.Steal),
			Total: float64(s.stat.Total()), CPUs: s.stat.CPUs}
	}
	return cpuwindow.Window(cs, from, to, "machine", "/proc/stat")
}

// containerWindow is a container's CPU seconds between its samples
// bracketing [from, to], or why unknown.
func containerWindow(samples []containerSample, from, to time.Time) (*float64, string) {
	i, j, ok := cpuwindow.Bracket(len(samples), func(k int) time.Time { return samples[k].at }, from, to)
	switch {
	case !ok && len(samples) > 0 && samples[0].at.After(from):
		return nil, "started after the window began"
	case !ok:
		return nil, "its CPU counter was not read at both ends of the window"
	case samples[j].cpu < samples[i].cpu:
		return nil, "its CPU counter went back (restarted)"
	}
	secs := (samples[j].cpu - samples[i].cpu).Seconds()
	return &secs, ""
}

// settingsEnvPrefixes are the variables a run records of its containers:
// the app's and the original's own settings (APP_*, ORIGINAL_*),
// passwords removed.
var settingsEnvPrefixes = []string{"APP_", "ORIGINAL_"}

// machineState is the Runner's: where the containers' counters come from
// (looked up once), and the settings of the containers its samplers saw.
type machineState struct {
	checked bool
	engine  *docker.Engine
	project string
	why     string // the containers are not sampled: why
	seen    []docker.Settings
}

// startSampler starts a measured run's sampler: the machine always, the
// lab's containers when the executor runs them on a Docker engine this
// process reaches through its socket.
func (r *Runner) startSampler(ctx context.Context) *machineSampler {
	st := &r.machine
	if !st.checked {
		st.checked = true
		if lc, ok := r.Ex.(labContainers); ok {
			eng, project, err := lc.LabEngine(ctx)
			if err != nil {
				st.why = err.Error()
			} else {
				st.engine, st.project = eng, project
			}
		} else {
			st.why = "no lab containers here (the " + r.Ex.Name() + " executor)"
		}
	}
	return startMachineSampler(ctx, st.engine, st.project, st.why)
}

// runMachine stops a run's sampler and cuts its figures for [from, to].
func (r *Runner) runMachine(s *machineSampler, from, to time.Time) *report.Machine {
	s.Stop()
	r.machine.seen = append(r.machine.seen, s.Seen()...)
	if nm, ok := r.Ex.(interface {
		NodesMachine(from, to time.Time) *report.Machine
	}); ok {
		return nm.NodesMachine(from, to) // swarm: the nodes', not this machine's
	}
	return s.Window(from, to)
}
