package stackcheck

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	dsFile   = DatasourcesDir + "/prometheus.yaml"
	provFile = ProvidersDir + "/macrobench.yaml"
	dashFile = DashboardsDir + "/benchmark.json"
)

// The repository's files pass every check of what Grafana reads.
func TestGrafanaFiles(t *testing.T) {
	root, p := loadRepoCompose(t)
	g, err := GrafanaSetupOf(p, root)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckGrafanaFiles(root, g); err != nil {
		t.Fatal(err)
	}
}

// grafanaCopy copies what Grafana reads (grafana/, and prometheus/ for the
// scrape interval) into a temporary repository; compose.yaml's setup is the
// real one (its mounts are repository paths, so they hold for the copy).
func grafanaCopy(t *testing.T) (string, GrafanaSetup) {
	t.Helper()
	root, p := loadRepoCompose(t)
	g, err := GrafanaSetupOf(p, root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, sub := range []string{"grafana", "prometheus"} {
		if err := os.CopyFS(filepath.Join(dir, sub), os.DirFS(filepath.Join(root, sub))); err != nil {
			t.Fatal(err)
		}
	}
	return dir, g
}

// replace edits file in the copy at dir; the old text must be there.
func replace(t *testing.T, dir, file, old, new string) {
	t.Helper()
	path := filepath.Join(dir, file)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), old) {
		t.Fatalf("%s: no %q to replace", file, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(raw), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A second datasource, appended to the datasources list.
const otherDatasource = `  - name: Other
    uid: UID
    type: prometheus
    access: proxy
    url: http://prometheus:9090
    isDefault: DEFAULT
    jsonData: {timeInterval: 5s, prometheusVersion: 3.16.0}
`

// A second provider, appended to the providers list.
const otherProvider = `  - name: macrobench
    type: file
    options: {path: /etc/grafana/dashboards}
`

// Each broken copy of the provisioning fails, naming the file and what is
// wrong.
func TestProvisioningProblemsNameFileAndField(t *testing.T) {
	cases := []struct {
		name, file, old, new, want string
	}{
		{"unknown key", dsFile, "    editable: false\n", "    editable: false\n    readOnly: true\n", "readOnly"},
		{"YAML 1.1 boolean", dsFile, "isDefault: true", "isDefault: yes", `"yes" is not a boolean`},
		{"quoted boolean", dsFile, "isDefault: true", `isDefault: "true"`, `"true" is not a boolean`},
		{"boolean in jsonData", dsFile, "httpMethod: POST", "httpMethod: POST\n      seriesEndpoint: on", `"on" is not a boolean`},
		{"string for a number", dsFile, "apiVersion: 1", "apiVersion: one", "`one`"},
		{"missing uid", dsFile, "    uid: prometheus\n", "", "datasources[0].uid: missing"},
		{"bad uid", dsFile, "uid: prometheus", "uid: prom/etheus", "letters, digits"},
		{"missing name", dsFile, "  - name: Prometheus\n    uid", "  - uid", "datasources[0].name: missing"},
		{"not Prometheus", dsFile, "type: prometheus", "type: loki", "Prometheus only"},
		{"browser access", dsFile, "access: proxy", "access: direct", "access"},
		{"other host", dsFile, "url: http://prometheus:9090", "url: http://localhost:9090", "does not name the prometheus service"},
		{"other port", dsFile, "url: http://prometheus:9090", "url: http://prometheus:9091", "listens on 9090"},
		{"environment variable", dsFile, "url: http://prometheus:9090", "url: http://${PROM_HOST}:9090", "expands $"},
		{"old format", dsFile, "apiVersion: 1", "apiVersion: 0", "apiVersion: 0, want 1"},
		{"other organisation", dsFile, "    isDefault: true\n", "    isDefault: true\n    orgId: 2\n", "organisation 2"},
		{"unknown jsonData key", dsFile, "httpMethod: POST", "httpMetod: POST", "httpMetod"},
		{"bad httpMethod", dsFile, "httpMethod: POST", "httpMethod: PUT", "want GET or POST"},
		{"rate interval off the scrape", dsFile, "timeInterval: 5s", "timeInterval: 15s", "timeInterval"},
		{"Prometheus version drift", dsFile, "prometheusVersion: 3.16.0", "prometheusVersion: 3.15.0", "compose.yaml runs Prometheus 3.16.0"},
		{"two defaults", dsFile, "prometheusVersion: 3.16.0\n", "prometheusVersion: 3.16.0\n" +
			strings.NewReplacer("UID", "other", "DEFAULT", "true").Replace(otherDatasource), "more than one"},
		{"same uid twice", dsFile, "prometheusVersion: 3.16.0\n", "prometheusVersion: 3.16.0\n" +
			strings.NewReplacer("UID", "prometheus", "DEFAULT", "false").Replace(otherDatasource), `"prometheus" is also`},
		{"same name twice", dsFile, "prometheusVersion: 3.16.0\n", "prometheusVersion: 3.16.0\n" +
			strings.NewReplacer("Other", "Prometheus", "UID", "other", "DEFAULT", "false").Replace(otherDatasource), `"Prometheus" is also a datasource`},
		{"provider path", provFile, "path: /etc/grafana/dashboards", "path: /var/lib/grafana/dashboards", "options.path"},
		{"provider path missing", provFile, "      path: /etc/grafana/dashboards\n", "", "options.path: missing"},
		{"provider folder alias", provFile, "path: /etc/grafana/dashboards", "folder: /etc/grafana/dashboards", "folder"},
		{"unknown provider option", provFile, "foldersFromFilesStructure: false", "foldersFromFileStructure: false", "foldersFromFileStructure"},
		{"unknown provider key", provFile, "    allowUiUpdates: false\n", "    allowUIUpdates: false\n", "allowUIUpdates"},
		{"provider type", provFile, "type: file", "type: files", "want file"},
		{"provider interval type", provFile, "updateIntervalSeconds: 30", "updateIntervalSeconds: 30s", `"30s" is not a decimal integer`},
		{"provider interval in hex", provFile, "updateIntervalSeconds: 30", "updateIntervalSeconds: 0x1e", `"0x1e" is not a decimal integer`},
		{"same provider twice", provFile, "foldersFromFilesStructure: false\n", "foldersFromFilesStructure: false\n" + otherProvider, "also a provider"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, g := grafanaCopy(t)
			replace(t, dir, c.file, c.old, c.new)
			err := CheckGrafanaFiles(dir, g)
			if err == nil || !strings.Contains(err.Error(), c.file) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant an error naming %s and %s", err, c.file, c.want)
			}
		})
	}
	t.Run("file Grafana reads but nothing checks", func(t *testing.T) {
		dir, g := grafanaCopy(t)
		alerting := filepath.Join(dir, ProvisioningDir, "alerting")
		if err := os.MkdirAll(alerting, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(alerting, "rules.yml"), []byte("apiVersion: 1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := CheckGrafanaFiles(dir, g)
		if err == nil || !strings.Contains(err.Error(), ProvisioningDir+"/alerting/rules.yml") {
			t.Fatalf("got %v, want an error naming the alerting file", err)
		}
	})
	t.Run("provisioning not mounted", func(t *testing.T) {
		dir, g := grafanaCopy(t)
		delete(g.Mounts, ProvisioningMount)
		err := CheckGrafanaFiles(dir, g)
		if err == nil || !strings.Contains(err.Error(), "services.grafana.volumes") {
			t.Fatalf("got %v, want an error naming services.grafana.volumes", err)
		}
	})
}

// editDashboard rewrites the copy's benchmark.json through f.
func editDashboard(t *testing.T, dir string, f func(doc map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, dashFile)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	f(doc)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// panel is the i-th top-level panel of doc; target its first query.
func panel(doc map[string]any, i int) map[string]any {
	return doc["panels"].([]any)[i].(map[string]any)
}

func target(doc map[string]any, i int) map[string]any {
	return panel(doc, i)["targets"].([]any)[0].(map[string]any)
}

func gridOf(doc map[string]any, i int) map[string]any {
	return panel(doc, i)["gridPos"].(map[string]any)
}

// Each broken copy of the dashboard fails, naming the file and the panel or
// field. Panels 1 and 2 are the first row's two timeseries side by side
// (x 0 and 12, width 12).
func TestDashboardProblemsAgainstProvisioning(t *testing.T) {
	cases := []struct {
		name string
		edit func(doc map[string]any)
		want string
	}{
		{"datasource not provisioned", func(d map[string]any) {
			panel(d, 1)["datasource"] = map[string]any{"type": "prometheus", "uid": "prom2"}
		}, `panels[1].datasource (panel "Request rate by route"): datasource {type "prometheus", uid "prom2"}: no datasource with uid "prom2"`},
		{"datasource of another type", func(d map[string]any) {
			target(d, 1)["datasource"] = map[string]any{"type": "influxdb", "uid": "prometheus"}
		}, `is of type "prometheus"`},
		{"target off its panel's datasource", func(d map[string]any) {
			panel(d, 1)["datasource"] = map[string]any{"type": "grafana", "uid": "-- Grafana --"}
		}, "but the panel's is"},
		{"annotation datasource", func(d map[string]any) {
			a := d["annotations"].(map[string]any)["list"].([]any)[0].(map[string]any)
			a["datasource"] = map[string]any{"type": "prometheus", "uid": "gone"}
		}, `annotations.list[0].datasource`},
		{"variable datasource", func(d map[string]any) {
			v := d["templating"].(map[string]any)["list"].([]any)[0].(map[string]any)
			v["datasource"] = map[string]any{"type": "prometheus", "uid": "gone"}
		}, `templating.list[0].datasource`},
		{"overlapping panels", func(d map[string]any) { gridOf(d, 2)["x"] = 6 }, "overlaps"},
		{"past the grid", func(d map[string]any) { gridOf(d, 2)["w"] = 13 }, "past the grid's 24 columns"},
		{"no height", func(d map[string]any) { gridOf(d, 2)["h"] = 0 }, "gridPos.h: must be > 0"},
		{"no position", func(d map[string]any) { delete(panel(d, 2), "gridPos") }, "gridPos: missing"},
		{"duplicate panel id", func(d map[string]any) { panel(d, 2)["id"] = 2 }, "id 2: also panels[1]"},
		{"missing panel id", func(d map[string]any) { delete(panel(d, 2), "id") }, "id: missing"},
		{"panel type Grafana 12 lacks", func(d map[string]any) { panel(d, 1)["type"] = "graph" }, `type "graph"`},
		{"unknown panel key", func(d map[string]any) { panel(d, 1)["titel"] = "x" }, "titel"},
		{"unknown option", func(d map[string]any) {
			panel(d, 1)["options"].(map[string]any)["legnd"] = map[string]any{}
		}, "legnd"},
		{"bad PromQL", func(d map[string]any) {
			target(d, 1)["expr"] = `sum(rate(app_http_requests_total[$__rate_interval])`
		}, `panel "Request rate by route"`},
		{"undefined variable", func(d map[string]any) {
			target(d, 1)["expr"] = `sum(rate(app_http_requests_total{instance=~"$instance"}[$__rate_interval]))`
		}, "variable $instance is not defined"},
		{"duplicate variable", func(d map[string]any) {
			tl := d["templating"].(map[string]any)
			list := tl["list"].([]any)
			tl["list"] = append(list, list[0])
		}, `"route" twice`},
		{"duplicate refId", func(d map[string]any) {
			p := panel(d, 1)
			p["targets"] = append(p["targets"].([]any), target(d, 1))
		}, `refId: "A" twice`},
		{"panels in an open row", func(d map[string]any) {
			panel(d, 0)["panels"] = []any{panel(d, 1)}
		}, "an open row holds no panels"},
		{"schema too new", func(d map[string]any) { d["schemaVersion"] = 43 }, "schemaVersion: 43"},
		{"schema too old", func(d map[string]any) { d["schemaVersion"] = 8 }, "schemaVersion: 8"},
		{"bad uid", func(d map[string]any) { d["uid"] = "macrobench benchmark" }, "letters, digits"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, g := grafanaCopy(t)
			editDashboard(t, dir, c.edit)
			err := CheckGrafanaFiles(dir, g)
			if err == nil || !strings.Contains(err.Error(), dashFile) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v\nwant an error naming %s and %s", err, dashFile, c.want)
			}
		})
	}
	t.Run("provisioned uid renamed", func(t *testing.T) {
		dir, g := grafanaCopy(t)
		replace(t, dir, dsFile, "uid: prometheus", "uid: prom")
		err := CheckGrafanaFiles(dir, g)
		if err == nil || !strings.Contains(err.Error(), dashFile) || !strings.Contains(err.Error(), `no datasource with uid "prometheus"`) {
			t.Fatalf("got %v, want the dashboard's references reported", err)
		}
	})
	t.Run("dashboard in a subfolder", func(t *testing.T) {
		dir, g := grafanaCopy(t)
		sub := filepath.Join(dir, DashboardsDir, "more")
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "x.json"), []byte(`{"uid":"x"}`), 0o644); err != nil {
			t.Fatal(err)
		}
		err := CheckGrafanaFiles(dir, g)
		if err == nil || !strings.Contains(err.Error(), "more/x.json") {
			t.Fatalf("got %v, want the subfolder's dashboard read (Grafana reads it)", err)
		}
	})
}

// The copy itself passes, so each case above fails for its edit.
func TestGrafanaCopyPasses(t *testing.T) {
	dir, g := grafanaCopy(t)
	editDashboard(t, dir, func(map[string]any) {})
	if err := CheckGrafanaFiles(dir, g); err != nil {
		t.Fatal(err)
	}
}

// swarm.yaml gives Grafana, as configs, every file compose.yaml mounts into
// it; a file added to one and not the other fails.
func TestSwarmGivesGrafanaTheComposeFiles(t *testing.T) {
	root, p := loadRepoCompose(t)
	g, err := GrafanaSetupOf(p, root)
	if err != nil {
		t.Fatal(err)
	}
	want, err := GrafanaFiles(root, g)
	if err != nil {
		t.Fatal(err)
	}
	for target, file := range map[string]string{
		"/etc/grafana/grafana.ini":                              "grafana/grafana.ini",
		"/etc/grafana/provisioning/datasources/prometheus.yaml": dsFile,
		"/etc/grafana/provisioning/dashboards/macrobench.yaml":  provFile,
		"/etc/grafana/dashboards/benchmark.json":                dashFile,
	} {
		if want[target] != file {
			t.Errorf("GrafanaFiles: %s is %q, want %s", target, want[target], file)
		}
	}
	s, err := LoadSwarm(context.Background(), root, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckSwarmGrafana(s, root, want); err != nil {
		t.Fatal(err)
	}

	more := maps.Clone(want)
	more["/etc/grafana/dashboards/more.json"] = DashboardsDir + "/more.json"
	if err := CheckSwarmGrafana(s, root, more); err == nil || !strings.Contains(err.Error(), "no /etc/grafana/dashboards/more.json") {
		t.Errorf("a dashboard missing from swarm.yaml: got %v", err)
	}
	gs := s.Services["grafana"]
	dropped := gs.Configs[len(gs.Configs)-1].Target
	gs.Configs = gs.Configs[:len(gs.Configs)-1]
	s.Services["grafana"] = gs
	if err := CheckSwarmGrafana(s, root, want); err == nil || !strings.Contains(err.Error(), "no "+dropped) {
		t.Errorf("a config dropped from swarm.yaml: got %v", err)
	}
}
