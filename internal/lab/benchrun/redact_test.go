package benchrun

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/report"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

// argvWatch reads every process's command line (/proc/*/cmdline) every few
// milliseconds until stopped, and records those holding secret, and whether
// it ever saw a process whose command line holds seen.
type argvWatch struct {
	secret, seen []byte
	stop         chan struct{}
	done         chan struct{}
	mu           sync.Mutex
	leaks        []string
	seenLeak     map[string]bool // a leak is listed once per process
	sawSeen      bool
}

func watchArgv(secret, seen string) *argvWatch {
	w := &argvWatch{secret: []byte(secret), seen: []byte(seen), stop: make(chan struct{}), done: make(chan struct{}), seenLeak: map[string]bool{}}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			default:
			}
			w.scan()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return w
}

func (w *argvWatch) scan() {
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // gone, or not ours to read
		}
		w.mu.Lock()
		if bytes.Contains(b, w.secret) && !w.seenLeak[p] {
			w.seenLeak[p] = true
			w.leaks = append(w.leaks, p+": "+string(bytes.ReplaceAll(b, []byte{0}, []byte{' '})))
		}
		if bytes.Contains(b, w.seen) {
			w.sawSeen = true
		}
		w.mu.Unlock()
	}
}

// Stop ends the watch and returns the command lines that held the secret
// and whether it saw seen.
func (w *argvWatch) Stop() ([]string, bool) {
	close(w.stop)
	<-w.done
	w.scan() // one last look, after the run
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.leaks, w.sawSeen
}

// A real bench run (the CLI's run, the real app, pgbench's ceilings, a
// private PostgreSQL that checks passwords: the repository's pg_hba.conf)
// given --database-url with the bench role's password: no file of the
// results folder and nothing it prints holds the password, and no process's
// command line shows it at any time during the run.
func TestDatabasePasswordNeitherWrittenNorInArgv(t *testing.T) {
	if _, err := exec.LookPath("pgbench"); err != nil {
		testenv.Missing(t, "pgbench: %v", err)
	}
	rnd := make([]byte, 12)
	if _, err := rand.Read(rnd); err != nil {
		t.Fatal(err)
	}
	secret := "pw" + hex.EncodeToString(rnd) // this test's alone: any match is a leak
	t.Setenv(pgroles.PasswordVar[pgroles.Bench], secret)
	appBin, ltBin := binaries(t)
	pg := testenv.StartPostgres(t) // the bench role created with secret
	if err := pg.RestartWithRepoHBA(); err != nil {
		t.Fatal(err)
	}
	appURL, err := pg.RoleURL(pgroles.App)
	if err != nil {
		t.Fatal(err)
	}
	base := startApp(t, appBin, appURL)
	benchURL, err := pg.RoleURL(pgroles.Bench)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(benchURL, secret) {
		t.Fatalf("the bench role's URL %q lacks its password", benchURL)
	}

	out := filepath.Join(t.TempDir(), "results")
	var stdout, stderr testenv.SyncBuffer
	watch := watchArgv(secret, "-M\x00prepared") // pgbench's prepared ceiling
	code := run(context.Background(), []string{"--target", base, "--database-url", benchURL, "--loadtest-bin", ltBin,
		"--endpoints", "/agents", "--scenarios", "saturation", "--duration", "1s", "--warmup", "0s", "--connections", "2",
		"--ceiling-duration", "1s", "--prometheus", "off", "--grafana", "off", "--out", out}, &stdout, &stderr)
	leaks, sawPgbench := watch.Stop()
	t.Logf("bench output:\n%s%s", stdout.String(), stderr.String())
	if code != 0 {
		t.Fatalf("bench run: exit %d", code)
	}
	for _, l := range leaks {
		t.Errorf("the password on a command line: %s", l)
	}
	if !sawPgbench {
		t.Errorf("the watch never saw pgbench's command line: it did not look while the ceilings ran")
	}
	if strings.Contains(stdout.String()+stderr.String(), secret) {
		t.Errorf("the bench printed the password")
	}

	files := 0
	err = filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s holds the password", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The run measured what the password let it: PostgreSQL's evidence
	// and ceilings (a connection refused would leave nothing to leak).
	md, err := os.ReadFile(filepath.Join(out, "metadata.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(md, []byte(":xxxxx@")) {
		t.Errorf("metadata.json's command line has no redacted --database-url:\n%s", md)
	}
	s, err := report.Load(out)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range s.Notes {
		if strings.Contains(n, "no PostgreSQL evidence") {
			t.Errorf("no PostgreSQL evidence: the password did not work: %s", n)
		}
	}
	if len(s.Ceilings) != 2 {
		t.Errorf("%d ceilings, want 2 (%d files)", len(s.Ceilings), files)
	}
	for _, c := range s.Ceilings {
		if c.Error != "" || c.TPS <= 0 {
			t.Errorf("ceiling %s: %g tps, error %q", c.Name, c.TPS, c.Error)
		}
	}
}

// pgbench in the postgres container: exec form (no shell, no joined
// string), PGPASSWORD named without a value (docker reads it from its own
// environment), the script from stdin.
func TestPgbenchExecArgs(t *testing.T) {
	got := strings.Join(pgbenchExecArgs("/usr/lib/postgresql/15/bin/pgbench", []string{"-n", "-C", "-c", "8"}), " ")
	want := "exec -T -e PGPASSWORD postgres /usr/lib/postgresql/15/bin/pgbench -h 127.0.0.1 -U macrobench_bench -n -C -c 8 -f - macrobench"
	if got != want {
		t.Errorf("docker compose %s\nwant docker compose %s", got, want)
	}
}
