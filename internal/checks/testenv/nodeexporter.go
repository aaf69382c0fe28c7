package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/prometheus/client_golang/api/prometheus/v1"

	"github.com/macrobench/macrobench/internal/shared/promapi"
)

// StartNodeExporter starts the pinned node_exporter
// ($MACROBENCH_NODE_EXPORTER_BIN; its cpu and uname collectors) on this
// machine and the real Prometheus ($MACROBENCH_PROMETHEUS_BIN) scraping it
// every second as job, and returns Prometheus's client once it has
// scraped the exporter up (so a sample precedes any later time). Both stop
// when the test ends.
func StartNodeExporter(t testing.TB, job string) *promapi.Client {
	t.Helper()
	nodeBin := Env(t, "MACROBENCH_NODE_EXPORTER_BIN")
	promBin := Env(t, "MACROBENCH_PROMETHEUS_BIN")
	dir := t.TempDir()
	neAddr := FreeAddr(t)
	StartServer(t, exec.Command(nodeBin, "--web.listen-address="+neAddr,
		"--collector.disable-defaults", "--collector.cpu", "--collector.uname"),
		filepath.Join(dir, "node_exporter.log"), "http://"+neAddr+"/metrics", 30*time.Second)
	cfg := fmt.Sprintf("global:\n  scrape_interval: 1s\n  scrape_timeout: 900ms\nscrape_configs:\n"+
		"  - job_name: %s\n    static_configs:\n      - targets: [%q]\n", job, neAddr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	promAddr := FreeAddr(t)
	StartServer(t, exec.Command(promBin, "--config.file="+filepath.Join(dir, "prometheus.yml"),
		"--storage.tsdb.path="+filepath.Join(dir, "data"), "--web.listen-address="+promAddr),
		filepath.Join(dir, "prometheus.log"), "http://"+promAddr+"/-/ready", 60*time.Second)
	prom, err := promapi.New("http://" + promAddr)
	if err != nil {
		t.Fatal(err)
	}
	// The first scrape comes some seconds after the start (target
	// discovery, then an offset within the interval).
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(250 * time.Millisecond) {
		ts, err := prom.ActiveTargets(context.Background())
		if err == nil && len(ts) == 1 && ts[0].Health == v1.HealthGood {
			return prom
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never scraped node_exporter up: %+v %v", ts, err)
		}
	}
}
