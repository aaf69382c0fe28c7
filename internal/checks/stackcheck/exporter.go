package stackcheck

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/macrobench/macrobench/internal/shared/agentscontract"
)

// ExporterQueriesFile is postgres_exporter's extra queries (its
// --extend.query-path) in the repository.
const ExporterQueriesFile = "postgres/exporter/queries.yaml"

// AgentsStatementsQuery is the entry of ExporterQueriesFile that reports the
// agents query's pg_stat_statements counters (the dashboard's panel).
const AgentsStatementsQuery = "pg_stat_statements_agents"

// ExporterQuery is one entry of postgres_exporter 0.11's queries file.
type ExporterQuery struct {
	Query        string                         `yaml:"query"`
	Master       bool                           `yaml:"master"`
	CacheSeconds uint64                         `yaml:"cache_seconds"`
	RunOnServer  string                         `yaml:"runonserver"`
	Metrics      []map[string]ExporterMetricDef `yaml:"metrics"`
}

// ExporterMetricDef is one column of an ExporterQuery.
type ExporterMetricDef struct {
	Usage       string             `yaml:"usage"`
	Description string             `yaml:"description"`
	Mapping     map[string]float64 `yaml:"metric_mapping"`
}

// Columns are the query's columns, in the file's order.
func (q ExporterQuery) Columns() []string {
	var cols []string
	for _, m := range q.Metrics {
		for name := range m {
			cols = append(cols, name)
		}
	}
	return cols
}

// LoadExporterQueries reads a postgres_exporter queries file (unknown fields
// rejected).
func LoadExporterQueries(path string) (map[string]ExporterQuery, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var qs map[string]ExporterQuery
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	if err := dec.Decode(&qs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return qs, nil
}

// CheckExporterQueries checks what the lab needs of the queries file: the
// agents entry filters pg_stat_statements with the agents contract's pattern
// and exports the calls, rows and execution time the dashboard reads; every
// column has a usage. file names the file in the errors.
func CheckExporterQueries(qs map[string]ExporterQuery, file string) error {
	var errs []error
	bad := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s: %s", file, field, fmt.Sprintf(format, args...)))
	}
	for name, q := range qs {
		for _, m := range q.Metrics {
			for col, def := range m {
				switch def.Usage {
				case "LABEL", "COUNTER", "GAUGE", "MAPPEDMETRIC", "DURATION", "DISCARD":
				default:
					bad(name+".metrics."+col+".usage", "%q is not a postgres_exporter usage", def.Usage)
				}
			}
		}
	}
	q, ok := qs[AgentsStatementsQuery]
	if !ok {
		bad(AgentsStatementsQuery, "missing (the dashboard's pg_stat_statements panel reads it)")
		return errors.Join(errs...)
	}
	if want := "LIKE '" + agentscontract.StatementsPattern + "'"; !strings.Contains(q.Query, want) {
		bad(AgentsStatementsQuery+".query", "does not filter with %s (agentscontract.StatementsPattern)", want)
	}
	if !q.Master {
		bad(AgentsStatementsQuery+".master", "want true (one database's statements, read once)")
	}
	cols := strings.Join(q.Columns(), ",")
	if cols != "statement,calls,rows,exec_seconds" {
		bad(AgentsStatementsQuery+".metrics", "columns %s, want statement,calls,rows,exec_seconds", cols)
	}
	return errors.Join(errs...)
}
