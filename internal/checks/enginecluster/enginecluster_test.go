package enginecluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestLayout(t *testing.T) {
	four, err := Layout(4)
	if err != nil {
		t.Fatal(err)
	}
	want := []Role{
		{"manager", []string{LabelDB, LabelMonitor}},
		{"app", []string{LabelApp}},
		{"gen1", []string{LabelLoadgen}},
		{"gen2", []string{LabelLoadgen}},
	}
	if fmt.Sprint(four) != fmt.Sprint(want) {
		t.Errorf("Layout(4) = %v, want %v", four, want)
	}
	two, _ := Layout(2)
	if len(two) != 2 || !slices.Contains(two[0].Labels, LabelApp) || two[1].Name != "gen1" {
		t.Errorf("Layout(2) = %v: want the app on the manager and one generator node", two)
	}
	for _, n := range []int{1, 5} {
		if _, err := Layout(n); err == nil {
			t.Errorf("Layout(%d): no error", n)
		}
	}
}

func TestNames(t *testing.T) {
	for _, bad := range []string{"", "A", "-x", "a_b", strings.Repeat("a", 32)} {
		if CheckID(bad) == nil {
			t.Errorf("CheckID(%q) accepted", bad)
		}
	}
	re := ours("ci")
	for _, name := range []string{"mbcluster-ci", "mbcluster-ci-manager", "/mbcluster-ci-gen2", "mbcluster-ci-cgclean"} {
		if !re.MatchString(name) {
			t.Errorf("%s is cluster ci's, not matched", name)
		}
	}
	for _, name := range []string{"mbcluster-ci-2-manager", "mbcluster-ci2", "mbcluster-cix-app", "macrobench-ci-app"} {
		if re.MatchString(name) {
			t.Errorf("%s is not cluster ci's, matched", name)
		}
	}
}

// The node runs with exactly DESIGN.md's recipe: the five capabilities,
// no seccomp or AppArmor profile, the host's cgroups, never --privileged.
func TestNodeArgs(t *testing.T) {
	args := strings.Join(nodeArgs("ci", DefaultImage, Role{Name: "app"}), " ")
	for _, want := range []string{
		"--name mbcluster-ci-app", "--hostname mbcluster-ci-app", "--network mbcluster-ci",
		"--cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add MKNOD --cap-add SYS_PTRACE --cap-add NET_RAW",
		"--security-opt seccomp=unconfined --security-opt apparmor=unconfined",
		"-v /sys/fs/cgroup:/sys/fs/cgroup:rw", "-v mbcluster-ci-app:/var/lib/docker",
		DefaultImage + " --cgroup-parent=/mbcluster-ci-app --storage-driver=vfs",
	} {
		if !strings.Contains(args, want) {
			t.Errorf("docker %s: no %q", args, want)
		}
	}
	if strings.Contains(args, "--privileged") {
		t.Errorf("docker %s: --privileged", args)
	}
}
