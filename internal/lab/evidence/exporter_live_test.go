package evidence

import (
	"context"
	"database/sql"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/shared/agentscontract"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

// The pinned postgres_exporter with the repository's queries, logged in as
// its role: what the bench reads through it on swarm (the agents query's
// calls, the sessions, the settings it records) is what it reads over its
// own connection on one engine.
func TestExporterReadsWhatAConnectionReads(t *testing.T) {
	bin := testenv.Env(t, "MACROBENCH_POSTGRES_EXPORTER_BIN")
	pg := testenv.StartPostgres(t)
	url := func(role string) string {
		u, err := pg.RoleURL(role)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	addr := testenv.FreeAddr(t)
	cmd := exec.Command(bin, "--web.listen-address="+addr, "--disable-default-metrics", "--disable-settings-metrics",
		"--extend.query-path="+filepath.Join(testenv.RepoRoot(t), "postgres/exporter/queries.yaml"))
	cmd.Env = []string{"DATA_SOURCE_NAME=" + url(pgroles.Exporter)}
	testenv.StartServer(t, cmd, filepath.Join(t.TempDir(), "exporter.log"), "http://"+addr+"/metrics", 30*time.Second)

	ctx := context.Background()
	direct, err := OpenDB(ctx, url(pgroles.Bench))
	if err != nil {
		t.Fatal(err)
	}
	defer direct.Close()
	viaExporter, err := OpenExporter(ctx, "http://"+addr)
	if err != nil {
		t.Fatal(err)
	}

	// Three runs of the agents query as the app, on a connection of its own.
	app, err := sql.Open("postgres", url(pgroles.App))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	for range 3 {
		rows, err := app.Query(agentscontract.Query)
		if err != nil {
			t.Fatal(err)
		}
		rows.Close()
	}
	d, err := direct.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e, err := viaExporter.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Calls < 3 || e.Calls != d.Calls || e.Sessions != d.Sessions {
		t.Errorf("through the exporter calls %d, sessions %d; over a connection calls %d (≥ 3), sessions %d", e.Calls, e.Sessions, d.Calls, d.Sessions)
	}
	for _, name := range RecordedSettings {
		want, err := direct.Setting(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		got, err := viaExporter.Setting(ctx, name)
		if err != nil || got != want || got == "" {
			t.Errorf("%s through the exporter: %q (%v); over a connection %q", name, got, err, want)
		}
	}
}
