package appperf

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/formats"
	"github.com/macrobench/macrobench/internal/shared/proc"
)

// Options of one benchmark run.
type Options struct {
	DatabaseURL string        // the seeded database (scripts/perf.sh starts one)
	AppBin      string        // the app binary
	BareBin     string        // the bare net/http reference (internal/cmd/barehttp)
	Duration    time.Duration // per wrk/pgbench run (10s)
	Threads     int           // wrk -t (2)
	Connections int           // wrk -c (400); /agents is compared at PgbenchC
	PgbenchC    int           // pgbench -c (8)
	Rounds      int           // rounds of each case, alternating the order (3)
	AppEnv      []string      // extra APP_* settings
	Only        []string      // run only these cases (index, pool, agents)
	Out         io.Writer
}

// Case is one comparison: the app's throughput against a reference's.
type Case struct {
	Name      string
	App       float64 // req/s
	AppErrors int64
	Ref       string
	RefValue  float64 // req/s or tps
	RefErrors int64
	Target    float64 // minimum App/RefValue; 0 = informational
	// Server CPU per request (user+system, children included), when
	// measured: less sensitive to the machine's other load than throughput.
	AppCPU, RefCPU time.Duration
}

// CPURatio is RefCPU/AppCPU: the app's CPU efficiency relative to the
// reference (1 = the same CPU per request; 0 when not measured).
func (c Case) CPURatio() float64 {
	if c.AppCPU == 0 || c.RefCPU == 0 {
		return 0
	}
	return float64(c.RefCPU) / float64(c.AppCPU)
}

// Ratio is App/RefValue.
func (c Case) Ratio() float64 {
	if c.RefValue == 0 {
		return 0
	}
	return c.App / c.RefValue
}

// Pass reports whether the case met its target with no app errors.
func (c Case) Pass() bool { return c.AppErrors == 0 && (c.Target == 0 || c.Ratio() >= c.Target) }

// Report prints the cases as a fixed-format table.
func Report(w io.Writer, cases []Case) bool {
	ok := true
	fmt.Fprintf(w, "%-24s %10s %6s  %-30s %10s %6s %6s %6s %4s  %11s %11s %9s\n",
		"case", "app req/s", "errors", "reference", "ref", "errors", "ratio", "target", "", "app cpu/req", "ref cpu/req", "cpu ratio")
	for _, c := range cases {
		verdict := "info"
		if c.Target > 0 {
			verdict = "PASS"
			if !c.Pass() {
				verdict, ok = "FAIL", false
			}
		}
		fmt.Fprintf(w, "%-24s %10.1f %6d  %-30s %10s %6d %6s %6.2f %4s  %11s %11s %9s\n",
			c.Name, c.App, c.AppErrors, c.Ref, orDash(c.RefValue, "%.1f"), c.RefErrors, orDash(c.Ratio(), "%.3f"), c.Target, verdict,
			us(c.AppCPU), us(c.RefCPU), ratio(c.CPURatio()))
	}
	return ok
}

// orDash formats v, or "-" for a figure not measured (0).
func orDash(v float64, format string) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf(format, v)
}

func us(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1fµs", float64(d)/float64(time.Microsecond))
}

func ratio(r float64) string {
	if r == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", r)
}

// Run starts the app, the references and the load, and returns the cases.
func Run(ctx context.Context, o Options) ([]Case, error) {
	dir, err := os.MkdirTemp("", "macrobench-perf-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	want := func(name string) bool {
		if len(o.Only) == 0 {
			return true
		}
		for _, n := range o.Only {
			if n == name {
				return true
			}
		}
		return false
	}

	appAddr, err := proc.FreeAddr()
	if err != nil {
		return nil, err
	}
	app, err := startProc(o.Out, filepath.Join(dir, "app.log"), append([]string{
		"APP_LISTEN_ADDR=" + appAddr, "APP_DATABASE_URL=" + o.DatabaseURL}, o.AppEnv...), o.AppBin)
	if err != nil {
		return nil, err
	}
	defer app.Stop(15 * time.Second)
	if err := app.WaitHTTP(ctx, "http://"+appAddr+"/readyz", 20*time.Second); err != nil {
		return nil, fmt.Errorf("app: %w\n%s", err, app.LogTail(4000))
	}

	var cases []Case
	if want("index") {
		bareAddr, err := proc.FreeAddr()
		if err != nil {
			return nil, err
		}
		bare, err := startProc(o.Out, filepath.Join(dir, "bare.log"), nil, o.BareBin, bareAddr)
		if err != nil {
			return nil, err
		}
		defer bare.Stop(15 * time.Second)
		nginxAddr, err := proc.FreeAddr()
		if err != nil {
			return nil, err
		}
		nginx, err := startNginx(o.Out, dir, nginxAddr)
		if err != nil {
			return nil, err
		}
		defer nginx.Stop(15 * time.Second)
		if err := bare.WaitHTTP(ctx, "http://"+bareAddr+"/index", 20*time.Second); err != nil {
			return nil, err
		}
		if err := nginx.WaitHTTP(ctx, "http://"+nginxAddr+"/index", 20*time.Second); err != nil {
			return nil, err
		}
		// The machine is shared: alternate the order (app, bare, nginx;
		// nginx, bare, app; ...) so that drift in the background load
		// falls on all three alike, and average the rounds.
		urls := []string{"http://" + appAddr + "/index", "http://" + bareAddr + "/index", "http://" + nginxAddr + "/index"}
		procs := []*proc.Process{app, bare, nginx}
		res := make([][]WrkResult, len(urls))
		for round := 0; round < max(1, o.Rounds); round++ {
			for k := range urls {
				i := k
				if round%2 == 1 {
					i = len(urls) - 1 - k
				}
				r, err := o.wrk(ctx, urls[i], procs[i], o.Connections)
				if err != nil {
					return nil, err
				}
				res[i] = append(res[i], r)
			}
		}
		appR, bareR, nginxR := Mean(res[0]), Mean(res[1]), Mean(res[2])
		cases = append(cases,
			Case{"/index vs net/http", appR.RequestsPerSec, appR.Failed(), "bare net/http json.Marshal", bareR.RequestsPerSec, bareR.Failed(), 0.95, appR.CPUPerRequest(), bareR.CPUPerRequest()},
			Case{"/index vs nginx", appR.RequestsPerSec, appR.Failed(), "nginx static body", nginxR.RequestsPerSec, nginxR.Failed(), 0, appR.CPUPerRequest(), nginxR.CPUPerRequest()},
			Case{"net/http vs nginx", bareR.RequestsPerSec, bareR.Failed(), "nginx static body", nginxR.RequestsPerSec, nginxR.Failed(), 0, bareR.CPUPerRequest(), nginxR.CPUPerRequest()},
		)
	}
	script := filepath.Join(dir, "agents.sql")
	if err := os.WriteFile(script, []byte(agentscontract.PgbenchScript()), 0o644); err != nil {
		return nil, err
	}
	if want("pool") {
		// The reference is `pgbench -M prepared -c8` as written, so
		// pgbench's default single thread; with -j it reaches 20-30 %
		// more here, which is reported beside it.
		literal, threaded := pgbenchRun{threads: 1, mode: []string{"-M", "prepared"}}, pgbenchRun{threads: o.Threads, mode: []string{"-M", "prepared"}}
		appR, pg, err := o.appVsPgbench(ctx, "http://"+appAddr+"/agents_with_pool", app, o.Connections, script, literal, threaded)
		if err != nil {
			return nil, err
		}
		cases = append(cases,
			Case{"/agents_with_pool", appR.RequestsPerSec, appR.Failed(),
				fmt.Sprintf("pgbench -M prepared -c%d", o.PgbenchC), pg[0].TPS, pg[0].Failed, 0.35, appR.CPUPerRequest(), 0},
			Case{"/agents_with_pool", appR.RequestsPerSec, appR.Failed(),
				fmt.Sprintf("pgbench -M prepared -c%d -j%d", o.PgbenchC, o.Threads), pg[1].TPS, pg[1].Failed, 0, appR.CPUPerRequest(), 0})
	}
	if want("agents") {
		// Like with like: the app at pgbench's concurrency. Every /agents
		// request opens a connection, as every pgbench -C transaction does;
		// at 400 connections the app would queue 392 of them behind its
		// new-connection limit and shed those that wait past its request
		// timeout (503s), which says how it sheds, not how fast it serves
		// compared with pgbench, and swings with the machine's connection
		// set-up time. That is measured after, for information.
		url := "http://" + appAddr + "/agents"
		appR, pg, err := o.appVsPgbench(ctx, url, app, o.PgbenchC, script, pgbenchRun{threads: o.Threads, mode: []string{"-C"}})
		if err != nil {
			return nil, err
		}
		cases = append(cases, Case{fmt.Sprintf("/agents -c%d", o.PgbenchC), appR.RequestsPerSec, appR.Failed(),
			fmt.Sprintf("pgbench -C -c%d -j%d", o.PgbenchC, o.Threads), pg[0].TPS, pg[0].Failed, 0.9, appR.CPUPerRequest(), 0})
		if o.Connections != o.PgbenchC {
			shed, err := o.wrk(ctx, url, app, o.Connections)
			if err != nil {
				return nil, err
			}
			cases = append(cases, Case{Name: fmt.Sprintf("/agents -c%d shedding", o.Connections), App: shed.RequestsPerSec,
				AppErrors: shed.Failed(), Ref: "(informational: 503s/timeouts)", AppCPU: shed.CPUPerRequest()})
		}
	}
	return cases, nil
}

// pgbenchRun is one pgbench reference: its threads (-j) and mode flags.
type pgbenchRun struct {
	threads int
	mode    []string
}

// appVsPgbench runs wrk on the app's url and each pgbench reference for
// o.Rounds rounds, reversing the order every other round, and averages each:
// as for /index, drift in the machine's background load then falls on all
// alike.
func (o Options) appVsPgbench(ctx context.Context, url string, app *proc.Process, connections int, script string, refs ...pgbenchRun) (WrkResult, []formats.PgbenchSummary, error) {
	var apps []WrkResult
	pgs := make([]formats.PgbenchSummary, len(refs))
	rounds := max(1, o.Rounds)
	steps := []func() error{func() error {
		r, err := o.wrk(ctx, url, app, connections)
		apps = append(apps, r)
		return err
	}}
	for i, ref := range refs {
		steps = append(steps, func() error {
			r, err := o.pgbench(ctx, script, ref)
			pgs[i].TPS += r.TPS / float64(rounds)
			pgs[i].Failed += r.Failed
			return err
		})
	}
	for round := 0; round < rounds; round++ {
		for k := range steps {
			if round%2 == 1 {
				k = len(steps) - 1 - k
			}
			if err := steps[k](); err != nil {
				return WrkResult{}, nil, err
			}
		}
	}
	return Mean(apps), pgs, nil
}

// wrk loads url over connections connections (at least the threads, as wrk
// requires) and measures the CPU that server (and its children) used.
func (o Options) wrk(ctx context.Context, url string, server *proc.Process, connections int) (WrkResult, error) {
	connections = max(connections, o.Threads)
	args := []string{"-t" + strconv.Itoa(o.Threads), "-c" + strconv.Itoa(connections),
		"-d" + strconv.Itoa(int(o.Duration.Seconds())) + "s", url}
	fmt.Fprintf(o.Out, "perf: wrk %s\n", strings.Join(args, " "))
	cpu0 := ProcessTreeCPU(server.Pid())
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return WrkResult{}, fmt.Errorf("wrk %s: %v\n%s", url, err, out)
	}
	cpu := ProcessTreeCPU(server.Pid()) - cpu0
	o.Out.Write(indent(out))
	summary, err := formats.ParseWrk(string(out))
	r := WrkResult{WrkSummary: summary, ServerCPU: cpu}
	if err == nil {
		fmt.Fprintf(o.Out, "    server CPU %v, %s per request\n", cpu.Round(10*time.Millisecond), us(r.CPUPerRequest()))
	}
	return r, err
}

func (o Options) pgbench(ctx context.Context, script string, ref pgbenchRun) (formats.PgbenchSummary, error) {
	args := append([]string{"-n"}, ref.mode...)
	args = append(args, "-c", strconv.Itoa(o.PgbenchC), "-j", strconv.Itoa(ref.threads),
		"-T", strconv.Itoa(int(o.Duration.Seconds())), "-f", script, o.DatabaseURL)
	fmt.Fprintf(o.Out, "perf: pgbench %s\n", strings.Join(args[:len(args)-1], " "))
	out, err := exec.CommandContext(ctx, "pgbench", args...).CombinedOutput()
	if err != nil {
		return formats.PgbenchSummary{}, fmt.Errorf("pgbench: %v\n%s", err, out)
	}
	o.Out.Write(indent(out))
	return formats.ParsePgbench(string(out))
}

func indent(b []byte) []byte {
	b = bytes.ReplaceAll(bytes.TrimSpace(b), []byte("\n"), []byte("\n    "))
	return append(append([]byte("    "), b...), '\n')
}

// startProc starts bin with env added to this process's, its output in logPath.
func startProc(out io.Writer, logPath string, env []string, bin string, args ...string) (*proc.Process, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	p, err := proc.Start(cmd, logPath)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "perf: started %s (pid %d)\n", p.Name(), p.Pid())
	return p, nil
}

// startNginx serves the same body as /index from a static location.
func startNginx(out io.Writer, dir, addr string) (*proc.Process, error) {
	nd := filepath.Join(dir, "nginx")
	if err := os.MkdirAll(nd, 0o777); err != nil {
		return nil, err
	}
	_ = os.Chmod(nd, 0o777)
	conf := fmt.Sprintf(`daemon off;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  keepalive_requests 1000000;
  server {
    listen %[2]s;
    location = /index {
      default_type application/json;
      return 200 '{"hello":"world"}';
    }
  }
}
`, nd, addr)
	cf := filepath.Join(nd, "nginx.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o644); err != nil {
		return nil, err
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if _, e := os.Stat("/usr/sbin/nginx"); e != nil {
			return nil, fmt.Errorf("nginx not found: apt-get install -y nginx-light")
		}
		bin = "/usr/sbin/nginx"
	}
	return startProc(out, filepath.Join(dir, "nginx.log"), nil, bin, "-c", cf, "-p", nd, "-e", filepath.Join(nd, "error.log"))
}
