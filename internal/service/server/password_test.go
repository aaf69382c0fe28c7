package server

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/service/config"
	"github.com/macrobench/macrobench/internal/shared/pgroles"
)

// With APP_DATABASE_PASSWORD_FILE, the app logs in with the file's password
// (its URL has none) where PostgreSQL checks it (postgres/pg_hba.conf:
// scram-sha-256); without it, the same URL is refused.
func TestPasswordFromFileLogsIn(t *testing.T) {
	pg := testenv.StartPostgres(t)
	if err := pg.RestartWithRepoHBA(); err != nil {
		t.Fatal(err)
	}
	passwords, err := pgroles.Passwords(testenv.RepoRoot(t), os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "app-password")
	if err := os.WriteFile(file, []byte(passwords[pgroles.App]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url := pgroles.URL(pgroles.App, "", pg.Addr())
	client := &http.Client{Timeout: 10 * time.Second}
	status := func(addr, path string) int {
		resp, err := client.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, withFile := range []bool{true, false} {
		vars := map[string]string{"APP_DATABASE_URL": url}
		if withFile {
			vars["APP_DATABASE_PASSWORD_FILE"] = file
		}
		cfg, err := config.Load(func(k string) string { return vars[k] })
		if err != nil {
			t.Fatal(err)
		}
		addr := serveLogged(t, cfg)
		want := http.StatusOK
		if !withFile {
			want = http.StatusServiceUnavailable
		}
		for _, path := range []string{"/agents", "/agents_with_pool"} {
			if got := status(addr, path); got != want {
				t.Errorf("password file %v: GET %s: %d, want %d", withFile, path, got, want)
			}
		}
	}
}
