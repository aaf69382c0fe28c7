package docker

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// testdata/inspect.json has `docker inspect`'s document layout (engine
// 20.10, API 1.41: every HostConfig field, compose's labels) for three
// containers: the app with --cpus 0.5 (NanoCpus), a CPU set and APP_*
// variables holding passwords; PostgreSQL with a CPU quota over a period
// and a set; Prometheus with no limit at all. No engine ran where this was
// written: the file is that layout, filled in by hand.
func TestParseInspectReadsTheLimitsAsApplied(t *testing.T) {
	b, err := os.ReadFile("testdata/inspect.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseInspect(b, "APP_")
	if err != nil {
		t.Fatal(err)
	}
	want := []Settings{
		{Name: "macrobench-app-1", Service: "app", CPUs: "0.5", CPUSet: "1", MemoryBytes: 512 << 20, Env: map[string]string{
			"APP_LISTEN_ADDR":   ":8000",
			"APP_DATABASE_URL":  "postgres://macrobench_app@postgres:5432/macrobench?sslmode=disable",
			"APP_POOL_SIZE":     "16",
			"APP_NEWCONN_LIMIT": "8",
		}},
		{Name: "macrobench-postgres-1", Service: "postgres", CPUs: "1.5", CPUSet: "0-1", CPUSetMems: "0", MemoryBytes: 2 << 30, Env: map[string]string{}},
		{Name: "macrobench-prometheus-1", Service: "prometheus", CPUs: "", Env: map[string]string{}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}

	if none, err := ParseInspect(nil, "APP_"); err == nil {
		t.Errorf("no document: got %+v, want an error", none)
	}
}

func TestParseInspectTakesOneDocument(t *testing.T) {
	got, err := ParseInspect([]byte(`{"Name": "/macrobench-gen-1-1", "HostConfig": {"NanoCpus": 2000000000},
		"Config": {"Env": ["APP_X=1"], "Labels": {"com.docker.compose.service": "loadtest", "com.docker.compose.oneoff": "True"}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := []Settings{{Name: "macrobench-gen-1-1", Service: "loadtest", OneOff: true, CPUs: "2"}}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestCPULimitInComposesNotation(t *testing.T) {
	for _, c := range []struct {
		nano, quota, period int64
		want                string
	}{
		{2e9, 0, 0, "2"}, {5e8, 0, 0, "0.5"}, {1.25e9, 0, 0, "1.25"},
		{0, 50000, 100000, "0.5"}, {0, 200000, 0, "2"}, {0, 25000, 50000, "0.5"},
		{0, -1, 100000, ""}, {0, 0, 0, ""},
	} {
		if got := cpuLimit(c.nano, c.quota, c.period); got != c.want {
			t.Errorf("cpuLimit(%d, %d, %d) = %q, want %q", c.nano, c.quota, c.period, got, c.want)
		}
	}
}

func TestSafeEnvDropsPasswords(t *testing.T) {
	got := SafeEnv([]string{
		"APP_DATABASE_URL=postgres://u:s3cret@db:5432/x?sslmode=disable",
		"APP_DSN=host=db user=u password=s3cret dbname=x",
		"APP_URL_Q=postgres://db/x?password=s3cret&sslmode=disable",
		"APP_PLAIN_URL=http://app:8000/healthz",
		"APP_ADMIN_PASSWORD=s3cret", "APP_db_password_file=/run/s", "APP_EMPTY=",
		"ORIGINAL_WORKERS=16", "PATH=/bin",
	}, "APP_")
	want := map[string]string{
		"APP_DATABASE_URL": "postgres://u@db:5432/x?sslmode=disable",
		"APP_DSN":          "host=db user=u dbname=x",
		"APP_URL_Q":        "postgres://db/x?sslmode=disable",
		"APP_PLAIN_URL":    "http://app:8000/healthz",
		"APP_EMPTY":        "",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	for k, v := range got {
		if strings.Contains(v, "s3cret") || strings.Contains(strings.ToUpper(k), "PASSWORD") {
			t.Errorf("%s=%s: a password is left", k, v)
		}
	}
}
