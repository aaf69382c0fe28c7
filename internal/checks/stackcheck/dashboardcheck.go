package stackcheck

import (
	"errors"
	"fmt"
	"regexp"
	"slices"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
)

// dashboardDoc is the part of a dashboard that CheckDashboard reads; the
// Foundation SDK's strict decoding (LoadDashboard) has checked the rest.
type dashboardDoc struct {
	SchemaVersion int        `json:"schemaVersion"`
	Panels        []panelDoc `json:"panels"`
	Templating    struct {
		List []struct {
			Name string `json:"name"`
		} `json:"list"`
	} `json:"templating"`
}

type panelDoc struct {
	ID         *int        `json:"id"`
	Type       string      `json:"type"`
	Title      string      `json:"title"`
	GridPos    *gridPos    `json:"gridPos"`
	Datasource *dsRef      `json:"datasource"`
	Targets    []targetDoc `json:"targets"`
	Collapsed  bool        `json:"collapsed"`
	Panels     []panelDoc  `json:"panels"` // a row's, when collapsed
}

type gridPos struct {
	H, W, X, Y int
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type targetDoc struct {
	RefID      string `json:"refId"`
	Datasource *dsRef `json:"datasource"`
}

// datasourceUse is one "datasource" value anywhere in a dashboard.
type datasourceUse struct {
	Where string
	Ref   any
}

// The schema versions Grafana migrates from and to: MIN_VERSION and
// LATEST_VERSION in github.com/grafana/grafana
// apps/dashboard/pkg/migration/schemaversion/migrations.go (42 came with
// grafana/grafana#110517, 2025-09; docs/dashboards.md says what is not proven).
const (
	MinSchemaVersion    = 9
	LatestSchemaVersion = 42
)

// GridColumns is the width of Grafana's dashboard grid (GRID_COLUMN_COUNT,
// public/app/core/constants.ts).
const GridColumns = 24

// corePanels are the panel plugins Grafana 12 builds in
// (public/app/features/plugins/built_in_plugins.ts); "row" is the grid's own.
var corePanels = []string{
	"alertlist", "annolist", "barchart", "bargauge", "candlestick", "canvas", "dashlist", "debug",
	"flamegraph", "gauge", "geomap", "gettingstarted", "heatmap", "histogram", "live", "logs", "news",
	"nodeGraph", "piechart", "stat", "state-timeline", "status-history", "table", "text", "timeseries",
	"traces", "trend", "welcome", "xychart",
}

// builtinDatasource is Grafana's own annotation source (-- Grafana --).
func builtinDatasource(r dsRef) bool {
	return r.Type == "grafana" && (r.UID == "-- Grafana --" || r.UID == "grafana")
}

// CheckDashboards checks every dashboard with CheckDashboard, and that their
// uids are valid and distinct and each has a title (Grafana refuses a
// provisioned dashboard without one: ErrDashboardTitleEmpty).
func CheckDashboards(ds []Dashboard, prov Provisioning) error {
	var errs []error
	uids := map[string]string{}
	for _, d := range ds {
		errs = append(errs, checkUID(d.File+": uid", d.UID)...)
		if prev, dup := uids[d.UID]; dup {
			errs = append(errs, fmt.Errorf("%s: uid: %q is also %s's", d.File, d.UID, prev))
		}
		uids[d.UID] = d.File
		if d.Title == "" {
			errs = append(errs, fmt.Errorf("%s: title: missing (Grafana refuses the dashboard)", d.File))
		}
		if err := CheckDashboard(d, prov); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// CheckDashboard checks what Grafana 12 needs to load and render d with the
// provisioned datasources: a schema version it migrates, every datasource
// reference provisioned (uid and type) or Grafana's own, every panel of a
// built-in type with a unique id, inside the 24-column grid and overlapping
// no other, every target on its panel's datasource with a distinct refId,
// every query valid PromQL and every variable it uses defined. Each problem
// names the file and the panel.
func CheckDashboard(d Dashboard, prov Provisioning) error {
	var errs []error
	bad := func(where, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", d.File, where, fmt.Sprintf(format, args...)))
	}
	if v := d.doc.SchemaVersion; v < MinSchemaVersion || v > LatestSchemaVersion {
		bad("schemaVersion", "%d: Grafana 12 migrates %d to %d", v, MinSchemaVersion, LatestSchemaVersion)
	}
	for _, u := range d.refs {
		if msg := checkRef(u.Ref, prov); msg != "" {
			bad(u.Where, "%s", msg)
		}
	}
	ids := map[int]string{}
	for i, p := range d.doc.Panels {
		at := panelAt(fmt.Sprintf("panels[%d]", i), p)
		for _, msg := range checkPanel(p, ids, at) {
			bad(at, "%s", msg)
		}
		if p.Type == "row" && !p.Collapsed && len(p.Panels) > 0 {
			bad(at, "an open row holds no panels (Grafana lays them out after it, at top level)")
		}
		for j, c := range p.Panels {
			cat := panelAt(fmt.Sprintf("panels[%d].panels[%d]", i, j), c)
			for _, msg := range checkPanel(c, ids, cat) {
				bad(cat, "%s", msg)
			}
		}
		errs = append(errs, overlaps(d.File, fmt.Sprintf("panels[%d].panels", i), p.Panels)...)
	}
	errs = append(errs, overlaps(d.File, "panels", d.doc.Panels)...)
	errs = append(errs, checkVariables(d)...)
	for _, q := range d.Queries {
		if _, err := d.Parse(q); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func panelAt(path string, p panelDoc) string { return fmt.Sprintf("%s (panel %q)", path, p.Title) }

// checkRef: a datasource reference is an object naming a provisioned
// datasource by uid, with its type, or Grafana's own annotation source.
func checkRef(v any, prov Provisioning) string {
	m, ok := v.(map[string]any)
	if !ok {
		return fmt.Sprintf("datasource %v: want an object with type and uid", v)
	}
	typ, _ := m["type"].(string)
	uid, _ := m["uid"].(string)
	if builtinDatasource(dsRef{Type: typ, UID: uid}) {
		return ""
	}
	ds, ok := prov.Datasources[uid]
	switch {
	case !ok:
		return fmt.Sprintf("datasource {type %q, uid %q}: no datasource with uid %q is provisioned (%s)", typ, uid, uid, DatasourcesDir)
	case ds.Type != typ:
		return fmt.Sprintf("datasource {type %q, uid %q}: the provisioned %q is of type %q", typ, uid, uid, ds.Type)
	}
	return ""
}

// checkPanel checks one panel on its own, recording its id in ids.
func checkPanel(p panelDoc, ids map[int]string, at string) []string {
	var msgs []string
	if p.Type != "row" {
		if cfg, ok := cog.ConfigForPanelcfgVariant(p.Type); !slices.Contains(corePanels, p.Type) || !ok || cfg.StrictOptionsUnmarshaler == nil {
			msgs = append(msgs, fmt.Sprintf("type %q: not a panel Grafana 12 builds in whose options the Foundation SDK checks", p.Type))
		}
	}
	switch {
	case p.ID == nil || *p.ID <= 0:
		msgs = append(msgs, "id: missing (every panel needs a positive id)")
	case ids[*p.ID] != "":
		msgs = append(msgs, fmt.Sprintf("id %d: also %s's", *p.ID, ids[*p.ID]))
	default:
		ids[*p.ID] = at
	}
	msgs = append(msgs, checkGrid(p.GridPos)...)
	if p.Type == "row" {
		if len(p.Targets) > 0 {
			msgs = append(msgs, "targets: a row runs no queries")
		}
		return msgs
	}
	msgs = append(msgs, checkTargets(p)...)
	return msgs
}

// checkGrid: the panel has a position, inside the grid.
func checkGrid(g *gridPos) []string {
	switch {
	case g == nil:
		return []string{"gridPos: missing"}
	case g.W < 1 || g.H < 1 || g.X < 0 || g.Y < 0:
		return []string{fmt.Sprintf("gridPos %+v: width and height at least 1, x and y not negative", *g)}
	case g.X+g.W > GridColumns:
		return []string{fmt.Sprintf("gridPos %+v: x+w = %d, past the grid's %d columns", *g, g.X+g.W, GridColumns)}
	}
	return nil
}

// checkTargets: a panel with queries names its datasource, every query runs
// on it (no mixed panels) and has its own refId.
func checkTargets(p panelDoc) []string {
	var msgs []string
	if len(p.Targets) > 0 && p.Datasource == nil {
		msgs = append(msgs, "datasource: missing (a panel with targets names its datasource)")
	}
	refIDs := map[string]bool{}
	for i, t := range p.Targets {
		switch {
		case t.RefID == "":
			msgs = append(msgs, fmt.Sprintf("targets[%d].refId: missing", i))
		case refIDs[t.RefID]:
			msgs = append(msgs, fmt.Sprintf("targets[%d].refId: %q twice", i, t.RefID))
		}
		refIDs[t.RefID] = true
		if t.Datasource != nil && p.Datasource != nil && *t.Datasource != *p.Datasource {
			msgs = append(msgs, fmt.Sprintf("targets[%d].datasource: %+v, but the panel's is %+v", i, *t.Datasource, *p.Datasource))
		}
	}
	return msgs
}

// overlaps reports every two panels of one layout whose rectangles meet.
func overlaps(file, at string, ps []panelDoc) []error {
	var errs []error
	for i := range ps {
		for j := i + 1; j < len(ps); j++ {
			a, b := ps[i].GridPos, ps[j].GridPos
			if a == nil || b == nil {
				continue
			}
			if a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H {
				errs = append(errs, fmt.Errorf("%s: %s: gridPos %+v overlaps %s: gridPos %+v", file,
					panelAt(fmt.Sprintf("%s[%d]", at, i), ps[i]), *a, panelAt(fmt.Sprintf("%s[%d]", at, j), ps[j]), *b))
			}
		}
	}
	return errs
}

// variableRef is Grafana's variable syntax ($name, [[name]], ${name},
// ${name:format}, ${name.field}): variableRegex in
// public/app/features/variables/utils.ts.
var variableRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^}]+))?(?::([^}]+))?\}`)

// globalVariables are Grafana's built-in variables
// (docs: dashboards/variables/add-template-variables, "Global variables").
var globalVariables = []string{
	"__dashboard", "__from", "__to", "__interval", "__interval_ms", "__name", "__org", "__user",
	"__range", "__range_s", "__range_ms", "__rate_interval", "__rate_interval_ms", "__timezone",
}

// checkVariables: variables have distinct, non-empty names, and every
// variable a query uses is one of them or a global one.
func checkVariables(d Dashboard) []error {
	var errs []error
	defined := map[string]bool{}
	for i, v := range d.doc.Templating.List {
		switch {
		case v.Name == "":
			errs = append(errs, fmt.Errorf("%s: templating.list[%d].name: missing", d.File, i))
		case defined[v.Name]:
			errs = append(errs, fmt.Errorf("%s: templating.list[%d].name: %q twice", d.File, i, v.Name))
		}
		defined[v.Name] = true
	}
	for _, q := range d.Queries {
		for _, m := range variableRef.FindAllStringSubmatch(q.Expr, -1) {
			name := m[1] + m[2] + m[4]
			if !defined[name] && !slices.Contains(globalVariables, name) {
				errs = append(errs, fmt.Errorf("%s: variable $%s is not defined (templating.list) nor a Grafana global: %s", q, name, q.Expr))
			}
		}
	}
	return errs
}
