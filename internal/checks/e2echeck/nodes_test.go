package e2echeck

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/nodecpu"
)

// A real node_exporter scraped by a real Prometheus as the stack's job:
// this machine passes; a node with no exporter fails, named.
func TestCheckSwarmNodes(t *testing.T) {
	prom := testenv.StartNodeExporter(t, nodecpu.Job)
	host, err := os.Hostname()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	lines, err := CheckSwarmNodes(ctx, prom.URL, []string{host}, 10*time.Second)
	if err != nil || len(lines) != 1 || !strings.Contains(lines[0], "node "+host+": ") {
		t.Fatalf("this machine: %v, %v", lines, err)
	}
	t.Log(lines[0])
	_, err = CheckSwarmNodes(ctx, prom.URL, []string{host, "ghost"}, 2*time.Second)
	if err == nil || !strings.Contains(err.Error(), "1 of 2 nodes") {
		t.Errorf("a node without node-exporter: %v, want a failure", err)
	}
}
