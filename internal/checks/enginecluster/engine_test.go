//go:build enginecluster

// These tests need a Docker engine and the stand-in base image, which the
// test phase does not have: scripts/e2e.sh runs them (`go test -tags
// enginecluster`) in its cluster step, where it requires both.
package enginecluster

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
)

// The test runs its tiny service and client on the stand-in base
// (perl-base and bash are in it).
const baseImage = BaseImage

// testID is a cluster id of its own: the process id is not enough (tests in
// containers, scripts/test.sh's tests image, often share a small one).
func testID(t *testing.T, prefix string) string {
	b := make([]byte, 3)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%s%d-%x", prefix, os.Getpid(), b)
}

// needEngine ends the test (skip, or fail under CI / scripts/test.sh) when
// there is no Docker engine or no stand-in base, and builds the node image.
func needEngine(t *testing.T) {
	t.Helper()
	if err := NeedEngine(context.Background(), testenv.RepoRoot(t)); err != nil {
		if errors.Is(err, ErrNoEngine) {
			testenv.Missing(t, "%v", err)
		}
		t.Fatal(err)
	}
}

// An Up that fails half way (here: its context ends while the engines
// start) tears down what it made, and says why.
func TestFailedUpLeavesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no cluster")
	}
	needEngine(t)
	id := testID(t, "f")
	t.Cleanup(func() { _ = Down(id, DownConfig{}) })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var started bool
	c, err := Up(ctx, Config{ID: id, Nodes: 2, Log: func(format string, args ...any) {
		t.Logf(format, args...)
		if strings.Contains(format, "node containers") {
			started = true
			cancel()
		}
	}})
	if err == nil || c != nil {
		t.Fatalf("Up with its context ended: %v, %v; want an error", c, err)
	}
	if !started || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("Up's error %q: want it to end after the nodes started, for the context", err)
	}
	left, lerr := Leftovers(context.Background(), id, DownConfig{})
	if lerr != nil || len(left) > 0 {
		t.Errorf("after the failed Up: %v %s", lerr, strings.Join(left, "; "))
	}
}

// A four-node cluster: every node Ready with its labels; a service placed
// on the app node answers, over an overlay network, a container on a
// generator node; then nothing of it is left outside.
func TestClusterOverlayAndTeardown(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: no cluster")
	}
	needEngine(t)
	id := testID(t, "t")
	logf := func(format string, args ...any) { t.Logf(format, args...) }
	downCfg := DownConfig{Log: logf}
	t.Cleanup(func() {
		t0 := time.Now()
		if err := Down(id, downCfg); err != nil {
			t.Errorf("down: %v", err)
		}
		t.Logf("down in %s", time.Since(t0).Round(time.Millisecond))
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		left, err := Leftovers(ctx, id, downCfg)
		if err != nil {
			t.Errorf("leftovers: %v", err)
		}
		if len(left) > 0 {
			t.Errorf("left after down: %s", strings.Join(left, "; "))
		}
		// A second down finds nothing, and succeeds.
		if err := Down(id, DownConfig{}); err != nil {
			t.Errorf("second down: %v", err)
		}
	})

	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	c, err := Up(ctx, Config{ID: id, Log: logf})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("up: %+v", c.Timings)
	if err := c.CheckNodes(ctx); err != nil {
		t.Fatal(err)
	}
	app, _ := c.Node("app")
	gen, _ := c.Node("gen1")
	m := c.Manager()

	// The host reaches a worker's engine over TCP on the cluster's network.
	if out, err := exec.CommandContext(ctx, "docker", "--host", gen.Host(), "info", "--format", "{{.Swarm.LocalNodeState}} {{.Name}}").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "active "+gen.Name {
		t.Errorf("docker --host %s info: %v: %q, want %q", gen.Host(), err, out, "active "+gen.Name)
	}

	loads, err := c.LoadImages(ctx, []string{baseImage}, "app", "gen1")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range loads {
		t.Logf("loaded %s into %s in %s", l.Image, l.Node, l.Took.Round(time.Millisecond))
	}

	if _, err := m.Docker(ctx, "network", "create", "--driver", "overlay", "--attachable", "probe"); err != nil {
		t.Fatal(err)
	}
	const server = `use IO::Socket::INET; open(my $h, "<", "/etc/hostname"); my $n = <$h>; chomp $n;
my $s = IO::Socket::INET->new(LocalPort => 8080, Listen => 5, ReuseAddr => 1) or die "listen: $!";
while (my $c = $s->accept) { <$c>; print $c "HTTP/1.0 200 OK\r\n\r\nhello from $n\n"; close $c }`
	if _, err := m.Docker(ctx, "service", "create", "--detach", "--name", "web", "--network", "probe",
		"--endpoint-mode", "dnsrr", "--constraint", "node.labels."+LabelApp+"==true",
		"--hostname", "{{.Node.Hostname}}", baseImage, "perl", "-e", server); err != nil {
		t.Fatal(err)
	}
	var where string
	for deadline := time.Now().Add(2 * time.Minute); ; {
		out, err := m.Docker(ctx, "service", "ps", "--filter", "desired-state=running", "--format", "{{.Node}} {{.CurrentState}}", "web")
		if err == nil && strings.Contains(out, "Running") {
			where = strings.Fields(out)[0]
			break
		}
		if time.Now().After(deadline) {
			ps, _ := m.Docker(ctx, "service", "ps", "--no-trunc", "web")
			t.Fatalf("service web not running after 2 min: %v %s; %s", err, out, ps)
		}
		time.Sleep(time.Second)
	}
	if where != app.Name {
		t.Errorf("web's task runs on %s, want the app node %s", where, app.Name)
	}

	// From the generator node, over the overlay network, by the service's
	// name (a new task's name may take a moment to resolve).
	const client = `for i in $(seq 60); do
  if exec 3<>/dev/tcp/web/8080; then printf 'GET / HTTP/1.0\r\n\r\n' >&3; cat <&3; exit 0; fi
  sleep 1
done; exit 1`
	out, err := gen.Docker(ctx, "run", "--rm", "--network", "probe", baseImage, "bash", "-c", client)
	if err != nil {
		t.Fatalf("client on %s: %v: %s", gen.Name, err, out)
	}
	if !strings.Contains(out, "200 OK") || !strings.Contains(out, "hello from "+app.Name) {
		t.Errorf("client on %s got %q, want 200 and hello from %s", gen.Name, out, app.Name)
	}
	if du, err := c.DiskUsage(ctx); err == nil {
		t.Logf("/var/lib/docker per node (bytes): %v", du)
	}
}
