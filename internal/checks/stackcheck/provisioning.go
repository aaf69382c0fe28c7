package stackcheck

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"

	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
)

// Grafana provisioning files (the subset of their schema the lab uses).
const (
	DatasourcesFile = "grafana/provisioning/datasources/prometheus.yaml"
	ProvidersFile   = "grafana/provisioning/dashboards/macrobench.yaml"
)

type datasourcesDoc struct {
	APIVersion  int `yaml:"apiVersion"`
	Datasources []struct {
		Name      string         `yaml:"name"`
		UID       string         `yaml:"uid"`
		Type      string         `yaml:"type"`
		Access    string         `yaml:"access"`
		URL       string         `yaml:"url"`
		IsDefault bool           `yaml:"isDefault"`
		Editable  bool           `yaml:"editable"`
		JSONData  map[string]any `yaml:"jsonData"`
	} `yaml:"datasources"`
}

type providersDoc struct {
	APIVersion int `yaml:"apiVersion"`
	Providers  []struct {
		Name                  string `yaml:"name"`
		Folder                string `yaml:"folder"`
		Type                  string `yaml:"type"`
		DisableDeletion       bool   `yaml:"disableDeletion"`
		AllowUIUpdates        bool   `yaml:"allowUiUpdates"`
		UpdateIntervalSeconds int    `yaml:"updateIntervalSeconds"`
		Options               struct {
			Path                      string `yaml:"path"`
			FoldersFromFilesStructure bool   `yaml:"foldersFromFilesStructure"`
		} `yaml:"options"`
	} `yaml:"providers"`
}

func decodeStrict(path string, out any) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// CheckProvisioning checks that Grafana's provisioning, as mounted by
// compose.yaml, gives the dashboards their datasource (by uid, pointing at the
// prometheus service) and reads the dashboards directory.
func CheckProvisioning(p *types.Project, dir string) error {
	var errs []error
	bad := func(file, field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", file, field, fmt.Sprintf(format, args...)))
	}

	var ds datasourcesDoc
	if err := decodeStrict(filepath.Join(dir, DatasourcesFile), &ds); err != nil {
		return err
	}
	found := false
	for i, d := range ds.Datasources {
		if d.UID != grafanaids.DatasourceUID {
			continue
		}
		found = true
		field := fmt.Sprintf("datasources[%d]", i)
		if d.Type != "prometheus" {
			bad(DatasourcesFile, field+".type", "%q, want prometheus", d.Type)
		}
		u, err := url.Parse(d.URL)
		if err != nil {
			bad(DatasourcesFile, field+".url", "%v", err)
			continue
		}
		prom, ok := p.Services[u.Hostname()]
		if !ok || prom.Image == "" || !bytes.HasPrefix([]byte(prom.Image), []byte("prom/prometheus:")) {
			bad(DatasourcesFile, field+".url", "%q does not name the prometheus service", d.URL)
		}
		if u.Port() != "9090" {
			bad(DatasourcesFile, field+".url", "%q: Prometheus listens on 9090", d.URL)
		}
	}
	if !found {
		bad(DatasourcesFile, "datasources", "no datasource with uid %q", grafanaids.DatasourceUID)
	}

	var pr providersDoc
	if err := decodeStrict(filepath.Join(dir, ProvidersFile), &pr); err != nil {
		return errors.Join(append(errs, err)...)
	}
	grafana, ok := p.Services["grafana"]
	if !ok {
		return errors.Join(append(errs, fmt.Errorf("%s: services.grafana: missing", ComposeFile))...)
	}
	mounts := map[string]string{} // container path -> repo path
	abs, _ := filepath.Abs(dir)
	for _, v := range grafana.Volumes {
		if v.Type == types.VolumeTypeBind {
			rel, _ := filepath.Rel(abs, v.Source)
			mounts[v.Target] = filepath.ToSlash(rel)
		}
	}
	if mounts["/etc/grafana/provisioning"] != "grafana/provisioning" {
		bad(ComposeFile, "services.grafana.volumes", "grafana/provisioning is not mounted at /etc/grafana/provisioning")
	}
	if home := grafana.Environment["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; home != nil {
		found := false
		for target, src := range mounts {
			if rel, ok := strings.CutPrefix(*home, target+"/"); ok {
				if _, err := os.Stat(filepath.Join(dir, src, rel)); err == nil {
					found = true
				}
			}
		}
		if !found {
			bad(ComposeFile, "services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH", "%s is not a dashboard file mounted from the repository", *home)
		}
	}
	if len(pr.Providers) == 0 {
		bad(ProvidersFile, "providers", "none")
	}
	for i, prov := range pr.Providers {
		if prov.Type != "file" {
			bad(ProvidersFile, fmt.Sprintf("providers[%d].type", i), "%q, want file", prov.Type)
		}
		if got := mounts[prov.Options.Path]; got != DashboardsDir {
			bad(ProvidersFile, fmt.Sprintf("providers[%d].options.path", i), "%q is not where compose.yaml mounts %s", prov.Options.Path, DashboardsDir)
		}
	}
	return errors.Join(errs...)
}
