package stackcheck

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// Grafana's provisioning, as the lab commits it. Grafana reads every *.yaml
// and *.yml file of provisioning/datasources and provisioning/dashboards
// (their config_reader.go); the kinds the lab does not use (alerting,
// plugins, ...) must stay empty, or these checks would not cover them.
const (
	ProvisioningDir = "grafana/provisioning"
	DatasourcesDir  = ProvisioningDir + "/datasources"
	ProvidersDir    = ProvisioningDir + "/dashboards"
	// The container paths compose.yaml mounts the repository's files at.
	ProvisioningMount = "/etc/grafana/provisioning"
)

// The structs below mirror Grafana 12's provisioning config, version 1
// (apiVersion 1), field for field. Sources, in github.com/grafana/grafana:
// pkg/services/provisioning/datasources/types.go (configsV1,
// upsertDataSourceFromConfigV1, deleteDatasourceConfigV1) and
// pkg/services/provisioning/dashboards/types.go (configV1, configs), with the
// options the dashboard file reader reads (dashboards/file_reader.go,
// NewDashboardFileReader: path, foldersFromFilesStructure). Read from the
// repository's main branch: Grafana publishes no Go module for 12.2.1, so the
// exact tag was not compared (docs/dashboards.md).
//
// They are decoded stricter than Grafana decodes them: Grafana ignores
// unknown keys (a misspelt key is silently dropped) and reads every scalar as
// a string first (values.go), so `isDefault: "true"` passes there and fails
// here. Anything Grafana rejects is rejected here too.

// datasourcesFile is configsV1.
type datasourcesFile struct {
	APIVersion        int64                `yaml:"apiVersion"`
	Datasources       []datasourceV1       `yaml:"datasources"`
	DeleteDatasources []deleteDatasourceV1 `yaml:"deleteDatasources"`
}

// datasourceV1 is upsertDataSourceFromConfigV1. JSONData is kept as YAML and
// decoded per datasource type (promJSONData).
type datasourceV1 struct {
	OrgID           yamlInt           `yaml:"orgId"`
	OrgName         string            `yaml:"orgName"`
	Version         yamlInt           `yaml:"version"`
	Name            string            `yaml:"name"`
	Type            string            `yaml:"type"`
	Access          string            `yaml:"access"`
	URL             string            `yaml:"url"`
	User            string            `yaml:"user"`
	Database        string            `yaml:"database"`
	BasicAuth       yamlBool          `yaml:"basicAuth"`
	BasicAuthUser   string            `yaml:"basicAuthUser"`
	WithCredentials yamlBool          `yaml:"withCredentials"`
	IsDefault       yamlBool          `yaml:"isDefault"`
	Correlations    []map[string]any  `yaml:"correlations"`
	JSONData        yaml.Node         `yaml:"jsonData"`
	SecureJSONData  map[string]string `yaml:"secureJsonData"`
	Editable        yamlBool          `yaml:"editable"`
	UID             string            `yaml:"uid"`
}

// deleteDatasourceV1 is deleteDatasourceConfigV1.
type deleteDatasourceV1 struct {
	OrgID   yamlInt `yaml:"orgId"`
	OrgName string  `yaml:"orgName"`
	Name    string  `yaml:"name"`
}

// promJSONData is the Prometheus datasource's jsonData: PromOptions and the
// DataSourceJsonData it extends, in github.com/grafana/grafana
// packages/grafana-prometheus/src/types.ts and
// packages/grafana-data/src/types/datasource.ts.
type promJSONData struct {
	TimeInterval                       string           `yaml:"timeInterval"`
	QueryTimeout                       string           `yaml:"queryTimeout"`
	HTTPMethod                         string           `yaml:"httpMethod"`
	CustomQueryParameters              string           `yaml:"customQueryParameters"`
	DisableMetricsLookup               yamlBool         `yaml:"disableMetricsLookup"`
	ExemplarTraceIDDestinations        []map[string]any `yaml:"exemplarTraceIdDestinations"`
	PrometheusType                     string           `yaml:"prometheusType"`
	PrometheusVersion                  string           `yaml:"prometheusVersion"`
	CacheLevel                         string           `yaml:"cacheLevel"`
	DefaultEditor                      string           `yaml:"defaultEditor"`
	IncrementalQuerying                yamlBool         `yaml:"incrementalQuerying"`
	IncrementalQueryOverlapWindow      string           `yaml:"incrementalQueryOverlapWindow"`
	DisableRecordingRules              yamlBool         `yaml:"disableRecordingRules"`
	AllowAsRecordingRulesTarget        yamlBool         `yaml:"allowAsRecordingRulesTarget"`
	SigV4Auth                          yamlBool         `yaml:"sigV4Auth"`
	OAuthPassThru                      yamlBool         `yaml:"oauthPassThru"`
	CodeModeMetricNamesSuggestionLimit yamlInt          `yaml:"codeModeMetricNamesSuggestionLimit"`
	SeriesEndpoint                     yamlBool         `yaml:"seriesEndpoint"`
	SeriesLimit                        yamlInt          `yaml:"seriesLimit"`
	ManageAlerts                       yamlBool         `yaml:"manageAlerts"`
	AlertmanagerUID                    string           `yaml:"alertmanagerUid"`
}

// providersFile is configV1 (with its apiVersion).
type providersFile struct {
	APIVersion int64        `yaml:"apiVersion"`
	Providers  []providerV1 `yaml:"providers"`
}

// providerV1 is configs.
type providerV1 struct {
	Name                  string          `yaml:"name"`
	Type                  string          `yaml:"type"`
	OrgID                 yamlInt         `yaml:"orgId"`
	Folder                string          `yaml:"folder"`
	FolderUID             string          `yaml:"folderUid"`
	Editable              yamlBool        `yaml:"editable"`
	Options               providerOptions `yaml:"options"`
	DisableDeletion       yamlBool        `yaml:"disableDeletion"`
	UpdateIntervalSeconds yamlInt         `yaml:"updateIntervalSeconds"`
	AllowUIUpdates        yamlBool        `yaml:"allowUiUpdates"`
}

// providerOptions are the options of a file provider that Grafana reads
// (the deprecated `folder` alias of path is refused).
type providerOptions struct {
	Path                      *string  `yaml:"path"`
	FoldersFromFilesStructure yamlBool `yaml:"foldersFromFilesStructure"`
}

// yamlBool is a boolean as Grafana reads one (values.BoolValue:
// strconv.ParseBool of the scalar), written as a YAML boolean: yes, on and a
// quoted "true" are refused.
type yamlBool bool

func (b *yamlBool) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseBool(n.Value)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || err != nil {
		return fmt.Errorf("%q is not a boolean (true or false)", n.Value)
	}
	*b = yamlBool(v)
	return nil
}

// yamlInt is an integer as Grafana reads one (values.Int64Value:
// strconv.ParseInt of the scalar, base 10), written as a YAML integer.
type yamlInt int64

func (i *yamlInt) UnmarshalYAML(n *yaml.Node) error {
	v, err := strconv.ParseInt(n.Value, 10, 64)
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || err != nil {
		return fmt.Errorf("%q is not a decimal integer", n.Value)
	}
	*i = yamlInt(v)
	return nil
}

// ProvisionedDatasource is one datasource Grafana creates at start.
type ProvisionedDatasource struct {
	File, Name, Type, UID string
}

// Provisioning is what Grafana provisions from the repository's files.
type Provisioning struct {
	Datasources map[string]ProvisionedDatasource // by uid
	// DashboardPaths are the container paths the file providers read.
	DashboardPaths []string
}

// GrafanaSetup is what compose.yaml gives the grafana service.
type GrafanaSetup struct {
	Mounts          map[string]string // container path -> repository path of its bind mount
	Env             map[string]string // set variables only
	PrometheusHosts map[string]bool   // services running the prom/prometheus image
	PrometheusTag   string            // that image's tag, e.g. v3.16.0
}

// CheckGrafanaFiles checks everything Grafana reads from the repository at
// dir: its provisioning (LoadProvisioning) and the dashboards in
// grafana/dashboards against it (LoadDashboards, CheckDashboards).
func CheckGrafanaFiles(dir string, g GrafanaSetup) error {
	prov, perr := LoadProvisioning(dir, g)
	ds, derr := LoadDashboards(filepath.Join(dir, DashboardsDir))
	return errors.Join(perr, derr, CheckDashboards(ds, prov))
}

// GrafanaSetupOf reads the grafana service of p; root is the repository.
func GrafanaSetupOf(p *types.Project, root string) (GrafanaSetup, error) {
	g, ok := p.Services["grafana"]
	if !ok {
		return GrafanaSetup{}, fmt.Errorf("%s: services.grafana: missing", ComposeFile)
	}
	s := GrafanaSetup{Mounts: map[string]string{}, Env: map[string]string{}, PrometheusHosts: map[string]bool{}}
	abs, err := filepath.Abs(root)
	if err != nil {
		return s, err
	}
	for _, v := range g.Volumes {
		if v.Type == types.VolumeTypeBind {
			rel, _ := filepath.Rel(abs, v.Source)
			s.Mounts[v.Target] = filepath.ToSlash(rel)
		}
	}
	for k, v := range g.Environment {
		if v != nil {
			s.Env[k] = *v
		}
	}
	for name, svc := range p.Services {
		if strings.HasPrefix(svc.Image, "prom/prometheus:") {
			s.PrometheusHosts[name] = true
			s.PrometheusTag = ImageTag(p, name)
		}
	}
	return s, nil
}

// CheckProvisioning checks Grafana's provisioning in the repository at dir
// as compose.yaml (p) mounts it.
func CheckProvisioning(p *types.Project, dir string) error {
	g, err := GrafanaSetupOf(p, dir)
	if err != nil {
		return err
	}
	_, err = LoadProvisioning(dir, g)
	return err
}

// LoadProvisioning reads every provisioning file under dir's
// grafana/provisioning as Grafana 12 would (see the structs above), checks
// each against Grafana's rules and the lab's (one Prometheus datasource, on
// the prometheus service, at the scrape interval of prometheus.yml; file
// providers reading where compose mounts grafana/dashboards), and returns
// what Grafana would provision. Every problem is reported, naming file and
// field.
func LoadProvisioning(dir string, g GrafanaSetup) (Provisioning, error) {
	prov := Provisioning{Datasources: map[string]ProvisionedDatasource{}}
	var errs []error
	errs = append(errs, checkMounts(dir, g)...)
	errs = append(errs, uncheckedProvisioningFiles(dir)...)

	dsFiles, err := provisioningFiles(dir, DatasourcesDir)
	if err != nil {
		return prov, err
	}
	scrape, err := scrapeInterval(dir)
	if err != nil {
		errs = append(errs, err)
	}
	var defaults []string
	dsNames := map[string]string{}
	for _, file := range dsFiles {
		var doc datasourcesFile
		if err := decodeStrict(dir, file, &doc); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, checkAPIVersion(file, doc.APIVersion)...)
		for i, d := range doc.Datasources {
			at := fmt.Sprintf("%s: datasources[%d]", file, i)
			errs = append(errs, checkDatasource(at, d, g, scrape)...)
			if prev, dup := prov.Datasources[d.UID]; dup {
				errs = append(errs, fmt.Errorf("%s.uid: %q is also %s's", at, d.UID, prev.File))
			}
			// Grafana keys datasources by name within an organisation.
			if prev, dup := dsNames[d.Name]; dup {
				errs = append(errs, fmt.Errorf("%s.name: %q is also a datasource in %s", at, d.Name, prev))
			}
			dsNames[d.Name] = file
			if d.IsDefault {
				defaults = append(defaults, at)
			}
			prov.Datasources[d.UID] = ProvisionedDatasource{File: file, Name: d.Name, Type: d.Type, UID: d.UID}
		}
		for i, d := range doc.DeleteDatasources {
			if d.Name == "" {
				errs = append(errs, fmt.Errorf("%s: deleteDatasources[%d].name: missing", file, i))
			}
		}
	}
	// Grafana: ErrInvalidConfigToManyDefault (datasources/config_reader.go).
	if len(defaults) > 1 {
		errs = append(errs, fmt.Errorf("%s: isDefault: Grafana refuses more than one default datasource", strings.Join(defaults, ", ")))
	}
	if len(prov.Datasources) == 0 {
		errs = append(errs, fmt.Errorf("%s: no datasource provisioned", DatasourcesDir))
	}

	prFiles, err := provisioningFiles(dir, ProvidersDir)
	if err != nil {
		return prov, err
	}
	names := map[string]string{}
	for _, file := range prFiles {
		var doc providersFile
		if err := decodeStrict(dir, file, &doc); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, checkAPIVersion(file, doc.APIVersion)...)
		for i, pr := range doc.Providers {
			at := fmt.Sprintf("%s: providers[%d]", file, i)
			errs = append(errs, checkProvider(at, pr, g)...)
			// Grafana: "dashboard name %q is not unique" (dashboards/types.go).
			if prev, dup := names[pr.Name]; dup {
				errs = append(errs, fmt.Errorf("%s.name: %q is also a provider in %s", at, pr.Name, prev))
			}
			names[pr.Name] = file
			if pr.Options.Path != nil {
				prov.DashboardPaths = append(prov.DashboardPaths, *pr.Options.Path)
			}
		}
	}
	if len(prov.DashboardPaths) == 0 {
		errs = append(errs, fmt.Errorf("%s: no dashboard provider", ProvidersDir))
	}
	return prov, errors.Join(errs...)
}

// checkMounts: compose mounts the provisioning at the path Grafana reads it
// from (the official image's GF_PATHS_PROVISIONING, not overridden), and the
// home dashboard is a mounted repository file.
func checkMounts(dir string, g GrafanaSetup) []error {
	var errs []error
	if g.Mounts[ProvisioningMount] != ProvisioningDir {
		errs = append(errs, fmt.Errorf("%s: services.grafana.volumes: %s is not mounted at %s", ComposeFile, ProvisioningDir, ProvisioningMount))
	}
	if v, ok := g.Env["GF_PATHS_PROVISIONING"]; ok && v != ProvisioningMount {
		errs = append(errs, fmt.Errorf("%s: services.grafana.environment.GF_PATHS_PROVISIONING: %q, but the provisioning is mounted at %s", ComposeFile, v, ProvisioningMount))
	}
	if home, ok := g.Env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"]; ok {
		if src, ok := mountedFile(g, home); !ok || !fileExists(filepath.Join(dir, src)) {
			errs = append(errs, fmt.Errorf("%s: services.grafana.environment.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH: %s is not a dashboard file mounted from the repository", ComposeFile, home))
		}
	}
	return errs
}

// mountedFile is the repository path of the container path p, when a bind
// mount of g covers it.
func mountedFile(g GrafanaSetup, p string) (string, bool) {
	for target, src := range g.Mounts {
		if p == target {
			return src, true
		}
		if rel, ok := strings.CutPrefix(p, target+"/"); ok {
			return filepath.ToSlash(filepath.Join(src, rel)), true
		}
	}
	return "", false
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// provisioningFiles are the files of sub (relative to dir) Grafana reads:
// *.yaml and *.yml, not recursively. A missing folder has none.
func provisioningFiles(dir, sub string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(dir, sub))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !e.IsDir() && isYAML(e.Name()) {
			out = append(out, sub+"/"+e.Name())
		}
	}
	return out, nil
}

func isYAML(name string) bool {
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// uncheckedProvisioningFiles: YAML anywhere else under grafana/provisioning
// would be read by Grafana (alerting, plugins, ...) but by no check here.
func uncheckedProvisioningFiles(dir string) []error {
	var errs []error
	root := filepath.Join(dir, ProvisioningDir)
	_ = filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() || !isYAML(e.Name()) {
			return nil
		}
		rel, _ := filepath.Rel(dir, path)
		rel = filepath.ToSlash(rel)
		if d := filepath.ToSlash(filepath.Dir(rel)); d != DatasourcesDir && d != ProvidersDir {
			errs = append(errs, fmt.Errorf("%s: Grafana would provision this file, but only %s and %s are checked", rel, DatasourcesDir, ProvidersDir))
		}
		return nil
	})
	return errs
}

// decodeStrict decodes the YAML file dir/file into out: unknown keys and
// wrong types are errors, and so is a value Grafana would expand from its
// environment.
func decodeStrict(dir, file string, out any) error {
	raw, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	var errs []error
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(out); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", file, err))
	}
	var node yaml.Node
	if err := yaml.Unmarshal(raw, &node); err == nil {
		errs = append(errs, envReferences(file, &node)...)
	}
	return errors.Join(errs...)
}

// envRef is what Grafana expands in a provisioning value ($NAME, ${NAME},
// and $__file{...}-style expanders), in values.go's interpolateValue; "$$" is
// a literal "$".
var envRef = regexp.MustCompile(`\$(\w+|\{[^}]*\})`)

// envReferences reports every scalar that Grafana would expand from its
// environment: the lab's values are literal, and compose gives Grafana no
// variable for them.
func envReferences(file string, n *yaml.Node) []error {
	var errs []error
	if n.Kind == yaml.ScalarNode {
		if envRef.MatchString(strings.ReplaceAll(n.Value, "$$", "")) {
			errs = append(errs, fmt.Errorf("%s:%d: %q: Grafana expands $ in provisioning values from its environment (write $$ for a literal $)", file, n.Line, n.Value))
		}
	}
	for _, c := range n.Content {
		errs = append(errs, envReferences(file, c)...)
	}
	return errs
}

// checkAPIVersion: Grafana reads apiVersion 0 (no key) as the deprecated
// snake_case format, and anything above 0 as version 1.
func checkAPIVersion(file string, v int64) []error {
	if v != 1 {
		return []error{fmt.Errorf("%s: apiVersion: %d, want 1", file, v)}
	}
	return nil
}

// uidRE and maxUID are Grafana's uid rule (pkg/util/shortid_generator.go,
// ValidateUID).
var uidRE = regexp.MustCompile(`^[a-zA-Z0-9\-_]*$`)

const maxUID = 40

func checkUID(at, uid string) []error {
	switch {
	case uid == "":
		return []error{fmt.Errorf("%s: missing (dashboards refer to datasources by uid)", at)}
	case len(uid) > maxUID || !uidRE.MatchString(uid):
		return []error{fmt.Errorf("%s: %q: Grafana accepts up to %d letters, digits, - and _", at, uid, maxUID)}
	}
	return nil
}

// checkOrg: a fresh Grafana has organisation 1 only (utils.CheckOrgExists
// fails otherwise); 0 means 1.
func checkOrg(at string, id yamlInt, name string) []error {
	if id > 1 || id < 0 || (name != "" && name != "Main Org.") {
		return []error{fmt.Errorf("%s: organisation %d %q: a fresh Grafana has only organisation 1", at, id, name)}
	}
	return nil
}

// checkDatasource checks one datasource (at names it) by Grafana's rules and
// the lab's: a Prometheus, proxied by Grafana's server to the compose
// prometheus service on 9090, its jsonData Prometheus's own keys, with
// timeInterval = prometheus.yml's scrape interval and prometheusVersion =
// compose.yaml's image.
func checkDatasource(at string, d datasourceV1, g GrafanaSetup, scrape time.Duration) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", at, field, fmt.Sprintf(format, args...)))
	}
	if d.Name == "" {
		bad("name", "missing")
	}
	errs = append(errs, checkUID(at+".uid", d.UID)...)
	errs = append(errs, checkOrg(at+".orgId", d.OrgID, d.OrgName)...)
	if d.Type != "prometheus" {
		bad("type", "%q: the lab provisions Prometheus only (and these checks know its settings only)", d.Type)
		return errs
	}
	// Grafana replaces anything but proxy/direct by proxy, with a warning;
	// direct (the browser queries) cannot reach the compose network.
	if d.Access != "proxy" {
		bad("access", "%q, want proxy (Grafana's server reaches prometheus on the compose network; browsers cannot)", d.Access)
	}
	u, err := url.Parse(d.URL)
	switch {
	case err != nil:
		bad("url", "%v", err)
	case !g.PrometheusHosts[u.Hostname()]:
		bad("url", "%q does not name the prometheus service", d.URL)
	case u.Port() != "9090":
		bad("url", "%q: Prometheus listens on 9090", d.URL)
	}
	var jd promJSONData
	if d.JSONData.Kind != 0 {
		if err := d.JSONData.Load(&jd, yaml.WithKnownFields()); err != nil {
			bad("jsonData", "%v", err)
		}
	}
	errs = append(errs, checkPromJSONData(at+".jsonData", jd, g, scrape)...)
	return errs
}

// checkPromJSONData checks the Prometheus settings the lab relies on; the
// enumerations are PromOptions' (types.ts).
func checkPromJSONData(at string, jd promJSONData, g GrafanaSetup, scrape time.Duration) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", at, field, fmt.Sprintf(format, args...)))
	}
	// $__rate_interval is 4 × timeInterval: set to the scrape interval, it
	// spans four scrapes (dashboards.go's RateInterval).
	if d, err := time.ParseDuration(jd.TimeInterval); err != nil || (scrape > 0 && d != scrape) {
		bad("timeInterval", "%q, want prometheus.yml's scrape interval %s", jd.TimeInterval, scrape)
	}
	if !slices.Contains([]string{"", "GET", "POST"}, jd.HTTPMethod) {
		bad("httpMethod", "%q, want GET or POST", jd.HTTPMethod)
	}
	if !slices.Contains([]string{"", "Prometheus", "Cortex", "Mimir", "Thanos"}, jd.PrometheusType) {
		bad("prometheusType", "%q is not one Grafana knows", jd.PrometheusType)
	}
	if !slices.Contains([]string{"", "Low", "Medium", "High", "None"}, jd.CacheLevel) {
		bad("cacheLevel", "%q is not one Grafana knows", jd.CacheLevel)
	}
	if want := strings.TrimPrefix(g.PrometheusTag, "v"); jd.PrometheusVersion != want {
		bad("prometheusVersion", "%q, but compose.yaml runs Prometheus %s", jd.PrometheusVersion, want)
	}
	return errs
}

// checkProvider checks one dashboard provider by Grafana's rules
// (config_reader.go, file_reader.go) and the lab's: a file provider reading
// the folder compose mounts grafana/dashboards at.
func checkProvider(at string, pr providerV1, g GrafanaSetup) []error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s.%s: %s", at, field, fmt.Sprintf(format, args...)))
	}
	if pr.Name == "" {
		bad("name", "missing")
	}
	errs = append(errs, checkOrg(at+".orgId", pr.OrgID, "")...)
	if pr.Type != "file" && pr.Type != "" {
		bad("type", "%q, want file", pr.Type)
	}
	if pr.UpdateIntervalSeconds < 0 {
		bad("updateIntervalSeconds", "%d", pr.UpdateIntervalSeconds)
	}
	// file_reader.go: "'folder' and 'folderUID' should be empty using
	// 'foldersFromFilesStructure' option".
	if pr.Options.FoldersFromFilesStructure && pr.Folder != "" && pr.FolderUID != "" {
		bad("options.foldersFromFilesStructure", "set with folder and folderUid, which Grafana refuses")
	}
	if pr.FolderUID != "" {
		errs = append(errs, checkUID(at+".folderUid", pr.FolderUID)...)
	}
	switch {
	case pr.Options.Path == nil:
		bad("options.path", "missing (Grafana: path param is not a string)")
	case g.Mounts[*pr.Options.Path] != DashboardsDir:
		bad("options.path", "%q is not where compose.yaml mounts %s", *pr.Options.Path, DashboardsDir)
	}
	return errs
}

// scrapeInterval is prometheus.yml's global scrape interval.
func scrapeInterval(dir string) (time.Duration, error) {
	cfg, err := LoadPrometheus(filepath.Join(dir, PrometheusFile))
	if err != nil {
		return 0, err
	}
	return time.Duration(cfg.GlobalConfig.ScrapeInterval), nil
}

// GrafanaFiles are the repository files compose.yaml gives Grafana (its bind
// mounts, folders walked), by the container path Grafana reads each at;
// the values are repository paths.
func GrafanaFiles(dir string, g GrafanaSetup) (map[string]string, error) {
	out := map[string]string{}
	for target, src := range g.Mounts {
		err := filepath.WalkDir(filepath.Join(dir, src), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, err := filepath.Rel(filepath.Join(dir, src), p)
			if err != nil {
				return err
			}
			repo := filepath.ToSlash(filepath.Join(src, rel))
			if rel == "." {
				out[target] = repo
			} else {
				out[target+"/"+filepath.ToSlash(rel)] = repo
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CheckSwarmGrafana checks that swarm.yaml (s, loaded from the repository at
// root) gives its grafana service, as configs, exactly the files of want
// (GrafanaFiles: container path -> repository path): a dashboard or
// provisioning file added to the repository but not to swarm.yaml would be
// missing from Grafana on a swarm.
func CheckSwarmGrafana(s *types.Project, root string, want map[string]string) error {
	g, ok := s.Services["grafana"]
	if !ok {
		return fmt.Errorf("%s: services.grafana: missing", SwarmFile)
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return err
	}
	var errs []error
	got := map[string]bool{}
	for i, c := range g.Configs {
		got[c.Target] = true
		file := ""
		if cfg, ok := s.Configs[c.Source]; ok {
			rel, _ := filepath.Rel(abs, cfg.File)
			file = filepath.ToSlash(rel)
		}
		if w, ok := want[c.Target]; !ok || w != file {
			errs = append(errs, fmt.Errorf("%s: services.grafana.configs[%d]: %s at %s, but compose.yaml gives Grafana %q there", SwarmFile, i, file, c.Target, w))
		}
	}
	for _, target := range slices.Sorted(maps.Keys(want)) {
		if !got[target] {
			errs = append(errs, fmt.Errorf("%s: services.grafana.configs: no %s (compose.yaml mounts %s there)", SwarmFile, target, want[target]))
		}
	}
	return errors.Join(errs...)
}
