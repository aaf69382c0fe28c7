package stackcheck

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/macrobench/macrobench/internal/lab/swarm"
	"github.com/prometheus/prometheus/config"
	"github.com/prometheus/prometheus/discovery/dns"
)

// SwarmFile is the Swarm stack's file (docs/swarm.md), SwarmPublishFile the
// one merged over it by those who ask for published ports, and
// PrometheusSwarmFile the Prometheus configuration it deploys.
const (
	SwarmFile           = "swarm.yaml"
	SwarmPublishFile    = "swarm.publish.yaml"
	PrometheusSwarmFile = "prometheus/prometheus.swarm.yml"
)

// LoadSwarm loads dir/swarm.yaml with dir/.env's variables under env (as
// `bench swarm` passes them to `docker stack deploy`), and placeholders
// for those bench swarm sets itself (swarm.DeployVars) unless env has them.
// Further files (dir-relative) are merged over it, as `-c FILE` does.
func LoadSwarm(ctx context.Context, dir string, env []string, files ...string) (*types.Project, error) {
	var all []string
	for _, name := range swarm.DeployVars() {
		all = append(all, name+"=set-by-bench-swarm")
	}
	more := func(o *cli.ProjectOptions) error {
		for _, f := range files {
			o.ConfigPaths = append(o.ConfigPaths, filepath.Join(dir, f))
		}
		return nil
	}
	return loadProject(ctx, filepath.Join(dir, SwarmFile), append(all, env...), cli.WithName("macrobench"), more)
}

// NodeExporter is the Swarm-only service on every node (swarm.yaml): each
// node's CPU for the bench's classes. compose.yaml has none: on one engine
// the bench reads /proc/stat itself.
const NodeExporter = "node-exporter"

// nodeExporterMounts are dockprom's: the host's /proc, /sys and / at the
// paths node-exporter's flags name.
var nodeExporterMounts = map[string]string{"/proc": "/host/proc", "/sys": "/host/sys", "/": "/rootfs"}

// checkNodeExporter checks the node-exporter service: global (a task on
// every node), no published port, every mount a read-only bind of the
// host's /proc, /sys or / at dockprom's paths, its flags pointing there,
// and the node's hostname (node_uname_info's nodename names the node).
func checkNodeExporter(ss types.ServiceConfig, bad func(service, field, format string, args ...any)) {
	name := NodeExporter
	if ss.Deploy == nil || ss.Deploy.Mode != "global" {
		bad(name, "deploy.mode", "want global (one task on every node)")
	}
	if len(ss.Ports) > 0 {
		bad(name, "ports", "%d published, want none (only Prometheus reads it, on the stack's network)", len(ss.Ports))
	}
	seen := map[string]bool{}
	for i, v := range ss.Volumes {
		want, ok := nodeExporterMounts[v.Source]
		switch {
		case v.Type != types.VolumeTypeBind || !ok || v.Target != want:
			bad(name, fmt.Sprintf("volumes[%d]", i), "%s %s:%s, want binds of /proc, /sys and / at /host/proc, /host/sys, /rootfs", v.Type, v.Source, v.Target)
		case !v.ReadOnly:
			bad(name, fmt.Sprintf("volumes[%d].read_only", i), "%s is mounted writable, want read-only", v.Source)
		default:
			seen[v.Source] = true
		}
	}
	for src, target := range nodeExporterMounts {
		if !seen[src] {
			bad(name, "volumes", "no read-only bind of %s at %s", src, target)
		}
	}
	for _, flag := range []string{"--path.procfs=/host/proc", "--path.sysfs=/host/sys", "--path.rootfs=/rootfs", "--collector.cpu", "--collector.uname"} {
		if !slices.Contains(ss.Command, flag) {
			bad(name, "command", "no %s", flag)
		}
	}
	if ss.Hostname != "{{.Node.Hostname}}" {
		bad(name, "hostname", "%q, want \"{{.Node.Hostname}}\" (node_uname_info's nodename names the node)", ss.Hostname)
	}
}

// GatewayService is the bench's way into the stack's network: placed on
// the node that deploys (node.id), not by a role; it listens on nothing.
const GatewayService = swarm.GatewayService

// secretEnv is an environment variable's name that says it holds a
// credential; swarm.yaml gives such values only as files (NAME_FILE,
// NAME__FILE: a path under /run/secrets).
var secretEnv = regexp.MustCompile(`(?i)(PASSWORD|PASSWD|_PASS|SECRET|TOKEN)`)

// checkSwarmOpen checks that a service of swarm.yaml publishes nothing and
// has no credential in its environment: a password's variable must name a
// file under /run/secrets (or the kernel's random UUID, PostgreSQL's
// superuser), and no value may be a URL with a password.
func checkSwarmOpen(name string, ss types.ServiceConfig, bad func(service, field, format string, args ...any)) {
	if len(ss.Ports) > 0 {
		bad(name, "ports", "%d published: swarm.yaml publishes nothing (%s does, for those who ask)", len(ss.Ports), SwarmPublishFile)
	}
	for k, v := range ss.Environment {
		val := ""
		if v != nil {
			val = *v
		}
		file := strings.HasSuffix(k, "_FILE")
		if secretEnv.MatchString(k) && (!file || !(strings.HasPrefix(val, "/run/secrets/") || val == "/proc/sys/kernel/random/uuid")) {
			bad(name, "environment."+k, "a credential in the environment (docker service inspect shows it): give it as a Swarm secret, %s_FILE=/run/secrets/NAME", strings.TrimSuffix(k, "_FILE"))
		}
		if u, err := url.Parse(val); err == nil && u.User != nil {
			if _, ok := u.User.Password(); ok {
				bad(name, "environment."+k, "a URL with a password: give the password as a Swarm secret")
			}
		}
	}
}

// swarmRoles are the node labels that place the services (docs/swarm.md).
var swarmRoles = []string{"db", "app", "monitor", "loadgen"}

// CheckSwarm checks swarm.yaml (s) against compose.yaml (c): the same
// long-running services with the same images, plus the generator as a
// replicated job and node-exporter on every node (checkNodeExporter);
// every other service placed by a macrobench node label, reached
// by DNS round robin (no virtual IP), publishing in host mode, confined
// (no capabilities, read-only root, CPU, memory and pids limits); the
// generator a job never restarted, at 0 replicas (the bench's jobs use its
// image); every config's file present in the repository.
func CheckSwarm(s, c *types.Project, dir string) error {
	var errs []error
	bad := func(service, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: services.%s.%s: %s", SwarmFile, service, field, fmt.Sprintf(format, args...)))
	}
	for _, name := range sortedServices(c) {
		cs := c.Services[name]
		if !LongRunning(cs) && name != "loadtest" {
			continue
		}
		ss, ok := s.Services[name]
		if !ok {
			bad(name, "image", "missing (compose.yaml has it)")
			continue
		}
		if ss.Image != cs.Image {
			bad(name, "image", "%q, compose.yaml has %q", ss.Image, cs.Image)
		}
	}
	for _, name := range sortedServices(s) {
		ss := s.Services[name]
		if _, ok := c.Services[name]; !ok && name != NodeExporter && name != GatewayService {
			bad(name, "", "not in compose.yaml")
		}
		if name == NodeExporter {
			checkNodeExporter(ss, bad)
		}
		checkSwarmOpen(name, ss, bad)
		if _, ok := ss.Networks[swarm.OverlayEncrypted]; !ok || len(ss.Networks) != 1 {
			bad(name, "networks", "%v, want %s alone (the one SWARM_OVERLAY names, by default)", slices.Sorted(maps.Keys(ss.Networks)), swarm.OverlayEncrypted)
		}
		d := ss.Deploy
		if d == nil {
			bad(name, "deploy", "missing")
			continue
		}
		role := ""
		for _, con := range d.Placement.Constraints {
			for _, r := range swarmRoles {
				if strings.ReplaceAll(con, " ", "") == "node.labels.macrobench."+r+"==true" {
					role = r
				}
			}
		}
		if name == GatewayService {
			if !slices.Contains(d.Placement.Constraints, "node.id == set-by-bench-swarm") {
				bad(name, "deploy.placement.constraints", "%q: want node.id == ${SWARM_GATEWAY_NODE} (the node that deploys)", d.Placement.Constraints)
			}
		} else if role == "" && name != NodeExporter {
			bad(name, "deploy.placement.constraints", "%q: want node.labels.macrobench.{%s} == true", d.Placement.Constraints, strings.Join(swarmRoles, ","))
		}
		job := d.Mode == "replicated-job"
		if name == "loadtest" {
			if !job {
				bad(name, "deploy.mode", "%q, want replicated-job", d.Mode)
			}
			if d.RestartPolicy == nil || d.RestartPolicy.Condition != "none" {
				bad(name, "deploy.restart_policy.condition", "want none: a part run again would miss the common start")
			}
			// The generator's definition: `bench run --swarm` runs jobs of
			// its own with its image (and --json -, --start-at); it runs none.
			if d.Replicas == nil || *d.Replicas != 0 {
				bad(name, "deploy.replicas", "want 0: the bench runs jobs of its own with this image")
			}
		} else if d.EndpointMode != "dnsrr" {
			bad(name, "deploy.endpoint_mode", "%q, want dnsrr (a virtual IP needs IPVS)", d.EndpointMode)
		}
		if !slices.Contains(ss.CapDrop, "ALL") {
			bad(name, "cap_drop", "%v, want [ALL]", ss.CapDrop)
		}
		if !ss.ReadOnly {
			bad(name, "read_only", "false, want true")
		}
		if l := d.Resources.Limits; l == nil || l.NanoCPUs == 0 || l.MemoryBytes == 0 || l.Pids == 0 {
			bad(name, "deploy.resources.limits", "want cpus, memory and pids")
		}
	}
	if g, ok := s.Services["grafana"]; ok {
		if v := g.Environment["GF_AUTH_ANONYMOUS_ENABLED"]; v == nil || *v != "false" {
			bad("grafana", "environment.GF_AUTH_ANONYMOUS_ENABLED", "want \"false\": on a cluster the network is not trusted")
		}
	}
	if n, ok := s.Networks[swarm.OverlayEncrypted]; !ok || n.Driver != "overlay" {
		errs = append(errs, fmt.Errorf("%s: networks.%s: missing or not an overlay", SwarmFile, swarm.OverlayEncrypted))
	} else if _, ok := n.DriverOpts["encrypted"]; !ok {
		errs = append(errs, fmt.Errorf("%s: networks.%s.driver_opts: no encrypted (IPsec between nodes)", SwarmFile, swarm.OverlayEncrypted))
	}
	for name, sec := range s.Secrets {
		if !sec.External {
			errs = append(errs, fmt.Errorf("%s: secrets.%s: want external (bench swarm makes it from .env's value)", SwarmFile, name))
		}
	}
	for name, cfg := range s.Configs {
		if _, err := os.Stat(cfg.File); err != nil {
			errs = append(errs, fmt.Errorf("%s: configs.%s.file: %v", SwarmFile, name, err))
		} else if rel, err := filepath.Rel(dir, cfg.File); err != nil || strings.HasPrefix(rel, "..") {
			errs = append(errs, fmt.Errorf("%s: configs.%s.file: %s is outside the repository", SwarmFile, name, cfg.File))
		}
	}
	return errors.Join(errs...)
}

// CheckSwarmPublish checks swarm.yaml with swarm.publish.yaml merged over
// it (p): the app, postgres-exporter, Prometheus and Grafana publish their
// port, in host mode (the routing mesh needs IPVS), each from its variable.
func CheckSwarmPublish(p *types.Project) error {
	want := map[string]uint32{"app": 8000, "postgres-exporter": 9187, "prometheus": 9090, "grafana": 3000}
	var errs []error
	for _, name := range sortedServices(p) {
		ports := p.Services[name].Ports
		port, ok := want[name]
		if !ok {
			if len(ports) > 0 {
				errs = append(errs, fmt.Errorf("%s: services.%s.ports: %d published, want none", SwarmPublishFile, name, len(ports)))
			}
			continue
		}
		if len(ports) != 1 || ports[0].Target != port {
			errs = append(errs, fmt.Errorf("%s: services.%s.ports: %+v, want %d alone", SwarmPublishFile, name, ports, port))
			continue
		}
		if ports[0].Mode != "host" {
			errs = append(errs, fmt.Errorf("%s: services.%s.ports[0].mode: %q, want host (the routing mesh needs IPVS)", SwarmPublishFile, name, ports[0].Mode))
		}
	}
	return errors.Join(errs...)
}

// CheckPrometheusSwarm checks prometheus.swarm.yml (sw) against
// prometheus.yml (cfg): what CheckPrometheus checks, the same global
// settings, and every job but Prometheus's own finding its targets by DNS
// (tasks.SERVICE: each task a target).
func CheckPrometheusSwarm(sw, cfg *config.Config) error {
	errs := []error{CheckPrometheus(sw, PrometheusSwarmFile)}
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", PrometheusSwarmFile, field, fmt.Sprintf(format, args...)))
	}
	if sw.GlobalConfig.ScrapeInterval != cfg.GlobalConfig.ScrapeInterval || sw.GlobalConfig.ScrapeTimeout != cfg.GlobalConfig.ScrapeTimeout ||
		sw.GlobalConfig.ExternalLabels.String() != cfg.GlobalConfig.ExternalLabels.String() {
		bad("global", "scrape interval, timeout or external labels differ from %s's", PrometheusFile)
	}
	service := map[string]string{"app": "app", "postgres": "postgres-exporter", "loadtest": "loadtest", "node": NodeExporter}
	jobs := map[string]bool{}
	for i, sc := range sw.ScrapeConfigs {
		jobs[sc.JobName] = true
		want, ok := service[sc.JobName]
		if !ok {
			continue
		}
		field := fmt.Sprintf("scrape_configs[%d] (job %q)", i, sc.JobName)
		found := false
		for _, d := range sc.ServiceDiscoveryConfigs {
			if dc, ok := d.(*dns.SDConfig); ok && slices.Equal(dc.Names, []string{"tasks." + want}) && dc.Type == "A" {
				found = true
			}
		}
		if !found {
			bad(field, "want dns_sd_configs of type A for tasks.%s (each task a target)", want)
		}
	}
	if !jobs["node"] {
		bad("scrape_configs", "no job \"node\" (each node's node-exporter: the bench's node CPU)")
	}
	return errors.Join(errs...)
}
