package stackcheck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/macrobench/macrobench/internal/checks/testenv"
	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
)

// The lab's Grafana, where one runs (the official image: CI has none, see
// docs/dashboards.md): healthy at compose.yaml's version, the datasource
// answering, the dashboards provisioned from these files.
func TestGrafanaServesTheProvisionedDashboards(t *testing.T) {
	u := testenv.OfficialEnv(t, "MACROBENCH_GRAFANA_URL", "the running Grafana (official image)")
	root, p := loadRepoCompose(t)
	dashboards, err := LoadDashboards(filepath.Join(root, DashboardsDir))
	if err != nil {
		t.Fatal(err)
	}
	// Anonymous (a viewer's view), or as the admin when its password is set.
	user := ""
	if os.Getenv("GRAFANA_ADMIN_PASSWORD") != "" {
		user = "admin"
	}
	if err := CheckGrafana(context.Background(), u, user, os.Getenv("GRAFANA_ADMIN_PASSWORD"), ImageTag(p, "grafana"), dashboards); err != nil {
		t.Error(err)
	}
}

// fakeGrafana answers the three API calls CheckGrafana makes, with the
// fields Grafana 12 returns (pkg/api: /api/health, the datasource health
// check, /api/dashboards/uid/:uid), built from the repository's dashboards;
// edit changes a response before it is sent.
func fakeGrafana(t *testing.T, ds []Dashboard, edit func(path string, body map[string]any)) string {
	t.Helper()
	byUID := map[string]Dashboard{}
	for _, d := range ds {
		byUID[d.UID] = d
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		switch p := r.URL.Path; {
		case p == "/api/health":
			body = map[string]any{"commit": "0000000", "database": "ok", "version": "12.2.1"}
		case p == "/api/datasources/uid/"+grafanaids.DatasourceUID+"/health":
			body = map[string]any{"status": "OK", "message": "Successfully queried the Prometheus API."}
		case strings.HasPrefix(p, "/api/dashboards/uid/"):
			d, ok := byUID[strings.TrimPrefix(p, "/api/dashboards/uid/")]
			if !ok {
				http.Error(w, `{"message":"Dashboard not found"}`, http.StatusNotFound)
				return
			}
			var panels []any
			for _, pd := range d.doc.Panels {
				panels = append(panels, map[string]any{"id": *pd.ID, "type": pd.Type})
			}
			body = map[string]any{
				"dashboard": map[string]any{"uid": d.UID, "title": d.Title, "panels": panels},
				"meta":      map[string]any{"provisioned": true, "provisionedExternalId": filepath.Base(d.File)},
			}
		default:
			http.NotFound(w, r)
			return
		}
		if edit != nil {
			edit(r.URL.Path, body)
		}
		_ = json.NewEncoder(w).Encode(body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// CheckGrafana's success path, and each way a Grafana can differ from what
// the repository provisions.
func TestGrafanaCheckAgainstAFakeGrafana(t *testing.T) {
	ds, err := LoadDashboards(filepath.Join(testenv.RepoRoot(t), DashboardsDir))
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckGrafana(context.Background(), fakeGrafana(t, ds, nil), "", "", "12.2.1", ds); err != nil {
		t.Fatalf("a Grafana serving the files: %v", err)
	}
	isDashboard := func(p string) bool { return strings.HasPrefix(p, "/api/dashboards/") }
	cases := []struct {
		name string
		edit func(path string, body map[string]any)
		want string
	}{
		{"other version", func(p string, b map[string]any) {
			if p == "/api/health" {
				b["version"] = "13.0.0"
			}
		}, `version "13.0.0", want 12.2.1`},
		{"database down", func(p string, b map[string]any) {
			if p == "/api/health" {
				b["database"] = "failing"
			}
		}, `database "failing"`},
		{"datasource failing", func(p string, b map[string]any) {
			if strings.HasSuffix(p, "/health") && p != "/api/health" {
				b["status"], b["message"] = "ERROR", "Post \"http://prometheus:9090/api/v1/query\": dial tcp: lookup prometheus"
			}
		}, "lookup prometheus"},
		{"not provisioned", func(p string, b map[string]any) {
			if isDashboard(p) {
				b["meta"] = map[string]any{"provisioned": false}
			}
		}, "was not provisioned from this file"},
		{"from another file", func(p string, b map[string]any) {
			if isDashboard(p) {
				b["meta"] = map[string]any{"provisioned": true, "provisionedExternalId": "old.json"}
			}
		}, `from "old.json"`},
		{"stale copy", func(p string, b map[string]any) {
			if isDashboard(p) {
				d := b["dashboard"].(map[string]any)
				d["panels"] = d["panels"].([]any)[1:]
			}
		}, "an older copy?"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := CheckGrafana(context.Background(), fakeGrafana(t, ds, c.edit), "", "", "12.2.1", ds)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error naming %s", err, c.want)
			}
		})
	}
	t.Run("dashboard missing", func(t *testing.T) {
		other := append([]Dashboard(nil), ds...)
		other[0].UID = "not-there"
		err := CheckGrafana(context.Background(), fakeGrafana(t, ds, nil), "", "", "12.2.1", other)
		if err == nil || !strings.Contains(err.Error(), "404") || !strings.Contains(err.Error(), other[0].File) {
			t.Fatalf("got %v, want a 404 naming %s", err, other[0].File)
		}
	})
}

func TestGrafanaCheckNamesWhatIsUnreachable(t *testing.T) {
	addr := testenv.FreeAddr(t)
	err := CheckGrafana(context.Background(), fmt.Sprintf("http://%s", addr), "", "", "", nil)
	if err == nil || !strings.Contains(err.Error(), "/api/health") {
		t.Fatalf("got %v, want an error naming /api/health", err)
	}
}
