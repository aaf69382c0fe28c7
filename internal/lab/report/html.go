package report

import (
	"bytes"
	_ "embed"
	"html/template"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/macrobench/macrobench/internal/lab/publication"
	"github.com/macrobench/macrobench/internal/shared/runresult"
)

// The page (index.html): one self-contained file, inline CSS and SVG, no
// script, nothing fetched; every figure is the text summary.md shows
// (the Table builders, the same formatting), so the two never disagree.

//go:embed page.html.tmpl
var pageSource string

// PageFile is the page's name in a results folder.
const PageFile = "index.html"

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"md":        InlineMarkdown,
	"markLabel": func(m string) string { return MarkLabel[m] },
	"hasFiles": func(t *Table) bool {
		for _, r := range t.Rows {
			if len(r.Files) > 0 {
				return true
			}
		}
		return false
	},
}).Parse(pageSource))

// Page is what the template shows; Markdown's sections, in its order
// (the run's own sections follow the scenarios on the page).
type Page struct {
	Title               string
	Banner              string
	Failed              bool
	Result              string // the badge: "✓ PASSED", "✗ FAILED", or a tool's own word
	Meta                string
	AppColor, OrigColor string
	Legend              string
	MinBeyond           int
	Headline            *PageHeadline
	Failures            []string
	Sweep               template.HTML
	Scenarios           []PageScenario
	Run                 []string
	Verification        *Table
	Evidence            *Table
	Ceilings            *Table
	CeilingsIntro       string
	Notes               []string
	PubNotes            []string
	HowToRead           []string
	// Sections are a page's own sections, after the failures (compare's).
	Sections []PageSection
}

// PageSection is a heading, paragraphs, a table and bullets, each optional.
type PageSection struct {
	Heading string
	Intro   []string
	Table   *Table
	Bullets []string
}

// NewPage is an empty page titled title, its result failed or not, for a
// tool of the lab to fill (Sections) and Render.
func NewPage(title, meta string, failed bool) *Page {
	p := newPage(&Summary{}, title)
	p.Meta, p.Failed = meta, failed
	if failed {
		p.Result = "✗ " + strings.SplitN(meta, ":", 2)[0]
	}
	return p
}

// Render is the page's HTML.
func (p *Page) Render() ([]byte, error) { return p.render() }

// PageHeadline is the side-by-side section.
type PageHeadline struct {
	Heading string
	Intro   []string
	Tables  []struct {
		Title string
		Table *Table
	}
}

// PageScenario is one scenario's section.
type PageScenario struct {
	Name, Title, How          string
	ThroughputSVG, LatencySVG template.HTML
	Throughput, Latency       *Table
	Notes                     []string
	Repeats                   *Table
	RepeatsNote               string
	ServerApp, ServerDB       *Table
}

// WriteHTML writes index.html into dir: HTML's page.
func WriteHTML(s *Summary, flask publication.Set, dir string) error {
	b, err := HTML(s, flask)
	if err != nil {
		return err
	}
	return runresult.WriteFile(filepath.Join(dir, PageFile), b)
}

// HTML renders a run (matrix or sweep) as a self-contained page.
func HTML(s *Summary, flask publication.Set) ([]byte, error) {
	p := newPage(s, "macrobench results, "+s.Started.Format("2006-01-02 15:04:05 UTC"))
	targets := runTargets(s)
	p.Meta = runLine(s, targets) + "."
	p.Banner = interruptedBanner(s)
	rows := s.SideBySide
	if rows == nil {
		rows = SideBySideRows(s.Cells, flask)
	}
	if len(rows) > 0 {
		thr, lat := SideBySideTables(rows, targets)
		h := &PageHeadline{Heading: strings.TrimPrefix(SideBySideHeading, "## "), Intro: SideBySideIntro(targets)}
		h.Tables = append(h.Tables, struct {
			Title string
			Table *Table
		}{"Throughput (req/s)", thr}, struct {
			Title string
			Table *Table
		}{"Mean latency (ms)", lat})
		p.Headline = h
	}
	names := strings.Split(targetNames(targets), ", ")
	for _, sc := range scenarioOrder(s.Cells) {
		cells := cellsOf(s.Cells, sc)
		ps := PageScenario{Name: sc, Title: scenarioTitle(sc), How: scenarioHow(sc, cells, flask),
			ThroughputSVG: ThroughputSVG(sc, cells, flask, names), LatencySVG: LatencySVG(sc, cells, names),
			Latency: LatencyTable(cells), ServerApp: ServerAppTable(cells), ServerDB: ServerDBTable(cells)}
		ps.Throughput, ps.Notes = ThroughputTable(cells)
		var short bool
		if ps.Repeats, short = RepeatsTable(cells); short {
			ps.RepeatsNote = repeatsNote()
		}
		p.Scenarios = append(p.Scenarios, ps)
	}
	p.Run = thisRun(s, targets)
	p.Verification, p.Evidence, p.Ceilings = VerificationTable(s), EvidenceTable(s), CeilingsTable(s)
	p.PubNotes = flask.Notes
	p.HowToRead = howToRead(s)
	return p.render()
}

func newPage(s *Summary, title string) *Page {
	result := "✓ PASSED"
	if len(s.Failures) > 0 {
		result = "✗ FAILED"
	}
	return &Page{Title: title, Result: result, Failed: len(s.Failures) > 0, Failures: s.Failures, Notes: s.Notes,
		AppColor: hexOf(SeriesColor[TargetApp]), OrigColor: hexOf(SeriesColor[TargetOriginal]),
		Legend: ClassLegend, MinBeyond: MinBeyond, CeilingsIntro: ceilingsIntro}
}

func (p *Page) render() ([]byte, error) {
	var b bytes.Buffer
	if err := pageTmpl.Execute(&b, p); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

var (
	mdBold   = regexp.MustCompile(`\*\*(.+?)\*\*`)
	mdCode   = regexp.MustCompile("`([^`]+)`")
	mdItalic = regexp.MustCompile(`\*([^*\s][^*]*?)\*`)
)

// InlineMarkdown renders the report's inline Markdown (**bold**, `code`,
// *italic*, escaped pipes) as HTML, the text escaped first.
func InlineMarkdown(s string) template.HTML {
	h := template.HTMLEscapeString(strings.ReplaceAll(s, `\|`, "|"))
	h = mdCode.ReplaceAllString(h, "<code>$1</code>")
	h = mdBold.ReplaceAllString(h, "<strong>$1</strong>")
	h = mdItalic.ReplaceAllString(h, "<em>$1</em>")
	return template.HTML(h)
}

// SweepHTML renders a sweep run (bench --sweep) as a page: its result, the
// sweep section of summary.md (SweepSection) with each chart inline as
// SVG, the verification and the notes.
func SweepHTML(s *Summary) ([]byte, error) {
	p := newPage(s, "macrobench rate sweep, "+s.Started.Format("2006-01-02 15:04:05 UTC"))
	if s.Interrupted {
		p.Banner = "**INTERRUPTED**: the sweep was stopped before its end; below is what it measured, cut short: lower bounds, not knees."
	}
	p.Meta = "Executor: " + s.Executor + "; runner: " + orS(s.Runner, "?") + "; app at " + s.Target + "."
	charts := map[string]template.HTML{}
	for _, ep := range sweepEndpoints(s.Sweeps) {
		var series []SweepSeries
		for _, sw := range s.Sweeps {
			if sw.Endpoint == ep && sw.Result != nil && len(sw.Result.Steps) > 0 {
				series = append(series, SweepSeries{Endpoint: SweepTitle(ep), Target: sw.Target, Result: sw.Result})
			}
		}
		if len(series) > 0 {
			charts[SweepTitle(ep)] = SweepSVG(series, series[0].Result.Objective)
		}
	}
	p.Sweep = markdownBlocks(SweepSection(s), func(heading string) template.HTML { return charts[heading] })
	t := newTable("endpoint", "result")
	for _, v := range s.Verification {
		row := texts(v.Endpoint, "ok")
		if !v.OK {
			row[1] = TableCell{Text: "**FAILED — not swept**: " + escape(strings.Join(v.Problems, "; ")), Mark: MarkFailed}
		}
		t.row("", nil, row...)
	}
	p.Verification = t
	return p.render()
}

// WriteSweepHTML writes a sweep run's index.html into dir.
func WriteSweepHTML(s *Summary, dir string) error {
	b, err := SweepHTML(s)
	if err != nil {
		return err
	}
	return runresult.WriteFile(filepath.Join(dir, PageFile), b)
}

var mdImage = regexp.MustCompile(`^!\[[^\]]*\]\(([^)]+)\)$`)

// markdownBlocks renders the block Markdown the report writes (## and ###
// headings, | tables |, "- " lists, paragraphs) as HTML, with chart(h)
// under each ### heading h; an image (a PNG chart) is left out.
func markdownBlocks(md string, chart func(heading string) template.HTML) template.HTML {
	var b strings.Builder
	var table []string
	flush := func() {
		if len(table) < 2 {
			table = nil
			return
		}
		t := &Table{}
		split := func(l string) []string {
			l = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(l), "| "), " |")
			return strings.Split(l, " | ")
		}
		t.Head = split(table[0])
		for _, a := range strings.Split(strings.Trim(table[1], "|"), "|") {
			t.Right = append(t.Right, strings.HasSuffix(a, ":"))
		}
		for _, l := range table[2:] {
			t.row("", nil, texts(split(l)...)...)
		}
		_ = pageTmpl.ExecuteTemplate(&b, "table", t)
		table = nil
	}
	for _, l := range strings.Split(md, "\n") {
		if strings.HasPrefix(l, "|") {
			table = append(table, l)
			continue
		}
		flush()
		switch {
		case l == "":
		case strings.HasPrefix(l, "### "):
			b.WriteString("<h3>" + string(InlineMarkdown(l[4:])) + "</h3>\n")
			if c := chart(l[4:]); c != "" {
				b.WriteString(`<div class="charts">` + string(c) + "</div>\n")
			}
		case strings.HasPrefix(l, "## "):
			b.WriteString("<h2>" + string(InlineMarkdown(l[3:])) + "</h2>\n")
		case strings.HasPrefix(l, "- "):
			b.WriteString("<ul><li>" + string(InlineMarkdown(l[2:])) + "</li></ul>\n")
		case mdImage.MatchString(l):
		default:
			b.WriteString("<p>" + string(InlineMarkdown(l)) + "</p>\n")
		}
	}
	flush()
	return template.HTML(b.String())
}
