package benchrun

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/shared/docker"
)

// metadata.json's settings come from the running containers: a stand-in
// docker CLI whose compose config says 2 CPUs for the app (the bench's own
// environment) while its running app container has 0.5 on CPU 1 (recreated
// with APP_CPUS=0.5 APP_CPUSET=1), as docker inspect reports it.
func TestDescribeRecordsTheRunningContainers(t *testing.T) {
	dir := t.TempDir()
	inspect, err := filepath.Abs("../../shared/docker/testdata/inspect.json")
	if err != nil {
		t.Fatal(err)
	}
	config := `{"name": "macrobench", "services": {
		"app": {"image": "macrobench/app:dev", "cpus": 2, "environment": {"APP_POOL_SIZE": "16", "APP_NEWCONN_LIMIT": "8"}},
		"postgres": {"image": "postgres:15.18-bookworm", "cpus": 2},
		"prometheus": {"image": "prom/prometheus:v3.16.0", "cpus": 1},
		"loadtest": {"image": "macrobench/loadtest:dev", "cpus": 2, "cpuset": "1"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `#!/bin/sh
case "$*" in
  *"config --format json"*) cat ` + filepath.Join(dir, "config.json") + ` ;;
  *"images --format json"*) echo '[]' ;;
  "ps -q --no-trunc --filter label=com.docker.compose.project=macrobench") echo aaa; echo bbb; echo ccc ;;
  "inspect aaa bbb ccc") cat ` + inspect + ` ;;
  "info --format {{.NCPU}}") echo 2 ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
`
	bin := filepath.Join(dir, "docker")
	if err := os.WriteFile(bin, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	e := &ComposeExecutor{Docker: bin}
	md := map[string]any{}
	e.Describe(context.Background(), md)
	recordSeenSettings(md, []docker.Settings{
		{Name: "macrobench-gen-1-1", Service: "loadtest", OneOff: true, CPUs: "1.5", CPUSet: "0", MemoryBytes: 1 << 30},
		{Name: "macrobench-gen-1-2", Service: "loadtest", OneOff: true, CPUs: "9"}, // a later one: the first stands
		{Name: "macrobench-app-2", Service: "app", CPUs: "9"},                      // running at the start: inspect stands
	})
	b, _ := json.Marshal(md)
	var got struct {
		CPULimits    map[string]string `json:"cpu_limits"`
		CPUSets      map[string]string `json:"cpusets"`
		MemoryLimits map[string]int64  `json:"memory_limits"`
		Sources      map[string]string `json:"settings_sources"`
		AppEnv       map[string]string `json:"app_env"`
		PoolEnv      string            `json:"app_pool_size_env"`
		Err          string            `json:"settings_error"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"app": "0.5", "postgres": "1.5", "prometheus": "", "loadtest": "1.5"}; !reflect.DeepEqual(got.CPULimits, want) {
		t.Errorf("cpu_limits %v, want %v", got.CPULimits, want)
	}
	if want := map[string]string{"app": "1", "postgres": "0-1", "prometheus": "", "loadtest": "0"}; !reflect.DeepEqual(got.CPUSets, want) {
		t.Errorf("cpusets %v, want %v", got.CPUSets, want)
	}
	if want := map[string]int64{"app": 512 << 20, "postgres": 2 << 30, "prometheus": 0, "loadtest": 1 << 30}; !reflect.DeepEqual(got.MemoryLimits, want) {
		t.Errorf("memory_limits %v, want %v", got.MemoryLimits, want)
	}
	if got.Sources["app"] != sourceInspect || got.Sources["loadtest"] != sourceGenerator {
		t.Errorf("settings_sources %v", got.Sources)
	}
	if got.AppEnv["APP_POOL_SIZE"] != "16" || got.PoolEnv != "16" || strings.Contains(string(b), "macrobench-app@") || strings.Contains(string(b), "APP_DB_PASSWORD") {
		t.Errorf("app_env %v (pool %q): want APP_* without passwords", got.AppEnv, got.PoolEnv)
	}
	if got.Err != "" {
		t.Errorf("settings_error %s", got.Err)
	}
}
