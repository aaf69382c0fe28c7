// Package enginecluster makes a multi-node Docker Swarm on one machine:
// several Docker engines, each in a container of the node image
// (scripts/e2e/node: Debian's docker.io on the stand-in base), on a bridge
// network of their own, one of them the swarm's manager and the others its
// workers, labelled for swarm.yaml's placement (docs/swarm.md). Images reach
// the engines by `docker save | docker exec -i NODE docker load` (no
// registry), and everything is torn down again: the node containers, their
// volumes, the network and the nested cgroup folders the inner engines made
// in the host's hierarchy.
//
// Everything a cluster creates is named after its id: the network
// mbcluster-ID, the nodes mbcluster-ID-ROLE (roles manager, app, gen1, gen2
// for four nodes), their engines' volumes mbcluster-ID-ROLE, and the cgroup
// folders /sys/fs/cgroup/*/mbcluster-ID-ROLE. Down removes them by those
// names, so it needs nothing but the id, and finding nothing is success.
//
// From the host, each node's engine answers at DOCKER_HOST=tcp://IP:2375,
// IP its address on the cluster's network (the engine listens there and on
// its Unix socket only; no TLS: the network is the machine's own bridge);
// Node.Docker runs the docker CLI inside the node instead, which needs only
// the host's engine.
package enginecluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"
)

// Prefix starts the name of everything a cluster creates.
const Prefix = "mbcluster-"

// DefaultImage is the node image (scripts/e2e/node).
const DefaultImage = "mbcluster-node:dev"

// Label marks the node containers and the network with their cluster's id.
const Label = "org.macrobench.enginecluster"

// Swarm's placement labels (docs/swarm.md).
const (
	LabelDB      = "macrobench.db"
	LabelMonitor = "macrobench.monitor"
	LabelApp     = "macrobench.app"
	LabelLoadgen = "macrobench.loadgen"
)

// Role is one node of a layout: its name's suffix and the placement labels
// it carries (each set to "true").
type Role struct {
	Name   string
	Labels []string
}

// BaseImage is the stand-in Debian base the node image is built on
// (scripts/e2e.sh makes it with debootstrap).
const BaseImage = "macrobench-standin/debian:bookworm"

// BuildNodeImage builds DefaultImage from scripts/e2e/node under the
// repository root repo, on BaseImage, with the host's docker (the legacy
// builder: its cache makes an unchanged image a second or two).
func BuildNodeImage(ctx context.Context, repo string) error {
	cmd := exec.CommandContext(ctx, "docker", "build", "-q", "--build-arg", "BASE_IMAGE="+BaseImage,
		"-t", DefaultImage, filepath.Join(repo, "scripts", "e2e", "node"))
	cmd.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building %s: %v: %s", DefaultImage, err, clip(string(out), 2000))
	}
	return nil
}

// ErrNoEngine is NeedEngine's error when the machine lacks a Docker engine
// or the stand-in base (a missing service, for the tests).
var ErrNoEngine = errors.New("no Docker engine or stand-in base")

// NeedEngine checks that the host's Docker engine answers and has
// BaseImage, then builds the node image (BuildNodeImage).
func NeedEngine(ctx context.Context, repo string) error {
	if out, err := exec.CommandContext(ctx, "docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput(); err != nil {
		return fmt.Errorf("%w: docker info: %v: %s", ErrNoEngine, err, strings.TrimSpace(string(out)))
	}
	if exec.CommandContext(ctx, "docker", "image", "inspect", BaseImage).Run() != nil {
		return fmt.Errorf("%w: no image %s (scripts/e2e.sh makes it)", ErrNoEngine, BaseImage)
	}
	return BuildNodeImage(ctx, repo)
}

// Layout is the nodes of an n-node cluster, the manager first. Four (the
// default): the manager with the database and the monitoring, one node for
// the app, two for the generators. Fewer fold roles onto the manager: three
// drop a generator node, two also put the app on the manager. The manager
// runs tasks in every layout.
func Layout(n int) ([]Role, error) {
	manager := Role{"manager", []string{LabelDB, LabelMonitor}}
	app := Role{"app", []string{LabelApp}}
	gen1 := Role{"gen1", []string{LabelLoadgen}}
	gen2 := Role{"gen2", []string{LabelLoadgen}}
	switch n {
	case 4:
		return []Role{manager, app, gen1, gen2}, nil
	case 3:
		return []Role{manager, app, gen1}, nil
	case 2:
		manager.Labels = append(manager.Labels, LabelApp)
		return []Role{manager, gen1}, nil
	}
	return nil, fmt.Errorf("enginecluster: %d nodes: want 2, 3 or 4", n)
}

var idRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,30}$`)

// CheckID rejects an id that would not make valid names.
func CheckID(id string) error {
	if !idRE.MatchString(id) {
		return fmt.Errorf("enginecluster: id %q: want lower-case letters, digits and '-', at most 31", id)
	}
	return nil
}

// NetworkName is the cluster's bridge network.
func NetworkName(id string) string { return Prefix + id }

// NodeName is a node's container, hostname, swarm node name and volume.
func NodeName(id, role string) string { return Prefix + id + "-" + role }

// Config is a cluster to bring up.
type Config struct {
	ID    string
	Nodes int    // 2, 3 or 4 (0: 4)
	Image string // the node image ("": DefaultImage)
	// Docker is the host's docker CLI ("": "docker").
	Docker string
	// Ready bounds the wait for each engine and for the swarm (0: 2 min).
	Ready time.Duration
	// Log, if set, gets a line per step.
	Log func(format string, args ...any)
}

// Node is one engine of a cluster.
type Node struct {
	Role   string
	Name   string // container, hostname, swarm node name, volume
	IP     string // on the cluster's network
	Labels []string
	docker string
}

// Host is DOCKER_HOST for the node's engine, from the host.
func (n Node) Host() string { return "tcp://" + n.IP + ":2375" }

// Docker runs the docker CLI inside the node (against its engine) and
// returns its standard output; an error carries its standard error.
func (n Node) Docker(ctx context.Context, args ...string) (string, error) {
	return run(ctx, n.docker, nil, append([]string{"exec", n.Name, "docker"}, args...)...)
}

// Cluster is a running cluster.
type Cluster struct {
	ID      string
	Network string
	Nodes   []Node // the manager first
	Timings Timings
	docker  string
}

// Timings are the measured steps of Up.
type Timings struct {
	Network, Nodes, Engines, Swarm, Total time.Duration
}

// Manager is the swarm's manager node.
func (c *Cluster) Manager() Node { return c.Nodes[0] }

// Node is the node of the role.
func (c *Cluster) Node(role string) (Node, bool) {
	for _, n := range c.Nodes {
		if n.Role == role {
			return n, true
		}
	}
	return Node{}, false
}

func (c Config) docker() string {
	if c.Docker == "" {
		return "docker"
	}
	return c.Docker
}

func (c Config) logf(format string, args ...any) {
	if c.Log != nil {
		c.Log(format, args...)
	}
}

// nodeArgs is `docker run` for a node: the capabilities, security options
// and cgroup mount DESIGN.md's recipe names (--privileged fails here: the
// sandbox lacks CAP_SYS_RESOURCE), the engine's data in a named volume, and
// dockerd's flags (its cgroups under /<node name>, vfs storage).
func nodeArgs(id, image string, r Role) []string {
	name := NodeName(id, r.Name)
	return []string{
		"run", "-d", "--name", name, "--hostname", name,
		"--network", NetworkName(id),
		"--label", Label + "=" + id, "--label", Label + ".role=" + r.Name,
		"--cap-add", "SYS_ADMIN", "--cap-add", "NET_ADMIN", "--cap-add", "MKNOD",
		"--cap-add", "SYS_PTRACE", "--cap-add", "NET_RAW",
		"--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
		"-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
		"-v", name + ":/var/lib/docker",
		image,
		"--cgroup-parent=/" + name, "--storage-driver=vfs",
	}
}

// Up brings a cluster up: the network, the nodes, each engine answering,
// the swarm (init on the manager's address, the others joined as workers)
// with every node Ready and labelled. When it fails, or ctx ends, it tears
// down what it made (Down) and returns the error.
func Up(ctx context.Context, cfg Config) (c *Cluster, err error) {
	if err := CheckID(cfg.ID); err != nil {
		return nil, err
	}
	n := cfg.Nodes
	if n == 0 {
		n = 4
	}
	roles, err := Layout(n)
	if err != nil {
		return nil, err
	}
	image := cfg.Image
	if image == "" {
		image = DefaultImage
	}
	ready := cfg.Ready
	if ready == 0 {
		ready = 2 * time.Minute
	}
	d := cfg.docker()
	defer func() {
		if err != nil {
			cfg.logf("up failed (%v): tearing down", err)
			if derr := Down(cfg.ID, DownConfig{Docker: d, Image: image}); derr != nil {
				err = errors.Join(err, derr)
			}
			c = nil
		}
	}()
	start := time.Now()
	c = &Cluster{ID: cfg.ID, Network: NetworkName(cfg.ID), docker: d}

	t := time.Now()
	if _, err := run(ctx, d, nil, "network", "create", "--driver", "bridge", "--label", Label+"="+cfg.ID, c.Network); err != nil {
		return nil, err
	}
	c.Timings.Network = time.Since(t)
	cfg.logf("network %s (%s)", c.Network, c.Timings.Network.Round(time.Millisecond))

	t = time.Now()
	for _, r := range roles {
		if _, err := run(ctx, d, nil, nodeArgs(cfg.ID, image, r)...); err != nil {
			return nil, err
		}
		node := Node{Role: r.Name, Name: NodeName(cfg.ID, r.Name), Labels: r.Labels, docker: d}
		ip, err := run(ctx, d, nil, "inspect", "-f", `{{(index .NetworkSettings.Networks "`+c.Network+`").IPAddress}}`, node.Name)
		if err != nil {
			return nil, err
		}
		node.IP = strings.TrimSpace(ip)
		c.Nodes = append(c.Nodes, node)
	}
	c.Timings.Nodes = time.Since(t)
	cfg.logf("%d node containers (%s)", len(c.Nodes), c.Timings.Nodes.Round(time.Millisecond))

	t = time.Now()
	for _, node := range c.Nodes {
		if err := waitEngine(ctx, node, ready); err != nil {
			return nil, err
		}
	}
	c.Timings.Engines = time.Since(t)
	cfg.logf("engines answering (%s)", c.Timings.Engines.Round(time.Millisecond))

	t = time.Now()
	if err := c.formSwarm(ctx, ready); err != nil {
		return nil, err
	}
	c.Timings.Swarm = time.Since(t)
	c.Timings.Total = time.Since(start)
	cfg.logf("swarm of %d nodes, labelled and Ready (%s); up in %s", len(c.Nodes), c.Timings.Swarm.Round(time.Millisecond), c.Timings.Total.Round(time.Millisecond))
	return c, nil
}

// waitEngine waits until the node's engine answers; a node container that
// exited ends the wait at once, with its log.
func waitEngine(ctx context.Context, node Node, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	var last error
	for {
		if _, err := node.Docker(ctx, "version", "--format", "{{.Server.Version}}"); err == nil {
			return nil
		} else {
			last = err
		}
		state, _ := run(ctx, node.docker, nil, "inspect", "-f", "{{.State.Status}}", node.Name)
		if s := strings.TrimSpace(state); s != "" && s != "running" {
			logs, _ := combined(ctx, node.docker, "logs", "--tail", "30", node.Name)
			return fmt.Errorf("node %s: container %s before its engine answered: %s", node.Name, s, clip(logs, 2000))
		}
		if ctx.Err() != nil {
			return fmt.Errorf("node %s: waiting for its engine: %w", node.Name, ctx.Err())
		}
		if time.Now().After(deadline) {
			logs, _ := combined(context.Background(), node.docker, "logs", "--tail", "30", node.Name)
			return fmt.Errorf("node %s: engine not answering after %s: %v; its log: %s", node.Name, limit, last, clip(logs, 2000))
		}
		time.Sleep(300 * time.Millisecond)
	}
}

func (c *Cluster) formSwarm(ctx context.Context, limit time.Duration) error {
	m := c.Manager()
	if _, err := m.Docker(ctx, "swarm", "init", "--advertise-addr", m.IP); err != nil {
		return err
	}
	token, err := m.Docker(ctx, "swarm", "join-token", "-q", "worker")
	if err != nil {
		return err
	}
	for _, w := range c.Nodes[1:] {
		if _, err := w.Docker(ctx, "swarm", "join", "--advertise-addr", w.IP, "--token", strings.TrimSpace(token), m.IP+":2377"); err != nil {
			return err
		}
	}
	for _, node := range c.Nodes {
		args := []string{"node", "update"}
		for _, l := range node.Labels {
			args = append(args, "--label-add", l+"=true")
		}
		if _, err := m.Docker(ctx, append(args, node.Name)...); err != nil {
			return err
		}
	}
	deadline := time.Now().Add(limit)
	for {
		nodes, err := c.SwarmNodes(ctx)
		if err == nil {
			err = c.checkNodes(nodes)
		}
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("swarm not ready after %s: %w", limit, errors.Join(err, ctx.Err()))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// SwarmNode is a node as the manager sees it.
type SwarmNode struct {
	Hostname     string
	State        string // ready
	Availability string // active
	Manager      bool
	Addr         string
	Labels       map[string]string
}

// SwarmNodes lists the swarm's nodes, as the manager sees them (`docker
// node inspect`).
func (c *Cluster) SwarmNodes(ctx context.Context) ([]SwarmNode, error) {
	m := c.Manager()
	ids, err := m.Docker(ctx, "node", "ls", "-q")
	if err != nil {
		return nil, err
	}
	var out []SwarmNode
	const format = `{{.Description.Hostname}}|{{.Status.State}}|{{.Spec.Availability}}|{{.Spec.Role}}|{{.Status.Addr}}|{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}},{{end}}`
	for _, id := range strings.Fields(ids) {
		line, err := m.Docker(ctx, "node", "inspect", "-f", format, id)
		if err != nil {
			return nil, err
		}
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 6 {
			return nil, fmt.Errorf("docker node inspect %s: %q", id, line)
		}
		sn := SwarmNode{Hostname: f[0], State: f[1], Availability: f[2], Manager: f[3] == "manager", Addr: f[4], Labels: map[string]string{}}
		for _, kv := range strings.Split(f[5], ",") {
			if k, v, ok := strings.Cut(kv, "="); ok {
				sn.Labels[k] = v
			}
		}
		out = append(out, sn)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Hostname < out[j].Hostname })
	return out, nil
}

// checkNodes: every node of the cluster is in the swarm, ready, active, at
// its address, with exactly its labels; the manager is the only manager.
func (c *Cluster) checkNodes(got []SwarmNode) error {
	if len(got) != len(c.Nodes) {
		return fmt.Errorf("%d swarm nodes, want %d: %+v", len(got), len(c.Nodes), got)
	}
	by := map[string]SwarmNode{}
	for _, s := range got {
		by[s.Hostname] = s
	}
	var errs []error
	for i, n := range c.Nodes {
		s, ok := by[n.Name]
		if !ok {
			errs = append(errs, fmt.Errorf("node %s not in the swarm", n.Name))
			continue
		}
		if s.State != "ready" || s.Availability != "active" || s.Manager != (i == 0) || s.Addr != n.IP {
			errs = append(errs, fmt.Errorf("node %s: state %s, availability %s, manager %v, address %s (want ready, active, %v, %s)", n.Name, s.State, s.Availability, s.Manager, s.Addr, i == 0, n.IP))
		}
		want := map[string]string{}
		for _, l := range n.Labels {
			want[l] = "true"
		}
		if fmt.Sprint(want) != fmt.Sprint(s.Labels) {
			errs = append(errs, fmt.Errorf("node %s: labels %v, want %v", n.Name, s.Labels, want))
		}
	}
	return errors.Join(errs...)
}

// CheckNodes checks the swarm as the manager sees it now: every node ready,
// active, at its address, with its labels.
func (c *Cluster) CheckNodes(ctx context.Context) error {
	got, err := c.SwarmNodes(ctx)
	if err != nil {
		return err
	}
	return c.checkNodes(got)
}

// Load is one image loaded into one node.
type Load struct {
	Node, Image string
	Took        time.Duration
}

// LoadImages copies each image from the host's engine into each of the
// nodes of the named roles (all nodes when none is named); see LoadPlan.
func (c *Cluster) LoadImages(ctx context.Context, images []string, roles ...string) ([]Load, error) {
	if len(roles) == 0 {
		for _, n := range c.Nodes {
			roles = append(roles, n.Role)
		}
	}
	plan := map[string][]string{}
	for _, r := range roles {
		plan[r] = append(plan[r], images...)
	}
	return c.LoadPlan(ctx, plan)
}

// LoadPlan copies images from the host's engine into nodes: plan maps a
// role to its node's images. Each load is `docker save IMAGE | docker exec
// -i NODE docker load`; the nodes load in parallel, each node's images one
// after the other. It returns each load's time.
func (c *Cluster) LoadPlan(ctx context.Context, plan map[string][]string) ([]Load, error) {
	var targets []Node
	for role := range plan {
		n, ok := c.Node(role)
		if !ok {
			return nil, fmt.Errorf("enginecluster: no %s node in %s", role, c.ID)
		}
		targets = append(targets, n)
	}
	var (
		mu    sync.Mutex
		loads []Load
		errs  []error
		wg    sync.WaitGroup
	)
	for _, n := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, img := range plan[n.Role] {
				t := time.Now()
				err := c.loadOne(ctx, n, img)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					loads = append(loads, Load{Node: n.Name, Image: img, Took: time.Since(t)})
				}
				mu.Unlock()
				if err != nil {
					return
				}
			}
		}()
	}
	wg.Wait()
	return loads, errors.Join(errs...)
}

func (c *Cluster) loadOne(ctx context.Context, n Node, image string) error {
	save := exec.CommandContext(ctx, c.docker, "save", image)
	load := exec.CommandContext(ctx, c.docker, "exec", "-i", n.Name, "docker", "load", "-q")
	pr, pw := io.Pipe()
	var saveErr, loadErr bytes.Buffer
	save.Stdout, save.Stderr = pw, &saveErr
	load.Stdin, load.Stderr = pr, &loadErr
	if err := load.Start(); err != nil {
		return err
	}
	serr := save.Run()
	pw.CloseWithError(serr)
	lerr := load.Wait()
	if serr != nil {
		return fmt.Errorf("docker save %s: %v: %s", image, serr, clip(saveErr.String(), 800))
	}
	if lerr != nil {
		return fmt.Errorf("docker load of %s into %s: %v: %s", image, n.Name, lerr, clip(loadErr.String(), 800))
	}
	return nil
}

// DiskUsage is the size of each node's /var/lib/docker (du -sb): the vfs
// layers of its images and containers.
func (c *Cluster) DiskUsage(ctx context.Context) (map[string]int64, error) {
	out := map[string]int64{}
	for _, n := range c.Nodes {
		s, err := run(ctx, c.docker, nil, "exec", n.Name, "du", "-sb", "/var/lib/docker")
		if err != nil {
			return nil, err
		}
		var b int64
		if _, err := fmt.Sscan(s, &b); err != nil {
			return nil, fmt.Errorf("du on %s: %q", n.Name, s)
		}
		out[n.Name] = b
	}
	return out, nil
}

// Env is the shell variables that reach each node's engine from the host:
// MBCLUSTER_ID, MBCLUSTER_NETWORK, MBCLUSTER_NODES (the container names, the
// manager first) and, per role, MBCLUSTER_<ROLE>_NAME, _IP and _HOST
// (DOCKER_HOST), MBCLUSTER_MANAGER_HOST for the swarm's commands, and
// MBCLUSTER_OVERLAY: the Swarm overlay its stacks can use (Overlay).
func (c *Cluster) Env() []string {
	var names []string
	env := []string{"MBCLUSTER_ID=" + c.ID, "MBCLUSTER_NETWORK=" + c.Network}
	for _, n := range c.Nodes {
		names = append(names, n.Name)
		r := strings.ToUpper(n.Role)
		env = append(env, "MBCLUSTER_"+r+"_NAME="+n.Name, "MBCLUSTER_"+r+"_IP="+n.IP, "MBCLUSTER_"+r+"_HOST="+n.Host())
	}
	overlay, _ := Overlay()
	return append(env, "MBCLUSTER_NODES="+strings.Join(names, " "), "MBCLUSTER_OVERLAY="+overlay)
}

// Attach finds a running cluster by its id (its node containers' labels),
// e.g. one `up` left for a later command.
func Attach(ctx context.Context, id, dockerBin string) (*Cluster, error) {
	if dockerBin == "" {
		dockerBin = "docker"
	}
	if err := CheckID(id); err != nil {
		return nil, err
	}
	c := &Cluster{ID: id, Network: NetworkName(id), docker: dockerBin}
	for _, r := range allRoles {
		name := NodeName(id, r)
		ip, err := run(ctx, dockerBin, nil, "inspect", "-f", `{{(index .NetworkSettings.Networks "`+c.Network+`").IPAddress}}`, name)
		if err != nil {
			continue
		}
		c.Nodes = append(c.Nodes, Node{Role: r, Name: name, IP: strings.TrimSpace(ip), docker: dockerBin})
	}
	if len(c.Nodes) == 0 || c.Nodes[0].Role != "manager" {
		return nil, fmt.Errorf("enginecluster: no running cluster %s", id)
	}
	if roles, err := Layout(len(c.Nodes)); err == nil {
		for i := range c.Nodes {
			c.Nodes[i].Labels = roles[i].Labels
		}
	}
	return c, nil
}

func run(ctx context.Context, bin string, stdin io.Reader, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", bin, strings.Join(args, " "), err, clip(strings.TrimSpace(errb.String()), 800))
	}
	return out.String(), nil
}

func combined(ctx context.Context, bin string, args ...string) (string, error) {
	b, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	return string(b), err
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
