package benchrun

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/macrobench/macrobench/internal/lab/evidence"
	"github.com/macrobench/macrobench/internal/lab/nodecpu"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/lab/swarm"
	"github.com/macrobench/macrobench/internal/shared/docker"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
	"github.com/macrobench/macrobench/internal/shared/promapi"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// SwarmExecutor runs the bench on a Docker Swarm stack (swarm.yaml,
// internal/lab/swarm): every generator run is a replicated job of its own
// on the macrobench.loadgen nodes (or, "via localhost", on the app's node),
// whose tasks' JSON is read from their logs; pgbench is a one-shot job on
// the database node, its password a Swarm secret. The docker CLI must talk
// to a manager (DOCKER_HOST).
type SwarmExecutor struct {
	Stack *swarm.Stack
	// Lead is how long after a job's creation its tasks start together
	// (--start-at): time for Swarm to place and start them.
	Lead time.Duration

	appURL, promURL string
	appNode         string // the node running the app's task

	mu   sync.Mutex
	jobs []SwarmJob   // what ran where, for the metadata
	seen []swarm.Task // every job task, for the clock offsets
}

// SwarmJob is one job the bench ran, and where its tasks ran.
type SwarmJob struct {
	Service string         `json:"service"`
	Purpose string         `json:"purpose"`
	Tasks   []swarm.Placed `json:"tasks"`
}

// Default --generators-lead on swarm: a job's tasks are placed, their
// containers created (vfs storage in CI is slow) and the app's name resolved
// before the common start.
const swarmGeneratorsLead = 8 * time.Second

var swarmSeq atomic.Int64

func (e *SwarmExecutor) Name() string { return "swarm" }

// Up deploys the stack (an unchanged one stays as it is) and waits until it
// is ready; the app's and Prometheus's URLs are on this machine's loopback,
// through the tunnel into the stack's network (swarm.Stack.Reach): the
// stack publishes no port.
func (e *SwarmExecutor) Up(ctx context.Context, timeout time.Duration) error {
	if err := e.Stack.Up(ctx, timeout); err != nil {
		return err
	}
	app, prom, err := e.Stack.URLs(ctx)
	if err != nil {
		return err
	}
	e.appURL, e.promURL = app, prom
	ts, err := e.Stack.Tasks(ctx, swarm.AppService)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if t.DesiredState == "running" && t.Running() {
			e.appNode = t.NodeID
		}
	}
	if e.appNode == "" {
		return errors.New("the app has no running task")
	}
	return nil
}

// exporterURL is postgres-exporter's, through the tunnel.
func (e *SwarmExecutor) exporterURL(ctx context.Context) (string, error) {
	return e.Stack.Reach(ctx, "postgres-exporter", 9187)
}

// PrometheusURL is the stack's Prometheus (through the tunnel).
func (e *SwarmExecutor) PrometheusURL() string { return e.promURL }

// HostURL is the app's URL through the tunnel; the original does not run
// on the cluster ("").
func (e *SwarmExecutor) HostURL(target string) string {
	if target == report.TargetOriginal {
		return ""
	}
	return e.appURL
}

// GeneratorCPUs is a generator task's CPU limit (swarm.yaml's
// LOADTEST_CPUS, 2 by default), at most the smallest loadgen node's CPUs.
func (e *SwarmExecutor) GeneratorCPUs(ctx context.Context) int {
	n := 2
	if v, err := strconv.ParseFloat(e.env("LOADTEST_CPUS"), 64); err == nil && v >= 1 {
		n = int(v)
	}
	if ns, err := e.Stack.Nodes(ctx); err == nil {
		for _, node := range ns {
			if node.Labels["macrobench.loadgen"] == "true" && node.CPUs > 0 {
				n = min(n, node.CPUs)
			}
		}
	}
	return n
}

func (e *SwarmExecutor) env(name string) string {
	env, err := swarm.Environ(e.Stack.Repo, os.Environ(), nil)
	if err != nil {
		return ""
	}
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, name+"="); ok {
			return v
		}
	}
	return ""
}

// Generate runs the generator as a job of one task (GenerateParts).
func (e *SwarmExecutor) Generate(ctx context.Context, s GenSpec) (string, string, error) {
	texts, files, err := e.GenerateParts(ctx, s, 1)
	if len(texts) == 0 {
		return "", "", err
	}
	return texts[0], files[0], err
}

// GenerateParts runs s as one job of n tasks, each with 1/n of its
// connections and rate (ShareArgs: Swarm gives a job's tasks no index, so
// the shares are equal), all starting Lead after the job's creation. "Via
// localhost" has no meaning on swarm: its tasks are placed on the app's
// node and reach it over the overlay network. With n = 1 the JSON is
// Dir/Stem.json; otherwise part i's is Dir/PartStem(Stem, i, n).json.
func (e *SwarmExecutor) GenerateParts(ctx context.Context, s GenSpec, n int) (texts, files []string, err error) {
	if s.Target == report.TargetOriginal {
		return nil, nil, errors.New("the original does not run on swarm")
	}
	args, err := ShareArgs(s.Args, n)
	if err != nil {
		return nil, nil, err
	}
	lead := e.Lead
	if lead <= 0 {
		lead = swarmGeneratorsLead
	}
	startAt := time.Now().Add(lead).UTC().Format(time.RFC3339Nano)
	args = append(args, "--start-at", startAt, "--metrics-addr", ":9102", "--json", "-", "http://"+swarm.AppService+":8000"+s.Path)
	constraint := "node.labels.macrobench.loadgen==true"
	if s.Via == "localhost" {
		constraint = "node.id==" + e.appNode
	}
	job := swarm.OneShot{
		Name:  fmt.Sprintf("%s_gen-%d-%d", e.Stack.Name, os.Getpid(), swarmSeq.Add(1)),
		Image: e.imageOr(swarm.LoadtestService, "macrobench/loadtest:dev"), Replicas: n,
		Constraints: []string{constraint}, Args: args, Alias: swarm.LoadtestService, CPUs: e.env("LOADTEST_CPUS"),
	}
	outs, err := e.Stack.RunOneShot(ctx, job, lead+e.duration(args)+90*time.Second)
	e.record(job.Name, "generator "+s.Stem+" ("+s.Via+")", outs)
	if err != nil {
		return nil, nil, err
	}
	for i, o := range outs {
		_, raw, gerr := swarm.ExtractResult(o.Log)
		if gerr != nil {
			return nil, nil, fmt.Errorf("task %s: %v: %s", o.Task, gerr, clip(string(o.Log), 400))
		}
		stem := s.Stem
		if n > 1 {
			stem = PartStem(s.Stem, i+1, n)
		}
		file := filepath.Join(s.Dir, stem+".json")
		if err := runresult.WriteFile(file, append(bytes.TrimSpace(raw), '\n')); err != nil {
			return nil, nil, err
		}
		texts = append(texts, string(bytes.Replace(o.Log, raw, nil, 1)))
		files = append(files, file)
	}
	return texts, files, nil
}

// duration is the -dN s of a generator's arguments (0 when absent).
func (e *SwarmExecutor) duration(args []string) time.Duration {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "-d"); ok {
			if d, err := time.ParseDuration(v); err == nil {
				return d
			}
		}
	}
	return 0
}

// imageOr is the image the stack gives service, def when unreadable.
func (e *SwarmExecutor) imageOr(service, def string) string {
	if img, err := e.Stack.ServiceImage(context.Background(), service); err == nil && img != "" {
		return img
	}
	return def
}

// ShareArgs turns a whole run's generator arguments (-tT -cC -dD [-R R]
// ...) into one of n equal shares: -c C/n (C must be a multiple of n),
// -t min(T, C/n), -R R/n.
func ShareArgs(args []string, n int) ([]string, error) {
	if n < 1 {
		return nil, fmt.Errorf("%d generators", n)
	}
	out := append([]string(nil), args...)
	conns := 0
	for _, a := range out {
		if v, ok := strings.CutPrefix(a, "-c"); ok {
			conns, _ = strconv.Atoi(v)
		}
	}
	if conns < n || conns%n != 0 {
		return nil, fmt.Errorf("on swarm, a run's connections (%d) must be a positive multiple of --generators (%d): a job's tasks get the same arguments, each an equal share", conns, n)
	}
	share := conns / n
	for i := 0; i < len(out); i++ {
		switch {
		case strings.HasPrefix(out[i], "-c"):
			out[i] = "-c" + strconv.Itoa(share)
		case strings.HasPrefix(out[i], "-t"):
			if t, err := strconv.Atoi(out[i][2:]); err == nil {
				out[i] = "-t" + strconv.Itoa(max(1, min(t, share)))
			}
		case out[i] == "-R" && i+1 < len(out):
			r, err := strconv.ParseFloat(out[i+1], 64)
			if err != nil {
				return nil, fmt.Errorf("-R %q: %v", out[i+1], err)
			}
			out[i+1] = strconv.FormatFloat(r/float64(n), 'f', -1, 64)
			i++
		}
	}
	return out, nil
}

// Pgbench runs pgbench as a one-shot job on the database node (the
// stack's PostgreSQL image, which has it), over the overlay network to
// postgres:5432 as the bench's role; the password is a Swarm secret made
// for the job and removed after it; the script goes in the job's
// environment.
func (e *SwarmExecutor) Pgbench(ctx context.Context, script string, args []string) (string, string, error) {
	command := "pgbench " + strings.Join(args, " ") + " -f agents.sql macrobench (a swarm job on the macrobench.db node, -h postgres)"
	pw := e.env(pgroles.PasswordVar[pgroles.Bench])
	if pw == "" {
		return "", command, fmt.Errorf("%s is not set (.env)", pgroles.PasswordVar[pgroles.Bench])
	}
	name := fmt.Sprintf("%s_pgbench-%d-%d", e.Stack.Name, os.Getpid(), swarmSeq.Add(1))
	if err := e.Stack.CreateSecret(ctx, name, pw); err != nil {
		return "", command, err
	}
	defer e.Stack.RemoveSecret(name)
	// A fixed script; the secret's path and pgbench's arguments are its
	// arguments ($1, then "$@"), never joined into it.
	const sh = `for d in /usr/lib/postgresql/*/bin; do PATH=$PATH:$d; done; ` +
		`printf '%s' "$MB_SCRIPT" > /tmp/agents.sql && PGPASSWORD=$(cat "$1") && export PGPASSWORD && shift && exec pgbench "$@"`
	pgArgs := append([]string{"-c", sh, "sh", "/run/secrets/" + name, "-h", "postgres", "-U", pgroles.Bench}, args...)
	job := swarm.OneShot{Name: name, Image: e.imageOr("postgres", "postgres:15.18-bookworm"), Replicas: 1,
		Constraints: []string{"node.labels.macrobench.db==true"}, Env: map[string]string{"MB_SCRIPT": script},
		Secrets: []string{name}, Entrypoint: "sh", Args: append(pgArgs, "-f", "/tmp/agents.sql", "macrobench")}
	outs, err := e.Stack.RunOneShot(ctx, job, 5*time.Minute)
	e.record(job.Name, "pgbench ceiling", outs)
	text := ""
	if len(outs) > 0 {
		text = string(outs[0].Log)
	}
	if err != nil {
		return text, command, fmt.Errorf("pgbench job: %v", err)
	}
	return text, command, nil
}

func (e *SwarmExecutor) record(service, purpose string, outs []swarm.TaskOutput) {
	e.mu.Lock()
	defer e.mu.Unlock()
	j := SwarmJob{Service: service, Purpose: purpose}
	for _, o := range outs {
		j.Tasks = append(j.Tasks, swarm.Placed{Service: service, Task: o.Task.ID, Node: o.Task.NodeID, State: o.Task.Status.State})
		e.seen = append(e.seen, o.Task)
	}
	e.jobs = append(e.jobs, j)
}

// NodesMachine is a run's machine figures on swarm: of the nodes that ran
// the app and this run's generator tasks (the job recorded last), the
// busiest one's CPU over [from, to], read from node-exporter through the
// stack's Prometheus (internal/lab/nodecpu). What cannot be read is
// unknown, never this machine's /proc/stat.
func (e *SwarmExecutor) NodesMachine(from, to time.Time) *report.Machine {
	unknown := func(why string) *report.Machine {
		return &report.Machine{From: from.UTC().Format(time.RFC3339Nano), To: to.UTC().Format(time.RFC3339Nano), WindowS: to.Sub(from).Seconds(),
			Unknown: []string{"swarm: the nodes' CPU: " + why}}
	}
	ctx, cancel := context.WithTimeout(context.Background(), nodecpu.ScrapeWait+30*time.Second)
	defer cancel()
	nodes, err := e.Stack.Nodes(ctx)
	if err != nil {
		return unknown("the nodes could not be listed: " + err.Error())
	}
	prom, err := promapi.New(e.promURL)
	if err != nil {
		return unknown(err.Error())
	}
	e.mu.Lock()
	ranIDs := []string{e.appNode}
	if len(e.jobs) > 0 {
		for _, t := range e.jobs[len(e.jobs)-1].Tasks {
			ranIDs = append(ranIDs, t.Node)
		}
	}
	e.mu.Unlock()
	var hostnames, ran []string
	for _, n := range nodes {
		hostnames = append(hostnames, n.Hostname)
		if slices.Contains(ranIDs, n.ID) && !slices.Contains(ran, n.Hostname) {
			ran = append(ran, n.Hostname)
		}
	}
	figs, err := nodecpu.Read(ctx, prom, hostnames, from, to)
	if err != nil {
		return unknown("Prometheus at " + e.promURL + " could not be read: " + err.Error())
	}
	return nodecpu.Busiest(figs, ran)
}

// Describe names each node (hostname, id, labels), what ran on which, and
// each node's clock offset from the manager.
func (e *SwarmExecutor) Describe(ctx context.Context, md map[string]any) {
	md["swarm_stack"] = e.Stack.Name
	md["swarm_stack_files"] = append([]string{swarm.StackFile}, e.Stack.Extra...)
	md["prometheus_url"] = e.promURL
	md["app_node"] = e.appNode
	if ns, err := e.Stack.Nodes(ctx); err == nil {
		md["swarm_nodes"] = ns
	} else {
		md["swarm_nodes_error"] = err.Error()
	}
	md["swarm_network"] = e.Stack.Network() // _encrypted (IPsec) or _plain (SWARM_OVERLAY)
	md["swarm_via_localhost"] = "Swarm has no shared network namespace: the \"via localhost\" runs are jobs placed on the app's node (node.id constraint) reaching http://app:8000 over the overlay network"
}

// DescribeEnd adds, once the runs are done, where the stack's services
// and every job's tasks ran, and each node's clock offset from the
// manager (from all those tasks).
func (e *SwarmExecutor) DescribeEnd(ctx context.Context, md map[string]any) {
	placed, ts, err := e.Stack.StackTasks(ctx)
	if err == nil {
		md["swarm_services"] = placed
	} else {
		md["swarm_services_error"] = err.Error()
	}
	e.mu.Lock()
	md["swarm_jobs"] = append([]SwarmJob(nil), e.jobs...)
	ts = append(ts, e.seen...)
	e.mu.Unlock()
	md["swarm_clock_offsets"] = swarm.ClockOffsets(ts)
	md["swarm_clock_offset_method"] = swarm.OffsetMethod
}

// upSwarm makes the swarm executor for --swarm: the stack deployed (or
// found) and ready, and the evidence's sources that exist there, through
// the tunnel: Prometheus, and PostgreSQL's counters from postgres-exporter
// (the cluster opens no database port), unless --database-url names one.
func upSwarm(ctx context.Context, cfg *Settings, r *Runner, logf func(string, ...any)) (*SwarmExecutor, error) {
	st := &swarm.Stack{Docker: docker.CLI{Bin: envOr("DOCKER", "docker")}, Name: cfg.Stack, Repo: ".", Extra: cfg.StackFiles, Log: r.Log}
	ex := &SwarmExecutor{Stack: st, Lead: cfg.GeneratorsLead}
	logf("bench: swarm stack %s: deploying (an unchanged stack stays as it is) and waiting until it is ready", st.Name)
	if err := ex.Up(ctx, 5*time.Minute); err != nil {
		return nil, err
	}
	logf("bench: swarm: the app (node %s) at %s and Prometheus at %s: this machine's ends of the tunnel through the Docker API into the stack's network (its gateway service); the stack publishes no port", ex.appNode, ex.appURL, ex.promURL)
	if cfg.PrometheusURL == "" {
		cfg.PrometheusURL = ex.promURL
	}
	if cfg.DatabaseURL == "" {
		// No database port on the cluster: PostgreSQL's counters through
		// postgres-exporter (its macrobench_db_* metrics), by the tunnel.
		cfg.DatabaseURL = "off"
		url, err := ex.exporterURL(ctx)
		if err == nil {
			var db *evidence.DB
			if db, err = evidence.OpenExporter(ctx, url); err == nil {
				r.DB = db
				r.Notes = append(r.Notes, "swarm: PostgreSQL's counters (agents query calls, sessions, backends at work) read through postgres-exporter (postgres-exporter:9187 on the stack's network, by the tunnel: "+url+"; its macrobench_db_* metrics, the same query the bench runs over a connection on one engine): the cluster opens no database port")
			}
		}
		if err != nil {
			r.Notes = append(r.Notes, "swarm: no PostgreSQL evidence (agents query calls, sessions, backends at work): unknown, not reconciled: the cluster opens no database port and postgres-exporter was not readable: "+err.Error())
		}
	}
	if cfg.GrafanaURL == "" {
		cfg.GrafanaURL = "off"
	}
	r.Notes = append(r.Notes, "swarm: the \"via localhost\" runs (saturation) are generator jobs placed on the app's node, reaching the app over the overlay network (http://app:8000): Swarm has no shared network namespace, and a host-network job would go through the engine's port proxy",
		fmt.Sprintf("swarm: every measured run was one Swarm job of %d tasks, each with an equal share of the connections and rate (-c C/%d, -R R/%d: a job's tasks get the same arguments) and a common --start-at; its figures are their merged result (bench merge), each task's own files beside it (<run>.partIof%d.json, .txt). Warm-ups are one task. Each run's machine figures are the busiest node's that ran the app or a task of its job (node-exporter; machine.node)", cfg.Generators, cfg.Generators, cfg.Generators, cfg.Generators))
	return ex, nil
}
