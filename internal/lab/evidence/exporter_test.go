package evidence

import (
	"strings"
	"testing"
)

// The exposition as postgres-exporter 0.11 writes it for the macrobench_db
// query of postgres/exporter/queries.yaml.
const exporterText = `# HELP macrobench_db_active Client backends of the database at work
# TYPE macrobench_db_active gauge
macrobench_db_active{db="macrobench",server="postgres:5432"} 2
# HELP macrobench_db_backends Client backends of the database
# TYPE macrobench_db_backends gauge
macrobench_db_backends{db="macrobench",server="postgres:5432"} 17
# HELP macrobench_db_calls pg_stat_statements calls of the agents query
# TYPE macrobench_db_calls counter
macrobench_db_calls{db="macrobench",server="postgres:5432"} 123456
# HELP macrobench_db_sessions pg_stat_database.sessions
# TYPE macrobench_db_sessions counter
macrobench_db_sessions{db="macrobench",server="postgres:5432"} 789
# HELP macrobench_settings_info Always 1; the settings are its labels
# TYPE macrobench_settings_info gauge
macrobench_settings_info{max_connections="100",server="postgres:5432",server_version="15.18 (Debian 15.18-0+deb12u1)",shared_buffers="128MB"} 1
# TYPE pg_up gauge
pg_up 1
`

func TestParseExporterSnapshot(t *testing.T) {
	s, err := ParseExporterSnapshot(strings.NewReader(exporterText))
	if err != nil {
		t.Fatal(err)
	}
	if want := (DBSnapshot{Calls: 123456, Sessions: 789, Active: 2, Backends: 17}); s != want {
		t.Errorf("snapshot %+v, want %+v", s, want)
	}
	// A query that failed leaves its metrics out: an error, never a zero.
	noCalls := strings.ReplaceAll(exporterText, `macrobench_db_calls{db="macrobench",server="postgres:5432"} 123456`, "")
	if _, err := ParseExporterSnapshot(strings.NewReader(noCalls)); err == nil || !strings.Contains(err.Error(), "macrobench_db_calls") {
		t.Errorf("without calls: err %v", err)
	}
}

func TestParseExporterSetting(t *testing.T) {
	for name, want := range map[string]string{"max_connections": "100", "server_version": "15.18 (Debian 15.18-0+deb12u1)", "shared_buffers": "128MB"} {
		got, err := ParseExporterSetting(strings.NewReader(exporterText), name)
		if err != nil || got != want {
			t.Errorf("%s: %q (%v), want %q", name, got, err, want)
		}
	}
	if got, err := ParseExporterSetting(strings.NewReader(exporterText), "work_mem"); err == nil || !strings.Contains(err.Error(), "no label work_mem") {
		t.Errorf("a setting the query does not read: %q, %v", got, err)
	}
	// The settings query failed: an error naming it, never an empty value.
	i := strings.Index(exporterText, "# HELP macrobench_settings_info")
	j := strings.Index(exporterText, "# TYPE pg_up")
	if got, err := ParseExporterSetting(strings.NewReader(exporterText[:i]+exporterText[j:]), "max_connections"); err == nil || !strings.Contains(err.Error(), "macrobench_settings") {
		t.Errorf("without the settings: %q, %v", got, err)
	}
}
