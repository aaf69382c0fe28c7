package stackcheck

import (
	"bufio"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

// PortVars is the variable that moves each service's published port, and its
// default (.env's, the port the lab always used).
var PortVars = map[string]struct {
	Var     string
	Default string
}{
	"postgres":   {"POSTGRES_PORT", "5432"},
	"app":        {"APP_PORT", "8000"},
	"prometheus": {"PROMETHEUS_PORT", "9090"},
	"grafana":    {"GRAFANA_PORT", "3000"},
	"original":   {"ORIGINAL_PORT", "8001"},
	"loadtest":   {"LOADTEST_METRICS_PORT", "9102"},
}

// Every published host port comes from a variable with .env's default, so a
// port taken on the machine moves with e.g. APP_PORT=18000 docker compose up.
func TestEveryPublishedPortIsAVariable(t *testing.T) {
	_, defaults := loadRepoCompose(t)
	var env []string
	want := map[string]string{}
	i := 0
	for name, pv := range PortVars {
		if got := dotenvDefault(t, pv.Var); got != pv.Default {
			t.Errorf(".env: %s=%q, want %s", pv.Var, got, pv.Default)
		}
		i++
		want[name] = strconv.Itoa(20000 + i)
		env = append(env, pv.Var+"="+want[name])
	}
	_, moved := loadRepoCompose(t, env...)
	for _, name := range sortedServices(defaults) {
		s := defaults.Services[name]
		if len(s.Ports) == 0 {
			continue
		}
		pv, ok := PortVars[name]
		if !ok {
			t.Errorf("compose.yaml: services.%s.ports: published, but no port variable (add it to .env and stackcheck.PortVars)", name)
			continue
		}
		if len(s.Ports) != 1 {
			t.Errorf("compose.yaml: services.%s.ports: %d ports, want one", name, len(s.Ports))
			continue
		}
		if got := s.Ports[0].Published; got != pv.Default {
			t.Errorf("compose.yaml: services.%s.ports[0]: published %s with .env, want %s", name, got, pv.Default)
		}
		if got := moved.Services[name].Ports[0].Published; got != want[name] {
			t.Errorf("compose.yaml: services.%s.ports[0]: published %s with %s=%s, want %s", name, got, pv.Var, want[name], want[name])
		}
	}
}

// postgresURLs are the PostgreSQL logins a service's environment carries:
// lib/pq and libpq URLs, and postgres_exporter's DATA_SOURCE_USER/PASS.
func postgresURLs(s types.ServiceConfig) map[string]*url.URL {
	out := map[string]*url.URL{}
	for k, v := range s.Environment {
		if v == nil {
			continue
		}
		if strings.HasPrefix(*v, "postgres://") || strings.HasPrefix(*v, "postgresql://") {
			if u, err := url.Parse(*v); err == nil {
				out[k] = u
			} else {
				out[k] = &url.URL{Scheme: "unparsable", Opaque: err.Error()}
			}
		}
	}
	if u := s.Environment["DATA_SOURCE_USER"]; u != nil {
		pass := ""
		if p := s.Environment["DATA_SOURCE_PASS"]; p != nil {
			pass = *p
		}
		out["DATA_SOURCE_USER"] = &url.URL{Scheme: "postgresql", User: url.UserPassword(*u, pass)}
	}
	return out
}

// No client logs in as the superuser: each logs in as its least-privilege
// role (pgroles) with the password .env (or the shell) gives the postgres
// service, which creates the roles with it.
func TestClientsLogInAsTheirRoles(t *testing.T) {
	want := map[string]string{ // service -> role
		"app":               pgroles.App,
		"original":          pgroles.App,
		"postgres-exporter": pgroles.Exporter,
	}
	check := func(p *types.Project, source string) {
		t.Helper()
		pgEnv := p.Services["postgres"].Environment
		password := func(role string) string {
			if v := pgEnv[pgroles.PasswordVar[role]]; v != nil {
				return *v
			}
			return ""
		}
		for _, name := range sortedServices(p) {
			for k, u := range postgresURLs(p.Services[name]) {
				role, ok := want[name]
				if !ok {
					t.Errorf("compose.yaml: services.%s.environment.%s: a PostgreSQL login the test does not know", name, k)
					continue
				}
				pw, _ := u.User.Password()
				if u.User.Username() != role || pw != password(role) || pw == "" {
					t.Errorf("compose.yaml (%s): services.%s.environment.%s: logs in as %s with %q, want %s with %s (%q)",
						source, name, k, u.User.Username(), pw, role, pgroles.PasswordVar[role], password(role))
				}
			}
		}
		for _, name := range []string{"app", "original", "postgres-exporter"} {
			if len(postgresURLs(p.Services[name])) == 0 {
				t.Errorf("compose.yaml: services.%s: no PostgreSQL login found", name)
			}
		}
	}
	_, p := loadRepoCompose(t)
	check(p, ".env")
	for _, role := range pgroles.Roles {
		if got := p.Services["postgres"].Environment[pgroles.PasswordVar[role]]; got == nil || *got != dotenvDefault(t, pgroles.PasswordVar[role]) || *got == "" {
			t.Errorf("compose.yaml: services.postgres.environment.%s: %v, want .env's", pgroles.PasswordVar[role], got)
		}
	}
	_, over := loadRepoCompose(t, "POSTGRES_APP_PASSWORD=a1", "POSTGRES_EXPORTER_PASSWORD=e2", "POSTGRES_BENCH_PASSWORD=b3")
	check(over, "passwords from the shell")
	if got := over.Services["postgres"].Environment["POSTGRES_BENCH_PASSWORD"]; got == nil || *got != "b3" {
		t.Errorf("compose.yaml: services.postgres.environment.POSTGRES_BENCH_PASSWORD: %v with the shell's b3", got)
	}

	// The postgres service's healthcheck logs in as nobody, but names a role
	// pg_hba.conf admits (a refused one would log a FATAL line every 2 s).
	hc := p.Services["postgres"].HealthCheck.Test
	if i := slices.Index(hc, "-U"); i < 0 || i+1 >= len(hc) || !slices.Contains(pgroles.Roles, hc[i+1]) {
		t.Errorf("compose.yaml: services.postgres.healthcheck.test: %q: want -U one of %v", hc, pgroles.Roles)
	}
}

// The superuser has no password anyone knows (a random one at initialisation,
// then none) and logs in over the socket only; postgresql.conf reads the
// repository's pg_hba.conf, which admits exactly 03-roles.sql's roles over TCP.
func TestSuperuserHasNoKnownPasswordNorTCPLogin(t *testing.T) {
	root, p := loadRepoCompose(t)
	pg := p.Services["postgres"]
	env := func(k string) string {
		if v := pg.Environment[k]; v != nil {
			return *v
		}
		return ""
	}
	if env("POSTGRES_USER") != pgroles.Superuser || env("POSTGRES_DB") != pgroles.Database {
		t.Errorf("compose.yaml: services.postgres.environment: POSTGRES_USER=%q POSTGRES_DB=%q, want %s and %s",
			env("POSTGRES_USER"), env("POSTGRES_DB"), pgroles.Superuser, pgroles.Database)
	}
	if _, ok := pg.Environment["POSTGRES_PASSWORD"]; ok {
		t.Error("compose.yaml: services.postgres.environment.POSTGRES_PASSWORD: set; the superuser's password must be known to nobody")
	}
	if got := env("POSTGRES_PASSWORD_FILE"); got != "/proc/sys/kernel/random/uuid" {
		t.Errorf("compose.yaml: services.postgres.environment.POSTGRES_PASSWORD_FILE: %q, want a random source", got)
	}
	if _, ok := pg.Environment["POSTGRES_HOST_AUTH_METHOD"]; ok {
		t.Error("compose.yaml: services.postgres.environment.POSTGRES_HOST_AUTH_METHOD: set (pg_hba.conf decides)")
	}

	conf, err := os.ReadFile(filepath.Join(root, "postgres/postgresql.conf"))
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, line := range strings.Split(string(conf), "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(line), "="); ok && !strings.HasPrefix(strings.TrimSpace(line), "#") {
			settings[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), "'")
		}
	}
	var hbaTarget string
	for _, v := range pg.Volumes {
		if rel, _ := filepath.Rel(root, v.Source); rel == "postgres/pg_hba.conf" {
			hbaTarget = v.Target
		}
	}
	if hbaTarget == "" || settings["hba_file"] != hbaTarget {
		t.Errorf("postgres/postgresql.conf: hba_file = %q, want where compose.yaml mounts postgres/pg_hba.conf (%q)", settings["hba_file"], hbaTarget)
	}
	if n, err := strconv.Atoi(settings["superuser_reserved_connections"]); err != nil || n < 1 {
		t.Errorf("postgres/postgresql.conf: superuser_reserved_connections = %q, want at least 1 for an operator", settings["superuser_reserved_connections"])
	}

	sql, err := os.ReadFile(filepath.Join(root, "postgres/initdb/03-roles.sql"))
	if err != nil {
		t.Fatal(err)
	}
	var created []string
	for _, m := range regexp.MustCompile(`(?m)^CREATE ROLE (\w+)`).FindAllStringSubmatch(string(sql), -1) {
		created = append(created, m[1])
	}
	if !slices.Equal(created, pgroles.Roles) {
		t.Errorf("postgres/initdb/03-roles.sql: creates %v, want pgroles.Roles %v", created, pgroles.Roles)
	}

	f, err := os.Open(filepath.Join(root, "postgres/pg_hba.conf"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var lastHost []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		where := fmt.Sprintf("postgres/pg_hba.conf:%d", n)
		method := fields[len(fields)-1]
		switch fields[0] {
		case "local":
			if method != "peer" && method != "reject" {
				t.Errorf("%s: local connections by %s, want peer (the OS user is the role)", where, method)
			}
		case "host", "hostssl", "hostnossl", "hostgssenc", "hostnogssenc":
			lastHost = fields
			if method == "reject" {
				continue
			}
			if method != "scram-sha-256" {
				t.Errorf("%s: %s over TCP, want scram-sha-256 or reject", where, method)
			}
			if fields[1] != pgroles.Database {
				t.Errorf("%s: database %s, want %s only", where, fields[1], pgroles.Database)
			}
			for _, u := range strings.Split(fields[2], ",") {
				if !slices.Contains(pgroles.Roles, u) {
					t.Errorf("%s: admits %s over TCP, want only %v", where, u, pgroles.Roles)
				}
			}
		default:
			t.Errorf("%s: unexpected connection type %s", where, fields[0])
		}
	}
	if strings.Join(lastHost, " ") != "host all all all reject" {
		t.Errorf("postgres/pg_hba.conf: the last TCP line is %q, want \"host all all all reject\"", strings.Join(lastHost, " "))
	}
}

// Grafana never has admin/admin: grafana.ini turns the first-run admin off,
// and only GRAFANA_ADMIN_PASSWORD (no default in the repository) turns it back
// on, with that password. Anonymous viewers keep read access.
func TestGrafanaHasNoDefaultAdmin(t *testing.T) {
	root, p := loadRepoCompose(t)
	g := p.Services["grafana"]
	env := func(p *types.Project, k string) (string, bool) {
		v := p.Services["grafana"].Environment[k]
		if v == nil {
			return "", false
		}
		return *v, true
	}
	var ini string
	for _, v := range g.Volumes {
		if v.Target == "/etc/grafana/grafana.ini" {
			rel, _ := filepath.Rel(root, v.Source)
			ini = filepath.ToSlash(rel)
		}
	}
	if ini != "grafana/grafana.ini" {
		t.Fatalf("compose.yaml: services.grafana.volumes: grafana/grafana.ini is not mounted at /etc/grafana/grafana.ini (got %q)", ini)
	}
	b, err := os.ReadFile(filepath.Join(root, ini))
	if err != nil {
		t.Fatal(err)
	}
	section, disabled := "", ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
		case strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#"):
		default:
			k, v, _ := strings.Cut(line, "=")
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if section == "security" && k == "disable_initial_admin_creation" {
				disabled = v
			}
			if k == "admin_password" || k == "admin_user" {
				t.Errorf("%s: [%s] %s is set: no admin credential in the repository", ini, section, k)
			}
		}
	}
	if disabled != "true" {
		t.Errorf("%s: [security] disable_initial_admin_creation = %q, want true", ini, disabled)
	}

	// Unset: both variables empty, which Grafana ignores (grafana.ini holds).
	for _, k := range []string{"GF_SECURITY_ADMIN_PASSWORD", "GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION", "GF_SECURITY_ADMIN_USER"} {
		if v, _ := env(p, k); v != "" {
			t.Errorf("compose.yaml: services.grafana.environment.%s: %q without GRAFANA_ADMIN_PASSWORD, want empty", k, v)
		}
	}
	if v := dotenvDefault(t, "GRAFANA_ADMIN_PASSWORD"); v != "" {
		t.Errorf(".env: GRAFANA_ADMIN_PASSWORD=%q: no default in the repository", v)
	}
	// Set: the admin comes back, with that password.
	_, set := loadRepoCompose(t, "GRAFANA_ADMIN_PASSWORD=s3cret")
	if v, _ := env(set, "GF_SECURITY_ADMIN_PASSWORD"); v != "s3cret" {
		t.Errorf("compose.yaml: services.grafana.environment.GF_SECURITY_ADMIN_PASSWORD: %q with GRAFANA_ADMIN_PASSWORD=s3cret", v)
	}
	if v, _ := env(set, "GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION"); v != "false" {
		t.Errorf("compose.yaml: services.grafana.environment.GF_SECURITY_DISABLE_INITIAL_ADMIN_CREATION: %q with GRAFANA_ADMIN_PASSWORD set, want false", v)
	}
	if v, _ := env(p, "GF_AUTH_ANONYMOUS_ENABLED"); v != "true" {
		t.Errorf("compose.yaml: services.grafana.environment.GF_AUTH_ANONYMOUS_ENABLED: %q, want true (viewers need no login)", v)
	}
	if v, _ := env(p, "GF_AUTH_ANONYMOUS_ORG_ROLE"); v != "Viewer" {
		t.Errorf("compose.yaml: services.grafana.environment.GF_AUTH_ANONYMOUS_ORG_ROLE: %q, want Viewer", v)
	}
}

// copySources are the context paths a Dockerfile's COPY lines take (COPY
// --from=... takes from a stage, not the context).
func copySources(t *testing.T, dockerfile string) []string {
	t.Helper()
	b, err := os.ReadFile(dockerfile)
	if err != nil {
		t.Fatal(err)
	}
	var srcs []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 || !strings.EqualFold(f[0], "COPY") {
			continue
		}
		args := f[1:]
		fromStage := false
		for len(args) > 0 && strings.HasPrefix(args[0], "--") {
			fromStage = fromStage || strings.HasPrefix(args[0], "--from=")
			args = args[1:]
		}
		if !fromStage && len(args) >= 2 {
			srcs = append(srcs, args[:len(args)-1]...)
		}
	}
	return srcs
}

// Every build context sends the builder what its Dockerfile copies and
// nothing of results/, .git, bin/, .env, test binaries or caches.
func TestBuildContextsHoldOnlyWhatTheBuildsCopy(t *testing.T) {
	root, p := loadRepoCompose(t)
	seen := map[string]bool{}
	for _, name := range sortedServices(p) {
		s := p.Services[name]
		if s.Build == nil {
			continue
		}
		ctx := s.Build.Context
		df := s.Build.Dockerfile
		if !filepath.IsAbs(df) {
			df = filepath.Join(ctx, df)
		}
		if seen[ctx+" "+df] {
			continue
		}
		seen[ctx+" "+df] = true
		rel, _ := filepath.Rel(root, ctx)
		ignore := filepath.Join(ctx, ".dockerignore")
		f, err := os.Open(ignore)
		if err != nil {
			t.Errorf("services.%s: build context %s has no .dockerignore: %v", name, rel, err)
			continue
		}
		patterns, err := ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", ignore, err)
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			t.Fatalf("%s: %v", ignore, err)
		}
		excluded := func(path string) bool {
			ex, err := pm.MatchesOrParentMatches(filepath.ToSlash(filepath.Clean(path)))
			if err != nil {
				t.Fatalf("%s: %s: %v", ignore, path, err)
			}
			return ex
		}
		srcs := copySources(t, df)
		if len(srcs) == 0 {
			t.Errorf("%s: no COPY from the context found", df)
		}
		for _, src := range srcs {
			if _, err := os.Stat(filepath.Join(ctx, src)); err != nil {
				t.Errorf("%s: COPY %s: not in the build context %s", df, src, rel)
				continue
			}
			// The source itself, and what the build reads under it.
			paths := []string{src}
			_ = filepath.WalkDir(filepath.Join(ctx, src), func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".py") || filepath.Base(path) == "go.mod") {
					r, _ := filepath.Rel(ctx, path)
					paths = append(paths, r)
				}
				return nil
			})
			for _, path := range paths {
				if excluded(path) {
					t.Errorf("%s: %s excludes %s, which %s copies", filepath.Join(rel, ".dockerignore"), path, path, filepath.Base(df))
				}
			}
		}
		for _, path := range []string{"results/2026-01-01T000000Z/summary.md", ".git/HEAD", "bin/bench", ".env",
			"internal/lab/benchrun/bench.test", "app/__pycache__/x.pyc", "__pycache__/app.cpython-311.pyc", ".cache/go-build/x"} {
			if !excluded(path) {
				t.Errorf("%s: %s goes into the build context", filepath.Join(rel, ".dockerignore"), path)
			}
		}
	}
	if len(seen) < 3 {
		t.Errorf("only %d build contexts in compose.yaml, want app's, loadtest's and original's", len(seen))
	}
}

// The e2e's stand-in PostgreSQL follows the official entrypoint in what
// compose.yaml relies on: the password read from POSTGRES_PASSWORD_FILE
// (its content, the variable then unset), and both set refused. The
// entry point's own function, run by bash.
func TestStandInPostgresReadsThePasswordFile(t *testing.T) {
	script := filepath.Join(testenv.RepoRoot(t), "scripts/e2e/postgres/docker-entrypoint.sh")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(env ...string) (string, error) {
		cmd := exec.Command("bash", "-c", `. "$1" && from_file POSTGRES_PASSWORD && printf '%s|%s' "$POSTGRES_PASSWORD" "${POSTGRES_PASSWORD_FILE-unset}"`, "bash", script)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	if out, err := run("POSTGRES_PASSWORD_FILE=" + pw); err != nil || out != "s3cret|unset" {
		t.Errorf("POSTGRES_PASSWORD_FILE=%s: got %q (%v), want the file's content and the variable unset: s3cret|unset", pw, out, err)
	}
	if out, err := run("POSTGRES_PASSWORD=other", "POSTGRES_PASSWORD_FILE="+pw); err == nil || !strings.Contains(out, "exclusive") {
		t.Errorf("both POSTGRES_PASSWORD and POSTGRES_PASSWORD_FILE: got %q (%v), want an error", out, err)
	}
}
