package enginecluster

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// DownConfig is how Down reaches the host's engine.
type DownConfig struct {
	Docker string // "": "docker"
	// Image runs the cgroup cleanup ("": DefaultImage; any image with sh,
	// find and rmdir does).
	Image string
	// Timeout bounds the whole teardown (0: 10 min: removing a node's vfs
	// volume deletes every file of every image layer it loaded, about 30 s
	// per 2 GB here). Down has a context of its own: the caller's has
	// usually ended (an interrupt, a failed test).
	Timeout time.Duration
	// Log, if set, gets a line per step with its time.
	Log func(format string, args ...any)
}

// cgroupGlob is the nested cgroup folders of the cluster's inner engines,
// as seen from a container with the host's /sys/fs/cgroup mounted.
func cgroupGlob(id string) string {
	var globs []string
	for _, r := range allRoles {
		globs = append(globs, "/sys/fs/cgroup/*/"+NodeName(id, r))
	}
	return strings.Join(globs, " ")
}

// allRoles is every node role of every layout.
var allRoles = []string{"manager", "app", "gen1", "gen2"}

// Down tears the cluster id down, in this order: its node containers (by
// name and by label), the cgroup folders its inner engines left in the
// host's hierarchy (deepest first: cgroup v1 keeps them after the containers
// go), its network, and the nodes' volumes (the slow step: last).
// Finding nothing is success; every step runs even when one before failed,
// and the errors are joined.
func Down(id string, cfg DownConfig) error {
	if err := CheckID(id); err != nil {
		return err
	}
	d := cfg.Docker
	if d == "" {
		d = "docker"
	}
	image := cfg.Image
	if image == "" {
		image = DefaultImage
	}
	timeout := cfg.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var errs []error
	t := time.Now()
	step := func(what string) {
		if cfg.Log != nil {
			cfg.Log("down %s: %s (%s)", id, what, time.Since(t).Round(time.Millisecond))
		}
		t = time.Now()
	}

	containers, err := listContainers(ctx, d, id)
	if err != nil {
		errs = append(errs, err)
	}
	if len(containers) > 0 {
		// -v: a node's anonymous volumes too (the image's VOLUME, if a
		// named one was not mounted over it).
		if _, err := run(ctx, d, nil, append([]string{"rm", "-f", "-v"}, containers...)...); err != nil && !strings.Contains(err.Error(), "No such container") {
			errs = append(errs, err)
		}
	}
	if err := retry(ctx, func() error {
		left, err := listContainers(ctx, d, id)
		if err == nil && len(left) > 0 {
			return fmt.Errorf("containers still there: %s", strings.Join(left, " "))
		}
		return err
	}); err != nil {
		errs = append(errs, err)
	}
	step("containers")
	// Processes of the inner containers may take a moment to leave their
	// cgroups after the node is gone: rmdir fails with EBUSY until then.
	if err := retry(ctx, func() error { return removeCgroups(ctx, d, image, id) }); err != nil {
		errs = append(errs, err)
	}
	step("cgroup folders")

	if nets, err := listNetworks(ctx, d, id); err != nil {
		errs = append(errs, err)
	} else if len(nets) > 0 {
		if _, err := run(ctx, d, nil, append([]string{"network", "rm"}, nets...)...); err != nil {
			errs = append(errs, err)
		}
	}
	step("network")
	if vols, err := listVolumes(ctx, d, id); err != nil {
		errs = append(errs, err)
	} else if len(vols) > 0 {
		if _, err := run(ctx, d, nil, append([]string{"volume", "rm", "-f"}, vols...)...); err != nil {
			errs = append(errs, err)
		}
	}
	step("volumes")
	return errors.Join(errs...)
}

// removeCgroups removes the cluster's nested cgroup folders, deepest first,
// from a throwaway container that mounts the host's /sys/fs/cgroup (the
// caller may itself run in a container that sees only its own cgroups).
func removeCgroups(ctx context.Context, d, image, id string) error {
	script := `set -u
found=0
for top in ` + cgroupGlob(id) + `; do
  [ -d "$top" ] || continue
  found=1
  find "$top" -depth -type d -exec rmdir {} + 2>/dev/null
done
left=$(ls -d ` + cgroupGlob(id) + ` 2>/dev/null)
[ -z "$left" ] || { echo "left: $left" >&2; exit 1; }
exit 0`
	_, err := run(ctx, d, nil, cleanerArgs(id, image, "cgclean", script)...)
	return err
}

func cleanerArgs(id, image, what, script string) []string {
	return []string{"run", "--rm", "--name", NodeName(id, what), "--network", "none",
		"--label", Label + "=" + id,
		"--security-opt", "apparmor=unconfined",
		"-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
		"--entrypoint", "sh", image, "-c", script}
}

// Leftovers lists, from outside, whatever of the cluster id is still there:
// containers, networks and volumes named mbcluster-ID or mbcluster-ID-ROLE, or
// labelled with the id, and cgroup folders /sys/fs/cgroup/*/mbcluster-ID-ROLE.
// Nothing left is an empty list.
func Leftovers(ctx context.Context, id string, cfg DownConfig) ([]string, error) {
	if err := CheckID(id); err != nil {
		return nil, err
	}
	d := cfg.Docker
	if d == "" {
		d = "docker"
	}
	image := cfg.Image
	if image == "" {
		image = DefaultImage
	}
	var left []string
	cs, err := listContainers(ctx, d, id)
	if err != nil {
		return nil, err
	}
	for _, c := range cs {
		left = append(left, "container "+c)
	}
	ns, err := listNetworks(ctx, d, id)
	if err != nil {
		return nil, err
	}
	for _, n := range ns {
		left = append(left, "network "+n)
	}
	vs, err := listVolumes(ctx, d, id)
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		left = append(left, "volume "+v)
	}
	out, err := run(ctx, d, nil, cleanerArgs(id, image, "cgcheck", `ls -d `+cgroupGlob(id)+` 2>/dev/null; exit 0`)...)
	if err != nil {
		return nil, err
	}
	for _, f := range strings.Fields(out) {
		left = append(left, "cgroup "+f)
	}
	return left, nil
}

// ours matches the names of the cluster id: mbcluster-ID and
// mbcluster-ID-ROLE (and its throwaway cleaners'), not another cluster's
// whose id starts with this one's.
func ours(id string) *regexp.Regexp {
	return regexp.MustCompile(`^/?` + regexp.QuoteMeta(Prefix+id) + `(-(` + strings.Join(allRoles, "|") + `|cgclean|cgcheck))?$`)
}

func filterNames(out string, re *regexp.Regexp) []string {
	seen := map[string]bool{}
	var names []string
	for _, f := range strings.Fields(out) {
		f = strings.TrimPrefix(f, "/")
		if re.MatchString(f) && !seen[f] {
			seen[f] = true
			names = append(names, f)
		}
	}
	return names
}

func listContainers(ctx context.Context, d, id string) ([]string, error) {
	byName, err := run(ctx, d, nil, "ps", "-a", "--format", "{{.Names}}", "--filter", "name="+Prefix+id)
	if err != nil {
		return nil, err
	}
	byLabel, err := run(ctx, d, nil, "ps", "-a", "--format", "{{.Names}}", "--filter", "label="+Label+"="+id)
	if err != nil {
		return nil, err
	}
	names := filterNames(byName, ours(id))
	for _, n := range strings.Fields(byLabel) {
		if !contains(names, n) {
			names = append(names, n)
		}
	}
	return names, nil
}

func listNetworks(ctx context.Context, d, id string) ([]string, error) {
	out, err := run(ctx, d, nil, "network", "ls", "--format", "{{.Name}}", "--filter", "name="+Prefix+id)
	if err != nil {
		return nil, err
	}
	return filterNames(out, ours(id)), nil
}

func listVolumes(ctx context.Context, d, id string) ([]string, error) {
	out, err := run(ctx, d, nil, "volume", "ls", "-q", "--filter", "name="+Prefix+id)
	if err != nil {
		return nil, err
	}
	return filterNames(out, ours(id)), nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// retry runs f until it succeeds, up to 10 times a second apart.
func retry(ctx context.Context, f func() error) error {
	var err error
	for try := 0; try < 10; try++ {
		if try > 0 {
			select {
			case <-ctx.Done():
				return errors.Join(err, ctx.Err())
			case <-time.After(time.Second):
			}
		}
		if err = f(); err == nil {
			return nil
		}
	}
	return err
}
