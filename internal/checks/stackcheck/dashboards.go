package stackcheck

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"

	"github.com/macrobench/macrobench/internal/lab/dashboards/grafanaids"
)

// DashboardsDir holds the dashboards Grafana provisions.
const DashboardsDir = "grafana/dashboards"

// Query is one PromQL expression found in a dashboard.
type Query struct {
	File  string // dashboard file
	Where string // JSON path and panel title, for messages
	Expr  string // as written, with Grafana variables
}

func (q Query) String() string { return fmt.Sprintf("%s: %s", q.File, q.Where) }

// Dashboard is a loaded dashboard file.
type Dashboard struct {
	File    string
	UID     string
	Title   string
	Queries []Query
	// AllValues maps each template variable to the value Grafana uses for "All".
	AllValues map[string]string

	doc  dashboardDoc    // what CheckDashboard reads
	refs []datasourceUse // every "datasource" in the file
}

// LoadDashboards loads every *.json under dir, subfolders included, as
// Grafana's file provider does (file_reader.go walks the folder).
func LoadDashboards(dir string) ([]Dashboard, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: no dashboards", dir)
	}
	var out []Dashboard
	var errs []error
	for _, p := range paths {
		d, err := LoadDashboard(p)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		out = append(out, d)
	}
	return out, errors.Join(errs...)
}

// LoadDashboard reads a dashboard, checks it decodes as a Grafana dashboard
// (Foundation SDK types, strictly: unknown keys, wrong types and missing
// required fields fail, and so do the options of the panel types the SDK
// knows) and asks for no datasource on import, and collects its PromQL
// expressions and datasource references for CheckDashboard.
func LoadDashboard(path string) (Dashboard, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Dashboard{}, err
	}
	plugins.RegisterDefaultPlugins()
	// The lenient decoder names the Go field on a type error; the strict one
	// also catches missing required fields and unknown panel options.
	var typed dashboard.Dashboard
	if err := json.Unmarshal(raw, &typed); err != nil {
		return Dashboard{}, fmt.Errorf("%s: not a Grafana dashboard: %w", path, err)
	}
	if err := sdkError(typed.UnmarshalJSONStrict(raw)); err != nil {
		return Dashboard{}, fmt.Errorf("%s: not a Grafana dashboard: %w", path, err)
	}
	if err := sdkError(typed.Validate()); err != nil {
		return Dashboard{}, fmt.Errorf("%s: %w", path, err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Dashboard{}, fmt.Errorf("%s: %w", path, err)
	}
	d := Dashboard{File: path, AllValues: map[string]string{}}
	if err := json.Unmarshal(raw, &d.doc); err != nil {
		return Dashboard{}, fmt.Errorf("%s: %w", path, err)
	}
	d.UID, _ = doc["uid"].(string)
	d.Title, _ = doc["title"].(string)
	var errs []error
	if d.UID == "" {
		errs = append(errs, fmt.Errorf("%s: uid: missing (provisioned dashboards need a stable uid)", path))
	}
	if _, ok := doc["__inputs"]; ok {
		errs = append(errs, fmt.Errorf("%s: __inputs: dashboards must not ask for a datasource on import", path))
	}
	walk(doc, "", "", func(at, panel string, key string, v any) {
		where := at
		if panel != "" {
			where = fmt.Sprintf("%s (panel %q)", at, panel)
		}
		switch key {
		case "datasource":
			d.refs = append(d.refs, datasourceUse{Where: where, Ref: v})
		case "expr":
			if s, ok := v.(string); ok && s != "" {
				d.Queries = append(d.Queries, Query{File: path, Where: where, Expr: s})
			}
		}
		if s, ok := v.(string); ok && strings.Contains(s, "${DS_") {
			errs = append(errs, fmt.Errorf("%s: %s: %q refers to an import input; use the uid %q", path, where, s, grafanaids.DatasourceUID))
		}
	})
	if tl, ok := doc["templating"].(map[string]any); ok {
		list, _ := tl["list"].([]any)
		for i, item := range list {
			v, _ := item.(map[string]any)
			name, _ := v["name"].(string)
			all, _ := v["allValue"].(string)
			if all == "" {
				all = ".*"
			}
			d.AllValues[name] = all
			if q, ok := v["query"].(string); ok {
				if sel, ok := labelValuesSelector(q); ok {
					d.Queries = append(d.Queries, Query{File: path, Where: fmt.Sprintf("templating.list[%d].query (variable %q)", i, name), Expr: sel})
				}
			}
		}
	}
	return d, errors.Join(errs...)
}

// sdkError turns the SDK's empty error list (a typed nil) into nil.
func sdkError(err error) error {
	if errs, ok := err.(cog.BuildErrors); ok && len(errs) == 0 {
		return nil
	}
	return err
}

// walk calls f for every key of every object in v, with its JSON path and
// the title of the innermost panel around it.
func walk(v any, at, panel string, f func(at, panel, key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		if t, ok := v["title"].(string); ok && strings.Contains(at, "panels[") {
			panel = t
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if at != "" {
				p = at + "." + k
			}
			f(p, panel, k, v[k])
			walk(v[k], p, panel, f)
		}
	case []any:
		for i, e := range v {
			walk(e, fmt.Sprintf("%s[%d]", at, i), panel, f)
		}
	}
}

var labelValuesRE = regexp.MustCompile(`^\s*label_values\((.+),\s*\w+\s*\)\s*$`)

// labelValuesSelector is the series selector inside a variable's
// label_values(SELECTOR, label) query.
func labelValuesSelector(q string) (string, bool) {
	m := labelValuesRE.FindStringSubmatch(q)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// Interval values substituted for Grafana's built-in variables: what Grafana
// computes for a 15-minute view with the datasource's 5 s scrape interval.
const (
	RateInterval = 20 * time.Second // $__rate_interval: 4 × scrape interval
	Interval     = 5 * time.Second  // $__interval
	Range        = 15 * time.Minute // $__range
)

var grafanaVar = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)`)

// Substitute replaces Grafana variables the way Grafana does before sending
// the query: built-in intervals by durations, template variables by their
// "All" value.
func (d Dashboard) Substitute(expr string) string {
	var out strings.Builder
	last := 0
	for _, m := range grafanaVar.FindAllStringSubmatchIndex(expr, -1) {
		out.WriteString(expr[last:m[0]])
		name := ""
		if m[2] >= 0 {
			name = expr[m[2]:m[3]]
		} else {
			name = expr[m[4]:m[5]]
		}
		out.WriteString(d.value(name, expr[m[0]:m[1]]))
		last = m[1]
	}
	out.WriteString(expr[last:])
	return out.String()
}

func (d Dashboard) value(name, orig string) string {
	switch name {
	case "__rate_interval":
		return durationString(RateInterval)
	case "__interval", "__interval_ms":
		if name == "__interval_ms" {
			return fmt.Sprint(Interval.Milliseconds())
		}
		return durationString(Interval)
	case "__range":
		return durationString(Range)
	case "__range_s":
		return fmt.Sprint(int(Range.Seconds()))
	}
	if v, ok := d.AllValues[name]; ok {
		return v
	}
	return orig // unknown: the parser will say where
}

func durationString(d time.Duration) string { return fmt.Sprintf("%ds", int(d.Seconds())) }

var promqlParser = parser.NewParser(parser.Options{})

// Parse substitutes Grafana variables and parses the expression with
// Prometheus's parser.
func (d Dashboard) Parse(q Query) (parser.Expr, error) {
	e, err := promqlParser.ParseExpr(d.Substitute(q.Expr))
	if err != nil {
		return nil, fmt.Errorf("%s: %w (expression %q)", q, err, q.Expr)
	}
	return e, nil
}

// MetricNames are the metric names an expression selects.
func MetricNames(e parser.Expr) []string {
	var names []string
	parser.Inspect(e, func(n parser.Node, _ []parser.Node) error {
		vs, ok := n.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		for _, m := range vs.LabelMatchers {
			if m.Name == labels.MetricName && m.Type == labels.MatchEqual && !slices.Contains(names, m.Value) {
				names = append(names, m.Value)
			}
		}
		return nil
	})
	slices.Sort(names)
	return names
}
